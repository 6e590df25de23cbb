/**
 * Drill: a bulk import while assets are edited. The server (in this process, as main.ts builds it) takes a
 * 200,000-row import (POST /api/assets/import) while two clients each send PATCH /api/assets/:id 30 times a
 * second (one at a time: the next when the last was answered and its 1/30 s is over), from two seconds before
 * the import until two seconds after. The import must finish and every edit must be answered 200: edits wait
 * for the import, none fails.
 *
 *   npx tsx scripts/drills/import_under_edits.ts [--url postgres://…/scratch_db] [--rows 200000] [--rate 30] [--clients 2] [--open-loop]
 *
 * It WRITES to the database named by --url (default DATABASE_URL): use a scratch database. A 1,000-grid city
 * and the drill's admin are made there when missing; see support.ts.
 */
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createApp } from '../../server/app.js';
import { parseConfig } from '../../server/config.js';
import { openDatabase } from '../../server/db/connect.js';
import { CITY_PREFIX } from '../city/plan.js';
import { arg, deadlocksCounted, drillCsv, drillUrl, DRILL_PREFIX, login, openDrillDb, percentile, printTable } from './support.js';

const ROWS = Number(arg('--rows', '200000'));
const RATE = Number(arg('--rate', '30'));
const CLIENTS = Number(arg('--clients', '2'));
/** --open-loop: each client sends on the clock, without waiting for the answer to its last edit. */
const OPEN_LOOP = process.argv.includes('--open-loop');
/** Each client edits this many assets, in turn. */
const ASSETS_PER_CLIENT = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One PATCH as the client saw it. */
interface Edit {
  asset: number;
  value: number;
  start: number;
  end: number;
  status: number;
  code?: string;
}

async function main(): Promise<void> {
  const url = drillUrl();
  const db = await openDrillDb(url);
  const app = createApp({ db, config: parseConfig({ ...process.env, DATABASE_URL: url, NODE_ENV: 'production' }, []), logger: pino({ level: 'silent' }) });
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const token = await login(base);
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const ids = (await db.knex('assets').where('office_code', 'like', `${CITY_PREFIX}%`).orderBy('id').limit(CLIENTS * ASSETS_PER_CLIENT).pluck('id')) as number[];
    const run = Date.now().toString(36);
    const csv = drillCsv(ROWS, `${DRILL_PREFIX}${run}`);
    const deadlocksBefore = await deadlocksCounted(db);

    let editing = true;
    const edits: Edit[] = [];
    const patch = async (asset: number, value: number) => {
      const start = performance.now();
      const res = await fetch(`${base}/api/assets/${asset}`, { method: 'PATCH', headers, body: JSON.stringify({ attrs: { drill: `${run}-${value}` } }) });
      const body = (await res.json()) as { code?: string };
      edits.push({ asset, value, start, end: performance.now(), status: res.status, code: res.status === 200 ? undefined : body.code });
    };
    const client = async (k: number) => {
      const mine = ids.slice(k * ASSETS_PER_CLIENT, (k + 1) * ASSETS_PER_CLIENT);
      const sent: Promise<void>[] = [];
      for (let n = 0; editing; n++) {
        const start = performance.now();
        // Open loop: each asset's edits in order, but the client sends on the clock, answered or not.
        const prior = sent[n - mine.length] ?? Promise.resolve();
        const one = OPEN_LOOP ? prior.then(() => patch(mine[n % mine.length], n + 1)) : patch(mine[n % mine.length], n + 1);
        sent.push(one);
        if (!OPEN_LOOP) await one;
        await sleep(Math.max(0, 1000 / RATE - (performance.now() - start)));
      }
      await Promise.all(sent);
    };
    const clients = Array.from({ length: CLIENTS }, (_, k) => client(k));
    await sleep(2000);

    const t0 = performance.now();
    const res = await fetch(`${base}/api/assets/import?format=csv`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' }, body: csv });
    const result = (await res.json()) as { imported?: number; code?: string; detail?: string };
    const t1 = performance.now();
    await sleep(2000);
    editing = false;
    await Promise.all(clients);

    // Every edit answered 200 must be in the table: the last value each client sent each asset.
    const lastSent = new Map<number, string>();
    for (const e of edits) if (e.status === 200) lastSent.set(e.asset, `${run}-${e.value}`);
    const stored = new Map(((await db.knex('assets').whereIn('id', [...lastSent.keys()]).select('id', db.knex.raw(`attrs->>'drill' as drill`))) as { id: number; drill: string }[]).map((r) => [r.id, r.drill]));
    const lost = [...lastSent].filter(([id, v]) => stored.get(id) !== v).length;
    const imported = Number((await db.knex('assets').where('code', 'like', `${DRILL_PREFIX}${run}-%`).count({ n: '*' }))[0].n);

    const ok = edits.filter((e) => e.status === 200);
    const failed = edits.filter((e) => e.status !== 200);
    const during = edits.filter((e) => e.start < t1 && e.end > t0);
    const latencies = ok.map((e) => e.end - e.start);
    const conflicts = [...failed.map((e) => e.code), res.status === 409 ? result.code : undefined].filter((c) => c === 'transaction_conflict').length;
    server.close();
    server.closeAllConnections();
    // The pool's backends report their deadlocks to the statistics as they exit.
    await db.close();
    const after = await openDatabase({ url });
    const deadlocks = (await deadlocksCounted(after)) - deadlocksBefore;
    await after.close();

    printTable(`import under edits: ${ROWS.toLocaleString('en')} rows, ${CLIENTS} clients × ${RATE} PATCH/s${OPEN_LOOP ? ', open loop' : ''} (${new Date().toISOString()})`, [
      ['import', `${res.status} in ${((t1 - t0) / 1000).toFixed(1)} s; ${imported.toLocaleString('en')} rows in the table${res.status >= 300 ? ` (${result.code}: ${result.detail})` : ''}`],
      ['patches ok / failed', `${ok.length} / ${failed.length}${failed.length ? ` (${[...new Set(failed.map((e) => `${e.status} ${e.code}`))].join(', ')})` : ''}`],
      ['patches during import', `${during.length} (sent before it ended, answered after it began)`],
      ['patch latency p50 / p95 / max', `${percentile(latencies, 50).toFixed(0)} / ${percentile(latencies, 95).toFixed(0)} / ${Math.max(...latencies).toFixed(0)} ms`],
      ['patches lost', `${lost} (answered 200, value not in the table)`],
      ['deadlocks', `${deadlocks} counted by PostgreSQL; ${conflicts} answered 409 transaction_conflict`],
    ]);
    if (res.status !== 201 || imported !== ROWS || failed.length || lost || deadlocks) process.exitCode = 1;
  } finally {
    if (server.listening) server.close();
  }
}

main().catch((err) => {
  console.error('drill failed:', err);
  process.exit(1);
});
