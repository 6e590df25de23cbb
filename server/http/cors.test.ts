import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, testApp, useTestApp } from '../../test/app.js';
import { parseCorsOrigins } from '../config.js';
import { pointIn } from '../incidents/test_helpers.js';

const t = useTestApp();
const GIS = 'https://gis.example.gov.cn';
const OFFICE = `T-CORS-${process.pid}`;
/** A box far from the demo office holding this file's one building. */
const BBOX = '11.40,11.40,11.42,11.42';

/** The comma list of a header, lower-cased. */
const listOf = (value: string | undefined) => (value ?? '').split(',').map((v) => v.trim().toLowerCase()).filter(Boolean);

/** One URL of every public path family, answered 200 (or 204 for an empty tile). */
const PUBLIC_URLS = [
  '/tiles/grids.json',
  '/tiles/grids/0/0/0.mvt',
  '/ogc',
  '/ogc/collections',
  '/ogc/collections/grids/items?limit=1',
  '/export/grids.geojson',
  '/open311/v2/services.json',
  '/open311/v2/requests.json',
];

describe('CORS on the public GIS and citizen endpoints (CORS_ORIGINS unset: any origin)', () => {
  it('lets any origin read tiles, TileJSON, OGC, exports and Open311, without credentials, exposing the headers clients need', async () => {
    for (const url of PUBLIC_URLS) {
      const res = await request(t.app).get(url).set('Origin', GIS);
      expect([200, 204], url).toContain(res.status);
      expect(res.headers['access-control-allow-origin'], url).toBe('*');
      expect(res.headers['access-control-allow-credentials'], url).toBeUndefined();
      expect(listOf(res.headers['access-control-expose-headers']), url).toEqual(expect.arrayContaining(['content-crs', 'link', 'etag', 'retry-after', 'content-disposition']));
      // `*` is the same for every origin: the answer does not vary with Origin.
      expect(listOf(res.headers.vary), url).not.toContain('origin');
    }
  });

  it('marks error answers too, so that a client on another origin can read the problem', async () => {
    for (const url of ['/ogc/collections/nope', '/tiles/nope.json', '/export/nope.geojson', '/open311/v2/nope.json']) {
      const res = await request(t.app).get(url).set('Origin', GIS);
      expect(res.status, url).toBeGreaterThanOrEqual(400);
      expect(res.headers['access-control-allow-origin'], url).toBe('*');
    }
  });

  it('answers an Open311 POST preflight with POST, Content-Type and the API key header allowed, but not Authorization', async () => {
    const res = await request(t.app)
      .options('/open311/v2/requests.json')
      .set({ Origin: GIS, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-api-key' });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(listOf(res.headers['access-control-allow-methods'])).toEqual(['get', 'head', 'post']);
    expect(listOf(res.headers['access-control-allow-headers'])).toEqual(expect.arrayContaining(['content-type', 'x-api-key', 'if-none-match']));
    expect(listOf(res.headers['access-control-allow-headers'])).not.toContain('authorization');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
  });

  it('allows only GET and HEAD on the read-only families', async () => {
    for (const url of ['/ogc/collections', '/tiles/grids.json', '/export/grids.geojson', '/styles/gridwork.json']) {
      const res = await request(t.app).options(url).set({ Origin: GIS, 'Access-Control-Request-Method': 'GET' });
      expect(res.status, url).toBe(204);
      expect(listOf(res.headers['access-control-allow-methods']), url).toEqual(['get', 'head']);
    }
  });

  it('takes an Open311 POST from a page on another origin', async () => {
    const [grid] = await t.db.knex('areas').where({ level: 3 }).whereNull('valid_to').orderBy('code').limit(1).pluck('code');
    const p = await pointIn(t.db, grid);
    const res = await request(t.app)
      .post('/open311/v2/requests.json')
      .set({ Origin: GIS, 'Sec-Fetch-Site': 'cross-site' })
      .type('form')
      .send({ service_code: '0101', lat: String(p.lat), long: String(p.lon), description: 'Broken cover (CORS test)' });
    expect(res.status, res.text).toBe(201);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('sends no CORS headers on /api, the web app’s own API', async () => {
    for (const url of ['/api/health', '/api/me', '/api/incidents', '/api/public/incidents/1']) {
      const res = await request(t.app).get(url).set('Origin', GIS);
      expect(res.headers['access-control-allow-origin'], url).toBeUndefined();
      const pre = await request(t.app).options(url).set({ Origin: GIS, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' });
      expect(pre.headers['access-control-allow-origin'], url).toBeUndefined();
      expect(pre.headers['access-control-allow-methods'], url).toBeUndefined();
    }
  });
});

describe('the session cookie across origins', () => {
  let cookie: string;
  beforeAll(async () => {
    const token = await loginAs(t.app, 'chief01');
    cookie = `gridwork_session=${token}`;
    const { rows } = await t.db.knex.raw(`select s.area_code as grid from user_scopes s join users u on u.id = s.user_id where u.username = 'chief01' limit 1`);
    await t.db.knex.raw(`insert into buildings (office_code, address, floors, grid_code, geom) values (?, '幸福路100号', 6, ?, ST_SetSRID(ST_MakePoint(11.41, 11.41), 4326))`, [OFFICE, rows[0].grid]);
  });

  it('is honoured from the app’s own pages: the export of buildings (personal data) answers the rows in scope', async () => {
    for (const headers of [{}, { 'Sec-Fetch-Site': 'same-origin' }]) {
      const res = await request(t.app).get(`/export/buildings.geojson?bbox=${BBOX}`).set({ Cookie: cookie, ...headers });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text).features.map((f: { properties: { address: string } }) => f.properties.address)).toEqual(['幸福路100号']);
    }
  });

  it('is ignored on a request from another origin, which gets only what anyone gets (401 for personal data), and never credentials', async () => {
    for (const headers of [{ Origin: GIS }, { Origin: GIS, 'Sec-Fetch-Site': 'cross-site' }, { Origin: 'https://other.wg.example.gov.cn', 'Sec-Fetch-Site': 'same-site' }, { 'Sec-Fetch-Site': 'cross-site' }]) {
      const res = await request(t.app).get(`/export/buildings.geojson?bbox=${BBOX}`).set({ Cookie: cookie, ...headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.text).not.toContain('幸福路100号');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    }
  });

  it('is ignored with a configured list of origins too, even for an allowed one', async () => {
    const app = testApp(t.db, { corsOrigins: [GIS] });
    const res = await request(app).get(`/export/buildings.geojson?bbox=${BBOX}`).set({ Cookie: cookie, Origin: GIS, 'Sec-Fetch-Site': 'cross-site' });
    expect(res.status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe(GIS);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });
});

describe('CORS_ORIGINS set to a list', () => {
  it('echoes an allowed origin, refuses any other, and says the answer varies with Origin', async () => {
    const app = testApp(t.db, { corsOrigins: [GIS, 'http://localhost:8080'] });
    for (const url of ['/ogc/collections', '/tiles/grids.json', '/open311/v2/services.json']) {
      const allowed = await request(app).get(url).set('Origin', GIS);
      expect(allowed.headers['access-control-allow-origin'], url).toBe(GIS);
      expect(listOf(allowed.headers.vary), url).toContain('origin');
      const other = await request(app).get(url).set('Origin', 'https://evil.example');
      expect(other.status, url).toBe(200);
      expect(other.headers['access-control-allow-origin'], url).toBeUndefined();
      expect(listOf(other.headers.vary), url).toContain('origin');
    }
  });

  it('keeps Vary: Accept-Encoding on tiles beside Vary: Origin', async () => {
    const app = testApp(t.db, { corsOrigins: [GIS] });
    const res = await request(app).get('/tiles/grids/0/0/0.mvt').set('Origin', GIS);
    expect(listOf(res.headers.vary)).toEqual(expect.arrayContaining(['origin', 'accept-encoding']));
  });
});

describe('parseCorsOrigins (CORS_ORIGINS)', () => {
  it('is * when unset, empty or *', () => {
    expect(parseCorsOrigins(undefined)).toBe('*');
    expect(parseCorsOrigins('')).toBe('*');
    expect(parseCorsOrigins(' * ')).toBe('*');
  });

  it('reads a comma list of origins, trimming spaces and a trailing slash', () => {
    expect(parseCorsOrigins('https://gis.example.gov.cn, http://localhost:8080/')).toEqual(['https://gis.example.gov.cn', 'http://localhost:8080']);
  });

  it('refuses a path, another scheme, or * inside a list, naming the bad item and the form', () => {
    expect(() => parseCorsOrigins('https://gis.example.gov.cn/map')).toThrow(/CORS_ORIGINS must be \* or a comma-separated list of origins.*"https:\/\/gis.example.gov.cn\/map"/);
    expect(() => parseCorsOrigins('ftp://gis.example.gov.cn')).toThrow(/"ftp:\/\/gis.example.gov.cn" is not one/);
    expect(() => parseCorsOrigins('*,https://gis.example.gov.cn')).toThrow(/"\*" is not one/);
    expect(() => parseCorsOrigins('gis.example.gov.cn')).toThrow(/CORS_ORIGINS/);
  });
});
