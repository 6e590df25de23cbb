import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/app.js';
import { CLUSTER_CELLS } from './point_source.js';
import { sqlClusterRows, sqlPointStamp, sqlRawClusterRows, usesAssetCells } from './point_sql.js';
import { TileService } from './service.js';
import type { TileFilters } from './source.js';
import { lonLatToTilePixel, tileBounds, type TileAddress } from './tile_math.js';

const ctx = useTestApp();

interface Cluster {
  id: number;
  count: number;
  category_code: string;
  lon: number;
  lat: number;
}

function tileOf(lon: number, lat: number, z: number): TileAddress {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return { z, x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n) };
}

async function fromCells(t: TileAddress, f: TileFilters = {}): Promise<Cluster[]> {
  expect(usesAssetCells('assets', t, CLUSTER_CELLS, f)).toBe(true);
  return (await sqlClusterRows(ctx.db.knex, 'assets', t, tileBounds(t), CLUSTER_CELLS, f)).rows;
}

async function fromPoints(t: TileAddress, f: TileFilters = {}): Promise<Cluster[]> {
  return (await sqlRawClusterRows(ctx.db.knex, 'assets', t, tileBounds(t), CLUSTER_CELLS, f)).rows;
}

/** The two cluster lists agree: same squares, counts and categories, positions within a tile unit. */
function expectSameClusters(t: TileAddress, cells: Cluster[], points: Cluster[]): void {
  expect(cells.map((c) => [c.id, c.count, c.category_code])).toEqual(points.map((c) => [c.id, c.count, c.category_code]));
  cells.forEach((c, i) => {
    const [ax, ay] = lonLatToTilePixel(c.lon, c.lat, t);
    const [bx, by] = lonLatToTilePixel(points[i].lon, points[i].lat, t);
    expect(Math.abs(ax - bx)).toBeLessThanOrEqual(1);
    expect(Math.abs(ay - by)).toBeLessThanOrEqual(1);
  });
}

async function countInTile(t: TileAddress): Promise<number> {
  const [w, s, e, n] = tileBounds(t);
  const { rows } = await ctx.db.knex.raw(`select count(*)::int as n from assets where geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)`, [w, s, e, n]);
  return rows[0].n;
}

let centre: [number, number];
let category: string;

beforeAll(async () => {
  const { rows } = await ctx.db.knex.raw(`select ST_X(c) as lon, ST_Y(c) as lat from (select ST_Centroid(ST_Collect(geom)) c from assets) x`);
  centre = [rows[0].lon, rows[0].lat];
  category = (await ctx.db.knex.raw(`select category_code from assets group by 1 order by count(*) desc limit 1`)).rows[0].category_code;
});

/** A new asset of the demo office at a point, written with plain SQL (as an import or a script would). */
async function insertAsset(lon: number, lat: number, cat = category, status = 'normal'): Promise<number> {
  const { rows } = await ctx.db.knex.raw(
    `insert into assets (office_code, code, category_code, status, geom)
     select office_code, 'CELLTEST-' || floor(random() * 1e12)::text, ?, ?, ST_SetSRID(ST_MakePoint(?, ?), 4326) from assets limit 1
     returning id`,
    [cat, status, lon, lat],
  );
  return rows[0].id;
}

describe('asset clusters from the cell pyramid', () => {
  it('equal the clusters made from the points at every clustered zoom', async () => {
    for (const z of [0, 4, 8, 10, 11, 12]) {
      const t = tileOf(centre[0], centre[1], z);
      const cells = await fromCells(t);
      expect(cells.length).toBeGreaterThan(0);
      expectSameClusters(t, cells, await fromPoints(t));
      expect(cells.reduce((s, c) => s + c.count, 0)).toBe(await countInTile(t));
    }
  });

  it('equal the clusters from the points under category and status filters', async () => {
    const t = tileOf(centre[0], centre[1], 11);
    for (const f of [{ category: [category] }, { status: ['normal', 'damaged'] }, { category: [category], status: ['normal'] }]) {
      expectSameClusters(t, await fromCells(t, f), await fromPoints(t, f));
    }
  });

  it('leave a grid filter to the clusters from the points', () => {
    expect(usesAssetCells('assets', { z: 10, x: 0, y: 0 }, CLUSTER_CELLS, { grid: ['g1'] })).toBe(false);
    expect(usesAssetCells('assets', { z: 13, x: 0, y: 0 }, CLUSTER_CELLS, {})).toBe(false);
    expect(usesAssetCells('incidents', { z: 10, x: 0, y: 0 }, CLUSTER_CELLS, {})).toBe(false);
  });

  it('follow an insert at once', async () => {
    const t = tileOf(centre[0], centre[1], 12);
    const before = await fromCells(t);
    await insertAsset(centre[0], centre[1]);
    const after = await fromCells(t);
    expect(after.reduce((s, c) => s + c.count, 0)).toBe(before.reduce((s, c) => s + c.count, 0) + 1);
    expectSameClusters(t, after, await fromPoints(t));
  });

  it('follow a move, a category change and a status change at once', async () => {
    const id = await insertAsset(centre[0] + 0.002, centre[1] + 0.002);
    const t = tileOf(centre[0], centre[1], 12);
    const other = (await ctx.db.knex.raw(`select code from asset_categories where code <> ? order by code limit 1`, [category])).rows[0].code;
    for (const change of [
      { sql: `update assets set geom = ST_SetSRID(ST_MakePoint(?, ?), 4326) where id = ?`, bindings: [centre[0] - 0.003, centre[1] - 0.001, id] },
      { sql: `update assets set category_code = ? where id = ?`, bindings: [other, id] },
      { sql: `update assets set status = 'damaged' where id = ?`, bindings: [id] },
    ]) {
      await ctx.db.knex.raw(change.sql, change.bindings);
      expectSameClusters(t, await fromCells(t), await fromPoints(t));
      expectSameClusters(t, await fromCells(t, { status: ['damaged'] }), await fromPoints(t, { status: ['damaged'] }));
      expectSameClusters(t, await fromCells(t, { category: [other] }), await fromPoints(t, { category: [other] }));
    }
  });

  it('follow a delete at once and keep no empty cells', async () => {
    const [lon, lat] = [centre[0] + 0.011, centre[1] - 0.007];
    const ids = [await insertAsset(lon, lat, category, 'missing'), await insertAsset(lon, lat, category, 'missing')];
    const t = tileOf(lon, lat, 12);
    await ctx.db.knex.raw(`delete from assets where id in (?, ?)`, ids);
    expectSameClusters(t, await fromCells(t), await fromPoints(t));
    expect(await fromCells(t, { status: ['missing'] })).toEqual(await fromPoints(t, { status: ['missing'] }));
    const { rows } = await ctx.db.knex.raw(`select count(*)::int as n from asset_cells where n <= 0`);
    expect(rows[0].n).toBe(0);
  });

  it('match a full rebuild of the pyramid after a batch of writes', async () => {
    const [lon, lat] = [centre[0] - 0.02, centre[1] + 0.015];
    await ctx.db.knex.raw(
      `insert into assets (office_code, code, category_code, status, geom)
       select (select office_code from assets limit 1), 'CELLBATCH-' || i || '-' || floor(random() * 1e9)::text, ?, 'normal',
              ST_SetSRID(ST_MakePoint(? + i * 0.0003, ? - i * 0.0002), 4326)
         from generate_series(1, 50) i`,
      [category, lon, lat],
    );
    await ctx.db.knex.raw(`update assets set status = 'repairing' where code like 'CELLBATCH-%' and id % 2 = 0`);
    await ctx.db.knex.raw(`delete from assets where code like 'CELLBATCH-%' and id % 3 = 0`);
    const { rows } = await ctx.db.knex.raw(
      `with want as (select z, floor(tile_frac_x(ST_X(geom)) * 2 ^ (z + 6))::int as x, floor(tile_frac_y(ST_Y(geom)) * 2 ^ (z + 6))::int as y,
                            category_code, status, count(*)::int as n
                       from assets, generate_series(0, 12) z group by 1, 2, 3, 4, 5),
            have as (select z, tx * 64 + (cell % 64) as x, ty * 64 + (cell / 64) as y, category_code, status, n from asset_cells)
       select (select count(*) from (select * from want except select * from have) a)::int as missing,
              (select count(*) from (select * from have except select * from want) b)::int as extra`,
    );
    expect(rows[0]).toEqual({ missing: 0, extra: 0 });
    const sums = await ctx.db.knex.raw(
      `with want as (select z, tx, ty, cell, sum(n)::int as n from asset_cells group by 1, 2, 3, 4),
            have as (select z, tx, ty, cell, n from asset_cell_sums)
       select (select count(*) from (select * from want except select * from have) a)::int as missing,
              (select count(*) from (select * from have except select * from want) b)::int as extra`,
    );
    expect(sums.rows[0]).toEqual({ missing: 0, extra: 0 });
  });

  it('serve the current count through HTTP and change the assets stamp on any delete', async () => {
    const t = tileOf(centre[0], centre[1], 10);
    const path = `/tiles/assets/${t.z}/${t.x}/${t.y}.mvt`;
    const total = async () => {
      const res = await request(ctx.app).get(path).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      const layer = new VectorTile(new PbfReader(res.body)).layers.assets;
      return Array.from({ length: layer.length }, (_, i) => Number(layer.feature(i).properties.count)).reduce((a, b) => a + b, 0);
    };
    expect(await total()).toBe(await countInTile(t));
    // The assets' change stamp (which expires cached tiles within a second) sees a delete that leaves the
    // newest id and the newest updated_at as they were.
    const doomed = await insertAsset(centre[0] + 0.001, centre[1]);
    await insertAsset(centre[0] - 0.001, centre[1]);
    const stamp = async () => (await sqlPointStamp(ctx.db.knex, 'assets')).rows[0].stamp as string;
    const service = new TileService(ctx.db);
    const first = await service.getTile('assets', t, {});
    const before = await stamp();
    await ctx.db.knex.raw(`delete from assets where id = ?`, [doomed]);
    expect(await stamp()).not.toBe(before);
    service.invalidate(['assets']);
    const second = await service.getTile('assets', t, {});
    expect(second.etag).not.toBe(first.etag);
    const [a, b] = [first, second].map((x) => {
      const layer = new VectorTile(new PbfReader(x.body!)).layers.assets;
      return Array.from({ length: layer.length }, (_, i) => Number(layer.feature(i).properties.count)).reduce((p, q) => p + q, 0);
    });
    expect(b).toBe(a - 1);
    expect(b).toBe(await countInTile(t));
  });
});
