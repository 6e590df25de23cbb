/**
 * The assets of the demo office: street layers along the inset grid edges, interior assets at random
 * inside the grids, then codes, statuses, attributes and WGS84 positions.
 */
import type { Knex } from 'knex';
import { pick, type Rng } from '../../server/demo/synthetic.js';
import {
  COVER_CATEGORIES,
  GARBAGE_GATE_TARGET,
  GRID_COUNT,
  INTERIOR_COVER_TARGET,
  INTERIOR_COVER_WEIGHTS,
  INTERIOR_OFFSET_M,
  NOTICE_BOARDS_PER_GRID,
  NOTICE_BOARD_COUNT,
  STREET_LAYERS,
  type AssetRecord,
  type GridInfo,
  type XY,
} from './constants.js';
import { allocate, fail, pad, pickWeighted, pointsAlong, randInt, rngFor, roundCoord } from './helpers.js';
import { sqlFillGridUtm, sqlGridBoxes, sqlInsetRings, sqlInsideGrids, sqlToLonLat } from './sql.js';

/** A status: mostly normal, a few damaged or missing. */
function assetStatus(rng: Rng, damaged: number, missing: number): AssetRecord['status'] {
  const r = rng();
  if (r < missing) return 'missing';
  if (r < missing + damaged) return 'damaged';
  return 'normal';
}

/** Free attributes of an asset of a category. */
function assetAttrs(rng: Rng, category: string, onStreet: boolean): AssetRecord['attrs'] {
  if (COVER_CATEGORIES.includes(category)) {
    return {
      material: pickWeighted(rng, [['cast iron', 5], ['ductile iron', 4], ['composite', 1]]),
      diameter_mm: pick(rng, [600, 700, 700, 800]),
      load_class: onStreet ? 'D400' : 'C250',
    };
  }
  switch (category) {
    case '0104':
      return { material: pick(rng, ['ductile iron', 'ductile iron', 'composite']), size_mm: pick(rng, ['750x450', '600x400']) };
    case '0120':
      return { lamp: pickWeighted(rng, [['LED', 4], ['sodium', 1]]), height_m: pick(rng, [8, 10, 10, 12]), arms: pick(rng, [1, 1, 2]) };
    case '0304':
      return { type: pick(rng, ['sorting double', 'sorting double', 'single']), volume_l: pick(rng, [120, 240]) };
    case '0302':
      return { bins: randInt(rng, 4, 8), sorting: true, covered: rng() < 0.8 };
    case '0312':
      return { material: 'aluminium', size_cm: '120x80', qr_code: true };
    default:
      return {};
  }
}

/** Street assets: each layer along the inset rings of every grid, spaced to reach its target count. */
async function streetAssets(knex: Knex): Promise<AssetRecord[]> {
  const out: AssetRecord[] = [];
  for (const layer of STREET_LAYERS) {
    const { rows } = await sqlInsetRings(knex, layer.offsetM);
    const rings = rows as Array<{ code: string; line: { coordinates: XY[] }; len: number }>;
    const total = rings.reduce((s, r) => s + r.len, 0);
    const spacing = total / layer.target;
    const rng = rngFor(`street:${layer.category}`);
    for (const ring of rings) {
      for (const utm of pointsAlong(ring.line.coordinates, spacing, rng)) {
        out.push({ code: '', category_code: layer.category, status: 'normal', attrs: {}, grid: ring.code, utm });
      }
    }
  }
  return out;
}

/** `count` random interior points per grid (at least INTERIOR_OFFSET_M from its edges). */
async function interiorPoints(knex: Knex, perGrid: Map<string, number>, label: string): Promise<Array<{ grid: string; utm: XY }>> {
  const boxes = (await sqlGridBoxes(knex)).rows as Array<{ code: string; xmin: number; ymin: number; xmax: number; ymax: number }>;
  const rng = rngFor(`interior:${label}`);
  const found = new Map<string, XY[]>(boxes.map((b) => [b.code, []]));
  for (let round = 0; round < 20; round++) {
    const candidates: Array<{ grid: string; utm: XY }> = [];
    for (const b of boxes) {
      const missing = (perGrid.get(b.code) ?? 0) - found.get(b.code)!.length;
      for (let k = 0; k < missing * 3 + (missing > 0 ? 4 : 0); k++) {
        candidates.push({ grid: b.code, utm: [b.xmin + rng() * (b.xmax - b.xmin), b.ymin + rng() * (b.ymax - b.ymin)] });
      }
    }
    if (candidates.length === 0) break;
    const { rows } = await sqlInsideGrids(knex, candidates, INTERIOR_OFFSET_M);
    for (const { i } of rows as Array<{ i: number }>) {
      const c = candidates[i - 1];
      const list = found.get(c.grid)!;
      if (list.length < (perGrid.get(c.grid) ?? 0)) list.push(c.utm);
    }
  }
  const out: Array<{ grid: string; utm: XY }> = [];
  for (const b of boxes) {
    const list = found.get(b.code)!;
    if (list.length !== (perGrid.get(b.code) ?? 0)) fail(`could not place ${label} points in grid ${b.code}`);
    for (const utm of list) out.push({ grid: b.code, utm });
  }
  return out;
}

/** Interior assets: covers in compounds, garbage gates, and the notice boards (2 per grid, the rest to the largest grids). */
async function interiorAssets(knex: Knex, grids: GridInfo[]): Promise<AssetRecord[]> {
  const byArea = (target: number, minimum: number) => {
    const shares = allocate(grids.map((g) => g.areaM2), target, minimum);
    return new Map(grids.map((g, i) => [g.code, shares[i]]));
  };
  const out: AssetRecord[] = [];
  const coverRng = rngFor('interior-cover-kind');
  for (const p of await interiorPoints(knex, byArea(INTERIOR_COVER_TARGET, 0), 'cover')) {
    out.push({ code: '', category_code: pickWeighted(coverRng, INTERIOR_COVER_WEIGHTS), status: 'normal', attrs: {}, ...p });
  }
  for (const p of await interiorPoints(knex, byArea(GARBAGE_GATE_TARGET, 1), 'garbage')) {
    out.push({ code: '', category_code: '0302', status: 'normal', attrs: {}, ...p });
  }
  for (const p of await interiorPoints(knex, byArea(NOTICE_BOARD_COUNT, NOTICE_BOARDS_PER_GRID), 'board')) {
    out.push({ code: '', category_code: '0312', status: 'normal', attrs: {}, ...p });
  }
  return out;
}

/** Give every asset its code, status and attributes (in grid, category and placement order). */
function finishAssets(assets: AssetRecord[], streetCount: number): void {
  const seq = new Map<string, number>();
  const boardSeq = new Map<string, number>();
  const rng = rngFor('asset-details');
  const prefix: Record<string, string> = { '0104': 'GR', '0120': 'SL', '0302': 'GG', '0304': 'LB' };
  assets.forEach((a, i) => {
    const onStreet = i < streetCount;
    if (a.category_code === '0312') {
      const n = (boardSeq.get(a.grid) ?? 0) + 1;
      boardSeq.set(a.grid, n);
      a.code = `NB-${a.grid}-${n}`;
    } else {
      const key = COVER_CATEGORIES.includes(a.category_code) ? `MH-${a.category_code}` : prefix[a.category_code];
      const n = (seq.get(key) ?? 0) + 1;
      seq.set(key, n);
      a.code = `${key}-${pad(n, 6)}`;
    }
    const cover = COVER_CATEGORIES.includes(a.category_code);
    a.status = a.category_code === '0120' ? assetStatus(rng, 0.03, 0) : cover ? assetStatus(rng, 0.015, 0.004) : assetStatus(rng, 0.01, 0.002);
    a.attrs = assetAttrs(rng, a.category_code, onStreet);
  });
}

/** Every asset of the office, with codes, statuses, attributes and rounded WGS84 positions. */
export async function buildAssets(knex: Knex, grids: GridInfo[]): Promise<AssetRecord[]> {
  if ((await sqlFillGridUtm(knex)).rows.length !== GRID_COUNT) fail('could not project the grids');
  const street = await streetAssets(knex);
  const inner = await interiorAssets(knex, grids);
  const order = new Map(grids.map((g, i) => [g.code, i]));
  street.sort((a, b) => order.get(a.grid)! - order.get(b.grid)!);
  inner.sort((a, b) => order.get(a.grid)! - order.get(b.grid)!);
  const assets = [...street, ...inner];
  finishAssets(assets, street.length);
  const { rows } = await sqlToLonLat(knex, assets.map((a) => a.utm));
  if (rows.length !== assets.length) fail('could not transform the asset positions');
  rows.forEach((r: { lon: number; lat: number }, i: number) => {
    assets[i].lonlat = [roundCoord(r.lon), roundCoord(r.lat)];
  });
  return assets.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/** Asset features: Point, properties code/category_code/status/attrs. */
export function assetFeatures(assets: AssetRecord[]): unknown[] {
  return assets.map((a) => ({
    type: 'Feature',
    properties: { code: a.code, category_code: a.category_code, status: a.status, attrs: a.attrs },
    geometry: { type: 'Point', coordinates: a.lonlat },
  }));
}
