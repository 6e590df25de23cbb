/**
 * Tile tests that need ST_AsMVT: native PostGIS only (the embedded build has none). vitest.config.ts runs
 * files named *.native.test.ts only when DATABASE_URL is set; CI runs the suite both ways.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/app.js';
import { pointTileMvtSql } from './point_source.js';
import { TileService } from './service.js';
import { decode, features, tileOf } from './test_helpers.js';

const ctx = useTestApp();
let centre: [number, number];
let asset: { lon: number; lat: number };

beforeAll(async () => {
  const { rows } = await ctx.db.knex.raw(`select ST_X(c) as lon, ST_Y(c) as lat from (select ST_Centroid(geom) c from areas where level = 1 and valid_to is null) x`);
  centre = [rows[0].lon, rows[0].lat];
  asset = (await ctx.db.knex.raw(`select ST_X(geom) as lon, ST_Y(geom) as lat from assets order by id limit 1`)).rows[0];
});

describe('the statement the benchmark times', () => {
  it('makes the very tile the service serves', async () => {
    expect(ctx.db.capabilities.asMvt).toBe(true);
    const service = new TileService(ctx.db);
    for (const t of [tileOf(asset.lon, asset.lat, 15), tileOf(centre[0], centre[1], 11)]) {
      const served = await service.getTile('assets', t, {});
      const { rows } = await pointTileMvtSql(ctx.db.knex, 'assets', t, {});
      expect(Buffer.from(rows[0].mvt).equals(served.body!)).toBe(true);
    }
  });
});

describe('the two encoders', () => {
  it('give the same features from ST_AsMVT and from JS', async () => {
    expect(ctx.db.capabilities.asMvt).toBe(true);
    const sql = new TileService(ctx.db);
    const js = new TileService(ctx.db, { forceJs: true });
    for (const t of [tileOf(asset.lon, asset.lat, 15), tileOf(centre[0], centre[1], 11)]) {
      const [a, b] = await Promise.all([sql.getTile('assets', t, {}), js.getTile('assets', t, {})]);
      const fa = features(decode(a.body!).layers.assets);
      const fb = features(decode(b.body!).layers.assets);
      const norm = (fs: typeof fa) =>
        fs.map((f) => ({ id: f.id, props: f.properties, at: f.loadGeometry()[0][0] })).sort((p, q) => p.id! - q.id!);
      const na = norm(fa);
      const nb = norm(fb);
      expect(na.map((f) => [f.id, f.props])).toEqual(nb.map((f) => [f.id, f.props]));
      na.forEach((f, i) => {
        expect(Math.abs(f.at.x - nb[i].at.x)).toBeLessThanOrEqual(1);
        expect(Math.abs(f.at.y - nb[i].at.y)).toBeLessThanOrEqual(1);
      });
    }
  });
});

