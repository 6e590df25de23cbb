import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseCsv } from 'csv-parse/sync';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';

const t = useTestApp();

/** This file's own rows live in a far-away box and office, so nothing else counts them. */
const OFFICE = `T-EXPORT-${process.pid}`;
const BOX = { minx: 10, miny: 10, maxx: 10.5, maxy: 10.5 };
const BBOX = `${BOX.minx},${BOX.miny},${BOX.maxx},${BOX.maxy}`;
const ASSETS = 30_000;

/** GET a path and read the whole body as text, whatever its media type. */
async function get(url: string) {
  return request(t.app)
    .get(url)
    .buffer(true)
    .parse((res, cb) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => cb(null, body));
    });
}

beforeAll(async () => {
  const { knex } = t.db;
  await knex.raw(
    `insert into assets (office_code, code, category_code, status, attrs, geom, updated_at)
     select ?, 'EXP-' || g, case when g % 3 = 0 then '0120' else '0101' end,
            case when g % 10 = 0 then 'damaged' else 'normal' end,
            jsonb_build_object('note', '井盖 "' || g || '"'),
            ST_SetSRID(ST_MakePoint(? + (g % 500) * 0.0009876543, ? + (g / 500) * 0.0007654321), 4326),
            timestamptz '2026-01-01T00:00:00Z' + g * interval '1 second'
       from generate_series(1, ?) g`,
    [OFFICE, BOX.minx, BOX.miny, ASSETS],
  );
  await knex.raw(
    `insert into incidents (office_code, case_no, category_code, description, source, status, level, grid_code,
                            reporter_contact, geom)
     values (?, ?, '0101', '张三 13800001111 家门口垃圾', 'resident', 'open', 'grid', null,
             '{"name":"张三","phone":"13800001111"}', ST_SetSRID(ST_MakePoint(10.1, 10.1), 4326)),
            (?, ?, '0102', '', 'patrol', 'closed', 'grid', null, null, ST_SetSRID(ST_MakePoint(10.2, 10.2), 4326))`,
    [OFFICE, `${OFFICE}-1`, OFFICE, `${OFFICE}-2`],
  );
});

afterAll(async () => {
  await t.db.knex('buildings').where({ office_code: OFFICE }).delete();
  await t.db.knex('assets').where({ office_code: OFFICE }).delete();
  await t.db.knex('incidents').where({ office_code: OFFICE }).delete();
});

describe('GET /export/{layer}.geojson', () => {
  it('streams the grids in force as an RFC 7946 FeatureCollection attachment named after the layer and date', async () => {
    const res = await get('/export/grids.geojson');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/geo\+json/);
    const today = new Date().toISOString().slice(0, 10);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="gridwork-grids-${today}.geojson"`);
    const body = JSON.parse(res.body);
    expect(body.type).toBe('FeatureCollection');
    expect(body).not.toHaveProperty('crs');
    const { rows } = await t.db.knex.raw('select count(*)::int as n from areas where level = 3 and valid_to is null');
    expect(body.features).toHaveLength(rows[0].n);
    for (const f of body.features) {
      expect(f).toMatchObject({ type: 'Feature', id: f.properties.code, geometry: { type: 'MultiPolygon' } });
      expect(Object.keys(f.properties)).toEqual(['code', 'name', 'name_en', 'level', 'parent_code', 'valid_from', 'valid_to']);
      expect(f.properties.level).toBe('grid');
    }
  });

  it('writes outer rings counter-clockwise and holes clockwise, with 6 decimals by default', async () => {
    const body = JSON.parse((await get('/export/communities.geojson')).body);
    expect(body.features.length).toBeGreaterThan(0);
    for (const f of body.features) {
      for (const polygon of f.geometry.coordinates as number[][][][]) {
        polygon.forEach((ring, i) => {
          let twiceArea = 0;
          for (let k = 0; k < ring.length - 1; k++) twiceArea += ring[k][0] * ring[k + 1][1] - ring[k + 1][0] * ring[k][1];
          if (i === 0) expect(twiceArea).toBeGreaterThan(0);
          else expect(twiceArea).toBeLessThan(0);
          for (const [x, y] of ring) {
            expect(Math.round(x * 1e6) / 1e6).toBe(x);
            expect(Math.round(y * 1e6) / 1e6).toBe(y);
          }
        });
      }
    }
  });

  it('rounds coordinates to ?precision= decimals', async () => {
    const body = JSON.parse((await get(`/export/assets.geojson?bbox=${BBOX}&precision=2`)).body);
    expect(body.features).toHaveLength(ASSETS);
    for (const f of body.features.slice(0, 200)) {
      for (const c of f.geometry.coordinates) expect(Math.round(c * 100) / 100).toBe(c);
    }
  });

  it('filters assets by bbox, category and status, keeping their properties and JSON attributes', async () => {
    const body = JSON.parse((await get(`/export/assets.geojson?bbox=${BBOX}&category=0120&status=damaged`)).body);
    const { rows } = await t.db.knex.raw(
      `select count(*)::int as n from assets where office_code = ? and category_code = '0120' and status = 'damaged'`,
      [OFFICE],
    );
    expect(body.features).toHaveLength(rows[0].n);
    const f = body.features[0];
    expect(f.id).toBe(f.properties.id);
    expect(f.properties).toMatchObject({ office_code: OFFICE, category_code: '0120', status: 'damaged', attrs: { note: expect.stringMatching(/^井盖 "\d+"$/) } });
  });

  it('returns only rows changed since updated_since', async () => {
    const body = JSON.parse((await get(`/export/assets.geojson?bbox=${BBOX}&updated_since=2026-01-01T08:00:00Z`)).body);
    expect(body.features).toHaveLength(ASSETS - 8 * 3600 + 1);
    for (const f of body.features.slice(0, 50)) expect(Date.parse(f.properties.updated_at)).toBeGreaterThanOrEqual(Date.parse('2026-01-01T08:00:00Z'));
  });

  it('restricts to a community and everything under it', async () => {
    const { rows } = await t.db.knex.raw(
      `select c.code, count(*)::int as n from areas c join areas g on g.parent_code = c.code and g.valid_to is null
        where c.level = 2 and c.valid_to is null group by c.code order by c.code limit 1`,
    );
    const body = JSON.parse((await get(`/export/grids.geojson?community=${rows[0].code}`)).body);
    expect(body.features).toHaveLength(rows[0].n);
    for (const f of body.features) expect(f.properties.parent_code).toBe(rows[0].code);
  });

  it('answers the boundaries in force at a past instant with at=, and none before the first version', async () => {
    const before = JSON.parse((await get('/export/grids.geojson?at=2000-01-01T00:00:00Z')).body);
    expect(before.features).toHaveLength(0);
    const now = JSON.parse((await get(`/export/grids.geojson?at=${new Date().toISOString()}`)).body);
    expect(now.features.length).toBeGreaterThan(0);
  });

  it('exports incidents without reporter, contact, description or assignee', async () => {
    const res = await get(`/export/incidents.geojson?bbox=${BBOX}`);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.features.map((f: { id: string }) => f.id).sort()).toEqual([`${OFFICE}-1`, `${OFFICE}-2`]);
    expect(res.body).not.toContain('13800001111');
    expect(res.body).not.toContain('张三');
    for (const f of body.features) {
      for (const key of ['description', 'reporter_contact', 'reporter_user_id', 'assignee_staff_id', 'assignee_user_id']) {
        expect(f.properties).not.toHaveProperty(key);
      }
    }
  });

  it('filters incidents by status', async () => {
    const body = JSON.parse((await get(`/export/incidents.geojson?bbox=${BBOX}&status=closed`)).body);
    expect(body.features.map((f: { id: string }) => f.id)).toEqual([`${OFFICE}-2`]);
  });

  it('answers an empty FeatureCollection when nothing matches', async () => {
    const body = JSON.parse((await get('/export/assets.geojson?bbox=-10,-10,-9,-9')).body);
    expect(body).toEqual({ type: 'FeatureCollection', features: [] });
  });
});

describe('GET /export/{layer}.geojsonseq and .csv', () => {
  it('writes one RS-prefixed feature per line (RFC 8142)', async () => {
    const res = await get(`/export/assets.geojsonseq?bbox=${BBOX}&category=0120`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/geo\+json-seq/);
    expect(res.headers['content-disposition']).toMatch(/filename="gridwork-assets-\d{4}-\d{2}-\d{2}\.geojsonseq"/);
    const lines = res.body.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(ASSETS / 3);
    for (const line of lines.slice(0, 100)) {
      expect(line[0]).toBe('\x1e');
      expect(JSON.parse(line.slice(1))).toMatchObject({ type: 'Feature', geometry: { type: 'Point' } });
    }
  });

  it('writes CSV with a UTF-8 BOM, a header, WKT geometry and Chinese text intact', async () => {
    const res = await request(t.app).get('/export/grids.csv').buffer(true).parse((r, cb) => {
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => cb(null, Buffer.concat(parts)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const bytes = res.body as Buffer;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    const [header, first] = text.split('\n');
    expect(header).toBe('WKT,code,name,name_en,level,parent_code,valid_from,valid_to');
    expect(first).toMatch(/^"MULTIPOLYGON\(\(\(\d/);
    expect(text).toMatch(/[\u4e00-\u9fff]/);
  });

  it('quotes CSV values (quotes doubled) so that a CSV reader gets the values back, NULL as empty', async () => {
    const res = await get(`/export/assets.csv?bbox=${BBOX}&category=0120`);
    const records: string[][] = parseCsv(res.body.replace(/^\ufeff/, ''));
    const [header, ...rows] = records;
    expect(rows).toHaveLength(ASSETS / 3);
    const row = Object.fromEntries(header.map((h, i) => [h, rows[0][i]]));
    expect(JSON.parse(row.attrs)).toEqual({ note: expect.stringMatching(/^井盖 "\d+"$/) });
    expect(row.WKT).toMatch(/^POINT\(10(\.\d+)? 10(\.\d+)?\)$/);
    expect(row.grid_code).toBe('');
    expect(row.updated_at).toMatch(/^2026-01-01T\d{2}:\d{2}:\d{2}\+00:00$/);
  });
});

describe('bad export requests', () => {
  it('refuses an unknown layer with 400 naming the layers', async () => {
    const res = await get('/export/residents.geojson');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.body).detail).toContain('offices, communities, grids, assets, incidents');
  });

  it('refuses an unknown format with 400', async () => {
    const res = await get('/export/grids.kml');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).detail).toContain('geojson, geojsonseq, csv');
  });

  it('refuses a filter that does not apply to the layer', async () => {
    const res = await get('/export/grids.geojson?category=0101');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).detail).toMatch(/category= does not apply to the grids layer/);
  });

  it.each([
    ['bbox=1,2,3', /4 numbers/],
    ['bbox=200,0,201,1', /longitudes/],
    ['bbox=0,5,1,4', /minLat is above maxLat/],
    ['status=broken', /Unknown assets status broken/],
    ['precision=16', /0 to 15/],
    ['precision=abc', /whole number/],
    ['updated_since=yesterday', /ISO 8601/],
    ['grid=nope', /not an area code in force/],
  ])('refuses %s with 400 and a detail that names the fix', async (query, detail) => {
    const res = await get(`/export/assets.geojson?${query}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).detail).toMatch(detail);
  });

  it('refuses a community code given as grid=', async () => {
    const { rows } = await t.db.knex.raw(`select code from areas where level = 2 and valid_to is null limit 1`);
    const res = await get(`/export/assets.geojson?grid=${rows[0].code}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).detail).toMatch(/is not a grid/);
  });
});

describe('GET /export/buildings.geojson (personal data)', () => {
  it('refuses an export without a session with 401', async () => {
    const res = await get('/export/buildings.geojson');
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.body).detail).toMatch(/personal data: log in/);
  });

  it("gives a logged-in chief only the buildings in the chief's scope, points and footprints alike", async () => {
    const { rows } = await t.db.knex.raw(
      `select s.area_code as mine, (select code from areas where level = 3 and valid_to is null and code <> s.area_code limit 1) as other
         from user_scopes s join users u on u.id = s.user_id where u.username = 'chief01' limit 1`,
    );
    const { mine, other } = rows[0];
    await t.db.knex.raw(
      `insert into buildings (office_code, address, floors, grid_code, geom) values
         (?, '幸福路1号', 6, ?, ST_SetSRID(ST_MakePoint(10.3, 10.3), 4326)),
         (?, '幸福路2号', 18, ?, ST_GeomFromText('POLYGON((10.31 10.31, 10.31 10.32, 10.32 10.32, 10.32 10.31, 10.31 10.31))', 4326)),
         (?, '和平街9号', 3, ?, ST_SetSRID(ST_MakePoint(10.35, 10.35), 4326))`,
      [OFFICE, mine, OFFICE, mine, OFFICE, other],
    );
    const token = await loginAs(t.app, 'chief01');
    const res = await request(t.app).get(`/export/buildings.geojson?bbox=${BBOX}`).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body.features.map((f: { properties: { address: string } }) => f.properties.address).sort()).toEqual(['幸福路1号', '幸福路2号']);
    const footprint = body.features.find((f: { geometry: { type: string } }) => f.geometry.type === 'Polygon');
    const ring: number[][] = footprint.geometry.coordinates[0];
    let twiceArea = 0;
    for (let k = 0; k < ring.length - 1; k++) twiceArea += ring[k][0] * ring[k + 1][1] - ring[k + 1][0] * ring[k][1];
    expect(twiceArea).toBeGreaterThan(0);
  });

  it('is not an OGC collection', async () => {
    expect((await request(t.app).get('/ogc/collections/buildings/items')).status).toBe(404);
  });
});

describe('a client that disconnects mid-export', () => {
  it('stops the query and frees the connection', async () => {
    const server = t.app.listen(0);
    try {
      const { port } = server.address() as AddressInfo;
      const req = await new Promise<http.ClientRequest>((resolve, reject) => {
        const r = http.get(`http://127.0.0.1:${port}/export/assets.geojson?bbox=${BBOX}`, (res) => {
          expect(res.statusCode).toBe(200);
          res.once('data', () => {
            res.pause();
            resolve(r);
          });
        });
        r.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
      });
      const activeExports = async () => {
        const { rows } = await t.db.knex.raw(
          `select count(*)::int as n from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() and state = 'active' and query like '%gridwork:export%'`,
        );
        return rows[0].n as number;
      };
      // Mid-stream: the cursor is open (native) and the client has read only the first chunk.
      if (t.db.kind === 'postgis') expect(await activeExports()).toBe(1);
      req.destroy();
      const pool = (t.db.knex.client as { pool: { numUsed(): number } }).pool;
      let running = -1;
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setTimeout(r, 100));
        running = t.db.kind === 'postgis' ? await activeExports() : 0;
        if (running === 0 && pool.numUsed() === 0) break;
      }
      expect(running).toBe(0);
      expect(pool.numUsed()).toBe(0);
      // The database still answers (the one embedded connection is not left holding a cursor).
      const after = await get('/export/offices.geojson');
      expect(after.status).toBe(200);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
