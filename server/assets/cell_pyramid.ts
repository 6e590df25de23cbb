import { BinaryRows } from './copy.js';

/**
 * The asset cell pyramid (tables asset_cells and asset_cell_sums, migration 006) computed in memory, for
 * bulk loads: the importer already holds every point, so it sums the cells itself and writes the tables
 * in one go, instead of the statement trigger regrouping a million rows in SQL.
 *
 * Same arithmetic as migration 006: a point's cell at zoom 12 is its tile at zoom 18, each lower zoom
 * halves x and y, and a cell's row in its tile is (x >> 6, y >> 6, (y & 63) * 64 + (x & 63)).
 */

/** Finest zoom of the pyramid. */
export const CELL_MAX_ZOOM = 12;
/** Cells across the world at zoom 12 (tiles of zoom 18). */
const SIDE = 2 ** 18;
const MERCATOR_MAX_LAT = 85.0511287798066;
const STATUS_SLOTS = 8;


/** Fraction of the world's width west of a longitude, as SQL tile_frac_x. */
export function tileFracX(lon: number): number {
  return (lon + 180) / 360;
}

/** Fraction of the Web Mercator height north of a latitude, as SQL tile_frac_y (same operations, same order). */
export function tileFracY(lat: number): number {
  const r = Math.min(MERCATOR_MAX_LAT, Math.max(-MERCATOR_MAX_LAT, lat)) * (Math.PI / 180);
  return (1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2;
}

/** Growable columns of cells: position at the level's zoom, category and status, count and sums. */
class Cells {
  length = 0;
  x = new Int32Array(1024);
  y = new Int32Array(1024);
  /** category index * STATUS_SLOTS + status index */
  cs = new Uint16Array(1024);
  n = new Int32Array(1024);
  sumLon = new Float64Array(1024);
  sumLat = new Float64Array(1024);

  push(x: number, y: number, cs: number, n: number, sumLon: number, sumLat: number): void {
    if (this.length === this.x.length) this.grow();
    const i = this.length++;
    this.x[i] = x;
    this.y[i] = y;
    this.cs[i] = cs;
    this.n[i] = n;
    this.sumLon[i] = sumLon;
    this.sumLat[i] = sumLat;
  }

  private grow(): void {
    const size = this.x.length * 2;
    const more = <T extends Int32Array | Uint16Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.x = more(this.x);
    this.y = more(this.y);
    this.cs = more(this.cs);
    this.n = more(this.n);
    this.sumLon = more(this.sumLon);
    this.sumLat = more(this.sumLat);
  }
}

/** Stable counting sort of `order` by key(i) in 0..buckets-1. */
function countingSort(order: Uint32Array, buckets: number, key: (i: number) => number): Uint32Array {
  const count = new Uint32Array(buckets + 1);
  for (let k = 0; k < order.length; k++) count[key(order[k]) + 1]++;
  for (let b = 0; b < buckets; b++) count[b + 1] += count[b];
  const out = new Uint32Array(order.length);
  for (let k = 0; k < order.length; k++) out[count[key(order[k])]++] = order[k];
  return out;
}

/**
 * Cells in the primary-key order of asset_cells at zoom z: tile column, tile row, square (row * 64 + column),
 * category, status; so equal cells are adjacent, and the index over the COPYed rows is built from sorted input.
 */
function keyOrder(c: Cells, z: number): Uint32Array {
  let order: Uint32Array = new Uint32Array(c.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const tiles = 2 ** z;
  order = countingSort(order, 1 << 16, (i) => c.cs[i]);
  order = countingSort(order, 4096, (i) => (c.y[i] & 63) * 64 + (c.x[i] & 63));
  order = countingSort(order, tiles, (i) => c.y[i] >> 6);
  return countingSort(order, tiles, (i) => c.x[i] >> 6);
}

/** One zoom level, summed and in key order, with its squares (all categories and statuses) and their top category. */
interface Level {
  z: number;
  cells: Cells;
  squares: Cells;
}

/** Sum cells that are equal (same square, category and status) into one, in key order. */
function sumLevel(c: Cells, z: number): Cells {
  const order = keyOrder(c, z);
  const out = new Cells();
  for (let k = 0; k < order.length; ) {
    const i = order[k];
    let n = 0;
    let lon = 0;
    let lat = 0;
    let j = k;
    for (; j < order.length; j++) {
      const o = order[j];
      if (c.x[o] !== c.x[i] || c.y[o] !== c.y[i] || c.cs[o] !== c.cs[i]) break;
      n += c.n[o];
      lon += c.sumLon[o];
      lat += c.sumLat[o];
    }
    if (n > 0) out.push(c.x[i], c.y[i], c.cs[i], n, lon, lat);
    k = j;
  }
  return out;
}

/**
 * The squares of a summed level: totals over categories and statuses, and as `cs` the top category (most
 * assets, ties to the lowest code: categories are numbered in byte order). The level's cells of one square
 * are adjacent, by category.
 */
function squaresOf(c: Cells): Cells {
  const out = new Cells();
  for (let k = 0; k < c.length; ) {
    let j = k;
    let n = 0;
    let lon = 0;
    let lat = 0;
    let best = -1;
    let bestN = 0;
    while (j < c.length && c.x[j] === c.x[k] && c.y[j] === c.y[k]) {
      const category = c.cs[j] >> 3;
      let m = 0;
      for (; j < c.length && c.x[j] === c.x[k] && c.y[j] === c.y[k] && c.cs[j] >> 3 === category; j++) {
        m += c.n[j];
        n += c.n[j];
        lon += c.sumLon[j];
        lat += c.sumLat[j];
      }
      if (m > bestN) {
        bestN = m;
        best = category;
      }
    }
    out.push(c.x[k], c.y[k], best, n, lon, lat);
    k = j;
  }
  return out;
}

/** Sums of assets per cell, category and status, from points and from existing zoom-12 rows. */
export class CellPyramid {
  private readonly top = new Cells();
  private readonly categoryIndex: Map<string, number>;
  private readonly statusIndex: Map<string, number>;
  /** Categories and statuses in byte order (the order of their "C" collation in the tables). */
  private readonly categories: string[];
  private readonly statuses: string[];
  private levels: Level[] | undefined;

  constructor(categories: Iterable<string>, statuses: readonly string[]) {
    const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    this.categories = [...new Set(categories)].sort(byBytes);
    this.statuses = [...new Set(statuses)].sort(byBytes);
    if (this.statuses.length > STATUS_SLOTS || this.categories.length * STATUS_SLOTS > 1 << 16) throw new Error('cell pyramid: too many categories or statuses');
    this.categoryIndex = new Map(this.categories.map((c, i) => [c, i]));
    this.statusIndex = new Map(this.statuses.map((s, i) => [s, i]));
  }

  private cs(category: string, status: string): number {
    const c = this.categoryIndex.get(category);
    const s = this.statusIndex.get(status);
    if (c === undefined || s === undefined) throw new Error(`cell pyramid: unknown category ${category} or status ${status}`);
    return c * STATUS_SLOTS + s;
  }

  /** Add one asset. */
  addPoint(lon: number, lat: number, category: string, status: string): void {
    this.top.push(Math.floor(tileFracX(lon) * SIDE), Math.floor(tileFracY(lat) * SIDE), this.cs(category, status), 1, lon, lat);
    this.levels = undefined;
  }

  /** Add a zoom-12 row of asset_cells as it is stored (tile, square in the tile, sums). */
  addCellRow(r: { tx: number; ty: number; cell: number; category_code: string; status: string; n: number; sum_lon: number; sum_lat: number }): void {
    this.top.push(r.tx * 64 + (r.cell % 64), r.ty * 64 + Math.floor(r.cell / 64), this.cs(r.category_code, r.status), r.n, r.sum_lon, r.sum_lat);
    this.levels = undefined;
  }

  /** Sum every zoom, 12 from the points and each lower one from the one above; zoom 0 first. */
  private fold(): Level[] {
    if (this.levels) return this.levels;
    const levels: Level[] = [];
    let cells = sumLevel(this.top, CELL_MAX_ZOOM);
    for (let z = CELL_MAX_ZOOM; z >= 0; z--) {
      levels.unshift({ z, cells, squares: squaresOf(cells) });
      if (z === 0) break;
      const up = new Cells();
      for (let i = 0; i < cells.length; i++) up.push(cells.x[i] >> 1, cells.y[i] >> 1, cells.cs[i], cells.n[i], cells.sumLon[i], cells.sumLat[i]);
      cells = sumLevel(up, z - 1);
    }
    this.levels = levels;
    return levels;
  }

  /** Rows of asset_cells in binary COPY format (z, tx, ty, cell, category_code, status, n, sum_lon, sum_lat), in key order. */
  *cellChunks(chunkRows = 100_000): Generator<{ data: Buffer; rows: number }> {
    const { categories, statuses } = this;
    const out = new BinaryRows();
    for (const { z, cells: c } of this.fold()) {
      for (let i = 0; i < c.length; i++) {
        const x = c.x[i];
        const y = c.y[i];
        const cs = c.cs[i];
        out.tuple(9).int2(z).int4(x >> 6).int4(y >> 6).int2((y & 63) * 64 + (x & 63)).repeated(categories[cs >> 3]).repeated(statuses[cs & 7]);
        out.int4(c.n[i]).float8(c.sumLon[i]).float8(c.sumLat[i]);
        if (out.rows >= chunkRows) yield out.take();
      }
    }
    if (out.rows) yield out.take();
  }

  /** Rows of asset_cell_sums in binary COPY format (z, tx, ty, cell, n, sum_lon, sum_lat, category_code), in key order. */
  *sumChunks(chunkRows = 100_000): Generator<{ data: Buffer; rows: number }> {
    const { categories } = this;
    const out = new BinaryRows();
    for (const { z, squares: c } of this.fold()) {
      for (let i = 0; i < c.length; i++) {
        const x = c.x[i];
        const y = c.y[i];
        out.tuple(8).int2(z).int4(x >> 6).int4(y >> 6).int2((y & 63) * 64 + (x & 63)).int4(c.n[i]).float8(c.sumLon[i]).float8(c.sumLat[i]).repeated(categories[c.cs[i]]);
        if (out.rows >= chunkRows) yield out.take();
      }
    }
    if (out.rows) yield out.take();
  }
}
