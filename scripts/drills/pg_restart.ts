/**
 * Drill: restart PostgreSQL under load. Starts the server (a child process on native PostGIS with the demo
 * office), sends resident reports at a steady rate, restarts the database cluster in the middle, and prints
 * what the clients saw: accepted reports against the reports found in the database afterwards (none may be
 * lost), the answers during the outage by status (503 with Retry-After, never 500), and any 5xx outside it.
 *
 *   npx tsx scripts/drills/pg_restart.ts [--rate 50] [--seconds 20] [--restart-at 6] [--cluster "15 main"]
 *
 * Needs native PostgreSQL + PostGIS (pg_ctlcluster) and the role gridwork/gridwork; makes and drops its own
 * database.
 */
import { execFile } from 'node:child_process';
import { parseArgs } from 'node:util';
import knexFactory from 'knex';
import { startChildServer } from './child_server.js';
import { percentile } from './support.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '20' },
    'restart-at': { type: 'string', default: '6' },
    cluster: { type: 'string', default: '15 main' },
    port: { type: 'string', default: '3197' },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const RESTART_AT = Number(values['restart-at']);
const PORT = Number(values.port);

const server = await startChildServer(PORT);
const BASE = server.base;
const DB_URL = server.databaseUrl;

// Points inside the demo office's grids, to report at.
const db = knexFactory({ client: 'pg', connection: DB_URL, pool: { min: 0, max: 2 } });
const points: { lon: number; lat: number }[] = (
  await db.raw(`select ST_X(p) as lon, ST_Y(p) as lat from (select ST_PointOnSurface(geom) as p from areas where level = 3 and valid_to is null) s`)
).rows;
await db.destroy();

type Outcome = { at: number; status: number; retryAfter: string | null; id?: number; ms: number };
const outcomes: Outcome[] = [];
let outage: { from: number; to: number } | undefined;
const t0 = Date.now();

/** Send one resident report and note what came back. */
async function sendOne(i: number): Promise<void> {
  const p = points[i % points.length];
  const start = Date.now();
  try {
    const res = await fetch(`${BASE}/api/public/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `drill-${process.pid}-${i}` },
      body: JSON.stringify({ category: '0101', description: `drill ${i}`, lon: p.lon, lat: p.lat }),
    });
    const body = res.status === 201 ? await res.json() : await res.text();
    outcomes.push({ at: start - t0, status: res.status, retryAfter: res.headers.get('retry-after'), id: res.status === 201 ? (body as { id: number }).id : undefined, ms: Date.now() - start });
  } catch {
    outcomes.push({ at: start - t0, status: 0, retryAfter: null, ms: Date.now() - start });
  }
}

const restart = new Promise<void>((resolve) => {
  setTimeout(() => {
    // Asynchronously, so that the reports go on being sent while the database is away.
    const from = Date.now() - t0;
    execFile('pg_ctlcluster', [...values.cluster.split(' '), 'restart'], () => {
      outage = { from, to: Date.now() - t0 };
      resolve();
    });
  }, RESTART_AT * 1000);
});

const sends: Promise<void>[] = [];
for (let i = 0; i < RATE * SECONDS; i++) {
  const due = t0 + (i * 1000) / RATE;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  sends.push(sendOne(i));
}
await Promise.all(sends);
await restart;

// Every accepted report must be in the database.
const check = knexFactory({ client: 'pg', connection: DB_URL, pool: { min: 0, max: 1 } });
const accepted = outcomes.filter((o) => o.status === 201).map((o) => o.id!);
const found = Number((await check('incidents').whereIn('id', accepted).count({ n: '*' }).first())!.n);
await check.destroy();
if (process.env.DRILL_DUMP) (await import("node:fs")).writeFileSync(process.env.DRILL_DUMP, JSON.stringify(outcomes));

// The outage window as the clients saw it: from the first failed answer to the last, around the restart.
const failed = outcomes.filter((o) => o.status !== 201);
const during = (o: Outcome) => outage !== undefined && o.at >= outage.from - 1000 && o.at <= outage.to + 5000;
const byStatus = (list: Outcome[]) => Object.entries(list.reduce<Record<string, number>>((m, o) => ({ ...m, [o.status]: (m[o.status] ?? 0) + 1 }), {})).map(([s, n]) => `${s}×${n}`).join(' ') || '—';
const ms = outcomes.filter((o) => o.status === 201).map((o) => o.ms).sort((a, b) => a - b);
const pct = (q: number) => percentile(ms, q * 100);

console.log(`\nPostgreSQL restart under ${RATE} reports/s for ${SECONDS} s (restart at ${RESTART_AT} s, took ${outage ? outage.to - outage.from : '?'} ms)\n`);
console.log('| figure | value |');
console.log('| --- | --- |');
console.log(`| reports sent | ${outcomes.length} |`);
console.log(`| accepted (201) | ${accepted.length} |`);
console.log(`| accepted and found in the database | ${found} |`);
console.log(`| lost (accepted, not found) | ${accepted.length - found} |`);
console.log(`| answers in the outage window, by status | ${byStatus(failed.filter(during))} |`);
console.log(`| of those, 503 with Retry-After | ${failed.filter(during).filter((o) => o.status === 503 && o.retryAfter).length} |`);
console.log(`| 5xx outside the outage window | ${failed.filter((o) => !during(o) && o.status >= 500).length} |`);
console.log(`| 500 anywhere | ${outcomes.filter((o) => o.status === 500).length} |`);
console.log(`| accepted p50 / p95 / p99 ms | ${pct(0.5)} / ${pct(0.95)} / ${pct(0.99)} |`);

await server.close();
process.exit(accepted.length === found && outcomes.every((o) => o.status !== 500) ? 0 : 1);
