import iconv from 'iconv-lite';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';

const t = useTestApp();
let admin: string;
/** Points well inside three demo grids: [lon, lat, grid code]. */
let points: [number, number, string][];
const run = `${process.pid}-${Date.now()}`;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  admin = await loginAs(t.app, 'admin');
  const { rows } = await t.db.knex.raw(
    `select ST_X(p) as lon, ST_Y(p) as lat, code from (
       select code, ST_PointOnSurface(geom) as p from areas where level = 3 and valid_to is null order by code limit 3) s`,
  );
  points = rows.map((r: { lon: number; lat: number; code: string }) => [r.lon, r.lat, r.code]);
});

describe('GET /api/asset-categories', () => {
  it('answers the component classes with their departments', async () => {
    const res = await request(t.app).get('/api/asset-categories');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(res.body.find((c: { code: string }) => c.code === '0120')).toMatchObject({ name: '路灯', class_code: '01', department_code: 'municipal' });
  });
});

describe('GET /api/assets', () => {
  it('answers a page of the assets of one grid with the total', async () => {
    const grid = points[0][2];
    const res = await request(t.app).get(`/api/assets?grid=${grid}&limit=5`);
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(5);
    expect(res.body.items.every((a: { grid_code: string }) => a.grid_code === grid)).toBe(true);
    const n = await t.db.knex('assets').where({ grid_code: grid }).count({ n: '*' });
    expect(res.body.total).toBe(Number(n[0].n));
  });

  it('finds one asset by its code, and nothing for an unknown code', async () => {
    const board = await t.db.knex('assets').where({ category_code: '0312' }).orderBy('id').first('id', 'code', 'grid_code');
    const res = await request(t.app).get(`/api/assets?code=${encodeURIComponent(board.code)}`);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(1);
    expect(res.body.items[0]).toMatchObject({ id: board.id, code: board.code, grid_code: board.grid_code });
    const none = await request(t.app).get('/api/assets?code=NO-SUCH-ASSET');
    expect(none.status).toBe(200);
    expect(none.body).toMatchObject({ total: 0, items: [] });
  });

  it('filters by bbox and category', async () => {
    const [lon, lat] = points[1];
    const res = await request(t.app).get(`/api/assets?bbox=${lon - 0.01},${lat - 0.01},${lon + 0.01},${lat + 0.01}&category=0120,0304`);
    expect(res.status).toBe(200);
    for (const a of res.body.items) {
      expect(['0120', '0304']).toContain(a.category_code);
      expect(Math.abs(a.lon - lon)).toBeLessThanOrEqual(0.01);
    }
  });

  it('answers 400 naming the order for a bbox given east before west', async () => {
    const res = await request(t.app).get('/api/assets?bbox=123.5,41.7,123.4,41.8');
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.detail).toMatch(/w,s,e,n/);
  });
});

describe('POST /api/assets', () => {
  const feature = (code: string, [lon, lat]: [number, number], properties: Record<string, unknown> = {}) => ({
    type: 'Feature', properties: { code, category_code: '0120', ...properties }, geometry: { type: 'Point', coordinates: [lon, lat] },
  });

  it('adds one asset in its grid, its other properties kept as attributes', async () => {
    const code = `ONE-${run}`;
    const res = await request(t.app).post('/api/assets').set(auth(admin)).send(feature(code, [points[1][0], points[1][1]], { status: 'repairing', 灯杆: 'LED 60W' }));
    expect(res.status, res.text).toBe(201);
    expect(res.type).toBe('application/json');
    expect(res.body).toMatchObject({ code, category_code: '0120', status: 'repairing', grid_code: points[1][2], attrs: { 灯杆: 'LED 60W' }, history: [] });
    expect(res.body.lon).toBeCloseTo(points[1][0], 6);
    const row = await t.db.knex('assets').where({ id: res.body.id }).first('code', 'grid_code', 'area_version_id');
    expect(row).toMatchObject({ code, grid_code: points[1][2] });
    expect(row.area_version_id).toBeGreaterThan(0);
  });

  it('answers 409 for a code the office has, 422 saying why for a point in no grid or an unknown category, and writes nothing', async () => {
    const code = `TWO-${run}`;
    expect((await request(t.app).post('/api/assets').set(auth(admin)).send(feature(code, [points[0][0], points[0][1]]))).status).toBe(201);
    const before = await t.db.knex('assets').count({ n: '*' });
    const again = await request(t.app).post('/api/assets').set(auth(admin)).send(feature(code, [points[2][0], points[2][1]]));
    expect(again.status).toBe(409);
    expect(again.type).toBe('application/problem+json');
    expect(again.body.detail).toMatch(/duplicate code/);
    const nowhere = await request(t.app).post('/api/assets').set(auth(admin)).send(feature(`${code}-X`, [120, 30]));
    expect(nowhere.status).toBe(422);
    expect(nowhere.body.detail).toMatch(/outside every grid/);
    const category = await request(t.app).post('/api/assets').set(auth(admin)).send(feature(`${code}-Y`, [points[0][0], points[0][1]], { category_code: '9999' }));
    expect(category.status).toBe(422);
    expect(category.body.detail).toMatch(/unknown category 9999/);
    const swapped = await request(t.app).post('/api/assets').set(auth(admin)).send(feature(`${code}-Z`, [points[0][1], points[0][0]]));
    expect(swapped.status).toBe(422);
    expect(swapped.body.detail).toMatch(/look swapped/);
    expect(await t.db.knex('assets').count({ n: '*' })).toEqual(before);
  });

  it('answers 400 for a body that is not a Point Feature, and 403 for a grid chief', async () => {
    const line = { type: 'Feature', properties: { code: 'L', category_code: '0120' }, geometry: { type: 'LineString', coordinates: [[123.4, 41.8], [123.5, 41.8]] } };
    const bad = await request(t.app).post('/api/assets').set(auth(admin)).send(line);
    expect(bad.status).toBe(400);
    expect(bad.type).toBe('application/problem+json');
    const chief = await loginAs(t.app, 'chief01');
    expect((await request(t.app).post('/api/assets').set(auth(chief)).send(feature(`C-${run}`, [points[0][0], points[0][1]]))).status).toBe(403);
  });
});

describe('POST /api/assets/import', () => {
  it('imports a CSV with lon/lat columns, each asset in its grid', async () => {
    const csv = ['code,category_code,status,lon,lat,owner', ...points.map(([lon, lat], i) => `CSV-${run}-${i},0120,normal,${lon},${lat},Street lighting`)].join('\n');
    const res = await request(t.app).post('/api/assets/import').set(auth(admin)).set('Content-Type', 'text/csv').send(csv);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ format: 'csv', rows: 3, imported: 3, error_count: 0 });
    const rows = await t.db.knex('assets').where('code', 'like', `CSV-${run}-%`).orderBy('code').select('grid_code', 'area_version_id', 'attrs');
    expect(rows.map((r) => r.grid_code)).toEqual(points.map((p) => p[2]));
    expect(rows[0].attrs).toEqual({ owner: 'Street lighting' });
    expect(rows.every((r) => r.area_version_id > 0)).toBe(true);
  });

  it('imports GeoJSONSeq and a WKT CSV', async () => {
    const seq = points.map(([lon, lat], i) => JSON.stringify({ type: 'Feature', properties: { code: `SEQ-${run}-${i}`, category_code: '0304' }, geometry: { type: 'Point', coordinates: [lon, lat] } })).join('\n');
    const a = await request(t.app).post('/api/assets/import').set(auth(admin)).set('Content-Type', 'application/geo+json-seq').send(seq);
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ format: 'geojsonseq', imported: 3 });
    const wkt = ['code;category_code;wkt', `WKT-${run};0101;POINT(${points[0][0]} ${points[0][1]})`].join('\n').replace(/;/g, ',');
    const b = await request(t.app).post('/api/assets/import').set(auth(admin)).set('Content-Type', 'text/csv').send(wkt);
    expect(b.status).toBe(201);
    expect((await t.db.knex('assets').where({ code: `WKT-${run}` }).first('grid_code')).grid_code).toBe(points[0][2]);
  });

  it('imports an uploaded GeoJSON FeatureCollection file', async () => {
    const fc = {
      type: 'FeatureCollection',
      features: points.map(([lon, lat], i) => ({ type: 'Feature', properties: { code: `FC-${run}-${i}`, category_code: '0302', status: 'damaged' }, geometry: { type: 'Point', coordinates: [lon, lat] } })),
    };
    const res = await request(t.app).post('/api/assets/import').set(auth(admin)).attach('file', Buffer.from(JSON.stringify(fc, null, 1)), 'assets.geojson');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ format: 'geojson', imported: 3 });
    expect(await t.db.knex('assets').where('code', 'like', `FC-${run}-%`).where({ status: 'damaged' }).count({ n: '*' })).toEqual([{ n: 3 }]);
  });

  it('reads a FeatureCollection written one feature per line by its lines, a broken feature line a bad row', async () => {
    const line = (i: number, [lon, lat]: [number, number, string]) => JSON.stringify({ type: 'Feature', properties: { code: `FL-${run}-${i}`, category_code: '0101' }, geometry: { type: 'Point', coordinates: [lon, lat] } });
    const lines = ['{"type":"FeatureCollection","name":"assets",', '"features": [', ...points.map((p, i) => `${line(i, p)},`), ']', '}'];
    lines[3] = lines[3].slice(0, 40);
    const bad = await request(t.app).post('/api/assets/import').set(auth(admin)).attach('file', Buffer.from(lines.join('\n')), 'assets.geojson');
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ format: 'geojson', rows: 3, imported: 0, error_count: 1, errors: [{ line: 4, reason: expect.stringMatching(/not a whole GeoJSON Feature/) }] });
    expect(Number((await t.db.knex('assets').where('code', 'like', `FL-${run}-%`).count({ n: '*' }))[0].n)).toBe(0);
    lines[3] = `${line(1, points[1])},`;
    lines[4] = line(2, points[2]);
    const good = await request(t.app).post('/api/assets/import').set(auth(admin)).attach('file', Buffer.from(lines.join('\n')), 'assets.geojson');
    expect(good.status).toBe(201);
    expect(good.body).toMatchObject({ format: 'geojson', rows: 3, imported: 3 });
  });

  it('reads an uploaded CSV in GBK (as Excel saves it in China) or UTF-16, Chinese attributes intact', async () => {
    const csv = (prefix: string) => ['code,category_code,lon,lat,名称', ...points.map(([lon, lat], i) => `${prefix}-${run}-${i},0120,${lon},${lat},沈河区路灯${i}号`)].join('\r\n');
    const gbk = await request(t.app).post('/api/assets/import').set(auth(admin)).attach('file', iconv.encode(csv('GBK'), 'gbk'), 'assets.csv');
    expect(gbk.status).toBe(201);
    expect(gbk.body).toMatchObject({ format: 'csv', imported: 3 });
    const utf16 = await request(t.app).post('/api/assets/import').set(auth(admin)).attach('file', Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(csv('U16'), 'utf-16le')]), 'assets.csv');
    expect(utf16.status).toBe(201);
    for (const prefix of ['GBK', 'U16']) {
      const rows = await t.db.knex('assets').where('code', 'like', `${prefix}-${run}-%`).orderBy('code').pluck('attrs');
      expect(rows).toEqual(points.map((_, i) => ({ 名称: `沈河区路灯${i}号` })));
    }
  });

  it('refuses a workbook or an image with 415 saying what it is, and writes nothing', async () => {
    const before = await t.db.knex('assets').count({ n: '*' });
    const xlsx = await request(t.app).post('/api/assets/import').set(auth(admin)).attach('file', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(200, 7)]), 'assets.xlsx');
    expect(xlsx.status).toBe(415);
    expect(xlsx.type).toBe('application/problem+json');
    expect(xlsx.body.detail).toMatch(/xlsx.*save the sheet as CSV/);
    const png = await request(t.app).post('/api/assets/import').set(auth(admin)).attach('file', Buffer.from('89504e470d0a1a0a0000000d4948445200', 'hex'), 'assets.csv');
    expect(png.status).toBe(415);
    expect(png.body.detail).toMatch(/PNG image/);
    const nul = await request(t.app).post('/api/assets/import').set(auth(admin)).attach('file', Buffer.from('code,lon\n\0\0\0', 'latin1'), 'assets.csv');
    expect(nul.status).toBe(415);
    expect(await t.db.knex('assets').count({ n: '*' })).toEqual(before);
  });

  it('reports every bad row by line number and imports nothing', async () => {
    const [lon, lat] = points[0];
    const csv = [
      'code,category_code,lon,lat',
      `BAD-${run}-1,0120,${lon},${lat}`,
      `BAD-${run}-2,0120,${lat},${lon}`,
      `BAD-${run}-3,9999,${lon},${lat}`,
      `BAD-${run}-1,0120,${lon},${lat}`,
      `BAD-${run}-5,0120,100.0,30.0`,
      `BAD-${run}-6,0120,${lon}`,
    ].join('\n');
    const res = await request(t.app).post('/api/assets/import').set(auth(admin)).set('Content-Type', 'text/csv').send(csv);
    expect(res.status).toBe(422);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.error_count).toBe(5);
    expect(res.body.errors.map((e: { line: number }) => e.line)).toEqual([3, 4, 5, 6, 7]);
    expect(res.body.errors[0].reason).toMatch(/bad coordinates/);
    expect(res.body.errors[1].reason).toMatch(/unknown category 9999/);
    expect(res.body.errors[2].reason).toMatch(/duplicate code .* line 2/);
    expect(res.body.errors[3].reason).toMatch(/outside every grid/);
    expect(res.body.errors[4]).toEqual({ line: 7, code: `BAD-${run}-6`, reason: 'the line has 3 cells and the header 4: code,category_code,lon,lat' });
    expect(await t.db.knex('assets').where('code', 'like', `BAD-${run}-%`).count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('reports a code already in the database as a duplicate', async () => {
    const existing = await t.db.knex('assets').first('code');
    const csv = `code,category_code,lon,lat\n${existing.code},0120,${points[0][0]},${points[0][1]}`;
    const res = await request(t.app).post('/api/assets/import').set(auth(admin)).set('Content-Type', 'text/csv').send(csv);
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ line: 2, code: existing.code });
    expect(res.body.errors[0].reason).toMatch(/already in the database/);
  });

  it('refuses a grid chief', async () => {
    const chief = await loginAs(t.app, 'chief01');
    const res = await request(t.app).post('/api/assets/import').set(auth(chief)).set('Content-Type', 'text/csv').send('code,category_code,lon,lat\n');
    expect(res.status).toBe(403);
  });
});

describe('GET/PATCH /api/assets/{id}', () => {
  it('reads the id strictly: 1e5, 0x10 or 7.0 is a 400, not another asset', async () => {
    for (const id of ['1e5', '0x10', '7.0', '+7', '99999999999']) {
      const got = await request(t.app).get(`/api/assets/${id}`);
      expect(got.status, id).toBe(400);
      expect(got.body.code).toBe('validation_failed');
      const patched = await request(t.app).patch(`/api/assets/${id}`).set(auth(admin)).send({ status: 'damaged' });
      expect(patched.status, id).toBe(400);
    }
  });

  it('bounds the free attributes: too large or too many keys is a 400 and changes nothing', async () => {
    const a = await t.db.knex('assets').orderBy('id').first('id', 'attrs');
    const big = await request(t.app).patch(`/api/assets/${a.id}`).set(auth(admin)).send({ attrs: { note: 'x'.repeat(5 * 1024 * 1024) } });
    expect(big.status).toBe(400);
    expect(big.body.detail).toMatch(/at most 16384/);
    const many = await request(t.app).patch(`/api/assets/${a.id}`).set(auth(admin)).send({ attrs: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`k${i}`, i])) });
    expect(many.status).toBe(400);
    expect((await t.db.knex('assets').where({ id: a.id }).first('attrs')).attrs).toEqual(a.attrs);
    const ok = await request(t.app).patch(`/api/assets/${a.id}`).set(auth(admin)).send({ attrs: { note: '井盖松动' } });
    expect(ok.status).toBe(200);
  });

  it('changes the status and logs who changed it from what to what', async () => {
    const csv = `code,category_code,lon,lat\nPATCH-${run},0111,${points[0][0]},${points[0][1]}`;
    await request(t.app).post('/api/assets/import').set(auth(admin)).set('Content-Type', 'text/csv').send(csv);
    const { id } = await t.db.knex('assets').where({ code: `PATCH-${run}` }).first('id');
    const res = await request(t.app).patch(`/api/assets/${id}`).set(auth(admin)).send({ status: 'damaged', note: 'cracked cover' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('damaged');
    expect(res.body.history).toHaveLength(1);
    expect(res.body.history[0]).toMatchObject({ action: 'status', from_status: 'normal', to_status: 'damaged', note: 'cracked cover' });
    const got = await request(t.app).get(`/api/assets/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id, code: `PATCH-${run}`, status: 'damaged', grid_code: points[0][2] });
  });

  it('refuses a chief the asset of another grid', async () => {
    const a = await t.db.knex('assets').whereNot('grid_code', points[0][2]).whereNotNull('grid_code').orderBy('id', 'desc').first('id', 'grid_code');
    const chief = await t.db.knex('user_scopes as s').join('users as u', 'u.id', 's.user_id').where('u.role', 'chief').whereNot('s.area_code', a.grid_code).first('u.username');
    const token = await loginAs(t.app, chief.username);
    const res = await request(t.app).patch(`/api/assets/${a.id}`).set(auth(token)).send({ status: 'missing' });
    expect(res.status).toBe(403);
    expect((await t.db.knex('assets').where({ id: a.id }).first('status')).status).not.toBe('missing');
  });

  it('answers 404 for an asset that does not exist', async () => {
    const res = await request(t.app).get('/api/assets/999999999');
    expect(res.status).toBe(404);
  });
});
