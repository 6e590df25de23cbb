import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';
import { GRID_01, makeResident, pointIn } from './test_support.js';

const t = useTestApp();
/** A resident of chief01's grid with a name and phone found nowhere else. */
const CANARY = { name: '隐私测试人甲乙', phone: '19987654321' };
let ids: { building: number; household: number; resident: number };
let tokens: Record<string, string>;

beforeAll(async () => {
  const owner = await loginAs(t.app, 'chief01');
  ids = await makeResident(t.app, t.db, owner, GRID_01, { ...CANARY, id_number: null });
  tokens = {
    'chief of another grid': await loginAs(t.app, 'chief02'),
    department: await loginAs(t.app, 'municipal'),
    planner: await loginAs(t.app, 'planner'),
  };
});

/** Every resident endpoint, as [method, path, body]. */
const endpoints = (): [string, string, object?][] => [
  ['get', `/api/residents?grid=${GRID_01}`],
  ['get', `/api/residents/${ids.resident}`],
  ['patch', `/api/residents/${ids.resident}`, { phone: '10000000000' }],
  ['delete', `/api/residents/${ids.resident}`],
  ['post', '/api/residents', { household_id: ids.household, name: '入侵者' }],
  ['get', '/api/residents/access-log'],
  ['get', `/api/households/${ids.household}`],
  ['get', `/api/households?grid=${GRID_01}`],
  ['get', `/api/buildings/${ids.building}`],
  ['get', `/api/care-visits?resident_id=${ids.resident}&grid=${GRID_01}`],
  ['post', '/api/care-visits', { resident_id: ids.resident, note: 'x' }],
];

describe('resident endpoints refuse everyone outside the scope', () => {
  for (const who of ['chief of another grid', 'department', 'planner', 'anonymous']) {
    it(`refuses a ${who} on every endpoint and leaks nothing`, async () => {
      for (const [method, path, body] of endpoints()) {
        let req = (request(t.app) as unknown as Record<string, (p: string) => request.Test>)[method](path);
        if (who !== 'anonymous') req = req.set('Authorization', `Bearer ${tokens[who]}`);
        const res = body ? await req.send(body) : await req;
        expect([401, 403, 404, 422], `${who} ${method} ${path} → ${res.status}`).toContain(res.status);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.text).not.toContain(CANARY.name);
        expect(res.text).not.toContain(CANARY.phone);
      }
      let upload = request(t.app).post('/api/population/import?kind=residents');
      if (who !== 'anonymous') upload = upload.set('Authorization', `Bearer ${tokens[who]}`);
      const imported = await upload.attach('file', Buffer.from(`household_id,name\n${ids.household},入侵者\n`), 'p.csv');
      expect([401, 403, 422], `${who} import → ${imported.status}`).toContain(imported.status);
      const row = await t.db.knex('residents').where({ id: ids.resident }).first();
      expect(row).toMatchObject(CANARY);
      expect(await t.db.knex('residents').where({ name: '入侵者' }).first()).toBeUndefined();
    });
  }

  it('does not show the resident in another chief\'s own list', async () => {
    const res = await request(t.app).get('/api/residents?limit=500').set('Authorization', `Bearer ${tokens['chief of another grid']}`);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(CANARY.name);
  });

  it('refuses anonymous clients with 401 and departments with 403', async () => {
    expect((await request(t.app).get('/api/residents')).status).toBe(401);
    expect((await request(t.app).get('/api/residents').set('Authorization', `Bearer ${tokens.department}`)).status).toBe(403);
  });
});

/** GET a path; answer the body as text (tiles as raw bytes in latin1, so UTF-8 names are searched as bytes). */
async function fetchText(path: string): Promise<{ status: number; text: string }> {
  const res = await request(t.app)
    .get(path)
    .buffer(true)
    .parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
  return { status: res.status, text: Buffer.isBuffer(res.body) ? res.body.toString('utf8') : res.text };
}

/** The needles (names: CJK runs; phones: digit runs) that occur in a text; substring search by sets, fast on big exports. */
function findNeedles(text: string, needles: string[]): string[] {
  const set = new Set(needles);
  const found = new Set<string>();
  for (const run of text.match(/[\u4e00-\u9fff]+|\d{5,}/g) ?? []) {
    for (let i = 0; i < run.length; i++) {
      for (let len = 2; len <= 20 && i + len <= run.length; len++) {
        const piece = run.slice(i, i + len);
        if (set.has(piece)) found.add(piece);
      }
    }
  }
  return [...found];
}

/** Slippy-map tile of a point at a zoom. */
function tileOf(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return [x, y];
}

describe('no public endpoint, export or tile carries a resident field', () => {
  it('finds no seeded resident name or phone in any public response', async () => {
    // The seeded residents, minus any name or phone that also occurs in public data (staff, areas, dictionaries).
    const publicText = (
      await t.db.knex.raw(`select string_agg(x, '|') as t from (
        select name as x from staff union all select coalesce(phone, '') from staff union all select name from areas
        union all select name from departments union all select coalesce(phone, '') from departments
        union all select name from asset_categories union all select name from incident_categories
        union all select attrs::text from assets) s`)
    ).rows[0].t as string;
    const seeded = (await t.db.knex('residents').select('name', 'phone')) as { name: string; phone: string | null }[];
    const needles = [CANARY.name, CANARY.phone, ...new Set(seeded.flatMap((r) => [r.name, r.phone ?? '']).filter((s) => s.length >= 2 && !publicText.includes(s)))];
    expect(needles.length).toBeGreaterThan(1000);
    // Positive control: the search finds the canary where it must be (the owner's view of the record).
    const own = await request(t.app).get(`/api/residents/${ids.resident}`).set('Authorization', `Bearer ${await loginAs(t.app, 'chief01')}`);
    expect(findNeedles(own.text, needles)).toEqual(expect.arrayContaining([CANARY.name, CANARY.phone]));

    const [lon, lat] = await pointIn(t.db, GRID_01);
    const paths = ['/api/areas', '/api/areas?level=grid', `/api/areas/${GRID_01}`, `/api/locate?lon=${lon}&lat=${lat}`, '/api/population/summary', '/api/openapi.json'];
    for (const layer of ['offices', 'communities', 'grids', 'areas', 'assets', 'incidents', 'buildings', 'households', 'residents', 'population', 'care_visits']) {
      for (const format of ['geojson', 'geojsonseq', 'csv']) paths.push(`/export/${layer}.${format}`);
      paths.push(`/tiles/${layer}.json`);
      for (const z of [12, 14, 16]) {
        const [x, y] = tileOf(lon, lat, z);
        paths.push(`/tiles/${layer}/${z}/${x}/${y}.mvt`);
      }
      paths.push(`/ogc/collections/${layer}/items?limit=10000`);
    }
    const collections = await fetchText('/ogc/collections?f=json');
    if (collections.status === 200) {
      for (const c of JSON.parse(collections.text).collections ?? []) paths.push(`/ogc/collections/${c.id}/items?limit=10000&f=json`);
    }
    paths.push('/ogc', '/open311/v2/services.json', '/open311/v2/requests.json', '/open311/v2/requests.json?status=open');

    const answered: string[] = [];
    for (const path of paths) {
      const res = await fetchText(path);
      if (res.status !== 200) continue;
      answered.push(path);
      const leaked = findNeedles(res.text, needles);
      expect(leaked, `${path} carries resident data`).toEqual([]);
    }
    // At least the area routes and the public summary answered, so the search ran on something.
    expect(answered).toEqual(expect.arrayContaining(['/api/areas', '/api/population/summary', '/api/openapi.json']));
  });
});
