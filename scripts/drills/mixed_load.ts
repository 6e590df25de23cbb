/**
 * Drill: a steady mixed load. Starts the server (a child process on native PostGIS with the demo office) and
 * sends requests at a fixed rate (open loop: a slow answer does not slow the sending) for a while, in the mix
 * a working day has: map tiles, the centre's queue, incident details, reports, OGC API pages, exports,
 * locate. Prints errors and latency (p50/p95/p99) per kind and overall, and the latency second by second
 * (where a tail comes from).
 *
 *   npx tsx scripts/drills/mixed_load.ts [--rate 200] [--seconds 60] [--warmup 5]
 */
import { parseArgs } from 'node:util';
import knexFactory from 'knex';
import { startChildServer } from './child_server.js';
import { percentile } from './support.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    port: { type: 'string', default: '3198' },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);

const server = await startChildServer(Number(values.port));
const { base } = server;
const db = knexFactory({ client: 'pg', connection: server.databaseUrl, pool: { min: 0, max: 1 } });
const grids: { code: string; lon: number; lat: number }[] = (
  await db.raw(`select code, ST_X(p) as lon, ST_Y(p) as lat from (select code, ST_PointOnSurface(geom) as p from areas where level = 3 and valid_to is null) s order by code`)
).rows;
await db.destroy();
const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'gridwork-demo' }) });
const token = ((await login.json()) as { token: string }).token;
const auth = { authorization: `Bearer ${token}` };

/** The z/x/y of the tile holding a point. */
function tileAt(lon: number, lat: number, z: number): string {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return `${z}/${x}/${y}`;
}

let reported = 0;
const ids: number[] = [];
// Each kind: its share of the requests, and how to make one (i: the request's number).
const KINDS: { name: string; share: number; make: (i: number) => [string, RequestInit] }[] = [
  { name: 'tile', share: 40, make: (i) => { const g = grids[i % grids.length]; const layers = ['grids', 'assets', 'incidents', 'communities']; return [`/tiles/${layers[i % 4]}/${tileAt(g.lon, g.lat, 13 + (i % 4))}.mvt`, {}]; } },
  { name: 'queue', share: 12, make: (i) => [`/api/incidents?status=open&limit=50&offset=${(i % 3) * 50}`, { headers: auth }] },
  { name: 'incident', share: 10, make: (i) => [`/api/incidents/${ids.length ? ids[i % ids.length] : 1}`, { headers: auth }] },
  { name: 'report', share: 10, make: (i) => { const g = grids[i % grids.length]; reported++; return ['/api/incidents', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ category: '0101', description: `load ${i}`, lon: g.lon, lat: g.lat }) }]; } },
  { name: 'ogc', share: 10, make: (i) => [`/ogc/collections/${i % 2 ? 'grids' : 'assets'}/items?limit=100&offset=${(i % 5) * 100}`, {}] },
  { name: 'export', share: 5, make: (i) => [`/export/grids.geojson?grid=${grids[i % grids.length].code}`, {}] },
  { name: 'locate', share: 13, make: (i) => { const g = grids[i % grids.length]; return [`/api/locate?lon=${g.lon}&lat=${g.lat}`, {}]; } },
];
const wheel = KINDS.flatMap((k) => Array.from({ length: k.share }, () => k));

type Sample = { kind: string; at: number; status: number; ms: number };
const samples: Sample[] = [];
const t0 = Date.now() + WARMUP * 1000;

/** Send one request and note its kind, start, status and time. */
async function one(i: number): Promise<void> {
  const kind = wheel[(i * 37) % wheel.length];
  const [path, init] = kind.make(i);
  const start = Date.now();
  let status = 0;
  try {
    const res = await fetch(`${base}${path}`, init);
    const body = await res.arrayBuffer();
    status = res.status;
    if (kind.name === 'report' && status === 201) ids.push((JSON.parse(Buffer.from(body).toString()) as { id: number }).id);
  } catch {
    status = 0;
  }
  if (start >= t0) samples.push({ kind: kind.name, at: start - t0, status, ms: Date.now() - start });
}

const total = RATE * (SECONDS + WARMUP);
const begin = Date.now();
const pending: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const wait = begin + (i * 1000) / RATE - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  pending.push(one(i));
}
await Promise.all(pending);
await server.close();

const row = (name: string, list: Sample[]) => {
  const ms = list.map((s) => s.ms).sort((a, b) => a - b);
  const errors = list.filter((s) => s.status === 0 || s.status >= 500).length;
  return `| ${name} | ${list.length} | ${errors} | ${percentile(ms, 50)} | ${percentile(ms, 95)} | ${percentile(ms, 99)} | ${ms[ms.length - 1] ?? NaN} |`;
};
console.log(`\n${RATE} requests/s mixed for ${SECONDS} s (after ${WARMUP} s of warm-up; ${reported} reports in all)\n`);
console.log('| kind | requests | errors (5xx or none) | p50 ms | p95 ms | p99 ms | max ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const k of KINDS) console.log(row(k.name, samples.filter((s) => s.kind === k.name)));
console.log(row('all', samples));
console.log('\nby second: p95 ms (requests)');
const seconds = Math.ceil(SECONDS);
const line: string[] = [];
for (let s = 0; s < seconds; s++) {
  const ms = samples.filter((x) => Math.floor(x.at / 1000) === s).map((x) => x.ms).sort((a, b) => a - b);
  line.push(`${s}:${percentile(ms, 95)}`);
}
console.log(line.join(' '));
