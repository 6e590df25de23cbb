/** The assets of the synthetic city, grid by grid: a category and status mix, each point inside its grid. */
import { makeRng, pick } from '../../server/demo/synthetic.js';
import type { CityPlan } from './plan.js';

/** No asset closer than this to its grid's edge (degrees, about 3 m), so its grid is never ambiguous. */
const MIN_EDGE_DISTANCE = 3e-5;

/** Asset categories of the mix, with relative weights and where they stand (`edge`: along a road at the grid edge). */
const ASSET_MIX: { code: string; weight: number; placement: 'edge' | 'any' | 'mixed' }[] = [
  { code: '0101', weight: 8, placement: 'mixed' },
  { code: '0102', weight: 12, placement: 'mixed' },
  { code: '0103', weight: 10, placement: 'mixed' },
  { code: '0105', weight: 6, placement: 'mixed' },
  { code: '0107', weight: 7, placement: 'mixed' },
  { code: '0110', weight: 1, placement: 'mixed' },
  { code: '0111', weight: 4, placement: 'mixed' },
  { code: '0104', weight: 10, placement: 'edge' },
  { code: '0120', weight: 25, placement: 'edge' },
  { code: '0304', weight: 12, placement: 'any' },
  { code: '0302', weight: 3, placement: 'any' },
];
const NOTICE_BOARD = '0312';
/** Every asset category code the generator writes. */
export const CITY_ASSET_CATEGORIES = [...ASSET_MIX.map((c) => c.code), NOTICE_BOARD];

const STATUS_MIX: [string, number][] = [
  ['normal', 0.94],
  ['damaged', 0.025],
  ['repairing', 0.015],
  ['retired', 0.015],
  ['missing', 0.005],
];

/** One asset: a point inside its grid. */
export interface CityAsset {
  code: string;
  category_code: string;
  status: string;
  attrs: Record<string, unknown>;
  lon: number;
  lat: number;
}

/** Whether [x, y] is inside the closed ring and at least `margin` away from every one of its edges. */
function insideWithMargin(ring: number[][], x: number, y: number, margin: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 2; i < ring.length - 1; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    const dx = xj - xi;
    const dy = yj - yi;
    const t = Math.max(0, Math.min(1, ((x - xi) * dx + (y - yi) * dy) / (dx * dx + dy * dy)));
    if (Math.hypot(x - (xi + t * dx), y - (yi + t * dy)) < margin) return false;
  }
  return inside;
}

/** Free attributes of an asset of a category. */
function attrsOf(category: string, rng: () => number): Record<string, unknown> {
  const installed = 1995 + Math.floor(rng() * 31);
  switch (category) {
    case '0120':
      return { height_m: pick(rng, [6, 8, 10, 12]), lamp: rng() < 0.8 ? 'LED' : 'HPS', power_w: pick(rng, [60, 90, 120, 150]), installed };
    case '0104':
      return { material: rng() < 0.7 ? 'ductile_iron' : 'composite', size_mm: pick(rng, ['750x450', '600x400']), installed };
    case '0304':
      return { capacity_l: pick(rng, [60, 120, 240]), sorted: rng() < 0.7 };
    case '0302':
      return { bins: 2 + Math.floor(rng() * 7), opening: '06:30-09:00,18:00-20:00' };
    case NOTICE_BOARD:
      return { board: 'grid', qr: true };
    default:
      return { material: pick(rng, ['ductile_iron', 'ductile_iron', 'composite', 'concrete']), diameter_mm: pick(rng, [600, 700, 800]), installed };
  }
}

const MIX_WEIGHT = ASSET_MIX.reduce((a, c) => a + c.weight, 0);

/** Draw a category from the mix. */
function categoryOf(rng: () => number): (typeof ASSET_MIX)[number] {
  let r = rng() * MIX_WEIGHT;
  for (const c of ASSET_MIX) {
    r -= c.weight;
    if (r < 0) return c;
  }
  return ASSET_MIX[ASSET_MIX.length - 1];
}

/** Draw a status from the mix. */
function statusOf(rng: () => number): string {
  let r = rng();
  for (const [status, p] of STATUS_MIX) {
    r -= p;
    if (r < 0) return status;
  }
  return 'normal';
}

/** The assets of grid number `index` of the plan: 1–3 notice boards, then the category mix. Pure and deterministic. */
export function gridAssets(plan: CityPlan, index: number): CityAsset[] {
  const grid = plan.grids[index];
  const rng = makeRng(plan.options.seed, 'assets', index);
  const { lattice } = plan;
  const corners = [lattice.vertex(grid.col, grid.row), lattice.vertex(grid.col + 1, grid.row), lattice.vertex(grid.col + 1, grid.row + 1), lattice.vertex(grid.col, grid.row + 1)];
  const at = (u: number, v: number) => {
    const [nw, ne, se, sw] = corners;
    const x = (1 - u) * (1 - v) * nw[0] + u * (1 - v) * ne[0] + u * v * se[0] + (1 - u) * v * sw[0];
    const y = (1 - u) * (1 - v) * nw[1] + u * (1 - v) * ne[1] + u * v * se[1] + (1 - u) * v * sw[1];
    return lattice.toLonLat(x, y);
  };
  const r = rng();
  const boards = Math.min(grid.assetCount, r < 0.15 ? 1 : r < 0.85 ? 2 : 3);
  const out: CityAsset[] = [];
  for (let n = 0; n < grid.assetCount; n++) {
    const category = n < boards ? { code: NOTICE_BOARD, placement: 'any' as const } : categoryOf(rng);
    const onEdge = category.placement === 'edge' || (category.placement === 'mixed' && rng() < 0.5);
    let point: [number, number] | undefined;
    for (let attempt = 0; attempt < 1000 && !point; attempt++) {
      let u: number;
      let v: number;
      if (onEdge) {
        // Along one of the four roads that bound the grid, 35–70 m in from its edge.
        const along = 0.05 + rng() * 0.9;
        const inset = 0.05 + rng() * 0.05;
        const side = Math.floor(rng() * 4);
        [u, v] = side === 0 ? [along, inset] : side === 1 ? [1 - inset, along] : side === 2 ? [along, 1 - inset] : [inset, along];
      } else {
        u = 0.08 + rng() * 0.84;
        v = 0.08 + rng() * 0.84;
      }
      const p = at(u, v);
      if (insideWithMargin(grid.area.ring, p[0], p[1], MIN_EDGE_DISTANCE)) point = p;
    }
    if (!point) throw new Error(`could not place an asset inside grid ${grid.area.code}`);
    out.push({
      code: `${category.code}-${grid.area.code}-${String(n + 1).padStart(4, '0')}`,
      category_code: category.code,
      status: n < boards ? 'normal' : statusOf(rng),
      attrs: attrsOf(category.code, rng),
      lon: point[0],
      lat: point[1],
    });
  }
  return out;
}
