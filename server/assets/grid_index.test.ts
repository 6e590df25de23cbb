import pointInPolygon from 'point-in-polygon-hao';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/app.js';
import { sqlGridAt } from '../areas/sql.js';
import { GridIndex, sqlGridsForIndex, type IndexedGrid } from './grid_index.js';

/** A tiling of skewed quadrilaterals (shared edges and vertices), one grid of two parts, and a grid with a hole. */
function city(): IndexedGrid[] {
  const grids: IndexedGrid[] = [];
  const corner = (i: number, j: number): [number, number] => [123.4 + i * 0.01 + j * 0.0013, 41.8 + j * 0.008 + ((i * 7) % 3) * 0.0011];
  for (let i = 0; i < 9; i++) {
    for (let j = 0; j < 6; j++) {
      if (i === 4 && j === 3) continue; // the hole's place: filled by the grid with a hole below
      const ring = [corner(i, j), corner(i + 1, j), corner(i + 1, j + 1), corner(i, j + 1), corner(i, j)];
      grids.push({ id: grids.length + 1, code: `G${String(i).padStart(2, '0')}${j}`, office_code: 'O', geometry: { type: 'MultiPolygon', coordinates: [[ring]] } });
    }
  }
  // Around the empty cell: a ring with a hole whose inner part is another grid, and far away a second part.
  const [a, b, c, d] = [corner(4, 3), corner(5, 3), corner(5, 4), corner(4, 4)];
  const mid = (p: [number, number], q: [number, number], t: number): [number, number] => [p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t];
  const inner = [mid(a, c, 0.3), mid(b, d, 0.3), mid(a, c, 0.7), mid(b, d, 0.7), mid(a, c, 0.3)];
  grids.push({
    id: 900, code: 'H1', office_code: 'O',
    geometry: { type: 'MultiPolygon', coordinates: [[[a, b, c, d, a], [...inner].reverse()], [[[124, 42], [124.01, 42], [124.01, 42.01], [124, 42.01], [124, 42]]]] },
  });
  grids.push({ id: 901, code: 'H2', office_code: 'O', geometry: { type: 'MultiPolygon', coordinates: [[inner]] } });
  return grids.sort((x, y) => (x.code < y.code ? -1 : 1));
}

/** The answer by definition: the first grid (by code) one of whose polygons holds the point, edges included. */
function bruteForce(grids: IndexedGrid[], lon: number, lat: number): string | undefined {
  return grids.find((g) => g.geometry.coordinates.some((p) => pointInPolygon([lon, lat], p) !== false))?.code;
}

describe('GridIndex', () => {
  const grids = city();
  const index = GridIndex.of(grids);

  it('finds the same grid as testing every grid, for points inside, outside, on shared edges and vertices', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const points: [number, number][] = [];
    for (let k = 0; k < 20_000; k++) points.push([123.39 + random() * 0.13, 41.79 + random() * 0.07]);
    for (const g of grids) {
      for (const polygon of g.geometry.coordinates) {
        const ring = polygon[0];
        for (let v = 0; v + 1 < ring.length; v++) {
          points.push(ring[v] as [number, number]);
          points.push([(ring[v][0] + ring[v + 1][0]) / 2, (ring[v][1] + ring[v + 1][1]) / 2]);
        }
      }
    }
    let inside = 0;
    for (const [lon, lat] of points) {
      const expected = bruteForce(grids, lon, lat);
      if (expected) inside++;
      expect(index.locate(lon, lat)?.code, `[${lon}, ${lat}]`).toBe(expected);
    }
    expect(inside).toBeGreaterThan(5000);
    expect(points.length - inside).toBeGreaterThan(5000);
  });

  it('puts a point on a shared edge in the lowest code, a point in the hole in the inner grid, and answers the far part', () => {
    const g00 = grids.find((g) => g.code === 'G000')!.geometry.coordinates[0][0];
    // The east edge of G000 is the west edge of G010.
    expect(index.locate((g00[1][0] + g00[2][0]) / 2, (g00[1][1] + g00[2][1]) / 2)?.code).toBe('G000');
    const inner = grids.find((g) => g.code === 'H2')!.geometry.coordinates[0][0];
    expect(index.locate((inner[0][0] + inner[2][0]) / 2, (inner[0][1] + inner[2][1]) / 2)?.code).toBe('H2');
    expect(index.locate(124.005, 42.005)?.code).toBe('H1');
    expect(index.locate(124.02, 42.005)).toBeUndefined();
  });

  it('answers nothing for no grids, NaN, and points beyond the extent', () => {
    expect(GridIndex.of([]).locate(123.4, 41.8)).toBeUndefined();
    expect(index.locate(Number.NaN, 41.8)).toBeUndefined();
    expect(index.locate(123.39, 41.801)).toBeUndefined();
    expect(index.locate(180, 90)).toBeUndefined();
  });

  it('holds one grid whose box spans everything alongside small ones', () => {
    const big: IndexedGrid = { id: 1, code: 'A', office_code: 'O', geometry: { type: 'MultiPolygon', coordinates: [[[[0, 0], [10, 0], [10, 0.1], [0, 0.1], [0, 0]]], [[[0, 9.9], [10, 9.9], [10, 10], [0, 10], [0, 9.9]]]] } };
    const small: IndexedGrid[] = [];
    for (let i = 0; i < 50; i++) small.push({ id: 2 + i, code: `B${String(i).padStart(2, '0')}`, office_code: 'O', geometry: { type: 'MultiPolygon', coordinates: [[[[i * 0.2, 5], [i * 0.2 + 0.2, 5], [i * 0.2 + 0.2, 5.2], [i * 0.2, 5.2], [i * 0.2, 5]]]] } });
    const all = [big, ...small];
    const i2 = GridIndex.of(all);
    for (const [x, y] of [[5, 0.05], [5, 9.95], [3.3, 5.1], [9.9, 5.2], [5, 5.5], [10, 10], [0, 0]] as [number, number][]) {
      expect(i2.locate(x, y)?.code, `[${x}, ${y}]`).toBe(bruteForce(all, x, y));
    }
  });
});

describe('GridIndex against sqlGridAt', () => {
  const t = useTestApp();

  it('finds the grid, version and office that the SQL rule finds, for random points and every vertex and edge midpoint of the demo grids', async () => {
    const index = await GridIndex.load(t.db.knex);
    const { rows: grids } = await sqlGridsForIndex(t.db.knex);
    let seed = 11;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const points: [number, number][] = [];
    for (const g of grids as IndexedGrid[]) {
      const ring = g.geometry.coordinates[0][0];
      for (let v = 0; v + 1 < ring.length; v += 3) {
        points.push(ring[v] as [number, number]);
        points.push([(ring[v][0] + ring[v + 1][0]) / 2, (ring[v][1] + ring[v + 1][1]) / 2]);
      }
    }
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    for (let k = 0; k < 3000; k++) points.push([x0 - 0.005 + random() * (x1 - x0 + 0.01), y0 - 0.005 + random() * (y1 - y0 + 0.01)]);
    const { rows } = await t.db.knex.raw(
      `with p as (select (e->>0)::int as i, ST_SetSRID(ST_MakePoint((e->>1)::float8, (e->>2)::float8), 4326) as g
                    from json_array_elements(:points::json) e)
       select p.i, loc.grid_code, loc.area_version_id, loc.office_code from p left join lateral (${sqlGridAt('p.g')}) loc on true order by p.i`,
      { points: JSON.stringify(points.map(([x, y], i) => [i, x, y])) },
    );
    const inMemory = points.map(([x, y], i) => {
      const g = index.locate(x, y);
      return { i, grid_code: g?.code ?? null, area_version_id: g?.id ?? null, office_code: g?.office_code ?? null };
    });
    expect(rows.filter((r: { grid_code: string | null }) => r.grid_code).length).toBeGreaterThan(1000);
    expect(inMemory).toEqual(rows);
  });
});
