import pointInPolygon from 'point-in-polygon-hao';
import type { Knex } from 'knex';
import { AREA_LEVELS } from '../areas/levels.js';
import { sqlOfficeOf } from '../areas/sql.js';

/** A grid in force, as the in-memory index holds it. */
export interface IndexedGrid {
  /** Id of the grid's version in force (areas.id). */
  id: number;
  code: string;
  office_code: string;
  geometry: { type: 'MultiPolygon'; coordinates: number[][][][] };
}

/** The grids in force with their office, as GeoJSON at full precision (the index must see the coordinates PostGIS sees), ordered by code. */
export function sqlGridsForIndex(knex: Knex): Knex.Raw {
  return knex.raw(
    `select g.id, g.code, ${sqlOfficeOf('g')} as office_code, ST_AsGeoJSON(g.geom, 15)::json as geometry
       from areas g
      where g.level = ${AREA_LEVELS.grid} and g.valid_to is null
      order by g.code`,
  );
}

/**
 * Equal cells over the extent (x0, y0)–(x1, y1), `cols` by `rows`, row by row from the south-west; the polygons
 * whose box meets cell i are entries[start[i]] up to entries[start[i + 1]], in grid order.
 */
interface Raster {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  dx: number;
  dy: number;
  cols: number;
  rows: number;
  start: Int32Array;
  entries: Int32Array;
}

/** Raster cells per polygon, about: a cell then meets a handful of polygons' boxes. */
const CELLS_PER_POLYGON = 16;
/** Most entries the raster may hold (polygons by the cells their boxes cover); coarser cells beyond that. */
const MAX_ENTRIES = 1 << 24;

/**
 * Point-in-polygon over the grids in force, in memory. The grids' extent is cut into a raster of equal cells,
 * each listing the polygons whose boxes meet it (in grid order); a point looks up its cell, then tests the
 * few polygons whose box holds it. A point on a shared edge goes to the lowest code, as /api/locate does.
 * Against an R-tree search per point, the raster answers with one division and no allocation: a million
 * assets are located in a fraction of the time.
 */
export class GridIndex {
  private constructor(
    private readonly grids: IndexedGrid[],
    /** Per polygon: its grid, its rings, and its box (minX, minY, maxX, maxY) at 4 * p. */
    private readonly owner: Int32Array,
    private readonly rings: number[][][][],
    private readonly boxes: Float64Array,
    private readonly raster: Raster,
  ) {}

  /** Load the grids in force and index them. */
  static async load(knex: Knex): Promise<GridIndex> {
    const { rows } = await sqlGridsForIndex(knex);
    return GridIndex.of(rows as IndexedGrid[]);
  }

  /** Index grids already loaded (ordered by code). */
  static of(grids: IndexedGrid[]): GridIndex {
    const rings: number[][][][] = [];
    const owners: number[] = [];
    for (let g = 0; g < grids.length; g++) {
      for (const polygon of grids[g].geometry.coordinates) {
        rings.push(polygon);
        owners.push(g);
      }
    }
    const n = rings.length;
    const boxes = new Float64Array(4 * n);
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let p = 0; p < n; p++) {
      let minX = Infinity;
      let minY = Infinity;
      let maxX = -Infinity;
      let maxY = -Infinity;
      for (const [x, y] of rings[p][0]) {
        if (x < minX) minX = x;
        if (y < minY) minY = y;
        if (x > maxX) maxX = x;
        if (y > maxY) maxY = y;
      }
      boxes.set([minX, minY, maxX, maxY], 4 * p);
      x0 = Math.min(x0, minX);
      y0 = Math.min(y0, minY);
      x1 = Math.max(x1, maxX);
      y1 = Math.max(y1, maxY);
    }
    return new GridIndex(grids, Int32Array.from(owners), rings, boxes, buildRaster(boxes, n, x0, y0, x1, y1));
  }

  /** How many grids are indexed. */
  get size(): number {
    return this.grids.length;
  }

  /** The grid containing [lon, lat], or undefined outside every grid. */
  locate(lon: number, lat: number): IndexedGrid | undefined {
    const raster = this.raster;
    // Outside the extent (NaN fails these too).
    if (!(lon >= raster.x0 && lat >= raster.y0 && lon <= raster.x1 && lat <= raster.y1)) return undefined;
    const cell = cellOf(raster, lon, lat);
    const { start, entries } = raster;
    const boxes = this.boxes;
    let point: number[] | undefined;
    for (let k = start[cell], end = start[cell + 1]; k < end; k++) {
      const p = entries[k];
      if (lon < boxes[4 * p] || lat < boxes[4 * p + 1] || lon > boxes[4 * p + 2] || lat > boxes[4 * p + 3]) continue;
      // true inside, 0 on an edge (which counts as inside, as ST_Intersects has it), false outside.
      if (pointInPolygon((point ??= [lon, lat]), this.rings[p]) !== false) return this.grids[this.owner[p]];
    }
    return undefined;
  }
}

/** Column and row of the cell holding x or y (the extent's east and north edges in the last ones). */
const colOf = (r: Raster, x: number) => Math.min(r.cols - 1, Math.floor((x - r.x0) / r.dx));
const rowOf = (r: Raster, y: number) => Math.min(r.rows - 1, Math.floor((y - r.y0) / r.dy));
/** The cell holding [x, y], a point of the extent. */
const cellOf = (r: Raster, x: number, y: number) => rowOf(r, y) * r.cols + colOf(r, x);

/**
 * The raster of `n` polygon boxes over their extent: about CELLS_PER_POLYGON cells a polygon, square-ish, and
 * fewer when boxes that span many cells would make it hold more than MAX_ENTRIES entries. A point in a box
 * falls in one of the cells listed for it: both come from the same monotonic arithmetic.
 */
function buildRaster(boxes: Float64Array, n: number, x0: number, y0: number, x1: number, y1: number): Raster {
  if (n === 0) return { x0: 0, y0: 0, x1: -1, y1: -1, dx: 1, dy: 1, cols: 1, rows: 1, start: new Int32Array(2), entries: new Int32Array(0) };
  const w = x1 - x0;
  const h = y1 - y0;
  for (let cells = n * CELLS_PER_POLYGON; ; cells = Math.floor(cells / 4)) {
    const cols = w > 0 && h > 0 ? Math.max(1, Math.round(Math.sqrt((cells * w) / h))) : w > 0 ? cells : 1;
    const rows = h > 0 ? Math.max(1, Math.ceil(cells / cols)) : 1;
    const r: Raster = { x0, y0, x1, y1, dx: w > 0 ? w / cols : 1, dy: h > 0 ? h / rows : 1, cols, rows, start: new Int32Array(cols * rows + 1), entries: new Int32Array(0) };
    let total = 0;
    for (let p = 0; p < n; p++) total += (colOf(r, boxes[4 * p + 2]) - colOf(r, boxes[4 * p]) + 1) * (rowOf(r, boxes[4 * p + 3]) - rowOf(r, boxes[4 * p + 1]) + 1);
    if (total > MAX_ENTRIES && cells > 1) continue;
    // Count the entries of each cell, turn the counts into starts, then fill in polygon (so grid) order.
    const each = (visit: (cell: number, p: number) => void) => {
      for (let p = 0; p < n; p++) {
        const c0 = colOf(r, boxes[4 * p]);
        const c1 = colOf(r, boxes[4 * p + 2]);
        for (let row = rowOf(r, boxes[4 * p + 1]), r1 = rowOf(r, boxes[4 * p + 3]); row <= r1; row++) for (let c = c0; c <= c1; c++) visit(row * cols + c, p);
      }
    };
    each((cell) => r.start[cell + 1]++);
    for (let i = 0; i < cols * rows; i++) r.start[i + 1] += r.start[i];
    const next = r.start.slice(0, cols * rows);
    r.entries = new Int32Array(total);
    each((cell, p) => {
      r.entries[next[cell]++] = p;
    });
    return r;
  }
}
