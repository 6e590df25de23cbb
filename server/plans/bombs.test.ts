import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';
import { manyEntries, shapefileBomb } from '../../test/bombs.js';

const t = useTestApp();
let planner: string;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Rows of the plan tables, to show that a refused upload wrote nothing. */
async function planRows(): Promise<number[]> {
  const counts = await Promise.all(['plans', 'plan_grids'].map((table) => t.db.knex(table).count({ n: '*' }).first()));
  return counts.map((c) => Number(c?.n));
}

/** Upload a file as a plan and answer the response and the plan rows before and after. */
async function uploadPlan(bytes: Buffer, name = 'grids.zip') {
  const before = await planRows();
  const res = await request(t.app).post('/api/plans').set(auth(planner)).attach('file', bytes, name);
  return { res, before, after: await planRows() };
}

beforeAll(async () => {
  planner = await loginAs(t.app, 'planner');
});

describe('POST /api/plans with a hostile zip', () => {
  it('answers 413 archive_too_large for a Shapefile bomb (300 MB of .shp in 300 KB) without inflating it', async () => {
    const { res, before, after } = await uploadPlan(shapefileBomb(300));
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'archive_too_large', params: { max_bytes: expect.any(Number), entry: 'grids.shp' } });
    expect(res.body.detail).toMatch(/grids\.shp/);
    expect(after).toEqual(before);
  });

  it('answers 400 archive_corrupt for a zip whose headers say its .shp is 1 KB while it inflates to 300 MB', async () => {
    const { res, before, after } = await uploadPlan(shapefileBomb(300, 1024));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'archive_corrupt', params: { entry: 'grids.shp' } });
    expect(res.body.detail).toMatch(/more than .*declares/);
    expect(after).toEqual(before);
  });

  it('answers 413 archive_too_many_entries for a zip of 5,000 files', async () => {
    const { res, before, after } = await uploadPlan(manyEntries(5000));
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'archive_too_many_entries', params: { max_entries: expect.any(Number) } });
    expect(after).toEqual(before);
  });
});
