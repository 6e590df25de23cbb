import fs from 'node:fs';
import path from 'node:path';
import gcoordModule from 'gcoord';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, testApp, useTestApp } from '../../test/app.js';
import { requestHash } from '../http/idempotency.js';
import { insertReports } from './batch.js';
import { reportBody } from './schema.js';
import { act, jpeg, pointIn, report, sharedVertex, tempDataDir } from './test_helpers.js';

const gcoord = ((gcoordModule as unknown as { default?: unknown }).default ?? gcoordModule) as typeof gcoordModule.default;

const GRID = '210103007001001';
const t = useTestApp({ dataDir: tempDataDir() });
let chief: string;

beforeAll(async () => {
  chief = await loginAs(t.app, 'chief01');
});

describe('POST /api/incidents', () => {
  it('routes a report to the grid in force and its chief, with the category deadline, and stores it', async () => {
    const p = await pointIn(t.db, GRID);
    const res = await report(t.app, chief, { category: '0603', description: 'Streetlight out at the corner', lon: p.lon, lat: p.lat });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers.location).toBe(`/api/incidents/${res.body.id}`);
    expect(res.body).toMatchObject({
      id: expect.any(Number),
      case_no: expect.stringMatching(/^\d{14,}$/),
      status: 'open',
      level: 'grid',
      grid: { code: GRID, name: expect.any(String) },
      community: { code: GRID.slice(0, 12), name: expect.any(String) },
      assignee: { name: expect.any(String), phone: expect.stringMatching(/^\d{11}$/) },
      near_edge: false,
      possible_duplicates: expect.any(Array),
    });
    // 72 working hours (streetlight out) from the report: at least 72 clock hours, as the work calendar counts.
    const row = await t.db.knex('incidents').where({ id: res.body.id }).first();
    const { rows: [expected] } = await t.db.knex.raw(`select deadline_after(?::timestamptz, 72, 'working') as due`, [row.reported_at]);
    expect(res.body.due_at).toBe(new Date(expected.due).toISOString());
    expect(Date.parse(res.body.due_at) - row.reported_at.getTime()).toBeGreaterThanOrEqual(72 * 3600e3);
    expect(res.body.case_no.slice(0, 8)).toBe(new Date(row.reported_at.getTime() + 8 * 3600e3).toISOString().slice(0, 10).replace(/-/g, ''));
    expect(row).toMatchObject({ grid_code: GRID, source: 'patrol', status: 'open', level: 'grid', category_code: '0603', version: 1 });
    const version = await t.db.knex('areas').where({ code: GRID }).whereNull('valid_to').first('id');
    expect(row.area_version_id).toBe(version.id);
    const chiefStaff = await t.db.knex('staff').where({ code: 'chief01' }).first('id', 'user_id');
    expect(row).toMatchObject({ assignee_staff_id: chiefStaff.id, assignee_user_id: chiefStaff.user_id });
    const events = await t.db.knex('incident_events').where({ incident_id: res.body.id });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'report', to_status: 'open', to_level: 'grid' });
  });

  it('routes a GCJ-02 point to the same grid as its WGS84 original, even near a grid edge', async () => {
    const v = await sharedVertex(t.db);
    // 5 m inside grid a from the shared vertex, towards a's interior.
    const { rows } = await t.db.knex.raw(
      `select ST_X(p) as lon, ST_Y(p) as lat from (select ST_LineInterpolatePoint(ST_MakeLine(ST_SetSRID(ST_MakePoint(?, ?), 4326), ST_PointOnSurface(geom)), 5 / ST_Distance(ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography, ST_PointOnSurface(geom)::geography)) as p from areas where code = ? and valid_to is null) t`,
      [v.lon, v.lat, v.lon, v.lat, v.a],
    );
    const wgs = { lon: Number(rows[0].lon), lat: Number(rows[0].lat) };
    const [gx, gy] = gcoord.transform([wgs.lon, wgs.lat], gcoord.WGS84, gcoord.GCJ02) as number[];
    const a = await report(t.app, await loginAs(t.app, 'admin'), { category: '0104', lon: wgs.lon, lat: wgs.lat });
    const b = await report(t.app, await loginAs(t.app, 'admin'), { category: '0104', lon: gx, lat: gy, crs: 'gcj02' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.grid.code).toBe(a.body.grid.code);
    expect(b.body.near_edge).toBe(true);
    expect(b.body.point[0]).toBeCloseTo(wgs.lon, 6);
    expect(b.body.point[1]).toBeCloseTo(wgs.lat, 6);
  });

  it('routes a report on a vertex shared by two grids to the lower code, flagged near the edge for both chiefs', async () => {
    const v = await sharedVertex(t.db);
    const admin = await loginAs(t.app, 'admin');
    const first = await report(t.app, admin, { category: '0201', lon: v.lon, lat: v.lat });
    const second = await report(t.app, admin, { category: '0201', lon: v.lon, lat: v.lat });
    expect(first.status).toBe(201);
    expect(first.body.grid.code).toBe(v.a);
    expect(second.body.grid.code).toBe(v.a);
    expect(first.body.near_edge).toBe(true);
    expect(first.body.near_grid_codes).toContain(v.b);
    const row = await t.db.knex('incidents').where({ id: first.body.id }).first('near_grid_codes');
    expect(row.near_grid_codes).toContain(v.b);
  });

  it('lists an open incident of the same category close by as a possible duplicate', async () => {
    const p = await pointIn(t.db, '210103007001002', 60);
    const admin = await loginAs(t.app, 'admin');
    const first = await report(t.app, admin, { category: '0503', lon: p.lon, lat: p.lat });
    const second = await report(t.app, admin, { category: '0503', lon: p.lon + 0.0001, lat: p.lat });
    const other = await report(t.app, admin, { category: '0502', lon: p.lon, lat: p.lat });
    expect(second.body.possible_duplicates).toContainEqual(expect.objectContaining({ id: first.body.id, case_no: first.body.case_no, status: 'open' }));
    const dup = second.body.possible_duplicates.find((d: { id: number }) => d.id === first.body.id);
    expect(dup.distance_m).toBeGreaterThan(5);
    expect(dup.distance_m).toBeLessThan(12);
    expect(other.body.possible_duplicates.map((d: { id: number }) => d.id)).not.toContain(first.body.id);
  });

  it('answers reports sent at the same moment each as if sent alone', async () => {
    const admin = await loginAs(t.app, 'admin');
    const grids = (await t.db.knex('areas').where({ level: 3 }).whereNull('valid_to').orderBy('code').limit(24).pluck('code')) as string[];
    const points = await Promise.all(grids.map((code) => pointIn(t.db, code)));
    const before = Number((await t.db.knex('incidents').count({ n: '*' }).first())!.n);
    const sent = [
      ...points.map((p, i) => ({ category: '0101', description: `burst ${i}`, lon: p.lon, lat: p.lat })),
      { category: '0101', description: 'burst outside', lon: 116.397, lat: 39.909 },
    ];
    const answers = await Promise.all(sent.map((body) => report(t.app, admin, body)));

    answers.slice(0, grids.length).forEach((res, i) => {
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ grid: { code: grids[i] }, status: 'open', level: 'grid', assignee: { name: expect.any(String) } });
    });
    const outside = answers[grids.length];
    expect(outside.status).toBe(422);
    expect(outside.body.code).toBe('point_outside_grids');

    const ids = answers.slice(0, grids.length).map((r) => r.body.id as number);
    const rows = await t.db.knex('incidents').whereIn('id', ids).select('id', 'case_no', 'grid_code', 'description');
    expect(rows).toHaveLength(grids.length);
    expect(new Set(rows.map((r) => r.case_no)).size).toBe(grids.length);
    for (const [i, id] of ids.entries()) expect(rows.find((r) => r.id === id)).toMatchObject({ grid_code: grids[i], description: `burst ${i}` });
    const events = await t.db.knex('incident_events').whereIn('incident_id', ids).where({ action: 'report' });
    expect(events).toHaveLength(grids.length);
    // Nothing else was written: the one outside every grid left no row.
    expect(Number((await t.db.knex('incidents').count({ n: '*' }).first())!.n)).toBe(before + grids.length);
  });

  it('stores many reports in one statement, each routed as if alone, and answers each by its position', async () => {
    const grids = (await t.db.knex('areas').where({ level: 3 }).whereNull('valid_to').orderBy('code').offset(30).limit(12).pluck('code')) as string[];
    const points = await Promise.all(grids.map((code) => pointIn(t.db, code)));
    const row = (description: string, lon: number, lat: number, category = '0603') => ({
      centreOffice: null, category, description, source: 'patrol', lon, lat, reporterUserId: null, contact: null, assetId: null,
      nearEdgeMetres: 15, duplicateRadiusMetres: 50, duplicateWindowHours: 72,
    });
    const reports = [
      ...points.map((p, i) => row(`batch ${i}`, p.lon, p.lat)),
      row('batch outside', 116.397, 39.909),
      row('batch gone category', points[0].lon, points[0].lat, 'no-such-category'),
    ];
    const answered = await insertReports(t.db.knex, reports);
    expect(answered).toHaveLength(reports.length);
    expect(answered.slice(-2)).toEqual([undefined, undefined]);
    const ids = answered.slice(0, grids.length).map((r, i) => {
      expect(r).toMatchObject({ ord: i, grid_code: grids[i], status: 'open', level: 'grid', event_id: expect.any(Number), possible_duplicates: expect.any(Array) });
      return r!.id as number;
    });
    const stored = await t.db.knex('incidents').whereIn('id', ids).select('id', 'grid_code', 'description', t.db.knex.raw('xmin::text as tx'));
    for (const [i, id] of ids.entries()) expect(stored.find((r) => r.id === id)).toMatchObject({ grid_code: grids[i], description: `batch ${i}` });
    expect(new Set(stored.map((r) => r.tx)).size).toBe(1);
    const events = await t.db.knex('incident_events').whereIn('incident_id', ids).select('id', 'incident_id');
    expect(events).toHaveLength(grids.length);
    for (const r of answered.slice(0, grids.length)) expect(events).toContainEqual({ id: r!.event_id, incident_id: r!.id });
  });

  it('uses the position of the asset when no point is given', async () => {
    const asset = await t.db.knex('assets').whereNotNull('grid_code').orderBy('id').first('id', 'grid_code', t.db.knex.raw('ST_X(geom) as lon'), t.db.knex.raw('ST_Y(geom) as lat'));
    const res = await report(t.app, await loginAs(t.app, 'admin'), { category: '0601', asset_id: asset.id });
    expect(res.status).toBe(201);
    expect(res.body.grid.code).toBe(asset.grid_code);
    expect(res.body.point).toEqual([asset.lon, asset.lat]);
    expect((await t.db.knex('incidents').where({ id: res.body.id }).first('asset_id')).asset_id).toBe(asset.id);
  });

  it('refuses a point outside every grid with 422 problem+json', async () => {
    const res = await report(t.app, chief, { category: '0101', lon: 116.397, lat: 39.909 });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/outside every grid/);
  });

  it('sends a point outside every grid to the command centre when configured so', async () => {
    const app = testApp(t.db, { dataDir: tempDataDir(), outsideGrid: 'centre' });
    const admin = await loginAs(app, 'admin');
    const res = await report(app, admin, { category: '0101', lon: 123.2, lat: 41.6 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ level: 'centre', grid: null, community: null, assignee: null, status: 'open' });
    const row = await t.db.knex('incidents').where({ id: res.body.id }).first();
    expect(row).toMatchObject({ level: 'centre', grid_code: null, office_code: '210103007' });
    expect((await act(app, admin, res.body.id, { action: 'dispatch', department: 'sanitation' })).body.level).toBe('department');
  });

  const BAD: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no category', { lon: 123.43, lat: 41.79 }, /category is required/],
    ['unknown category', { category: '9999', lon: 123.43, lat: 41.79 }, /unknown; pick a code/],
    ['no point', { category: '0101' }, /Where is it\?/],
    ['lon without lat', { category: '0101', lon: 123.43 }, /lon and lat together/],
    ['swapped', { category: '0101', lon: 41.79, lat: 123.43 }, /swapped/],
    ['non-numeric lon', { category: '0101', lon: 'abc', lat: 41.79 }, /lon must be a number in decimal degrees/],
    ['infinite lat', { category: '0101', lon: 123.43, lat: 'Infinity' }, /lat must be a number in decimal degrees/],
    ['bad crs', { category: '0101', lon: 123.43, lat: 41.79, crs: 'epsg3857' }, /crs/],
    ['bad source', { category: '0101', lon: 123.43, lat: 41.79, source: 'rumour' }, /source/],
    ['unknown asset', { category: '0101', asset_id: 999999999 }, /asset_id 999999999 names no asset/],
  ];
  it.each(BAD)('refuses %s with a problem that names the fix, writing nothing', async (_name, body, detail) => {
    const before = await t.db.knex('incidents').count('* as n').first();
    const res = await report(t.app, chief, body);
    expect([400, 422]).toContain(res.status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(detail);
    const after = await t.db.knex('incidents').count('* as n').first();
    expect(after!.n).toBe(before!.n);
  });

  it('needs a session', async () => {
    const res = await request(t.app).post('/api/incidents').send({ category: '0101', lon: 123.43, lat: 41.79 });
    expect(res.status).toBe(401);
  });
});

describe('photos at intake', () => {
  it('stores an upright photo and a thumbnail, and takes the point from its EXIF GPS', async () => {
    const p = await pointIn(t.db, GRID);
    const photo = await jpeg({ width: 80, height: 40, orientation: 6, gps: p });
    const res = await request(t.app)
      .post('/api/incidents')
      .set('Authorization', `Bearer ${chief}`)
      .field('category', '0602')
      .field('description', 'Manhole cover missing')
      .attach('photos', photo, { filename: 'cover.jpg', contentType: 'image/jpeg' });
    expect(res.status).toBe(201);
    expect(res.body.grid.code).toBe(GRID);
    expect(res.body.point[0]).toBeCloseTo(p.lon, 5);
    expect(res.body.photos).toBe(1);
    const detail = await request(t.app).get(`/api/incidents/${res.body.id}`).set('Authorization', `Bearer ${chief}`);
    expect(detail.body.photos).toEqual([expect.objectContaining({ n: 1, media_type: 'image/jpeg', width: 40, height: 80 })]);
    expect(detail.body.history[0].photos).toEqual([`/api/incidents/${res.body.id}/photos/1`]);
    const img = await request(t.app).get(detail.body.photos[0].url).set('Authorization', `Bearer ${chief}`).buffer(true);
    expect(img.status).toBe(200);
    expect(img.headers['content-type']).toBe('image/jpeg');
    const { default: sharp } = await import('sharp');
    const meta = await sharp(img.body as Buffer).metadata();
    expect([meta.width, meta.height]).toEqual([40, 80]);
    // The stored copy carries no EXIF: a resident's GPS position is not served back.
    expect(meta.exif).toBeUndefined();
    const thumb = await request(t.app).get(detail.body.photos[0].thumb_url).set('Authorization', `Bearer ${chief}`).buffer(true);
    expect(thumb.headers['content-type']).toBe('image/webp');
    // A list shows the photo's thumbnail beside the case.
    const listed = await request(t.app).get(`/api/incidents?grid=${GRID}&limit=200`).set('Authorization', `Bearer ${chief}`);
    expect(listed.body.items.find((i: { id: number }) => i.id === res.body.id)).toMatchObject({ photo_count: 1, thumb_url: detail.body.photos[0].thumb_url });
  });

  it('lists a case without photos with no thumbnail', async () => {
    const p = await pointIn(t.db, GRID);
    const res = await report(t.app, chief, { category: '0602', description: 'No photo', lon: p.lon, lat: p.lat });
    const listed = await request(t.app).get(`/api/incidents?grid=${GRID}&limit=200`).set('Authorization', `Bearer ${chief}`);
    expect(listed.body.items.find((i: { id: number }) => i.id === res.body.id)).toMatchObject({ photo_count: 0, thumb_url: null });
  });

  it('gives an emergency category (manhole cover missing) a deadline in clock hours', async () => {
    const p = await pointIn(t.db, GRID);
    const res = await report(t.app, chief, { category: '0602', description: 'Open manhole', lon: p.lon, lat: p.lat });
    expect(res.status).toBe(201);
    const row = await t.db.knex('incidents').where({ id: res.body.id }).first('reported_at');
    expect(Date.parse(res.body.due_at) - row.reported_at.getTime()).toBe(4 * 3600e3);
  });

  it('takes an iPhone HEIC photo and keeps it as JPEG', async () => {
    const p = await pointIn(t.db, GRID);
    const heic = fs.readFileSync(path.join(import.meta.dirname, '..', 'photos', 'fixtures', 'red-green-64x48.heic'));
    const res = await request(t.app)
      .post('/api/incidents')
      .set('Authorization', `Bearer ${chief}`)
      .field('category', '0101')
      .field('lon', String(p.lon))
      .field('lat', String(p.lat))
      .attach('photos', heic, { filename: 'IMG_0001.HEIC', contentType: 'image/heic' });
    expect(res.status).toBe(201);
    const detail = await request(t.app).get(`/api/incidents/${res.body.id}`).set('Authorization', `Bearer ${chief}`);
    expect(detail.body.photos).toEqual([expect.objectContaining({ n: 1, media_type: 'image/jpeg', width: 64, height: 48 })]);
    const img = await request(t.app).get(detail.body.photos[0].url).set('Authorization', `Bearer ${chief}`).buffer(true);
    expect(img.headers['content-type']).toBe('image/jpeg');
  });

  it('refuses a file whose real type is not an image, whatever its name, and writes nothing', async () => {
    const p = await pointIn(t.db, GRID);
    const before = await t.db.knex('incident_photos').count('* as n').first();
    const res = await request(t.app)
      .post('/api/incidents')
      .set('Authorization', `Bearer ${chief}`)
      .field('category', '0101')
      .field('lon', String(p.lon))
      .field('lat', String(p.lat))
      .attach('photos', Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\n'), { filename: 'photo.jpg', contentType: 'image/jpeg' });
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/really application\/pdf/);
    expect(res.body.detail).toMatch(/JPEG, PNG, WebP or HEIC/);
    expect((await t.db.knex('incident_photos').count('* as n').first())!.n).toBe(before!.n);
  });

  it('refuses a photo over the size limit with 413', async () => {
    const p = await pointIn(t.db, GRID);
    const res = await request(t.app)
      .post('/api/incidents')
      .set('Authorization', `Bearer ${chief}`)
      .field('category', '0101')
      .field('lon', String(p.lon))
      .field('lat', String(p.lat))
      .attach('photos', Buffer.alloc(9 * 1024 * 1024, 1), { filename: 'big.jpg' });
    expect(res.status).toBe(413);
    expect(res.body.detail).toMatch(/larger than 8 MB/);
  });
});

describe('Idempotency-Key at intake', () => {
  /** Incidents whose description is `marker`. */
  const incidentsWith = (marker: string) => t.db.knex('incidents').where({ description: marker }).select('id', 'case_no');
  const keyRow = (scope: string, key: string) => t.db.knex('idempotency_keys').where({ scope, key }).first();
  const withKey = (key: string, body: Record<string, unknown>, token = chief) =>
    request(t.app).post('/api/incidents').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).send(body);

  it('answers a repeated report with the first answer, replayed, and writes nothing the second time', async () => {
    const p = await pointIn(t.db, GRID);
    const marker = `idem-${Math.random()}`;
    const body = { category: '0603', description: marker, lon: p.lon, lat: p.lat };
    const first = await withKey(`k-${marker}`, body);
    expect(first.status).toBe(201);
    expect(first.headers['idempotency-replayed']).toBeUndefined();
    const eventsAfterFirst = await t.db.knex('incident_events').where({ incident_id: first.body.id }).count('* as n').first();
    const second = await withKey(`k-${marker}`, body);
    expect(second.status).toBe(201);
    expect(second.headers['content-type']).toMatch(/^application\/json/);
    expect(second.headers['idempotency-replayed']).toBe('true');
    expect(second.headers.location).toBe(`/api/incidents/${first.body.id}`);
    expect(second.text).toBe(first.text);
    expect(await incidentsWith(marker)).toEqual([{ id: first.body.id, case_no: first.body.case_no }]);
    expect(await t.db.knex('incident_events').where({ incident_id: first.body.id }).count('* as n').first()).toEqual(eventsAfterFirst);
    expect(await keyRow(`POST /api/incidents user ${(await t.db.knex('users').where({ username: 'chief01' }).first('id')).id}`, `k-${marker}`)).toMatchObject({
      status: 'done', response_status: 201, response_body: first.text,
    });
  });

  it('refuses the same key with a different request (422), and writes nothing', async () => {
    const p = await pointIn(t.db, GRID);
    const marker = `idem-${Math.random()}`;
    const first = await withKey(`k-${marker}`, { category: '0603', description: marker, lon: p.lon, lat: p.lat });
    expect(first.status).toBe(201);
    const crafted = await withKey(`k-${marker}`, { category: '0603', description: marker, lon: p.lon, lat: p.lat + 0.0001 });
    expect(crafted.status).toBe(422);
    expect(crafted.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(crafted.body).toMatchObject({ code: 'idempotency_key_reused', params: { hours: 24 } });
    expect(await incidentsWith(marker)).toHaveLength(1);
  });

  it('tells a photo with other bytes from the same photo', async () => {
    const p = await pointIn(t.db, GRID);
    const marker = `idem-${Math.random()}`;
    const send = async (photo: Buffer) =>
      request(t.app).post('/api/incidents').set('Authorization', `Bearer ${chief}`).set('Idempotency-Key', `k-${marker}`)
        .field('category', '0603').field('description', marker).field('lon', String(p.lon)).field('lat', String(p.lat))
        .attach('photos', photo, { filename: 'lamp.jpg' });
    const photo = await jpeg({ width: 50 });
    expect((await send(photo)).status).toBe(201);
    const again = await send(photo);
    expect([again.status, again.headers['idempotency-replayed']]).toEqual([201, 'true']);
    expect((await send(await jpeg({ width: 51 }))).body.code).toBe('idempotency_key_reused');
    const [only] = await incidentsWith(marker);
    expect(await t.db.knex('incident_photos').where({ incident_id: only.id }).count('* as n').first()).toEqual({ n: 1 });
  });

  it('answers 409 with Retry-After while the first request with the key is still running', async () => {
    const p = await pointIn(t.db, GRID);
    const marker = `idem-${Math.random()}`;
    const body = { category: '0603', description: marker, lon: p.lon, lat: p.lat };
    const user = await t.db.knex('users').where({ username: 'chief01' }).first('id');
    // The first request has claimed the key and not finished (as another server process would hold it).
    await t.db.knex('idempotency_keys').insert({ scope: `POST /api/incidents user ${user.id}`, key: `k-${marker}`, request_hash: requestHash(reportBody.parse(body)), status: 'in_progress' });
    const res = await withKey(`k-${marker}`, body);
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.body).toMatchObject({ code: 'idempotency_in_progress', params: { retry_after: 2 } });
    expect(await incidentsWith(marker)).toEqual([]);
  });

  it('of two reports sent at once with one key, writes one incident', async () => {
    const p = await pointIn(t.db, GRID);
    const marker = `idem-${Math.random()}`;
    const body = { category: '0603', description: marker, lon: p.lon, lat: p.lat };
    const answers = await Promise.all([withKey(`k-${marker}`, body), withKey(`k-${marker}`, body)]);
    const [made] = await incidentsWith(marker);
    expect(await incidentsWith(marker)).toHaveLength(1);
    // The other one was either told to wait or given the first answer.
    for (const a of answers) {
      if (a.status === 201) expect(a.body.id).toBe(made.id);
      else expect([a.status, a.body.code]).toEqual([409, 'idempotency_in_progress']);
    }
    expect(answers.some((a) => a.status === 201 && a.headers['idempotency-replayed'] === undefined)).toBe(true);
  });

  it('keeps keys per user: another user’s same key is another request', async () => {
    const p = await pointIn(t.db, GRID);
    const marker = `idem-${Math.random()}`;
    const body = { category: '0603', description: marker, lon: p.lon, lat: p.lat };
    expect((await withKey(`k-${marker}`, body)).status).toBe(201);
    const other = await withKey(`k-${marker}`, body, await loginAs(t.app, 'admin'));
    expect(other.status).toBe(201);
    expect(other.headers['idempotency-replayed']).toBeUndefined();
    expect(await incidentsWith(marker)).toHaveLength(2);
  });

  it('gives the key up when the first request fails, so the fixed request may use it', async () => {
    const p = await pointIn(t.db, GRID);
    const marker = `idem-${Math.random()}`;
    const outside = await withKey(`k-${marker}`, { category: '0603', description: marker, lon: 116.397, lat: 39.909 });
    expect(outside.status).toBe(422);
    expect(outside.body.code).toBe('point_outside_grids');
    const fixed = await withKey(`k-${marker}`, { category: '0603', description: marker, lon: p.lon, lat: p.lat });
    expect(fixed.status).toBe(201);
    expect(fixed.headers['idempotency-replayed']).toBeUndefined();
    expect(await incidentsWith(marker)).toHaveLength(1);
  });

  it('forgets a key after 24 hours, and takes over a claim its request left unfinished', async () => {
    const user = await t.db.knex('users').where({ username: 'chief01' }).first('id');
    const scope = `POST /api/incidents user ${user.id}`;
    for (const [status, age] of [['done', '25 hours'], ['in_progress', '10 minutes']] as const) {
      const p = await pointIn(t.db, GRID);
      const marker = `idem-${Math.random()}`;
      await t.db.knex('idempotency_keys').insert({
        scope, key: `k-${marker}`, request_hash: 'another request', status, response_status: 201, response_body: '{}', created_at: t.db.knex.raw(`now() - ?::interval`, [age]),
      });
      const res = await withKey(`k-${marker}`, { category: '0603', description: marker, lon: p.lon, lat: p.lat });
      expect(res.status, status).toBe(201);
      expect(res.headers['idempotency-replayed']).toBeUndefined();
      expect(await keyRow(scope, `k-${marker}`)).toMatchObject({ status: 'done', response_body: res.text });
    }
  });

  it.each([
    ['too long', 'k'.repeat(201)],
    ['with a space', 'two words'],
    ['with a non-ASCII character', 'clé'],
    ['empty', ''],
  ])('refuses a key %s with 400 naming the header, writing nothing', async (_name, key) => {
    const p = await pointIn(t.db, GRID);
    const marker = `idem-${Math.random()}`;
    const res = await request(t.app).post('/api/incidents').set('Authorization', `Bearer ${chief}`).set('Idempotency-Key', key)
      .send({ category: '0603', description: marker, lon: p.lon, lat: p.lat });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).toEqual([expect.objectContaining({ in: 'header', field: 'idempotency-key', message: expect.stringMatching(/1 to 200 visible ASCII/) })]);
    expect(await incidentsWith(marker)).toEqual([]);
  });

  it('replays a resident’s report too, keyed across the public route', async () => {
    const p = await pointIn(t.db, GRID);
    const marker = `idem-${Math.random()}`;
    const send = () => request(t.app).post('/api/public/incidents').set('Idempotency-Key', `k-${marker}`).send({ category: '0603', description: marker, lon: p.lon, lat: p.lat, contact: { phone: '13800004444' } });
    const first = await send();
    const second = await send();
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers['idempotency-replayed']).toBe('true');
    expect(second.headers.location).toBe(`/api/public/incidents/${first.body.case_no}`);
    expect(second.body).toEqual(first.body);
    expect(first.body.check_code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/);
    expect(await incidentsWith(marker)).toHaveLength(1);
    expect(await keyRow('POST /api/public/incidents', `k-${marker}`)).toMatchObject({ status: 'done' });
  });
});
