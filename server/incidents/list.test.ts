import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';
import { act, pointIn, report, sharedVertex, tempDataDir } from './test_helpers.js';

const GRID = '210103007001001';
const OTHER_COMMUNITY_GRID = '210103007002001';
const t = useTestApp({ dataDir: tempDataDir() });
const tokens: Record<string, string> = {};

beforeAll(async () => {
  for (const u of ['chief01', 'chief02', 'community01', 'community02', 'admin', 'municipal']) tokens[u] = await loginAs(t.app, u);
});

const list = (who: string, query = '') => request(t.app).get(`/api/incidents?${query}`).set('Authorization', `Bearer ${tokens[who]}`);

async function newIn(grid: string, category = '0102'): Promise<{ id: number; case_no: string }> {
  const p = await pointIn(t.db, grid, 60);
  const res = await report(t.app, tokens.admin, { category, lon: p.lon, lat: p.lat });
  expect(res.status).toBe(201);
  return res.body;
}

describe('GET /api/incidents', () => {
  it('answers a page of the viewer’s incidents with the total, newest first', async () => {
    const a = await newIn(GRID);
    const b = await newIn(GRID);
    const res = await list('chief01', `grid=${GRID}&limit=2`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.items).toHaveLength(2);
    expect(res.body.total).toBeGreaterThanOrEqual(2);
    expect(res.body.items.map((i: { id: number }) => i.id)).toEqual([b.id, a.id]);
    expect(res.body.items[0]).toMatchObject({
      case_no: b.case_no, status: 'open', level: 'grid', category: { code: '0102', name: expect.any(String) },
      grid: { code: GRID }, overdue: false, version: 1, lon: expect.any(Number), lat: expect.any(Number),
    });
    const next = await list('chief01', `grid=${GRID}&limit=1&offset=1`);
    expect(next.body.items[0].id).toBe(a.id);
  });

  it('keeps a chief to their grid and a community to its grids', async () => {
    const mine = await newIn(GRID);
    const theirs = await newIn(OTHER_COMMUNITY_GRID);
    const ids = (res: request.Response) => res.body.items.map((i: { id: number }) => i.id);
    const chief = await list('chief01', 'limit=500');
    expect(ids(chief)).toContain(mine.id);
    expect(ids(chief)).not.toContain(theirs.id);
    expect(ids(await list('community01', 'limit=500'))).toContain(mine.id);
    expect(ids(await list('community02', 'limit=500'))).not.toContain(mine.id);
    expect(ids(await list('admin', 'limit=500'))).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    const other = await request(t.app).get(`/api/incidents/${theirs.id}`).set('Authorization', `Bearer ${tokens.chief01}`);
    expect(other.status).toBe(404);
  });

  it('shows an incident near a grid edge to the neighbouring chief too, without actions', async () => {
    const v = await sharedVertex(t.db, 3);
    const res = await report(t.app, tokens.admin, { category: '0103', lon: v.lon, lat: v.lat });
    const neighbour = await t.db.knex('users as u').join('user_scopes as s', 's.user_id', 'u.id').where({ 's.area_code': v.b, 'u.role': 'chief' }).first('u.username');
    const token = await loginAs(t.app, neighbour.username);
    const seen = await request(t.app).get(`/api/incidents?grid=${v.b}&limit=500`).set('Authorization', `Bearer ${token}`);
    expect(seen.body.items.map((i: { id: number }) => i.id)).toContain(res.body.id);
    const detail = await request(t.app).get(`/api/incidents/${res.body.id}`).set('Authorization', `Bearer ${token}`);
    expect(detail.status).toBe(200);
    expect(detail.body.allowed_actions).toEqual([]);
    expect(detail.body.near_grid_codes).toContain(v.b);
  });

  it('shows a department only what is dispatched to it', async () => {
    const x = await newIn(GRID);
    expect((await list('municipal', 'limit=500')).body.items.map((i: { id: number }) => i.id)).not.toContain(x.id);
    await act(t.app, tokens.admin, x.id, { action: 'cancel', note: 'test' });
    const y = await newIn(GRID);
    await act(t.app, tokens.chief01, y.id, { action: 'escalate' });
    await act(t.app, tokens.community01, y.id, { action: 'escalate' });
    await act(t.app, tokens.admin, y.id, { action: 'dispatch', department: 'municipal' });
    const res = await list('municipal', 'limit=500');
    expect(res.body.items.map((i: { id: number }) => i.id)).toContain(y.id);
    for (const i of res.body.items) expect(i.department.code).toBe('municipal');
  });

  it('filters by status, level, category, bbox and since', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const x = await newIn(GRID, '0504');
    await act(t.app, tokens.chief01, x.id, { action: 'escalate' });
    const ids = async (q: string) => (await list('admin', `${q}&limit=500`)).body.items.map((i: { id: number }) => i.id);
    expect(await ids('status=open&level=community&category=0504')).toContain(x.id);
    expect(await ids('status=handled,closed&category=0504')).not.toContain(x.id);
    expect(await ids('level=grid&category=0504')).not.toContain(x.id);
    const r = await t.db.knex('incidents').where({ id: x.id }).first(t.db.knex.raw('ST_X(geom) as lon'), t.db.knex.raw('ST_Y(geom) as lat'));
    expect(await ids(`bbox=${r.lon - 0.001},${r.lat - 0.001},${r.lon + 0.001},${r.lat + 0.001}`)).toContain(x.id);
    expect(await ids(`bbox=${r.lon + 0.001},${r.lat},${r.lon + 0.002},${r.lat + 0.001}`)).not.toContain(x.id);
    expect(await ids(`since=${since}&category=0504`)).toContain(x.id);
    expect(await ids(`since=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
  });

  it('marks an open incident past its deadline as overdue, filters and counts it', async () => {
    const x = await newIn(GRID, '0403');
    await t.db.knex('incidents').where({ id: x.id }).update({ due_at: new Date(Date.now() - 3600e3) });
    const res = await list('chief01', `overdue=true&grid=${GRID}&limit=500`);
    const item = res.body.items.find((i: { id: number }) => i.id === x.id);
    expect(item).toMatchObject({ overdue: true, status: 'open' });
    for (const i of res.body.items) expect(i.overdue).toBe(true);
    expect(res.body.overdue).toBe(res.body.total);
    expect((await list('chief01', `overdue=false&grid=${GRID}&limit=500`)).body.items.map((i: { id: number }) => i.id)).not.toContain(x.id);
  });

  const BAD: Array<[string, RegExp]> = [
    ['status=lost', /status must be one or more of/],
    ['level=city', /level must be one or more of/],
    ['bbox=1,2,3', /bbox must be minLon,minLat,maxLon,maxLat/],
    ['bbox=5,5,1,1', /min ≤ max/],
    ['since=yesterday', /ISO 8601/],
    ['overdue=maybe', /overdue/],
    ['limit=0', /limit/],
    ['limit=5000', /limit/],
  ];
  it.each(BAD)('refuses %s with 400 problem+json', async (q, detail) => {
    const res = await list('admin', q);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(detail);
  });

  it('needs a session', async () => {
    expect((await request(t.app).get('/api/incidents')).status).toBe(401);
  });
});

describe('dictionaries', () => {
  it('GET /api/incident-categories answers the national classes with deadlines and departments', async () => {
    const res = await request(t.app).get('/api/incident-categories');
    expect(res.status).toBe(200);
    expect(res.body.length).toBeGreaterThan(15);
    expect(res.body).toContainEqual(expect.objectContaining({ code: '0602', name_en: 'Manhole cover missing', deadline_hours: 4, deadline_kind: 'calendar', department_code: 'municipal', class_code: '06' }));
    expect(new Set(res.body.map((c: { class_name_en: string }) => c.class_name_en))).toEqual(
      new Set(['City appearance', 'Advertising', 'Construction', 'Emergencies', 'Street order', 'Component faults']),
    );
  });

  it('GET /api/departments answers code and names', async () => {
    const res = await request(t.app).get('/api/departments');
    expect(res.status).toBe(200);
    expect(res.body).toContainEqual({ code: 'municipal', name: '市政管理处', name_en: 'Municipal Engineering Office' });
  });
});

describe('OpenAPI', () => {
  it('documents every incident and Open311 route', async () => {
    const doc = (await request(t.app).get('/api/openapi.json')).body;
    for (const path of [
      '/api/incidents', '/api/incidents/{id}', '/api/incidents/{id}/actions', '/api/incidents/{id}/photos/{n}', '/api/incidents/stream',
      '/api/public/incidents', '/api/public/incidents/{case_no}', '/api/public/incidents/nearby', '/api/public/incidents/{case_no}/photos/{n}',
      '/api/public/incidents/{case_no}/supporters', '/api/public/incidents/{case_no}/rating', '/api/incidents/{id}/photos/{n}/visibility',
      '/api/incident-categories', '/api/departments',
      '/open311/v2/services.json', '/open311/v2/requests.json', '/open311/v2/requests/{id}.json',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(Object.keys(doc.paths['/api/incidents/{id}/actions'].post.responses).sort()).toEqual(['200', '400', '401', '403', '404', '409', '415', '422']);
  });
});
