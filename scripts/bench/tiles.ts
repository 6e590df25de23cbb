/**
 * Tile latency on a city database (read-only): for grids and assets at z10, z12, z14 and z16, the
 * uncached and cached p50/p95 of GET /tiles/{layer}/{z}/{x}/{y}.mvt through HTTP, beside the bare
 * ST_AsMVT SQL for the same tiles, measured in the same run, and the largest tile.
 *
 *   npx tsx scripts/bench/tiles.ts [--url postgres://gridwork:gridwork@localhost/gridwork_city] [--tiles 30]
 */
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createApp } from '../../server/app.js';
import { parseConfig } from '../../server/config.js';
import { openDatabase } from '../../server/db/connect.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const URL_ = arg('url', 'postgres://gridwork:gridwork@localhost/gridwork_city');
const PER_ZOOM = Number(arg('tiles', '30'));
const ZOOMS = [10, 12, 14, 16];
const CACHED_REPEATS = 5;

/** Percentile of sorted numbers. */
function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function tileOf(lon: number, lat: number, z: number) {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return { z, x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n) };
}

async function main() {
  const db = await openDatabase({ url: URL_ });
  if (!db.capabilities.asMvt) throw new Error('this benchmark needs native PostGIS with ST_AsMVT');
  const counts = await db.knex.raw(`select (select count(*) from areas where level = 3 and valid_to is null) as grids, (select count(*) from assets) as assets`);
  const { grids, assets } = counts.rows[0];
  const app = createApp({ db, config: parseConfig({ NODE_ENV: 'test' }, []), logger: pino({ level: 'silent' }) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Tiles centred on randomly chosen assets (deterministic: fixed seed), so none is empty.
  await db.knex.raw('select setseed(0.42)');
  const sample = await db.knex.raw(`select ST_X(geom) as lon, ST_Y(geom) as lat from assets where id in (select (1 + floor(random() * (select max(id) from assets)))::int from generate_series(1, ?))`, [PER_ZOOM * 4]);
  const points: [number, number][] = sample.rows.map((r: { lon: number; lat: number }) => [r.lon, r.lat]);

  const fetchTile = async (layer: string, t: { z: number; x: number; y: number }) => {
    const t0 = performance.now();
    const res = await fetch(`${base}/tiles/${layer}/${t.z}/${t.x}/${t.y}.mvt`, { headers: { 'accept-encoding': 'identity' } });
    const body = Buffer.from(await res.arrayBuffer());
    return { ms: performance.now() - t0, bytes: body.length, status: res.status };
  };
  const bareSql: Record<string, string> = {
    assets: `select ST_AsMVT(q, 'assets', 4096, 'geom', 'id') as mvt from (
               select id, category_code, status, ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(?, ?, ?), 4096, 64, true) as geom
                 from assets where geom && ST_Transform(ST_TileEnvelope(?, ?, ?, margin => 64.0 / 4096), 4326)) q`,
    grids: `select ST_AsMVT(q, 'grids', 4096, 'geom') as mvt from (
              select code, name, ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(?, ?, ?), 4096, 64, true) as geom
                from areas where level = 3 and valid_to is null and geom && ST_Transform(ST_TileEnvelope(?, ?, ?, margin => 64.0 / 4096), 4326)) q`,
  };

  // Warm up: build the boundary index and the connection pool outside the measurement.
  await fetchTile('grids', tileOf(points[0][0], points[0][1], 12));
  await fetchTile('assets', tileOf(points[0][0], points[0][1], 16));

  const rows: string[][] = [];
  for (const layer of ['grids', 'assets']) {
    for (const z of ZOOMS) {
      const seen = new Set<string>();
      const tiles = points.map(([lon, lat]) => tileOf(lon, lat, z)).filter((t) => !seen.has(`${t.x}/${t.y}`) && seen.add(`${t.x}/${t.y}`)).slice(0, PER_ZOOM);
      const uncached: number[] = [];
      const cached: number[] = [];
      const bare: number[] = [];
      let maxBytes = 0;
      let bareMax = 0;
      for (const t of tiles) {
        // Warm the database's buffers for this tile first, so both sides below read from memory.
        await db.knex.raw(bareSql[layer], [t.z, t.x, t.y, t.z, t.x, t.y]);
        const first = await fetchTile(layer, t);
        uncached.push(first.ms);
        maxBytes = Math.max(maxBytes, first.bytes);
        for (let i = 0; i < CACHED_REPEATS; i++) cached.push((await fetchTile(layer, t)).ms);
        const t0 = performance.now();
        const { rows: r } = await db.knex.raw(bareSql[layer], [t.z, t.x, t.y, t.z, t.x, t.y]);
        bare.push(performance.now() - t0);
        bareMax = Math.max(bareMax, r[0].mvt?.length ?? 0);
      }
      for (const a of [uncached, cached, bare]) a.sort((p, q) => p - q);
      rows.push([
        layer, String(z), String(tiles.length),
        pct(uncached, 50).toFixed(1), pct(uncached, 95).toFixed(1),
        pct(cached, 50).toFixed(2), pct(cached, 95).toFixed(2),
        pct(bare, 50).toFixed(1), pct(bare, 95).toFixed(1),
        (pct(uncached, 95) / pct(bare, 95)).toFixed(2),
        (maxBytes / 1024).toFixed(0), (bareMax / 1024).toFixed(0),
      ]);
      console.error(`done ${layer} z${z}`);
    }
  }
  const head = ['layer', 'z', 'tiles', 'uncached p50', 'uncached p95', 'cached p50', 'cached p95', 'bare SQL p50', 'bare SQL p95', 'uncached/bare p95', 'max KB', 'bare max KB'];
  console.log(`Tiles on ${URL_.replace(/\/\/[^@]*@/, '//')}: ${grids} grids, ${assets} assets; times in ms through HTTP (identity encoding), PostGIS ${db.capabilities.postgisVersion}`);
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => ' --- ').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  server.close();
  server.closeAllConnections();
  await db.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
