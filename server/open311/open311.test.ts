import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';
import { act, jpeg, pointIn, tempDataDir } from '../incidents/test_helpers.js';

const GRID = '210103007001001';
const t = useTestApp({ dataDir: tempDataDir() });
let chief: string;

beforeAll(async () => {
  chief = await loginAs(t.app, 'chief01');
});

/** Post a request as an Open311 client does: form-urlencoded. */
async function post(fields: Record<string, string>) {
  return request(t.app).post('/open311/v2/requests.json').type('form').send(fields);
}

describe('GET /open311/v2/services.json', () => {
  it('lists the categories with the same codes as /api/incidents', async () => {
    const res = await request(t.app).get('/open311/v2/services.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const cats = (await request(t.app).get('/api/incident-categories')).body;
    expect(res.body.map((s: { service_code: string }) => s.service_code)).toEqual(cats.map((c: { code: string }) => c.code));
    expect(res.body[0]).toMatchObject({ service_code: expect.any(String), service_name: expect.any(String), metadata: false, type: 'realtime', group: expect.any(String) });
    const def = await request(t.app).get(`/open311/v2/services/${res.body[0].service_code}.json`);
    expect(def.body).toEqual({ service_code: res.body[0].service_code, attributes: [] });
  });
});

describe('POST /open311/v2/requests.json', () => {
  it('creates a routed incident from form fields, keeping the contact private', async () => {
    const p = await pointIn(t.db, GRID);
    const res = await post({ service_code: '0603', lat: String(p.lat), long: String(p.lon), description: 'Lamp out', first_name: '明', last_name: '李', phone: '13900009999', email: 'li@example.com' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual([{ service_request_id: expect.stringMatching(/^\d+$/), service_notice: expect.stringMatching(/^Case \d+/), account_id: null }]);
    const row = await t.db.knex('incidents').where({ id: Number(res.body[0].service_request_id) }).first();
    expect(row).toMatchObject({ grid_code: GRID, source: 'resident', category_code: '0603', reporter_contact: { name: '李明', phone: '13900009999', email: 'li@example.com' } });
  });

  it('refuses a media_url that is not http(s) and a jurisdiction it does not serve', async () => {
    const p = await pointIn(t.db, GRID);
    const base = { service_code: '0603', lat: String(p.lat), long: String(p.lon) };
    for (const media_url of ['file:///etc/passwd', 'javascript:alert(1)', 'ftp://example.org/x.jpg']) {
      const res = await post({ ...base, media_url });
      expect(res.status, media_url).toBe(400);
      expect(res.body[0]).toMatchObject({ code: 400, description: expect.stringMatching(/media_url/) });
    }
    const before = await t.db.knex('incidents').count({ n: '*' }).first();
    const bad = await post({ ...base, jurisdiction_id: 'example.org' });
    expect(bad.status).toBe(404);
    expect(bad.body[0].description).toMatch(/jurisdiction_id example\.org is not served here/);
    expect(await t.db.knex('incidents').count({ n: '*' }).first()).toEqual(before);
    expect((await request(t.app).get('/open311/v2/services.json?jurisdiction_id=nowhere')).status).toBe(404);
    const office = (await t.db.knex('areas').where({ level: 1 }).whereNull('valid_to').first('code')).code;
    expect((await request(t.app).get(`/open311/v2/services.json?jurisdiction_id=${office}`)).status).toBe(200);
    expect((await post({ ...base, jurisdiction_id: office, media_url: 'https://example.org/p.jpg' })).status).toBe(201);
  });

  it('accepts a multipart request with a media file', async () => {
    const p = await pointIn(t.db, GRID);
    const res = await request(t.app)
      .post('/open311/v2/requests.json')
      .field('service_code', '0101')
      .field('lat', String(p.lat))
      .field('long', String(p.lon))
      .attach('media', await jpeg(), { filename: 'x.jpg' });
    expect(res.status).toBe(201);
    const photos = await t.db.knex('incident_photos').where({ incident_id: Number(res.body[0].service_request_id) });
    expect(photos).toHaveLength(1);
  });

  const BAD: Array<[string, Record<string, string>, number, RegExp]> = [
    ['no service_code', { lat: '41.79', long: '123.43' }, 400, /service_code is required/],
    ['unknown service_code', { service_code: '9999', lat: '41.79', long: '123.43' }, 400, /services\.json/],
    ['no location', { service_code: '0101' }, 400, /lat is required/],
    ['bad long', { service_code: '0101', lat: '41.79', long: 'east' }, 400, /long must be a number/],
    ['outside every grid', { service_code: '0101', lat: '39.909', long: '116.397' }, 422, /outside every grid/],
  ];
  it.each(BAD)('refuses %s in the Open311 error format', async (_name, fields, status, description) => {
    const res = await post(fields);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual([{ code: status, description: expect.stringMatching(description) }]);
  });
});

describe('GET /open311/v2/requests', () => {
  it('shows a request with open/closed status, notes and the agency, and no personal data', async () => {
    const p = await pointIn(t.db, GRID);
    const made = await post({ service_code: '0104', lat: String(p.lat), long: String(p.lon), description: 'Graffiti, call me 13900001234', phone: '13900001234' });
    const id = Number(made.body[0].service_request_id);
    const open = await request(t.app).get(`/open311/v2/requests/${id}.json`);
    expect(open.status).toBe(200);
    expect(open.body).toEqual([
      expect.objectContaining({ service_request_id: String(id), status: 'open', service_code: '0104', agency_responsible: expect.stringMatching(/grid$/), lat: expect.any(Number), long: expect.any(Number) }),
    ]);
    expect(JSON.stringify(open.body)).not.toMatch(/13900001234/);
    await act(t.app, chief, id, { action: 'handle', note: 'cleaned' });
    const handled = (await request(t.app).get(`/open311/v2/requests/${id}.json`)).body[0];
    expect(handled).toMatchObject({ status: 'open', status_notes: expect.stringMatching(/confirmation/) });
    await act(t.app, chief, id, { action: 'confirm' });
    const closed = (await request(t.app).get(`/open311/v2/requests/${id}.json`)).body[0];
    expect(closed).toMatchObject({ status: 'closed', status_notes: expect.stringMatching(/Closed/) });
  });

  it('filters by service_code, status and dates', async () => {
    const p = await pointIn(t.db, GRID);
    const made = await post({ service_code: '0303', lat: String(p.lat), long: String(p.lon) });
    const id = made.body[0].service_request_id;
    const ids = async (q: string) => (await request(t.app).get(`/open311/v2/requests.json?${q}`)).body.map((r: { service_request_id: string }) => r.service_request_id);
    expect(await ids('service_code=0303&status=open')).toContain(id);
    expect(await ids('service_code=0303&status=closed')).not.toContain(id);
    expect(await ids('service_code=0101')).not.toContain(id);
    expect(await ids(`start_date=${new Date(Date.now() - 60_000).toISOString()}`)).toContain(id);
    expect(await ids('end_date=2020-01-01T00:00:00Z')).not.toContain(id);
    expect(await ids(`service_request_id=${id}`)).toEqual([id]);
  });

  it('answers errors in the Open311 format: bad parameter, unknown id, unknown path, XML', async () => {
    const bad = await request(t.app).get('/open311/v2/requests.json?status=pending');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual([{ code: 400, description: expect.stringMatching(/status/) }]);
    const missing = await request(t.app).get('/open311/v2/requests/999999999.json');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual([{ code: 404, description: expect.stringMatching(/does not exist/) }]);
    const unknown = await request(t.app).get('/open311/v2/discovery.json');
    expect(unknown.status).toBe(404);
    expect(unknown.body[0].code).toBe(404);
    const xml = await request(t.app).get('/open311/v2/services.xml');
    expect(xml.status).toBe(400);
    expect(xml.body[0].description).toMatch(/JSON/);
  });
});
