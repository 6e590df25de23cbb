import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/connect.js';
import { openTestDb } from '../../test/app.js';
import type { PlanFeature } from './source.js';
import { sqlInsertPlanGrids, sqlMarkValid, sqlOverlaps } from './sql_check.js';

let db: Db;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});

/** Degrees per metre at 30° N, far from every grid in force in the test database. */
const LAT = 30;
const LON_M = 1 / (111_320 * Math.cos((LAT * Math.PI) / 180));
const LAT_M = 1 / 110_850;
const LON0 = 100;

/** A box given in metres east and north of (LON0 + km, LAT), as a proposed grid. */
function box(code: string, km: number, [w, s, e, n]: [number, number, number, number]): PlanFeature {
  const x = (m: number) => LON0 + (km * 1000 + m) * LON_M;
  const y = (m: number) => LAT + m * LAT_M;
  return {
    code, name: code, name_en: code, parent_code: null,
    geometry: { type: 'Polygon', coordinates: [[[x(w), y(s)], [x(e), y(s)], [x(e), y(n)], [x(w), y(n)], [x(w), y(s)]]] },
  };
}

/** A proposed grid from one ring of [lon, lat]. */
const polygon = (code: string, ring: number[][]): PlanFeature => ({ code, name: code, name_en: code, parent_code: null, geometry: { type: 'Polygon', coordinates: [ring] } });

interface Row { a: string; b: string; kind: string; area_m2: number; thinness: number; location: [number, number] }

/**
 * The overlap rows of a draft plan of these grids among themselves, and the pairs ST_Relate finds, in a
 * transaction rolled back afterwards (native test files share one database).
 */
async function overlapsOf(features: PlanFeature[]): Promise<{ rows: Row[]; related: string[] }> {
  const trx = await db.knex.transaction();
  try {
    const [{ id }] = await trx('plans').insert({ title: 'sql_check test', source: 'geojson', source_crs: 'EPSG:4326' }).returning('id');
    await sqlInsertPlanGrids(trx, id, features);
    await sqlMarkValid(trx, id);
    const codes = features.map((f) => f.code);
    const rows = ((await sqlOverlaps(trx, id, [])).rows as Row[]).filter((r) => codes.includes(r.b));
    const related = await relatedPairs(trx, id);
    return { rows, related };
  } finally {
    await trx.rollback();
  }
}

/** Pairs of a plan's grids whose interiors meet, by ST_Relate alone. */
async function relatedPairs(trx: Knex, id: number): Promise<string[]> {
  const { rows } = await trx.raw(
    `select a.code || '/' || b.code as pair from plan_grids a join plan_grids b on b.plan_id = a.plan_id and a.code < b.code
      where a.plan_id = ? and ST_Relate(a.geom, b.geom, '2********') order by 1`,
    [id],
  );
  return rows.map((r: { pair: string }) => r.pair);
}

describe('sqlOverlaps', () => {
  it('answers every overlap with its kind: a piece, a sliver, and noise by area and by width', async () => {
    const a = (km: number) => box(`T${km}a`, km, [0, 0, 100, 100]);
    const { rows, related } = await overlapsOf([
      a(0), box('T0b', 0, [70, 0, 200, 30]), // 30 × 30 m
      a(1), box('T1b', 1, [99.5, 0, 200, 100]), // 0.5 × 100 m: 50 m², thin
      a(2), box('T2b', 2, [99.4, 0, 200, 0.6]), // 0.6 × 0.6 m: 0.36 m², under MIN_PIECE_M2
      a(3), box('T3b', 3, [99.98, 0, 200, 100]), // 2 cm × 100 m: 2 m², narrower than MIN_WIDTH_M
    ]);
    expect(rows.map((r) => `${r.a}/${r.b}`)).toEqual(related);
    expect(rows.map((r) => [r.a, r.kind])).toEqual([['T0a', 'piece'], ['T1a', 'sliver'], ['T2a', 'noise'], ['T3a', 'noise']]);
    const [piece, sliver, small, narrow] = rows;
    expect(piece.area_m2).toBeCloseTo(900, -1);
    expect(sliver.area_m2).toBeCloseTo(50, 0);
    expect(sliver.thinness).toBeLessThan(0.1);
    expect(small.area_m2).toBeCloseTo(0.36, 1);
    expect(narrow.area_m2).toBeCloseTo(2, 0);
    // Each where it is: inside the overlap's box.
    expect(small.location[0]).toBeGreaterThan(LON0 + 2000 * LON_M + 99.4 * LON_M);
    expect(small.location[1]).toBeLessThan(LAT + 0.6 * LAT_M);
  });

  it('answers a pair ST_Relate finds overlapping even when the intersection collapses to a line', async () => {
    // From a redraw of the demo office: q, a point cut on the edge p → r, lies 7.5e-11 m inside the
    // southern grid, so the interiors meet (ST_Relate, exact) while ST_Intersection answers a line.
    const p = [123.4306640625, 41.81103669714871];
    const q = [123.43815616035127, 41.81033724760488];
    const r = [123.43860598698019, 41.810295252554006];
    const north = polygon('Tn', [p, q, [q[0], 41.812], [p[0], 41.812], p]);
    const south = polygon('Ts', [p, [p[0], 41.809], [r[0], 41.809], r, p]);
    const { rows, related } = await overlapsOf([north, south]);
    expect(related).toEqual(['Tn/Ts']);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ a: 'Tn', b: 'Ts', kind: 'noise', area_m2: 0 });
    const [lon, lat] = rows[0].location;
    expect(lon).toBeGreaterThanOrEqual(p[0]);
    expect(lon).toBeLessThanOrEqual(q[0]);
    expect(lat).toBeGreaterThanOrEqual(q[1] - 1e-7);
    expect(lat).toBeLessThanOrEqual(p[1] + 1e-7);
  });
});
