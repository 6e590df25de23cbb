import type { MultiPolygon } from 'geojson';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';
import { cellsInside, toUtm51 } from './test_helpers.js';

/*
 * Coverage worked out by hand on a demo grid. chief07 walks straight lines laid on the 50 m lattice of
 * UTM zone 51N (the demo office lies at 123.4° E: zone 51, EPSG:32651), with a fix every 10 m:
 *
 *   12 January: along the centre line of lattice row k, from the centre of column a to that of a + 8:
 *               the 9 cells of row k have their centre on the line (0 m); rows k ± 1 are 50 m away.
 *   13 January: along the edge between rows k + 1 and k + 2, columns a … a + 8: the 18 cells of both
 *               rows are 25 m from the line (≤ 30 m); column a − 1 is 50 m from the first fix.
 *   14 January: the 12 January walk again, and fixes worse than 50 m along row k + 3 (dropped).
 *
 * So the days cover 9, 18 and 9 cells, and the month 27 (rows k, k + 1, k + 2, columns a … a + 8), out
 * of the grid's cells, which the test counts itself: the lattice squares whose centre lies in the grid
 * (proj4 for the projection, turf for point in polygon; the server uses PostGIS for both). chief08
 * walks row k + 3 inside chief07's grid on 15 January: a fix counts only for the grids its chief holds,
 * so it changes nothing for that grid.
 *
 * The patrols are written straight into the table (January is past, and POST /api/patrols starts one
 * now); their fixes go through POST /api/patrols/{id}/points as the phone sends them.
 */

const t = useTestApp();
const toUtm = toUtm51;
let grid: string;
let gridPoly: MultiPolygon;
let lattice: { a: number; k: number };
let cells: number;
const staff: Record<string, { id: number; user_id: number; grid: string; community: string }> = {};

/** The fixes of a straight walk east at northing y from easting x0 to x1, one every 10 m, at minute `minute` onwards of a day (Asia/Shanghai 09:00). */
function walk(day: string, y: number, x0: number, x1: number, accuracy = 6) {
  const out = [];
  for (let x = x0, i = 0; x <= x1 + 1e-9; x += 10, i++) {
    const [lon, lat] = toUtm.inverse([x, y]);
    out.push({ lon, lat, accuracy_m: accuracy, at: new Date(Date.parse(`${day}T09:00:00+08:00`) + i * 15_000).toISOString() });
  }
  return out;
}

/** Write a patrol of a past day, and send its fixes as the chief's phone does; answers the receipt. */
async function patrolWith(chief: string, day: string, fixes: { lon: number; lat: number; accuracy_m: number; at: string }[]) {
  const k = t.db.knex;
  const [p] = await k('patrols')
    .insert({ office_code: '210103007', community_code: staff[chief].community, grid_code: staff[chief].grid, grid_codes: [staff[chief].grid], chief_staff_id: staff[chief].id, user_id: staff[chief].user_id, started_at: `${day}T08:55:00+08:00`, ended_at: `${day}T11:00:00+08:00` })
    .returning('id');
  const token = await loginAs(t.app, chief);
  const res = await request(t.app).post(`/api/patrols/${p.id}/points`).set({ Authorization: `Bearer ${token}` }).send({ points: fixes });
  expect(res.status).toBe(200);
  return res.body;
}


beforeAll(async () => {
  const k = t.db.knex;
  for (const code of ['chief07', 'chief08']) {
    staff[code] = await k('staff as s')
      .join('staff_assignments as sa', 'sa.staff_id', 's.id')
      .join('areas as a', (j) => j.on('a.code', 'sa.area_code').andOnNull('a.valid_to'))
      .where('s.code', code)
      .first('s.id', 's.user_id', 'sa.area_code as grid', 'a.parent_code as community');
  }
  grid = staff.chief07.grid;
  const row = await k('areas').where({ code: grid }).whereNull('valid_to').first(k.raw('ST_AsGeoJSON(geom)::json as g'));
  gridPoly = row.g;
  const inside = cellsInside(gridPoly);
  cells = inside.size;
  // A block of 9 columns × 4 rows (and one more column each side) wholly inside the grid, for the walks.
  const ok = (a: number, k0: number) => [...Array(11).keys()].every((di) => [0, 1, 2, 3].every((dj) => inside.has(`${a - 1 + di},${k0 + dj}`)));
  const keys = [...inside].map((s) => s.split(',').map(Number)).sort((p, q) => p[1] - q[1] || p[0] - q[0]);
  const found = keys.find(([a, k0]) => ok(a + 1, k0));
  if (!found) throw new Error(`grid ${grid} has no 11 × 4 block of cells`);
  lattice = { a: found[0] + 1, k: found[1] };

  const { a, k: r } = lattice;
  const x0 = a * 50 + 25;
  const x1 = (a + 8) * 50 + 25;
  await patrolWith('chief07', '2026-01-12', walk('2026-01-12', r * 50 + 25, x0, x1));
  // Sent in two patrols, in reverse order: coverage reads fixes, not their order.
  await patrolWith('chief07', '2026-01-13', walk('2026-01-13', (r + 2) * 50, x0, x1).reverse());
  const noisy = walk('2026-01-14', (r + 3) * 50 + 25, x0, x1, 80).map((f) => ({ ...f, at: new Date(Date.parse(f.at) + 3600_000).toISOString() }));
  expect(await patrolWith('chief07', '2026-01-14', [...walk('2026-01-14', r * 50 + 25, x0, x1), ...noisy])).toMatchObject({ accepted: 41, dropped: 41 });
  await patrolWith('chief08', '2026-01-15', walk('2026-01-15', (r + 3) * 50 + 25, x0, x1));
});

describe('GET /api/patrols/coverage', () => {
  it('counts the cells of each day and of the month as worked out by hand', async () => {
    const token = await loginAs(t.app, 'admin');
    const res = await request(t.app).get('/api/patrols/coverage?month=2026-01').set({ Authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ month: '2026-01', tz: 'Asia/Shanghai', from: '2025-12-31T16:00:00.000Z', to: '2026-01-31T16:00:00.000Z', cell_m: 50, reach_m: 30 });
    expect(res.body.definition).toMatch(/UTM/);
    const row = res.body.rows.find((r: { chief: { code: string }; grid_code: string }) => r.chief.code === 'chief07' && r.grid_code === grid);
    expect(row).toMatchObject({ utm_srid: 32651, cells, covered: 27, coverage: Math.round((27 / cells) * 1e4) / 1e4 });
    expect(row.days).toEqual([
      { day: '2026-01-12', covered: 9, coverage: Math.round((9 / cells) * 1e4) / 1e4 },
      { day: '2026-01-13', covered: 18, coverage: Math.round((18 / cells) * 1e4) / 1e4 },
      { day: '2026-01-14', covered: 9, coverage: Math.round((9 / cells) * 1e4) / 1e4 },
    ]);
    // chief08 walked in chief07's grid: it counts for no grid of chief08's, and not for this one.
    const g = res.body.grids.find((r: { grid_code: string }) => r.grid_code === grid);
    expect(g).toMatchObject({ cells, covered: 27 });
    const eight = res.body.rows.find((r: { chief: { code: string } }) => r.chief.code === 'chief08');
    expect(eight).toMatchObject({ covered: 0, coverage: 0, days: [] });
    // Every grid of the office has its cells, and every chief holding one a row.
    expect(res.body.grids.length).toBeGreaterThanOrEqual(91);
    expect(res.body.rows.length).toBeGreaterThanOrEqual(91);
  });

  it('shows a chief only their own grid, and a chief of the demo office nothing of another month', async () => {
    const token = await loginAs(t.app, 'chief07');
    const res = await request(t.app).get('/api/patrols/coverage?month=2026-01').set({ Authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.body.rows.map((r: { grid_code: string; covered: number }) => [r.grid_code, r.covered])).toEqual([[grid, 27]]);
    expect(res.body.grids.map((r: { grid_code: string }) => r.grid_code)).toEqual([grid]);
    const feb = await request(t.app).get('/api/patrols/coverage?month=2026-02').set({ Authorization: `Bearer ${token}` });
    expect(feb.body.rows).toMatchObject([{ grid_code: grid, covered: 0, coverage: 0, days: [] }]);
  });

  it('refuses a bad month', async () => {
    const token = await loginAs(t.app, 'admin');
    const res = await request(t.app).get('/api/patrols/coverage?month=2026-1').set({ Authorization: `Bearer ${token}` });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/YYYY-MM/);
  });
});
