/**
 * Generate a deterministic synthetic city (offices → communities → grids, one chief per grid, point
 * assets) into the configured database, so that tiles, exports and appraisal can be measured at scale.
 *
 *   npm run generate:city -- --grids 10000 --assets 1000000 [--seed 1] [--replace]
 *
 * The city is a lattice of jittered quadrilateral cells whose edges are shared polylines: neighbouring
 * grids use the very same vertices, so grids tile their community and communities their office exactly.
 * Every area code starts with CITY_PREFIX, which no real office code can start with.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import type { Knex } from 'knex';
import { parseConfig } from '../server/config.js';
import { DatabaseSetupError, openDatabase, type Db, type DatabaseKind } from '../server/db/connect.js';
import { migrate } from '../server/db/migrate.js';
import { makeRng, personName, pick } from '../server/demo/synthetic.js';
import { finishBulkLoad, newCellPyramid, shouldLoadInBulk, startBulkLoad } from '../server/assets/bulk.js';
import type { CellPyramid } from '../server/assets/cell_pyramid.js';
import { copyAssets, toAssetCopyLine } from '../server/assets/copy.js';
import { AREA_LEVELS, type AreaLevel } from '../server/areas/levels.js';

/** Leading digits of every area code of the synthetic city; 99 is no Chinese province, so no real office starts so. */
export const CITY_PREFIX = '9901';
/** Seed used when `--seed` is not given. */
export const DEFAULT_SEED = 1;
/** When the city's boundaries and staff assignments come into force. */
export const CITY_VALID_FROM = '2026-01-01T00:00:00Z';

// Hierarchy: an office is a block of 10×10 cells cut into 2×5 communities of 5×2 cells (10 grids each).
const COMMUNITY_COLS = 5;
const COMMUNITY_ROWS = 2;
const COMMUNITIES_ACROSS = 2;
const COMMUNITIES_DOWN = 5;
const OFFICE_COLS = COMMUNITY_COLS * COMMUNITIES_ACROSS;
const OFFICE_ROWS = COMMUNITY_ROWS * COMMUNITIES_DOWN;
const GRIDS_PER_COMMUNITY = COMMUNITY_COLS * COMMUNITY_ROWS;
const GRIDS_PER_OFFICE = OFFICE_COLS * OFFICE_ROWS;

// Geometry, in cell sides: a 0.7 km cell is a 0.49 km² grid; 10,000 of them cover 4,900 km².
const CELL_KM = 0.7;
const CENTRE_LON = 121.0;
const CENTRE_LAT = 31.2;
/** Largest shift of a lattice vertex; below 0.25 no two edges of a cell can cross. */
const JITTER = 0.2;
/** Largest sideways bend of a point inside an edge (roads are not straight). */
const WIGGLE = 0.025;
/** Segments per lattice edge, so a grid has 4 × SEGMENTS vertices. */
const SEGMENTS = 4;
/** Coordinates are stored with 7 decimals (about 1 cm), like the API writes them. */
const DECIMALS = 1e7;
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

/** Place-name syllables with their pinyin. */
const SYLLABLES: [string, string][] = [
  ['华', 'hua'], ['新', 'xin'], ['安', 'an'], ['康', 'kang'], ['兴', 'xing'], ['和', 'he'], ['平', 'ping'],
  ['东', 'dong'], ['西', 'xi'], ['南', 'nan'], ['北', 'bei'], ['明', 'ming'], ['光', 'guang'], ['福', 'fu'],
  ['泰', 'tai'], ['宁', 'ning'], ['长', 'chang'], ['青', 'qing'], ['云', 'yun'], ['海', 'hai'], ['江', 'jiang'],
  ['湖', 'hu'], ['山', 'shan'], ['桥', 'qiao'], ['园', 'yuan'], ['林', 'lin'], ['春', 'chun'], ['秋', 'qiu'],
  ['祥', 'xiang'], ['瑞', 'rui'], ['龙', 'long'], ['凤', 'feng'], ['金', 'jin'], ['玉', 'yu'], ['文', 'wen'],
  ['德', 'de'], ['嘉', 'jia'], ['盛', 'sheng'], ['丰', 'feng'], ['永', 'yong'], ['乐', 'le'], ['清', 'qing'],
  ['源', 'yuan'], ['星', 'xing'], ['月', 'yue'], ['阳', 'yang'], ['泉', 'quan'], ['松', 'song'], ['柳', 'liu'],
  ['梅', 'mei'], ['兰', 'lan'], ['竹', 'zhu'], ['枫', 'feng'], ['荷', 'he'], ['塘', 'tang'], ['港', 'gang'],
];
// ---------------------------------------------------------------------------------------------------
// Pure part: the city as data, the same for the same options.

/** What to generate. */
export interface CityOptions {
  grids: number;
  assets: number;
  seed: number;
}

/** One area of the city, its boundary one counter-clockwise ring of [lon, lat]. */
export interface CityArea {
  code: string;
  level: AreaLevel;
  name: string;
  name_en: string;
  parent_code: string | null;
  ring: number[][];
}

/** A grid of the city: its area, the office it belongs to, its lattice cell and its chief. */
export interface CityGrid {
  area: CityArea;
  officeCode: string;
  col: number;
  row: number;
  chief: { code: string; name: string; name_en: string; phone: string };
  assetCount: number;
}

/** The whole city except the assets, which `gridAssets` makes grid by grid. */
export interface CityPlan {
  options: CityOptions;
  lattice: Lattice;
  offices: CityArea[];
  communities: CityArea[];
  grids: CityGrid[];
}

/** One asset: a point inside its grid. */
export interface CityAsset {
  code: string;
  category_code: string;
  status: string;
  attrs: Record<string, unknown>;
  lon: number;
  lat: number;
}

const round7 = (v: number) => Math.round(v * DECIMALS) / DECIMALS;

/**
 * The jittered lattice: vertex (i, k) for i in 0..cols (west → east) and k in 0..rows (north → south),
 * each lattice edge a polyline of SEGMENTS pieces shared by the two cells on either side.
 */
export class Lattice {
  readonly dlon: number;
  readonly dlat: number;
  readonly west: number;
  readonly north: number;
  private readonly jitter: Float64Array;
  private readonly hBend: Float64Array;
  private readonly vBend: Float64Array;

  constructor(
    readonly cols: number,
    readonly rows: number,
    rng: () => number,
  ) {
    this.dlat = CELL_KM / 110.574;
    this.dlon = CELL_KM / (111.32 * Math.cos((CENTRE_LAT * Math.PI) / 180));
    this.west = CENTRE_LON - (cols * this.dlon) / 2;
    this.north = CENTRE_LAT + (rows * this.dlat) / 2;
    this.jitter = new Float64Array((cols + 1) * (rows + 1) * 2);
    for (let i = 0; i < this.jitter.length; i++) this.jitter[i] = (rng() * 2 - 1) * JITTER;
    this.hBend = new Float64Array(cols * (rows + 1) * (SEGMENTS - 1));
    for (let i = 0; i < this.hBend.length; i++) this.hBend[i] = (rng() * 2 - 1) * WIGGLE;
    this.vBend = new Float64Array((cols + 1) * rows * (SEGMENTS - 1));
    for (let i = 0; i < this.vBend.length; i++) this.vBend[i] = (rng() * 2 - 1) * WIGGLE;
  }

  /** Id of vertex (i, k). */
  vertexId(i: number, k: number): number {
    return k * (this.cols + 1) + i;
  }

  /** Position of vertex (i, k) in cell units (x east, y south). */
  vertex(i: number, k: number): [number, number] {
    const v = this.vertexId(i, k) * 2;
    return [i + this.jitter[v], k + this.jitter[v + 1]];
  }

  /** Convert cell units to a rounded [lon, lat]. */
  toLonLat(x: number, y: number): [number, number] {
    return [round7(this.west + x * this.dlon), round7(this.north - y * this.dlat)];
  }

  /** The points of the edge from vertex (i0, k0) to the adjacent vertex (i1, k1), without the start, with the end. */
  edgePath(i0: number, k0: number, i1: number, k1: number): number[][] {
    const reversed = i1 < i0 || k1 < k0;
    const [ia, ka, ib, kb] = reversed ? [i1, k1, i0, k0] : [i0, k0, i1, k1];
    const bends = ka === kb ? this.hBend : this.vBend;
    const edge = ka === kb ? ka * this.cols + ia : ka * (this.cols + 1) + ia;
    const [ax, ay] = this.vertex(ia, ka);
    const [bx, by] = this.vertex(ib, kb);
    const len = Math.hypot(bx - ax, by - ay);
    const nx = -(by - ay) / len;
    const ny = (bx - ax) / len;
    const inner: number[][] = [];
    for (let s = 1; s < SEGMENTS; s++) {
      const t = s / SEGMENTS;
      const w = bends[edge * (SEGMENTS - 1) + s - 1];
      inner.push(this.toLonLat(ax + (bx - ax) * t + nx * w, ay + (by - ay) * t + ny * w));
    }
    if (reversed) return [...inner.reverse(), this.toLonLat(ax, ay)];
    return [...inner, this.toLonLat(bx, by)];
  }

  /** The closed ring through a closed path of adjacent lattice vertices. */
  ringThrough(path: [number, number][]): number[][] {
    const ring: number[][] = [this.toLonLat(...this.vertex(path[0][0], path[0][1]))];
    for (let p = 1; p < path.length; p++) ring.push(...this.edgePath(path[p - 1][0], path[p - 1][1], path[p][0], path[p][1]));
    return ring;
  }

  /** The counter-clockwise ring of cell (col, row). */
  cellRing(col: number, row: number): number[][] {
    return this.ringThrough(cellPath(col, row));
  }

  /** The counter-clockwise outer ring of a set of cells that has no holes and no pinched vertices. */
  unionRing(cells: { col: number; row: number }[]): number[][] {
    const inSet = new Set(cells.map((c) => c.row * this.cols + c.col));
    const has = (col: number, row: number) => col >= 0 && row >= 0 && col < this.cols && row < this.rows && inSet.has(row * this.cols + col);
    // Boundary sides keep the cells' counter-clockwise direction; chained, they make the outer ring.
    const next = new Map<number, [number, number]>();
    for (const { col, row } of cells) {
      const path = cellPath(col, row);
      const neighbours: [number, number][] = [[col, row + 1], [col + 1, row], [col, row - 1], [col - 1, row]];
      for (let s = 0; s < 4; s++) {
        if (has(...neighbours[s])) continue;
        const fromId = this.vertexId(...path[s]);
        if (next.has(fromId)) throw new Error(`cells meet at a single vertex ${path[s].join(',')}: not a simple polygon`);
        next.set(fromId, path[s + 1]);
      }
    }
    const start = Math.min(...next.keys());
    const startVertex: [number, number] = [start % (this.cols + 1), Math.floor(start / (this.cols + 1))];
    const path: [number, number][] = [startVertex];
    let at = start;
    do {
      const to = next.get(at)!;
      path.push(to);
      at = this.vertexId(...to);
    } while (at !== start && path.length <= next.size + 1);
    if (path.length - 1 !== next.size) throw new Error('cell set has holes or several parts: not one ring');
    return this.ringThrough(path);
  }
}

/** The vertices of cell (col, row), counter-clockwise from its south-west corner, closed. */
function cellPath(col: number, row: number): [number, number][] {
  return [[col, row + 1], [col + 1, row + 1], [col + 1, row], [col, row], [col, row + 1]];
}

/** A two-syllable place name not used yet, in Chinese and pinyin. */
function placeName(rng: () => number, used: Set<string>): { zh: string; en: string } {
  for (;;) {
    const a = pick(rng, SYLLABLES);
    const b = pick(rng, SYLLABLES);
    const zh = a[0] + b[0];
    if (a[0] === b[0] || used.has(zh)) {
      if (used.size >= SYLLABLES.length * (SYLLABLES.length - 1)) return { zh, en: pinyin(a[1], b[1]) };
      continue;
    }
    used.add(zh);
    return { zh, en: pinyin(a[1], b[1]) };
  }
}

/** Join two pinyin syllables into a capitalised name, with the apostrophe before a/e/o (Xi'an). */
function pinyin(a: string, b: string): string {
  const joined = /^[aeo]/.test(b) ? `${a}'${b}` : a + b;
  return joined[0].toUpperCase() + joined.slice(1);
}

/** A person's name in Chinese and pinyin, and an 11-digit mobile number. */
function personOf(rng: () => number): { name: string; name_en: string; phone: string } {
  let phone = `1${pick(rng, ['3', '5', '7', '8', '9'])}`;
  for (let d = 0; d < 9; d++) phone += Math.floor(rng() * 10);
  return { ...personName(rng), phone };
}

/** Split `total` into integer parts proportional to `weights` (largest remainder, ties by index). */
export function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let j = 0; left > 0; j++, left--) parts[order[j % order.length][1]]++;
  return parts;
}

/** Lay out the city: offices, communities, grids with their chiefs and asset counts. Pure and deterministic. */
export function planCity(options: CityOptions): CityPlan {
  const { grids: gridTotal, assets: assetTotal, seed } = options;
  const officeCount = Math.ceil(gridTotal / GRIDS_PER_OFFICE);
  const blocksAcross = Math.ceil(Math.sqrt(officeCount));
  const blocksDown = Math.ceil(officeCount / blocksAcross);
  const lattice = new Lattice(blocksAcross * OFFICE_COLS, blocksDown * OFFICE_ROWS, makeRng(seed, 'lattice'));
  const names = makeRng(seed, 'names');
  const people = makeRng(seed, 'people');
  const density = makeRng(seed, 'density');
  const usedNames = new Set<string>();

  const offices: CityArea[] = [];
  const communities: CityArea[] = [];
  const grids: CityGrid[] = [];
  const weights: number[] = [];
  for (let o = 0; o < officeCount; o++) {
    const officeCode = `${CITY_PREFIX}${String(o + 1).padStart(5, '0')}`;
    const officeName = placeName(names, usedNames);
    const officeGrids = Math.min(GRIDS_PER_OFFICE, gridTotal - o * GRIDS_PER_OFFICE);
    const bx = (o % blocksAcross) * OFFICE_COLS;
    const by = Math.floor(o / blocksAcross) * OFFICE_ROWS;
    const officeCells: { col: number; row: number }[] = [];
    for (let q = 0; q * GRIDS_PER_COMMUNITY < officeGrids; q++) {
      const communityCode = `${officeCode}${String(q + 1).padStart(3, '0')}`;
      const communityName = placeName(names, usedNames);
      const cx = bx + (q % COMMUNITIES_ACROSS) * COMMUNITY_COLS;
      const cy = by + Math.floor(q / COMMUNITIES_ACROSS) * COMMUNITY_ROWS;
      const communityCells: { col: number; row: number }[] = [];
      for (let p = 0; p < Math.min(GRIDS_PER_COMMUNITY, officeGrids - q * GRIDS_PER_COMMUNITY); p++) {
        const col = cx + (p % COMMUNITY_COLS);
        const row = cy + Math.floor(p / COMMUNITY_COLS);
        const code = `${communityCode}${String(p + 1).padStart(3, '0')}`;
        communityCells.push({ col, row });
        grids.push({
          area: {
            code,
            level: AREA_LEVELS.grid,
            name: `${communityName.zh}社区第${p + 1}网格`,
            name_en: `${communityName.en} Community Grid ${p + 1}`,
            parent_code: communityCode,
            ring: lattice.cellRing(col, row),
          },
          officeCode,
          col,
          row,
          chief: { code: `C${code}`, ...personOf(people) },
          assetCount: 0,
        });
        // Denser towards the centre of the city, with a grid-to-grid spread (parks, water, new towns).
        const d = Math.hypot(col + 0.5 - lattice.cols / 2, row + 0.5 - lattice.rows / 2) / Math.max(lattice.cols, lattice.rows);
        weights.push((0.35 + Math.exp(-((d / 0.3) ** 2))) * (0.4 + 1.2 * density()));
      }
      communities.push({
        code: communityCode,
        level: AREA_LEVELS.community,
        name: `${communityName.zh}社区`,
        name_en: `${communityName.en} Community`,
        parent_code: officeCode,
        ring: lattice.unionRing(communityCells),
      });
      officeCells.push(...communityCells);
    }
    offices.push({
      code: officeCode,
      level: AREA_LEVELS.office,
      name: `${officeName.zh}街道`,
      name_en: `${officeName.en} Subdistrict`,
      parent_code: null,
      ring: lattice.unionRing(officeCells),
    });
  }
  const counts = apportion(assetTotal, weights);
  grids.forEach((g, i) => (g.assetCount = counts[i]));
  return { options, lattice, offices, communities, grids };
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

// ---------------------------------------------------------------------------------------------------
// Database part.

/** Phases of a run, in order. */
export const PHASES = ['plan', 'clear', 'areas', 'staff', 'assets', 'analyze', 'verify'] as const;
export type Phase = (typeof PHASES)[number];

/** Progress of the phase under way. */
export interface CityProgress {
  phase: Phase;
  done: number;
  total: number;
}

/** Options of a run: the city, whether to delete a previous one, and a progress callback. */
export interface GenerateOptions extends CityOptions {
  replace?: boolean;
  /** Load the assets in bulk (indexes rebuilt, pyramid summed in memory): by default when they outnumber those there. */
  bulk?: boolean;
  onProgress?: (progress: CityProgress) => void;
}

/** What a run wrote and how long each phase took. */
export interface CityResult {
  kind: DatabaseKind;
  offices: number;
  communities: number;
  grids: number;
  staff: number;
  assets: number;
  /** Seconds per phase. */
  seconds: Record<Phase, number>;
  totalSeconds: number;
  /** Assets checked against a spatial query after the load. */
  verifiedAssets: number;
}

/** The database already holds a synthetic city; the message says how to proceed. */
export class CityExistsError extends Error {}

const AREA_BATCH = 1000;
const STAFF_BATCH = 5000;
const ASSET_CHUNK = 20_000;
/** About this many assets are checked with a spatial query after the load. */
const VERIFY_SAMPLE = 5000;

const like = `${CITY_PREFIX}%`;

/** Count the rows of a previous synthetic city. */
function sqlCityRowCounts(knex: Knex): Knex.Raw {
  return knex.raw(
    `select (select count(*)::int from areas where code like :like) as areas,
            (select count(*)::int from assets where office_code like :like) as assets`,
    { like },
  );
}

/** Order tables so that every table comes before the tables it references (children first). */
export function childrenFirst(tables: string[], references: { child: string; parent: string }[]): string[] {
  const order: string[] = [];
  const left = new Set(tables);
  while (left.size) {
    const free = [...left].find((t) => !references.some((r) => r.parent === t && r.child !== t && left.has(r.child)));
    // A cycle of foreign keys has no free table: take any, and let the database say if that fails.
    const next = free ?? [...left][0];
    order.push(next);
    left.delete(next);
  }
  return order;
}

/**
 * Delete the previous synthetic city: only rows whose codes start with CITY_PREFIX. Every table with an
 * office_code column is cleared of the city's rows (incidents, photos, population… added by later work),
 * children before parents; then the chiefs, the assignments to the city's areas and the areas.
 */
async function clearCity(trx: Knex.Transaction): Promise<void> {
  const tables = (
    await trx.raw(
      `select c.table_name as name
         from information_schema.columns c
         join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = current_schema() and c.column_name = 'office_code' and t.table_type = 'BASE TABLE'
        order by 1`,
    )
  ).rows.map((r: { name: string }) => r.name) as string[];
  const references = (
    await trx.raw(
      `select (select relname from pg_class where oid = conrelid) as child, (select relname from pg_class where oid = confrelid) as parent
         from pg_constraint where contype = 'f' and connamespace = current_schema()::regnamespace`,
    )
  ).rows as { child: string; parent: string }[];
  for (const table of childrenFirst(tables, references)) await trx.raw(`delete from ?? where office_code like ?`, [table, like]);
  await trx.raw(`delete from staff where code like ?`, [`C${like}`]);
  await trx.raw(`delete from staff_assignments where area_code like ?`, [like]);
  await trx.raw(`delete from areas where code like ?`, [like]);
}

/** Insert areas from JSON rows in one statement; returns their ids by code. */
function sqlInsertAreas(knex: Knex, areas: CityArea[]): Knex.Raw {
  const rows = areas.map((a) => ({ ...a, ring: undefined, geometry: { type: 'MultiPolygon', coordinates: [[a.ring]] } }));
  return knex.raw(
    `insert into areas (code, level, name, name_en, parent_code, geom, valid_from)
     select f->>'code', (f->>'level')::smallint, f->>'name', f->>'name_en', f->>'parent_code',
            ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326), :validFrom
       from json_array_elements(:rows::json) f
     returning id, code`,
    { rows: JSON.stringify(rows), validFrom: CITY_VALID_FROM },
  );
}

/** Count the city's areas in force and the invalid ones, in one row. */
function sqlAreaValidity(knex: Knex): Knex.Raw {
  return knex.raw(
    `select count(*)::int as n, count(*) filter (where not ST_IsValid(geom))::int as invalid
       from areas where code like ? and valid_to is null`,
    [like],
  );
}

/** Insert grid chiefs from JSON rows in one statement. */
function sqlInsertChiefs(knex: Knex, chiefs: CityGrid['chief'][]): Knex.Raw {
  return knex.raw(
    `insert into staff (code, name, name_en, role, phone)
     select f->>'code', f->>'name', f->>'name_en', 'chief', f->>'phone' from json_array_elements(?::json) f`,
    [JSON.stringify(chiefs)],
  );
}

/** Assign every chief of the city to the grid named by its code (`C` + grid code). */
function sqlAssignChiefs(knex: Knex): Knex.Raw {
  return knex.raw(
    `insert into staff_assignments (staff_id, area_code, valid_from)
     select id, substr(code, 2), ? from staff where code like ? and role = 'chief'`,
    [CITY_VALID_FROM, `C${like}`],
  );
}

/**
 * Check a sample of the city's assets with a spatial query: each must lie in exactly one grid in force,
 * the one recorded on it, in the version recorded on it. One row: checked and wrong.
 */
function sqlVerifyAssetGrids(knex: Knex, step: number): Knex.Raw {
  return knex.raw(
    `select count(*)::int as checked,
            count(*) filter (where m.hits <> 1 or m.code is distinct from s.grid_code or m.id is distinct from s.area_version_id)::int as wrong
       from (select grid_code, area_version_id, geom from assets where office_code like :like and id % :step = 0) s
       cross join lateral (
         select count(*)::int as hits, min(g.code) as code, min(g.id) as id
           from areas g
          where g.level = ${AREA_LEVELS.grid} and g.valid_to is null and ST_Intersects(g.geom, s.geom)) m`,
    { like, step },
  );
}

/** The city's assets as COPY text chunks of about ASSET_CHUNK rows, in grid order (each added to the pyramid when given). */
function* assetCopyChunks(plan: CityPlan, gridIds: Map<string, number>, departments: Map<string, string | null>, pyramid?: CellPyramid): Generator<{ text: string; rows: number }> {
  let lines: string[] = [];
  for (let g = 0; g < plan.grids.length; g++) {
    const grid = plan.grids[g];
    const gridId = gridIds.get(grid.area.code);
    if (gridId === undefined) throw new Error(`grid ${grid.area.code} was not inserted`);
    for (const a of gridAssets(plan, g)) {
      const dept = departments.get(a.category_code) ?? null;
      pyramid?.addPoint(a.lon, a.lat, a.category_code, a.status);
      lines.push(
        toAssetCopyLine({ office: grid.officeCode, code: a.code, category: a.category_code, status: a.status, department: dept, grid: grid.area.code, version: gridId, attrs: a.attrs, lon: a.lon, lat: a.lat }),
      );
    }
    if (lines.length >= ASSET_CHUNK || g === plan.grids.length - 1) {
      if (lines.length) yield { text: `${lines.join('\n')}\n`, rows: lines.length };
      lines = [];
    }
  }
}

/**
 * Write the synthetic city into a migrated database in one transaction: areas, chiefs, assets, ANALYZE,
 * and a spatial check of a sample of assets (a failed check rolls everything back). Refuses when a city
 * is already there unless `replace`.
 */
export async function generateCity(db: Db, options: GenerateOptions): Promise<CityResult> {
  const started = performance.now();
  const seconds = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>;
  let phaseStart = started;
  const progress = options.onProgress ?? (() => undefined);
  const endPhase = (phase: Phase) => {
    const now = performance.now();
    seconds[phase] = (now - phaseStart) / 1000;
    phaseStart = now;
  };

  const existing = (await sqlCityRowCounts(db.knex)).rows[0] as { areas: number; assets: number };
  if ((existing.areas > 0 || existing.assets > 0) && !options.replace) {
    throw new CityExistsError(
      `the database already holds a synthetic city (${existing.areas} areas and ${existing.assets} assets with codes starting ${CITY_PREFIX}). ` +
        `Run again with --replace to delete it first (only rows whose codes start with ${CITY_PREFIX} are deleted; the demo office is not touched), ` +
        'or point DATABASE_URL or DATA_DIR at another database.',
    );
  }
  const categories = (await db.knex('asset_categories').select('code', 'department_code')) as { code: string; department_code: string | null }[];
  const departments = new Map(categories.map((c) => [c.code, c.department_code]));
  const missing = CITY_ASSET_CATEGORIES.filter((c) => !departments.has(c));
  if (missing.length) throw new Error(`asset categories ${missing.join(', ')} are missing from asset_categories: run the migrations (002_dictionaries.sql) first`);

  progress({ phase: 'plan', done: 0, total: 1 });
  const plan = planCity(options);
  progress({ phase: 'plan', done: 1, total: 1 });
  endPhase('plan');

  let verifiedAssets = 0;
  await db.knex.transaction(async (trx) => {
    progress({ phase: 'clear', done: 0, total: 1 });
    if (options.replace) await clearCity(trx);
    progress({ phase: 'clear', done: 1, total: 1 });
    endPhase('clear');

    const areas = [...plan.offices, ...plan.communities, ...plan.grids.map((g) => g.area)];
    const gridIds = new Map<string, number>();
    for (let i = 0; i < areas.length; i += AREA_BATCH) {
      const { rows } = await sqlInsertAreas(trx, areas.slice(i, i + AREA_BATCH));
      for (const r of rows as { id: number; code: string }[]) gridIds.set(r.code, r.id);
      progress({ phase: 'areas', done: Math.min(i + AREA_BATCH, areas.length), total: areas.length });
    }
    // A statement that must return one row and returns none is a swallowed GEOS error on the embedded build.
    const validity = (await sqlAreaValidity(trx)).rows[0] as { n: number; invalid: number } | undefined;
    if (!validity || validity.n !== areas.length || validity.invalid !== 0) {
      throw new Error(`area check failed: ${validity ? `${validity.n} areas in force (expected ${areas.length}), ${validity.invalid} invalid` : 'no answer'}`);
    }
    endPhase('areas');

    const chiefs = plan.grids.map((g) => g.chief);
    for (let i = 0; i < chiefs.length; i += STAFF_BATCH) {
      await sqlInsertChiefs(trx, chiefs.slice(i, i + STAFF_BATCH));
      progress({ phase: 'staff', done: Math.min(i + STAFF_BATCH, chiefs.length), total: chiefs.length });
    }
    await sqlAssignChiefs(trx);
    endPhase('staff');

    let loaded = 0;
    progress({ phase: 'assets', done: 0, total: options.assets });
    const there = Number((await trx('assets').count({ n: '*' }))[0].n);
    const bulk = options.bulk ?? shouldLoadInBulk(options.assets, there);
    const suspended = bulk ? await startBulkLoad(db, trx) : undefined;
    const pyramid = bulk ? await newCellPyramid(trx) : undefined;
    await copyAssets(db, trx, assetCopyChunks(plan, gridIds, departments, pyramid), (rows) => {
      loaded += rows;
      progress({ phase: 'assets', done: loaded, total: options.assets });
    });
    if (loaded !== options.assets) throw new Error(`loaded ${loaded} assets, expected ${options.assets}`);
    if (suspended && pyramid) await finishBulkLoad(db, trx, suspended, pyramid);
    endPhase('assets');

    // Statistics first: the check below (and every later query) plans badly on a million unanalysed rows.
    progress({ phase: 'analyze', done: 0, total: 1 });
    await trx.raw('analyze areas, staff, staff_assignments, assets');
    progress({ phase: 'analyze', done: 1, total: 1 });
    endPhase('analyze');

    progress({ phase: 'verify', done: 0, total: 1 });
    const step = Math.max(1, Math.floor(options.assets / VERIFY_SAMPLE));
    const check = (await sqlVerifyAssetGrids(trx, step)).rows[0] as { checked: number; wrong: number } | undefined;
    if (!check || check.checked === 0 || check.wrong !== 0) {
      throw new Error(`asset grid check failed: ${check ? `${check.wrong} of ${check.checked} sampled assets are not in their recorded grid` : 'no answer'}`);
    }
    verifiedAssets = check.checked;
    progress({ phase: 'verify', done: 1, total: 1 });
    endPhase('verify');
  });

  return {
    kind: db.kind,
    offices: plan.offices.length,
    communities: plan.communities.length,
    grids: plan.grids.length,
    staff: plan.grids.length,
    assets: options.assets,
    seconds,
    totalSeconds: (performance.now() - started) / 1000,
    verifiedAssets,
  };
}

// ---------------------------------------------------------------------------------------------------
// Command line.

/** Command-line options after validation. */
export interface CityArgs extends CityOptions {
  replace: boolean;
  help: boolean;
}

const USAGE = `usage: npm run generate:city -- [--grids N] [--assets N] [--seed S] [--replace]
  --grids N    grids to generate (default 10000; ~100 per office, ~10 per community)
  --assets N   point assets to generate (default 1000000)
  --seed S     seed of the generator, a non-negative integer (default ${DEFAULT_SEED}); same seed, same city
  --replace    delete a previous synthetic city first (rows with codes starting ${CITY_PREFIX} only)
Writes into DATABASE_URL when set, else the embedded database under DATA_DIR (default ./.data).`;

/** The flags were wrong; the message says which and how. */
export class UsageError extends Error {}

/** Parse and validate the command-line flags. */
export function parseCityArgs(argv: string[]): CityArgs {
  const out: CityArgs = { grids: 10_000, assets: 1_000_000, seed: DEFAULT_SEED, replace: false, help: false };
  const integer = (flag: string, value: string | undefined, min: number, max: number): number => {
    if (value === undefined || !/^\d+$/.test(value.replace(/_/g, ''))) {
      throw new UsageError(`${flag} needs a whole number, got ${value === undefined ? 'nothing' : `"${value}"`} (e.g. ${flag} ${min === 0 ? 42 : 10000})`);
    }
    const n = Number(value.replace(/_/g, ''));
    if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case '--grids':
        out.grids = integer(flag, value(), 1, 1_000_000);
        break;
      case '--assets':
        out.assets = integer(flag, value(), 1, 100_000_000);
        break;
      case '--seed':
        out.seed = integer(flag, value(), 0, 2 ** 32 - 1);
        break;
      case '--replace':
        out.replace = true;
        break;
      case '--help':
      case '-h':
        out.help = true;
        break;
      default:
        throw new UsageError(`unknown argument "${argv[i]}"`);
    }
  }
  return out;
}

/** The final summary as an aligned text table. */
export function formatSummary(result: CityResult, args: CityOptions): string {
  const rows: [string, string][] = [
    ['database', result.kind === 'postgis' ? 'native PostgreSQL + PostGIS' : 'embedded PGlite + PostGIS'],
    ['seed', String(args.seed)],
    ['offices', result.offices.toLocaleString('en')],
    ['communities', result.communities.toLocaleString('en')],
    ['grids', result.grids.toLocaleString('en')],
    ['staff (chiefs)', result.staff.toLocaleString('en')],
    ['assets', result.assets.toLocaleString('en')],
    ['assets verified', `${result.verifiedAssets.toLocaleString('en')} sampled, all in their grid`],
    ...PHASES.map((p): [string, string] => [`time: ${p}`, `${result.seconds[p].toFixed(1)} s`]),
    ['time: total', `${result.totalSeconds.toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** Run from the command line: parse flags, open and migrate the database, generate with progress bars, print the summary. */
async function main(): Promise<void> {
  let args: CityArgs;
  try {
    args = parseCityArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`generate:city: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const config = parseConfig(process.env, []);
  if (!config.databaseUrl) console.log(`Opening the embedded database in ${config.dataDir} (its first start takes a while)`);
  let db: Db;
  try {
    db = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir });
  } catch (err) {
    if (err instanceof DatabaseSetupError) {
      console.error(`generate:city: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const where = db.kind === 'postgis' ? 'DATABASE_URL' : `embedded database in ${config.dataDir}`;
  console.log(`Generating ${args.grids.toLocaleString('en')} grids and ${args.assets.toLocaleString('en')} assets (seed ${args.seed}) into ${where}`);
  let bar: cliProgress.SingleBar | undefined;
  let barPhase: Phase | undefined;
  try {
    await migrate(db);
    const result = await generateCity(db, {
      ...args,
      onProgress: ({ phase, done, total }) => {
        if (phase !== barPhase) {
          bar?.stop();
          barPhase = phase;
          bar = new cliProgress.SingleBar(
            { format: `${phase.padEnd(8)} {bar} {percentage}% | {value}/{total} | {duration_formatted} | ETA {eta_formatted}`, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, done);
        } else {
          bar?.update(done);
        }
      },
    });
    bar?.stop();
    console.log(`\n${formatSummary(result, args)}`);
  } catch (err) {
    bar?.stop();
    if (err instanceof CityExistsError) {
      console.error(`generate:city: ${err.message}`);
      process.exitCode = 1;
    } else {
      throw err;
    }
  } finally {
    await db.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error('generate:city failed:', err);
    process.exit(1);
  });
}
