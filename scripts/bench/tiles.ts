/**
 * Tile latency on a city database (read-only): for grids and assets at z10, z12, z14 and z16, the
 * uncached and cached p50/p95 of GET /tiles/{layer}/{z}/{x}/{y}.mvt through HTTP, beside the bare SQL for
 * the same tiles, measured in the same run, and the largest tile. For assets the bare SQL is the very
 * statement the server runs for that tile (pointTileMvtSql, with the same settings), so the ratio is
 * our server's overhead; grids are served from an in-memory index, and their bare SQL is a plain ST_AsMVT
 * of the grids for comparison. A second table breaks down what a cached tile costs per request.
 *
 * Each tile is asked for uncached `--repeats` times, each time beside its bare SQL, then cached 5 times.
 *
 *   npx tsx scripts/bench/tiles.ts [--url postgres://gridwork:gridwork@localhost/gridwork_city] [--tiles 30] [--repeats 3] [--hits 500]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createApp } from '../../server/app.js';
import { parseConfig } from '../../server/config.js';
import { openDatabase } from '../../server/db/connect.js';
import { TILE_LAYERS } from '../../server/tiles/layers.js';
import { pointTileMvtSql } from '../../server/tiles/point_source.js';
import { TileService } from '../../server/tiles/service.js';
import { tileBounds } from '../../server/tiles/tile_math.js';
import { AREA_LEVELS } from '../../server/areas/levels.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const URL_ = arg('url', 'postgres://gridwork:gridwork@localhost/gridwork_city');
const PER_ZOOM = Number(arg('tiles', '30'));
const ZOOMS = [10, 12, 14, 16];
const CACHED_REPEATS = 5;
const HITS = Number(arg('hits', '500'));
const CLUSTER_MAX_ZOOM = TILE_LAYERS.assets.clusterMaxZoom;
const REPEATS = Number(arg('repeats', '3'));

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
  const counts = await db.knex.raw(`select (select count(*) from areas where level = ${AREA_LEVELS.grid} and valid_to is null) as grids, (select count(*) from assets) as assets`);
  const { grids, assets } = counts.rows[0];
  const tileService = new TileService(db);
  const app = createApp({ db, config: parseConfig({ NODE_ENV: 'test' }, []), logger: pino({ level: 'silent' }), tiles: tileService });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Time in the server: from the request's arrival to the last byte handed to the socket.
  const serverMs: number[] = [];
  server.on('request', (_req, res) => {
    const t0 = performance.now();
    res.on('finish', () => serverMs.push(performance.now() - t0));
  });

  // Tiles centred on randomly chosen assets (deterministic: fixed seed), so none is empty.
  await db.knex.raw('select setseed(0.42)');
  const sample = await db.knex.raw(`select ST_X(geom) as lon, ST_Y(geom) as lat from assets where id in (select (1 + floor(random() * (select max(id) from assets)))::int from generate_series(1, ?))`, [PER_ZOOM * 4]);
  const points: [number, number][] = sample.rows.map((r: { lon: number; lat: number }) => [r.lon, r.lat]);

  // The client: node's http with a keep-alive connection, as a browser keeps one. (fetch() costs the
  // client about 1 ms more per request, in this same process, which is not the server's time.)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ ms: number; bytes: number; status: number }>((resolve, reject) => {
      const t0 = performance.now();
      http
        .get(`${base}${path}`, { agent, headers: { 'accept-encoding': 'identity', ...headers } }, (res) => {
          let bytes = 0;
          res.on('data', (c: Buffer) => (bytes += c.length));
          res.on('end', () => resolve({ ms: performance.now() - t0, bytes, status: res.statusCode ?? 0 }));
        })
        .on('error', reject);
    });
  const fetchTile = (layer: string, t: { z: number; x: number; y: number }, headers?: Record<string, string>) => get(`/tiles/${layer}/${t.z}/${t.x}/${t.y}.mvt`, headers);
  const gridsSql = `select ST_AsMVT(q, 'grids', 4096, 'geom') as mvt from (
              select code, name, ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(?, ?, ?), 4096, 64, true) as geom
                from areas where level = ${AREA_LEVELS.grid} and valid_to is null and geom && ST_Transform(ST_TileEnvelope(?, ?, ?, margin => 64.0 / 4096), 4326)) q`;
  /** The bare SQL of a tile, timed alone (assets: after the server's local settings, in a transaction as the server runs it). */
  const bare = async (layer: string, t: { z: number; x: number; y: number }): Promise<{ ms: number; bytes: number }> => {
    if (layer === 'grids') {
      const t0 = performance.now();
      const { rows } = await db.knex.raw(gridsSql, [t.z, t.x, t.y, t.z, t.x, t.y]);
      return { ms: performance.now() - t0, bytes: rows[0].mvt?.length ?? 0 };
    }
    if (t.z > CLUSTER_MAX_ZOOM) {
      const t0 = performance.now();
      const { rows } = await pointTileMvtSql(db.knex, 'assets', t, {});
      return { ms: performance.now() - t0, bytes: rows[0].mvt?.length ?? 0 };
    }
    // Cluster tiles: the server runs the statement with jit off, set locally in a transaction (clusterTile).
    return db.knex.transaction(async (trx) => {
      await trx.raw('set local jit = off');
      const t0 = performance.now();
      const { rows } = await pointTileMvtSql(trx, 'assets', t, {});
      return { ms: performance.now() - t0, bytes: rows[0].mvt?.length ?? 0 };
    });
  };

  // Warm up: build the boundary index and the connection pool outside the measurement.
  await fetchTile('grids', tileOf(points[0][0], points[0][1], 12));
  await fetchTile('assets', tileOf(points[0][0], points[0][1], 16));

  const rows: string[][] = [];
  for (const layer of ['grids', 'assets'] as const) {
    for (const z of ZOOMS) {
      const seen = new Set<string>();
      const tiles = points.map(([lon, lat]) => tileOf(lon, lat, z)).filter((t) => !seen.has(`${t.x}/${t.y}`) && seen.add(`${t.x}/${t.y}`)).slice(0, PER_ZOOM);
      const uncached: number[] = [];
      const cached: number[] = [];
      const cachedServer: number[] = [];
      const uncachedServer: number[] = [];
      const bareMs: number[] = [];
      let maxBytes = 0;
      let bareMax = 0;
      for (const t of tiles) {
        // Warm the database's buffers for this tile first, so both sides below read from memory.
        await bare(layer, t);
        // Uncached and bare take turns, REPEATS times; dropping just this tile from the cache (by its
        // bbox, which leaves the boundary index alone) makes the next request a miss again.
        const [w, s, e, n] = tileBounds(t);
        for (let r = 0; r < REPEATS; r++) {
          tileService.invalidate([layer], [w + 1e-9, s + 1e-9, e - 1e-9, n - 1e-9]);
          serverMs.length = 0;
          const miss = await fetchTile(layer, t);
          uncached.push(miss.ms);
          uncachedServer.push(...serverMs);
          maxBytes = Math.max(maxBytes, miss.bytes);
          const b = await bare(layer, t);
          bareMs.push(b.ms);
          bareMax = Math.max(bareMax, b.bytes);
        }
        serverMs.length = 0;
        for (let i = 0; i < CACHED_REPEATS; i++) cached.push((await fetchTile(layer, t)).ms);
        cachedServer.push(...serverMs);
      }
      for (const a of [uncached, uncachedServer, cached, cachedServer, bareMs]) a.sort((p, q) => p - q);
      rows.push([
        layer, String(z), String(tiles.length),
        pct(uncached, 50).toFixed(1), pct(uncached, 95).toFixed(1), `${pct(uncachedServer, 50).toFixed(1)} / ${pct(uncachedServer, 95).toFixed(1)}`,
        pct(cached, 50).toFixed(2), pct(cached, 95).toFixed(2), `${pct(cachedServer, 50).toFixed(2)} / ${pct(cachedServer, 95).toFixed(2)}`,
        pct(bareMs, 50).toFixed(1), pct(bareMs, 95).toFixed(1),
        (pct(uncached, 95) / pct(bareMs, 95)).toFixed(2),
        (maxBytes / 1024).toFixed(0), (bareMax / 1024).toFixed(0),
      ]);
      console.error(`done ${layer} z${z}`);
    }
  }
  const head = ['layer', 'z', 'tiles', 'uncached p50', 'uncached p95', 'uncached in server p50 / p95', 'cached p50', 'cached p95', 'cached in server p50 / p95', 'bare SQL p50', 'bare SQL p95', 'uncached/bare p95', 'max KB', 'bare max KB'];
  console.log(`Tiles on ${URL_.replace(/\/\/[^@]*@/, '//')}: ${grids} grids, ${assets} assets; times in ms through HTTP (identity encoding), ${REPEATS} uncached requests and bare statements per tile, PostGIS ${db.capabilities.postgisVersion}`);
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => ' --- ').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);

  // What one cached tile costs per request: the same dense z14 asset tile asked for HITS times in each
  // setting, the settings taking turns.
  const hot = tileOf(points[0][0], points[0][1], 14);
  const hotPath = `/tiles/assets/${hot.z}/${hot.x}/${hot.y}.mvt`;
  await get(hotPath);
  const viaFetch = async (path: string) => {
    const t0 = performance.now();
    const res = await fetch(`${base}${path}`, { headers: { 'accept-encoding': 'identity' } });
    await res.arrayBuffer();
    return { ms: performance.now() - t0 };
  };
  const settings: [string, () => Promise<{ ms: number }>][] = [
    ['cached tile, http client', () => get(hotPath)],
    ['cached tile, http client, with a session cookie', () => get(hotPath, { cookie: 'gridwork_session=not-a-live-session' })],
    ['cached tile, gzip', () => get(hotPath, { 'accept-encoding': 'gzip' })],
    ['cached tile, fetch() client', () => viaFetch(hotPath)],
  ];
  const client = new Map<string, number[]>(settings.map(([n]) => [n, []]));
  const inServer = new Map<string, number[]>(settings.map(([n]) => [n, []]));
  for (let round = 0; round < 5; round++) {
    for (const [name, run] of settings) {
      serverMs.length = 0;
      for (let i = 0; i < HITS / 5; i++) client.get(name)!.push((await run()).ms);
      inServer.get(name)!.push(...serverMs);
    }
  }
  console.log('');
  console.log(`Cached tile ${hotPath}, ${HITS} requests per setting in 5 alternating rounds; ms`);
  console.log('| request | client p50 | client p95 | in server p50 | in server p95 |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [name] of settings) {
    const c = client.get(name)!.sort((p, q) => p - q);
    const sv = inServer.get(name)!.sort((p, q) => p - q);
    console.log(`| ${name} | ${pct(c, 50).toFixed(2)} | ${pct(c, 95).toFixed(2)} | ${pct(sv, 50).toFixed(3)} | ${pct(sv, 95).toFixed(3)} |`);
  }
  agent.destroy();
  server.close();
  server.closeAllConnections();
  await db.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
