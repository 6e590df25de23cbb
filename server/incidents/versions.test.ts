import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';
import { pointIn, report, tempDataDir } from './test_helpers.js';

const t = useTestApp({ dataDir: tempDataDir() });
let admin: string;
let grid: string;
let oldVersion: number;
let newVersion: number | undefined;

beforeAll(async () => {
  admin = await loginAs(t.app, 'admin');
  // The last grid of the demo office: the one other test files are least likely to look at.
  const row = await t.db.knex('areas').where({ level: 3 }).whereNull('valid_to').orderBy('code', 'desc').first('id', 'code');
  grid = row.code;
  oldVersion = row.id;
});

afterAll(async () => {
  // Put the demo boundary back, so the shared native test database is as other files expect it.
  if (newVersion !== undefined) {
    await t.db.knex.transaction(async (trx) => {
      await trx('areas').where({ id: newVersion }).delete();
      await trx('areas').where({ id: oldVersion }).update({ valid_to: null });
    });
  }
});

describe('boundary versions', () => {
  it('an incident stays with the grid version in force when it was reported, after the boundary changes', async () => {
    const p = await pointIn(t.db, grid, 60);
    const before = await report(t.app, admin, { category: '0101', lon: p.lon, lat: p.lat });
    expect(before.status).toBe(201);

    // A redraw: the grid gets a new version (here the same shape shrunk by 1 m), the old one is closed.
    newVersion = await t.db.knex.transaction(async (trx) => {
      const old = await trx('areas').where({ id: oldVersion }).first();
      const now = new Date();
      await trx('areas').where({ id: oldVersion }).update({ valid_to: now });
      const [row] = await trx('areas')
        .insert({
          code: old.code, level: 3, name: `${old.name}（新）`, name_en: `${old.name_en} (new)`, parent_code: old.parent_code,
          geom: trx.raw('ST_Multi(ST_Buffer(?::geography, -1)::geometry)', [old.geom]), valid_from: now,
        })
        .returning('id');
      return row.id as number;
    });

    const after = await report(t.app, admin, { category: '0101', lon: p.lon, lat: p.lat });
    expect(after.body.grid.code).toBe(grid);
    const rows = await t.db.knex('incidents').whereIn('id', [before.body.id, after.body.id]).orderBy('id').select('area_version_id');
    expect(rows.map((r) => r.area_version_id)).toEqual([oldVersion, newVersion]);
    const detail = await request(t.app).get(`/api/incidents/${before.body.id}`).set('Authorization', `Bearer ${admin}`);
    expect(detail.body).toMatchObject({ area_version_id: oldVersion, grid: { code: grid, name: expect.not.stringContaining('（新）') } });
  });
});
