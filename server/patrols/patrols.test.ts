import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';
import { pointIn } from '../incidents/test_helpers.js';

/*
 * The patrol routes on the demo office: chief01 holds grid 210103007001001 and chief02 grid
 * 210103007001002. Each test starts its own patrols (a start ends the chief's open one, so tests that
 * use the same chief do not depend on each other's order) and checks the rows it wrote.
 */

const t = useTestApp();
const GRID1 = '210103007001001';
const tokens: Record<string, string> = {};
const auth = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });

beforeAll(async () => {
  for (const who of ['chief01', 'chief02', 'admin', 'planner', 'community01']) tokens[who] = await loginAs(t.app, who);
  // A chief of another office: TEST14 with one community and one grid, far from the demo office.
  const k = t.db.knex;
  const box = JSON.stringify({ type: 'MultiPolygon', coordinates: [[[[100, 10], [100.01, 10], [100.01, 10.01], [100, 10.01], [100, 10]]]] });
  await k('areas').insert([
    { code: 'TEST14', level: 1, name: '巡查测试街道', name_en: 'Patrol test office', parent_code: null, geom: k.raw('ST_GeomFromGeoJSON(?)', [box]) },
    { code: 'TEST14-C1', level: 2, name: '巡查测试社区', name_en: 'Patrol test community', parent_code: 'TEST14', geom: k.raw('ST_GeomFromGeoJSON(?)', [box]) },
    { code: 'TEST14-C1-G1', level: 3, name: '巡查测试网格', name_en: 'Patrol test grid', parent_code: 'TEST14-C1', geom: k.raw('ST_GeomFromGeoJSON(?)', [box]) },
  ]);
  const { hashPassword } = await import('../auth/service.js');
  const { insertUser } = await import('../auth/store.js');
  const { TEST_PASSWORD } = await import('../../test/app.js');
  const userId = await insertUser(k, { username: 't14-chief', password_hash: await hashPassword(TEST_PASSWORD), display_name: '外街道网格长', role: 'chief', scope: ['TEST14-C1-G1'] });
  const [staff] = await k('staff').insert({ code: 't14-chief', name: '外街道网格长', name_en: 'Other office chief', role: 'chief', user_id: userId }).returning('id');
  await k('staff_assignments').insert({ staff_id: staff.id, area_code: 'TEST14-C1-G1', valid_from: '2026-01-01T00:00:00Z' });
  tokens['t14-chief'] = await loginAs(t.app, 't14-chief');
});

// On native PostGIS the test files share one database: the other office's areas go out of force afterwards,
// so that no later file finds grids far from the demo office (extents, grid counts).
afterAll(async () => {
  await t.db.knex('areas').where('code', 'like', 'TEST14%').whereNull('valid_to').update({ valid_to: t.db.knex.fn.now() });
});

/** Start a patrol as a chief; answers the response. */
const start = (who: string, body: Record<string, unknown> = {}) => request(t.app).post('/api/patrols').set(auth(who)).send(body);
/** Send fixes. */
const send = (who: string, id: number, points: unknown[]) => request(t.app).post(`/api/patrols/${id}/points`).set(auth(who)).send({ points });
/** ISO time `s` seconds from now. */
const secondsFromNow = (s: number) => new Date(Date.now() + s * 1000).toISOString();

describe('POST /api/patrols', () => {
  it('starts a patrol for a chief with the grids they hold, and a second start ends the first', async () => {
    const first = await start('chief01');
    expect(first.status).toBe(201);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    expect(first.headers.location).toBe(`/api/patrols/${first.body.id}`);
    expect(first.body).toMatchObject({ chief: { code: 'chief01', name: '陈明新', name_en: 'Chen Mingxin' }, grid_codes: [GRID1], ended_at: null });
    expect(Date.parse(first.body.started_at)).toBeGreaterThan(Date.now() - 60_000);

    const second = await start('chief01');
    expect(second.status).toBe(201);
    expect(second.body.ended_previous).toBe(first.body.id);
    const rows = await t.db.knex('patrols').whereIn('id', [first.body.id, second.body.id]).orderBy('id');
    expect(rows.map((r) => [r.office_code, r.community_code, r.grid_code, r.ended_at === null])).toEqual([
      ['210103007', '210103007001', GRID1, false],
      ['210103007', '210103007001', GRID1, true],
    ]);
    expect(await t.db.knex('patrols').where({ chief_staff_id: rows[0].chief_staff_id }).whereNull('ended_at').count('* as n').first()).toEqual({ n: 1 });
  });

  it('takes the start an offline phone recorded, but not one in the future', async () => {
    const at = new Date(Date.now() - 20 * 60_000).toISOString();
    const res = await start('chief02', { started_at: at });
    expect(res.status).toBe(201);
    expect(res.body.started_at).toBe(at);
    const future = await start('chief02', { started_at: secondsFromNow(3600) });
    expect(future.status).toBe(400);
    expect(future.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(future.body).toMatchObject({ code: 'patrol_time_invalid', params: { field: 'started_at' } });
  });

  it('refuses anyone but a chief holding a grid', async () => {
    expect((await request(t.app).post('/api/patrols').send({})).status).toBe(401);
    const admin = await start('admin');
    expect(admin.status).toBe(403);
    expect(admin.body).toMatchObject({ code: 'role_required', params: { roles: ['chief'], role: 'admin' } });
  });
});

describe('POST /api/patrols/{id}/points', () => {
  it('stores good fixes in any order, drops those worse than 50 m, and a resent batch writes nothing twice', async () => {
    const p = (await start('chief01')).body;
    const at = (s: number) => new Date(Date.parse(p.started_at) + s * 1000).toISOString();
    const here = await pointIn(t.db, GRID1);
    const fix = (s: number, accuracy_m = 8) => ({ lon: here.lon + s * 1e-5, lat: here.lat, accuracy_m, at: at(s) });
    const batch = [fix(30), fix(15), fix(45, 50), fix(60, 51), fix(75, 120), fix(15)];
    const res = await send('chief01', p.id, batch);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    // 15 s twice in the batch: kept once. 60 s and 75 s are worse than 50 m; 45 s (exactly 50 m) is kept.
    expect(res.body).toEqual({ accepted: 4, duplicates: 1, dropped: 2, outside: 0, points: 3 });

    const again = await send('chief01', p.id, batch);
    expect(again.body).toEqual({ accepted: 4, duplicates: 4, dropped: 2, outside: 0, points: 3 });
    // The same instant written with another offset is the same fix.
    const shifted = new Date(Date.parse(at(30)) + 8 * 3600_000).toISOString().replace('Z', '+08:00');
    expect((await send('chief01', p.id, [{ ...fix(30), at: shifted }])).body).toMatchObject({ accepted: 1, duplicates: 1, points: 3 });

    const stored = await t.db.knex('patrol_fixes').where({ patrol_id: p.id }).orderBy('at').select('at', 'accuracy_m', t.db.knex.raw('ST_X(geom) as lon'));
    expect(stored.map((r) => [new Date(r.at).toISOString(), r.accuracy_m])).toEqual([[at(15), 8], [at(30), 8], [at(45), 50]]);
    expect(stored[0].lon).toBeCloseTo(here.lon + 15e-5, 9);
  });

  it('counts fixes outside the patrol’s time apart, and refuses more than 500 or a bad position', async () => {
    const p = (await start('chief01')).body;
    const here = await pointIn(t.db, GRID1);
    const before = new Date(Date.parse(p.started_at) - 10 * 60_000).toISOString();
    const res = await send('chief01', p.id, [{ ...here, accuracy_m: 5, at: before }, { ...here, accuracy_m: 5, at: secondsFromNow(3600) }]);
    expect(res.body).toEqual({ accepted: 0, duplicates: 0, dropped: 0, outside: 2, points: 0 });

    const many = Array.from({ length: 501 }, (_, i) => ({ ...here, accuracy_m: 5, at: new Date(Date.parse(p.started_at) + i * 1000).toISOString() }));
    const tooMany = await send('chief01', p.id, many);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.code).toBe('validation_failed');
    expect(tooMany.body.detail).toMatch(/at most 500/);
    const swapped = await send('chief01', p.id, [{ lon: here.lat, lat: here.lon, accuracy_m: 5, at: p.started_at }]);
    expect(swapped.status).toBe(400);
    expect(swapped.body.detail).toMatch(/lat must be within -90\.\.90/);
    expect(await t.db.knex('patrol_fixes').where({ patrol_id: p.id }).count('* as n').first()).toEqual({ n: 0 });
  });

  it('refuses points to another chief’s patrol (403 in scope, 404 outside it)', async () => {
    const p = (await start('chief01')).body;
    const here = await pointIn(t.db, GRID1);
    const fixes = [{ ...here, accuracy_m: 5, at: p.started_at }];
    const other = await send('chief02', p.id, fixes);
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ code: 'patrol_not_found', params: { id: p.id } });
    const community = await send('community01', p.id, fixes);
    expect(community.status).toBe(403);
    expect(community.body).toMatchObject({ code: 'patrol_not_yours', params: { id: p.id } });
    expect((await request(t.app).post(`/api/patrols/${p.id}/end`).set(auth('community01')).send({})).status).toBe(403);
    expect((await send('chief01', 999999, fixes)).status).toBe(404);
    expect(await t.db.knex('patrol_fixes').where({ patrol_id: p.id }).count('* as n').first()).toEqual({ n: 0 });
  });
});

describe('POST /api/patrols/{id}/end and GET /api/patrols', () => {
  it('ends a patrol once, and lists the day’s patrols in scope with their tracks as LineStrings', async () => {
    const p = (await start('chief02', { started_at: new Date(Date.now() - 10 * 60_000).toISOString() })).body;
    const here = await pointIn(t.db, '210103007001002', 60);
    const at = (s: number) => new Date(Date.parse(p.started_at) + s * 1000).toISOString();
    // Sent out of order: the track follows the times.
    await send('chief02', p.id, [{ ...here, lon: here.lon + 0.0002, accuracy_m: 5, at: at(40) }, { ...here, accuracy_m: 5, at: at(20) }]);
    const endedAt = at(60);
    const end = await request(t.app).post(`/api/patrols/${p.id}/end`).set(auth('chief02')).send({ ended_at: endedAt });
    expect(end.status).toBe(200);
    expect(end.body).toMatchObject({ id: p.id, ended_at: endedAt });
    const again = await request(t.app).post(`/api/patrols/${p.id}/end`).set(auth('chief02')).send({});
    expect(again.body.ended_at).toBe(endedAt);
    expect(new Date((await t.db.knex('patrols').where({ id: p.id }).first()).ended_at).toISOString()).toBe(endedAt);
    // A fix after the end is outside the patrol.
    expect((await send('chief02', p.id, [{ ...here, accuracy_m: 5, at: at(60 + 400) }])).body.outside).toBe(1);

    // The day of the fixes in Asia/Shanghai (UTC+8, no daylight saving).
    const day = new Date(Date.parse(at(20)) + 8 * 3600_000).toISOString().slice(0, 10);
    const list = await request(t.app).get(`/api/patrols?chief=chief02&day=${day}`).set(auth('admin'));
    expect(list.status).toBe(200);
    expect(list.body.day).toBe(day);
    const item = list.body.items.find((i: { id: number }) => i.id === p.id);
    expect(item).toMatchObject({ chief: { code: 'chief02' }, points: 2, ended_at: endedAt, track: { type: 'LineString' } });
    expect(item.track.coordinates).toEqual([[here.lon, here.lat], [here.lon + 0.0002, here.lat]].map((c) => c.map((v) => Math.round(v * 1e7) / 1e7)));
    // 0.0002° of longitude at 41.8° N is about 16.6 m.
    expect(item.length_m).toBeGreaterThan(16);
    expect(item.length_m).toBeLessThan(17.2);
    expect(list.body.items.every((i: { chief: { code: string } }) => i.chief.code === 'chief02')).toBe(true);
  });

  it('shows a chief only the patrols in their scope, never another office’s', async () => {
    const own = (await start('t14-chief')).body;
    const mine = await request(t.app).get('/api/patrols').set(auth('t14-chief'));
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((i: { id: number }) => i.id)).toEqual([own.id]);
    const demo = (await request(t.app).get('/api/patrols').set(auth('chief01'))).body.items;
    expect(demo.length).toBeGreaterThan(0);
    expect(demo.every((i: { chief: { code: string } }) => i.chief.code === 'chief01')).toBe(true);
    expect((await request(t.app).get('/api/patrols').set(auth('admin'))).body.items.map((i: { id: number }) => i.id)).not.toContain(own.id);
    expect((await send('chief01', own.id, [])).status).toBe(404);
  });

  it('refuses a bad day, and anonymous clients', async () => {
    const res = await request(t.app).get('/api/patrols?day=2026-3-1').set(auth('admin'));
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/YYYY-MM-DD/);
    expect((await request(t.app).get('/api/patrols')).status).toBe(401);
  });
});
