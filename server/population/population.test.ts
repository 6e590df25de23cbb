import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';
import { hmacIdNumber, idNumberKey } from './pii.js';
import { regridBuildings } from './buildings.js';
import { GRID_01, GRID_02, GRID_OTHER_COMMUNITY, makeResident, pointIn, uniqueIdNumber } from './test_support.js';

const t = useTestApp();
let chief01: string;
let community01: string;
let admin: string;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  [chief01, community01, admin] = await Promise.all([loginAs(t.app, 'chief01'), loginAs(t.app, 'community01'), loginAs(t.app, 'admin')]);
});

describe('buildings', () => {
  it('creates a building in the grid at its position and answers it', async () => {
    const [lon, lat] = await pointIn(t.db, GRID_01);
    const res = await request(t.app).post('/api/buildings').set(bearer(chief01)).send({ address: '文化路1号', floors: 7, geometry: { type: 'Point', coordinates: [lon, lat] } });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ address: '文化路1号', floors: 7, use: 'residential', grid_code: GRID_01, households: 0, geometry: { type: 'Point' } });
    const row = await t.db.knex('buildings').where({ id: res.body.id }).first();
    expect(row.grid_code).toBe(GRID_01);
    expect(row.area_version_id).toEqual(expect.any(Number));
  });

  it('takes the grid of a footprint from its point on surface', async () => {
    const [lon, lat] = await pointIn(t.db, GRID_01);
    const d = 0.0001;
    const ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]];
    const res = await request(t.app).post('/api/buildings').set(bearer(chief01)).send({ address: '文化路2号', geometry: { type: 'Polygon', coordinates: [ring] } });
    expect(res.status).toBe(201);
    expect(res.body.grid_code).toBe(GRID_01);
    expect(res.body.geometry.type).toBe('Polygon');
  });

  it('refuses a self-intersecting footprint with 400 naming the fix', async () => {
    const [lon, lat] = await pointIn(t.db, GRID_01);
    const d = 0.0001;
    const bowtie = [[lon - d, lat - d], [lon + d, lat + d], [lon + d, lat - d], [lon - d, lat + d], [lon - d, lat - d]];
    const res = await request(t.app).post('/api/buildings').set(bearer(chief01)).send({ address: 'x', geometry: { type: 'Polygon', coordinates: [bowtie] } });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/not a valid polygon/);
  });

  it('refuses a building in a grid outside the chief\'s scope with 403', async () => {
    const [lon, lat] = await pointIn(t.db, GRID_02);
    const before = await t.db.knex('buildings').count({ n: '*' });
    const res = await request(t.app).post('/api/buildings').set(bearer(chief01)).send({ address: 'x', geometry: { type: 'Point', coordinates: [lon, lat] } });
    expect(res.status).toBe(403);
    expect(await t.db.knex('buildings').count({ n: '*' })).toEqual(before);
  });

  it('refuses a building outside every grid with 422', async () => {
    const res = await request(t.app).post('/api/buildings').set(bearer(chief01)).send({ address: 'x', geometry: { type: 'Point', coordinates: [116.397, 39.909] } });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/outside every grid/);
  });

  it('refuses to delete a building that has households (409) and deletes an empty one (204)', async () => {
    const ids = await makeResident(t.app, t.db, chief01, GRID_01, { id_number: null });
    const busy = await request(t.app).delete(`/api/buildings/${ids.building}`).set(bearer(chief01));
    expect(busy.status).toBe(409);
    const [lon, lat] = await pointIn(t.db, GRID_01);
    const b = await request(t.app).post('/api/buildings').set(bearer(chief01)).send({ address: 'empty', geometry: { type: 'Point', coordinates: [lon, lat] } });
    const res = await request(t.app).delete(`/api/buildings/${b.body.id}`).set(bearer(chief01));
    expect(res.status).toBe(204);
    expect(await t.db.knex('buildings').where({ id: b.body.id }).first()).toBeUndefined();
  });
});

describe('regridBuildings', () => {
  it('moves a building of the given grids to the grid in force at its position, and logs the move', async () => {
    const ids = await makeResident(t.app, t.db, chief01, GRID_01, { id_number: null });
    const chiefId = (await t.db.knex('users').where({ username: 'chief01' }).first('id')).id;
    await t.db.knex('buildings').where({ id: ids.building }).update({ grid_code: GRID_02, area_version_id: null });
    const moved = await t.db.knex.transaction((trx) => regridBuildings(trx, { codes: [GRID_02], planId: 4242, actor: chiefId }));
    expect(moved).toBeGreaterThanOrEqual(1);
    const row = await t.db.knex('buildings').where({ id: ids.building }).first();
    const version = await t.db.knex('areas').where({ code: GRID_01 }).whereNull('valid_to').first('id');
    expect([row.grid_code, row.area_version_id]).toEqual([GRID_01, version.id]);
    const events = await t.db.knex('building_events').where({ building_id: ids.building }).select('action', 'from_grid', 'to_grid', 'plan_id', 'actor_user_id');
    expect(events).toEqual([{ action: 'regrid', from_grid: GRID_02, to_grid: GRID_01, plan_id: 4242, actor_user_id: chiefId }]);
  });
});

describe('residents', () => {
  it('stores the ID number as a keyed hash and its last 4 only, and answers it masked', async () => {
    const idNumber = uniqueIdNumber();
    const ids = await makeResident(t.app, t.db, chief01, GRID_01, { id_number: idNumber });
    const res = await request(t.app).get(`/api/residents/${ids.resident}`).set(bearer(chief01));
    expect(res.status).toBe(200);
    expect(res.body.id_number_masked).toBe(`**************${idNumber.slice(-4)}`);
    expect(JSON.stringify(res.body)).not.toContain(idNumber.slice(0, 14));
    const row = await t.db.knex('residents').where({ id: ids.resident }).first();
    expect(Object.values(row).map(String).some((v) => v.includes(idNumber.slice(0, 14)))).toBe(false);
    expect(row.id_number_hmac).toBe(hmacIdNumber(idNumber, idNumberKey()));
  });

  it('finds a resident by full ID number and refuses a second resident with the same number (409)', async () => {
    const idNumber = uniqueIdNumber();
    const ids = await makeResident(t.app, t.db, chief01, GRID_01, { id_number: idNumber });
    const found = await request(t.app).get(`/api/residents?id_number=${idNumber}`).set(bearer(chief01));
    expect(found.status).toBe(200);
    expect(found.body.items.map((r: { id: number }) => r.id)).toEqual([ids.resident]);
    const dup = await request(t.app).post('/api/residents').set(bearer(chief01)).send({ household_id: ids.household, name: '重复', id_number: idNumber });
    expect(dup.status).toBe(409);
    expect(dup.body.detail).not.toContain(idNumber);
  });

  it('refuses an ID number with a wrong check character (400) without echoing it', async () => {
    const ids = await makeResident(t.app, t.db, chief01, GRID_01, { id_number: null });
    const good = uniqueIdNumber();
    const bad = good.slice(0, 17) + (good[17] === '1' ? '2' : '1');
    const res = await request(t.app).post('/api/residents').set(bearer(chief01)).send({ household_id: ids.household, name: '错号', id_number: bad });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/check character/);
    expect(res.text).not.toContain(bad);
  });

  it('lists a chief\'s own residents only, filtered by tag, with total', async () => {
    await makeResident(t.app, t.db, chief01, GRID_01, { tags: ['disabled'], id_number: null });
    const res = await request(t.app).get('/api/residents?tag=disabled&limit=500').set(bearer(chief01));
    expect(res.status).toBe(200);
    expect(res.body.total).toBeGreaterThan(0);
    expect(res.body.items.length).toBe(Math.min(500, res.body.total));
    for (const r of res.body.items) {
      expect(r.grid_code).toBe(GRID_01);
      expect(r.tags).toContain('disabled');
      expect(r).not.toHaveProperty('id_number_hmac');
    }
  });

  it('lets community staff list the residents of each of their grids, and refuses a grid of another community (403)', async () => {
    const a = await request(t.app).get(`/api/residents?grid=${GRID_02}&limit=5`).set(bearer(community01));
    expect(a.status).toBe(200);
    expect(a.body.items.every((r: { grid_code: string }) => r.grid_code === GRID_02)).toBe(true);
    const b = await request(t.app).get(`/api/residents?grid=${GRID_OTHER_COMMUNITY}`).set(bearer(community01));
    expect(b.status).toBe(403);
  });

  it('changes a resident with PATCH and answers the new state', async () => {
    const ids = await makeResident(t.app, t.db, chief01, GRID_01, { id_number: null });
    const res = await request(t.app).patch(`/api/residents/${ids.resident}`).set(bearer(chief01)).send({ phone: '19911112222', tags: ['low_income', 'disabled'] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ phone: '19911112222', tags: ['disabled', 'low_income'] });
    expect((await t.db.knex('residents').where({ id: ids.resident }).first()).phone).toBe('19911112222');
  });

  it('deletes a resident with their visits, and the log keeps the deletion', async () => {
    const ids = await makeResident(t.app, t.db, chief01, GRID_01, { id_number: null });
    await request(t.app).post('/api/care-visits').set(bearer(chief01)).send({ resident_id: ids.resident, note: '上门' });
    const res = await request(t.app).delete(`/api/residents/${ids.resident}`).set(bearer(chief01));
    expect(res.status).toBe(204);
    expect(await t.db.knex('residents').where({ id: ids.resident }).first()).toBeUndefined();
    expect(await t.db.knex('care_visits').where({ resident_id: ids.resident }).first()).toBeUndefined();
    expect(await t.db.knex('resident_access_log').where({ resident_id: ids.resident, action: 'delete' }).first()).toBeDefined();
  });

  it('logs every read of a resident record and shows the log to the command centre only', async () => {
    const ids = await makeResident(t.app, t.db, chief01, GRID_01, { id_number: null });
    await request(t.app).get(`/api/residents/${ids.resident}`).set(bearer(community01));
    await request(t.app).get(`/api/residents?household_id=${ids.household}`).set(bearer(chief01));
    const log = await request(t.app).get(`/api/residents/access-log?resident_id=${ids.resident}`).set(bearer(admin));
    expect(log.status).toBe(200);
    const seen = log.body.items.map((e: { username: string; action: string }) => `${e.username}:${e.action}`).sort();
    expect(seen).toEqual(['chief01:create', 'chief01:list', 'community01:read']);
    expect(log.body.items[0]).toMatchObject({ resident_id: ids.resident, at: expect.any(String) });
    const chief = await request(t.app).get('/api/residents/access-log').set(bearer(chief01));
    expect(chief.status).toBe(403);
  });
});

describe('households and care visits', () => {
  it('lists households of a building with their resident count', async () => {
    const ids = await makeResident(t.app, t.db, chief01, GRID_01, { id_number: null });
    const res = await request(t.app).get(`/api/households?building_id=${ids.building}`).set(bearer(chief01));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ total: 1, items: [expect.objectContaining({ id: ids.household, building_id: ids.building, residents: 1, size: 2, grid_code: GRID_01 })] });
  });

  it('records a care visit by the logged-in user and lists it', async () => {
    const ids = await makeResident(t.app, t.db, chief01, GRID_01, { id_number: null });
    const res = await request(t.app).post('/api/care-visits').set(bearer(chief01)).send({ resident_id: ids.resident, kind: 'phone', note: '电话问候' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ resident_id: ids.resident, kind: 'phone', visitor_name: '陈明新', grid_code: GRID_01 });
    const list = await request(t.app).get(`/api/care-visits?resident_id=${ids.resident}`).set(bearer(chief01));
    expect(list.body.items.map((v: { id: number }) => v.id)).toEqual([res.body.id]);
  });
});

describe('GET /api/population/summary', () => {
  it('answers per-grid counts only, without a session', async () => {
    const res = await request(t.app).get(`/api/population/summary?grid=${GRID_02}`);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1);
    expect(Object.keys(res.body[0]).sort()).toEqual(['buildings', 'grid_code', 'grid_name', 'households', 'residents', 'visits_this_month', 'vulnerable']);
    const { rows } = await t.db.knex.raw(
      `select count(*)::int as n from residents r join households h on h.id = r.household_id join buildings b on b.id = h.building_id where b.grid_code = ?`,
      [GRID_02],
    );
    expect(res.body[0].residents).toBe(rows[0].n);
  });

  it('answers one row per grid of a community', async () => {
    const res = await request(t.app).get('/api/population/summary?community=210103007001');
    const grids = await t.db.knex('areas').where({ parent_code: '210103007001', level: 3 }).whereNull('valid_to').count({ n: '*' });
    expect(res.body).toHaveLength(Number(grids[0].n));
  });
});

describe('POST /api/population/import', () => {
  it('imports nothing and answers the row-level report (422) when one row is bad', async () => {
    const ids = await makeResident(t.app, t.db, chief01, GRID_01, { id_number: null });
    const csv = `household_id,name,gender,birth_year,id_number,phone,tags\n${ids.household},甲,female,1948,${uniqueIdNumber()},19900001111,elderly_alone\n${ids.household},乙,unknown,1950,123,19900002222,elderly_alone;nope\n`;
    const before = await t.db.knex('residents').where({ household_id: ids.household }).count({ n: '*' });
    const res = await request(t.app).post('/api/population/import?kind=residents').set(bearer(chief01)).attach('file', Buffer.from(csv), 'people.csv');
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.report).toMatchObject({ rows: 2, valid: 1, inserted: 0 });
    expect(res.body.report.errors.map((e: { row: number; column: string }) => `${e.row}:${e.column}`)).toEqual(['3:gender', '3:id_number', '3:tags.1']);
    expect(res.text).not.toContain('19900002222');
    expect(await t.db.knex('residents').where({ household_id: ids.household }).count({ n: '*' })).toEqual(before);
  });

  it('imports every row of a valid CSV in one go and logs each new resident', async () => {
    const ids = await makeResident(t.app, t.db, chief01, GRID_01, { id_number: null });
    const csv = `\ufeffhousehold_id,name,tags\n${ids.household},丙,disabled\n${ids.household},丁,\n`;
    const res = await request(t.app).post('/api/population/import?kind=residents').set(bearer(chief01)).attach('file', Buffer.from(csv), 'people.csv');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ rows: 2, valid: 2, inserted: 2, errors: [] });
    const rows = await t.db.knex('residents').whereIn('id', res.body.ids).orderBy('id');
    expect(rows.map((r) => [r.name, r.tags])).toEqual([['丙', ['disabled']], ['丁', []]]);
    expect(await t.db.knex('resident_access_log').whereIn('resident_id', res.body.ids).where({ action: 'import' }).count({ n: '*' })).toEqual([{ n: 2 }]);
  });

  it('reads a CSV saved by Excel in GB18030 (the Chinese default) as Chinese, not garbage', async () => {
    const ids = await makeResident(t.app, t.db, chief01, GRID_01, { id_number: null });
    const gbk = iconv.encode(`household_id,name\n${ids.household},王秀英\n`, 'gb18030');
    const res = await request(t.app).post('/api/population/import?kind=residents').set(bearer(chief01)).attach('file', gbk, 'people.csv');
    expect(res.status).toBe(201);
    expect((await t.db.knex('residents').where({ id: res.body.ids[0] }).first()).name).toBe('王秀英');
  });

  it('imports buildings from XLSX, placing each in its grid, and refuses rows outside the scope', async () => {
    const [lon, lat] = await pointIn(t.db, GRID_01);
    const [lon2, lat2] = await pointIn(t.db, GRID_02);
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('buildings');
    sheet.addRow(['address', 'use', 'floors', 'lon', 'lat']);
    sheet.addRow(['导入路1号', 'residential', 5, lon, lat]);
    const ok = Buffer.from(await book.xlsx.writeBuffer());
    const res = await request(t.app).post('/api/population/import?kind=buildings').set(bearer(chief01)).attach('file', ok, 'b.xlsx');
    expect(res.status).toBe(201);
    expect((await t.db.knex('buildings').where({ id: res.body.ids[0] }).first()).grid_code).toBe(GRID_01);
    sheet.addRow(['导入路2号', 'residential', 5, lon2, lat2]);
    const bad = await request(t.app).post('/api/population/import?kind=buildings').set(bearer(chief01)).attach('file', Buffer.from(await book.xlsx.writeBuffer()), 'b.xlsx');
    expect(bad.status).toBe(422);
    expect(bad.body.report.errors).toEqual([{ row: 3, column: 'lon', message: expect.stringMatching(/outside your scope/) }]);
  });

  it('refuses a file whose header lacks a required column (400)', async () => {
    const res = await request(t.app).post('/api/population/import?kind=residents').set(bearer(chief01)).attach('file', Buffer.from('name\n甲\n'), 'p.csv');
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/household_id/);
  });
});
