/**
 * The lattice of the synthetic city: jittered quadrilateral cells whose edges are shared polylines, so
 * neighbouring cells use the very same vertices and unions of cells tile exactly.
 */

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
