import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { loginAs, testApp, useTestApp } from '../../test/app.js';
import { TileService } from './service.js';
import { tileOf } from './test_helpers.js';

const ctx = useTestApp();

describe('the tiles of an app', () => {
  it('are its own: a write through one app drops its cached tiles and leaves those of another app in the process', async () => {
    const { rows } = await ctx.db.knex.raw(`select id, ST_X(geom) as lon, ST_Y(geom) as lat from assets order by id limit 1`);
    const t = tileOf(rows[0].lon, rows[0].lat, 16);
    const path = `/tiles/assets/${t.z}/${t.x}/${t.y}.mvt`;
    const [mine, theirs] = [new TileService(ctx.db), new TileService(ctx.db)];
    const [app, other] = [testApp(ctx.db, {}, { tiles: mine }), testApp(ctx.db, {}, { tiles: theirs })];
    for (const a of [app, other]) expect((await request(a).get(path)).status).toBe(200);
    expect([mine.cache.size, theirs.cache.size]).toEqual([1, 1]);

    const token = await loginAs(app, 'admin');
    const res = await request(app).patch(`/api/assets/${rows[0].id}`).set({ Authorization: `Bearer ${token}` }).send({ status: 'damaged' });
    expect(res.status).toBe(200);
    expect(mine.cache.size).toBe(0);
    expect(theirs.cache.size).toBe(1);
  });
});
