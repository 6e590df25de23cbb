import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';
import { manyEntries, xlsxBomb, xlsxRows } from '../../test/bombs.js';

const t = useTestApp();
let chief01: string;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Buildings in the database, to show that a refused import wrote nothing. */
const buildings = async () => Number((await t.db.knex('buildings').count({ n: '*' }).first())?.n);

/** Import a workbook as buildings and answer the response, the time it took and the buildings before and after. */
async function importBuildings(bytes: Buffer) {
  const before = await buildings();
  const started = Date.now();
  const res = await request(t.app).post('/api/population/import?kind=buildings').set(bearer(chief01)).attach('file', bytes, 'buildings.xlsx');
  return { res, ms: Date.now() - started, before, after: await buildings() };
}

beforeAll(async () => {
  chief01 = await loginAs(t.app, 'chief01');
});

describe('POST /api/population/import with a hostile workbook', () => {
  it('answers 413 archive_too_large for an XLSX bomb (a 300 MB sheet in 300 KB) without inflating it', async () => {
    const { res, ms, before, after } = await importBuildings(xlsxBomb(300));
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'archive_too_large', params: { max_bytes: expect.any(Number), entry: 'xl/worksheets/sheet1.xml' } });
    expect(ms).toBeLessThan(5_000);
    expect(after).toBe(before);
  });

  it('answers 400 archive_corrupt for a workbook whose headers say its sheet is 1 KB while it inflates to 300 MB', async () => {
    const { res, ms, before, after } = await importBuildings(xlsxBomb(300, 1024));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'archive_corrupt', params: { entry: 'xl/worksheets/sheet1.xml' } });
    expect(ms).toBeLessThan(5_000);
    expect(after).toBe(before);
  });

  it('answers 413 archive_too_many_entries for a "workbook" of 5,000 files', async () => {
    const { res, before, after } = await importBuildings(manyEntries(5000));
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'archive_too_many_entries', params: { max_entries: expect.any(Number) } });
    expect(after).toBe(before);
  });

  it('answers 400 import_too_many_rows for a sheet of 500,000 rows (50 MB of XML), reading no further than the limit', async () => {
    const { res, ms, before, after } = await importBuildings(xlsxRows(500_000));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'import_too_many_rows', params: { max_rows: 50_000 } });
    // Read whole into exceljs's model, 200,000 such rows took 4.6 s of a blocked event loop; stopping at the limit takes under a second.
    expect(ms).toBeLessThan(5_000);
    expect(after).toBe(before);
  });
});
