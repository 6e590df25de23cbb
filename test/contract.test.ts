import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { GRID_01 } from '../server/population/test_support.js';
import { jpeg, pointIn } from '../server/incidents/test_helpers.js';
import { loginAs, useTestApp } from './app.js';
import { expectAsDeclared, responseMismatches, undeclaredKeys } from './response_check.js';

/**
 * The contract test: the main read routes of every tag, on the demo office, each answer checked against
 * what its route declares (status, media type, body by its schema, no undeclared field). Writes only its
 * own incident and draft plan.
 */
const t = useTestApp();
const MONTH = new Date().toISOString().slice(0, 7);

let admin: string;
let planner: string;
let chief: string;

/** GET `path` (as `token` when given), check the answer against its declaration and answer it. */
async function read(path: string, token?: string, status = 200) {
  const req = request(t.app).get(path);
  if (token) req.set('Authorization', `Bearer ${token}`);
  const res = await req;
  expect(res.status, `${path}: ${(res.text ?? '').slice(0, 300)}`).toBe(status);
  return expectAsDeclared(t.registry, res);
}

beforeAll(async () => {
  [admin, planner, chief] = await Promise.all([loginAs(t.app, 'admin'), loginAs(t.app, 'planner'), loginAs(t.app, 'chief01')]);
});

describe('every main read answers as its route declares', () => {
  it('health, settings, me', async () => {
    await read('/api/health');
    await read('/api/settings');
    await read('/api/me', admin);
    await read('/api/me', undefined, 401);
  });

  it('areas and locate', async () => {
    await read('/api/areas');
    await read('/api/areas?level=grid');
    await read(`/api/areas/${GRID_01}`);
    await read(`/api/areas/${GRID_01}/history`);
    const p = await pointIn(t.db, GRID_01);
    await read(`/api/locate?lon=${p.lon}&lat=${p.lat}`);
    await read('/api/areas/999', undefined, 404);
  });

  it('incidents: dictionaries, a report with a photo, the list, the detail, its photo, the public view', async () => {
    await read('/api/incident-categories');
    await read('/api/departments');
    const p = await pointIn(t.db, GRID_01);
    const reported = await request(t.app)
      .post('/api/incidents')
      .set('Authorization', `Bearer ${chief}`)
      .field('category', '0101')
      .field('lon', String(p.lon))
      .field('lat', String(p.lat))
      .field('description', 'contract test')
      .attach('photos', await jpeg(), { filename: 'a.jpg', contentType: 'image/jpeg' });
    expect(reported.status, reported.text).toBe(201);
    expectAsDeclared(t.registry, reported);
    const { id, case_no } = reported.body;
    await read('/api/incidents', admin);
    await read('/api/incidents?status=open&limit=5', chief);
    await read(`/api/incidents/${id}`, admin);
    await read(`/api/incidents/${id}/photos/1`, admin);
    await read(`/api/incidents/${id}/photos/1?size=thumb`, admin);
    await read(`/api/public/incidents/${case_no}`);
    await read(`/api/public/incidents/nearby?lon=${p.lon}&lat=${p.lat}&category=0101`);
    await read('/api/incidents/2147483647', admin, 404);
  });

  it('assets', async () => {
    await read('/api/asset-categories');
    const list = await read('/api/assets?limit=3', admin);
    const first = list.body.features?.[0] ?? list.body.items?.[0] ?? list.body[0];
    expect(first, 'the demo office has assets').toBeDefined();
    await read(`/api/assets/${first.id ?? first.properties?.id}`, admin);
  });

  it('plans: a draft redrawing one grid, the list, the plan, its report and impact', async () => {
    const area = (await read(`/api/areas/${GRID_01}`)).body;
    const created = await request(t.app)
      .post('/api/plans')
      .set('Authorization', `Bearer ${planner}`)
      .send({ type: 'FeatureCollection', title: 'contract test', features: [{ type: 'Feature', properties: { code: GRID_01, name: area.properties.name }, geometry: area.geometry }] });
    expect(created.status, created.text).toBe(201);
    expectAsDeclared(t.registry, created);
    await read('/api/plans', planner);
    await read(`/api/plans/${created.body.id}`, planner);
    await read(`/api/plans/${created.body.id}/report`, planner);
    await read(`/api/plans/${created.body.id}/impact`, planner);
    await read('/api/plans', chief, 403);
  });

  it('appraisal, work calendar, patrols', async () => {
    await read(`/api/appraisal?month=${MONTH}`, admin);
    await read(`/api/appraisal?month=${MONTH}&by=community`, admin);
    await read(`/api/appraisal/trend?to=${MONTH}&key=${GRID_01}`, admin);
    await read('/api/appraisal/targets', admin);
    await read('/api/work-calendar', admin);
    await read('/api/patrols', admin);
    await read(`/api/patrols/coverage?month=${MONTH}`, admin);
  });

  it('population', async () => {
    await read('/api/population/summary');
    await read('/api/buildings?limit=3', admin);
    await read('/api/households?limit=3', admin);
    await read('/api/residents?limit=3', admin);
    await read('/api/care-visits', admin);
  });

  it('tiles, OGC API Features, Open311 (its errors as JSON lists)', async () => {
    await read('/tiles/map-config.json');
    await read('/tiles/grids.json');
    await read('/ogc');
    await read('/ogc/conformance');
    await read('/ogc/collections');
    await read('/ogc/collections/grids');
    const items = await read('/ogc/collections/grids/items?limit=2');
    await read(`/ogc/collections/grids/items/${items.body.features[0].id}`);
    const services = await read('/open311/v2/services.json');
    await read(`/open311/v2/services/${services.body[0].service_code}.json`);
    const requests = await read('/open311/v2/requests.json');
    if (requests.body.length) await read(`/open311/v2/requests/${requests.body[0].service_request_id}.json`);
    await read('/open311/v2/requests/2147483647.json', undefined, 404);
    await read('/open311/v2/services/nope.json', undefined, 404);
  });
});

describe('the response check', () => {
  it('names an undeclared status, a wrong media type, a body off its schema and an undeclared field', async () => {
    const sent = await request(t.app).get('/api/health');
    const as = (patch: Partial<{ status: number; headers: Record<string, string>; body: unknown }>) => ({ ...sent, ...patch }) as typeof sent;
    expect(responseMismatches(t.registry, sent)).toEqual([]);
    expect(responseMismatches(t.registry, as({ status: 418 }))).toEqual([expect.stringMatching(/declares only 200/)]);
    expect(responseMismatches(t.registry, as({ headers: { 'content-type': 'text/html' } }))).toEqual([expect.stringMatching(/sent as text\/html, declared as application\/json/)]);
    expect(responseMismatches(t.registry, as({ body: { ...sent.body, status: 7 } }))[0]).toMatch(/body\.status: /);
    expect(responseMismatches(t.registry, as({ body: { ...sent.body, secret: 1 } }))).toEqual([expect.stringMatching(/body\.secret is not in the declared schema/)]);
    expect(undeclaredKeys({ a: [{ b: 1, c: 2 }] }, { a: [{ b: 1 }] })).toEqual(['.a[0].c']);
  });
});
