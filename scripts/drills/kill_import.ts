/**
 * Drill: a bulk import killed mid-way. Starts the server (server/main.ts) as a child process on the drill's
 * database, sends it a 200,000-row import (POST /api/assets/import), kills it with SIGKILL once the import has
 * staged its tables (committed beside the live ones while their indexes are built) and --delay ms more, then
 * starts it again. Prints the staged tables before and after the restart, the import's assets in the table
 * (must be 0: nothing partial) and the restart time (spawn to GET /api/health answering 200).
 *
 *   npx tsx scripts/drills/kill_import.ts [--url postgres://…/scratch_db] [--rows 200000] [--delay 300]
 *
 * It WRITES to the database named by --url (default DATABASE_URL): use a scratch database. A 1,000-grid city
 * and the drill's admin are made there when missing; see support.ts.
 */
import type { Db } from '../../server/db/connect.js';
import { freePort, spawnServer, stopServer, untilHealthy } from './child_server.js';
import { arg, drillCsv, drillUrl, DRILL_PREFIX, login, openDrillDb, printTable } from './support.js';

const ROWS = Number(arg('--rows', '200000'));
const DELAY_MS = Number(arg('--delay', '300'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Start server/main.ts on the drill's database (no demo office). */
const startServer = (url: string, port: number) => spawnServer({ DATABASE_URL: url, PORT: String(port), LOG_LEVEL: 'info', NODE_ENV: 'production' });

/** The staged tables of bulk loads in the database, with their total size. */
async function stagedTables(db: Db): Promise<{ names: string[]; bytes: number }> {
  const { rows } = await db.knex.raw(
    `select relname, pg_total_relation_size(oid)::float8 as bytes from pg_class
      where relkind = 'r' and (relname like 'assets\\_load\\_%' or relname like 'asset\\_cells\\_load\\_%' or relname like 'asset\\_cell\\_sums\\_load\\_%') order by relname`,
  );
  return { names: rows.map((r: { relname: string }) => r.relname), bytes: rows.reduce((n: number, r: { bytes: number }) => n + r.bytes, 0) };
}

const describeStaged = (s: { names: string[]; bytes: number }) => `${s.names.length}${s.names.length ? ` (${(s.bytes / 1e6).toFixed(1)} MB: ${s.names.join(', ')})` : ''}`;

async function main(): Promise<void> {
  const url = drillUrl();
  const db = await openDrillDb(url);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const run = Date.now().toString(36);
  const prefix = `${DRILL_PREFIX}${run}`;
  const csv = drillCsv(ROWS, prefix);
  let server = startServer(url, port);
  try {
    await untilHealthy(base, server, performance.now());
    const atStart = await stagedTables(db);
    const token = await login(base);
    const t0 = performance.now();
    const answer = fetch(`${base}/api/assets/import?format=csv`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' }, body: csv }).then(
      (r) => `${r.status}`,
      (err: Error) => `no answer (${err.cause instanceof Error ? err.cause.message : err.message})`,
    );
    // Until the import has committed its staged tables (the COPY is over, the indexes are being built).
    while ((await stagedTables(db)).names.length <= atStart.names.length) {
      if (performance.now() - t0 > 300_000) throw new Error('the import staged nothing within 300 s');
      if (server.child.exitCode !== null) throw new Error(`the server exited:\n${server.lines.join('\n')}`);
      await sleep(10);
    }
    await sleep(DELAY_MS);
    server.child.kill('SIGKILL');
    await server.exited;
    const killedAt = (performance.now() - t0) / 1000;
    const importAnswer = await answer;
    // Restarted at once, as a supervisor would: the dead process's sessions may still be running a statement.
    const before = await stagedTables(db);
    const partial = Number((await db.knex('assets').where('code', 'like', `${prefix}-%`).count({ n: '*' }))[0].n);

    const t1 = performance.now();
    server = startServer(url, port);
    const restart = await untilHealthy(base, server, t1);
    const after = await stagedTables(db);
    const logged = server.lines.filter((l) => /staged/.test(l)).map((l) => {
      try {
        return (JSON.parse(l) as { msg: string }).msg;
      } catch {
        return l;
      }
    });

    printTable(`kill -9 mid-import: ${ROWS.toLocaleString('en')} rows (${new Date().toISOString()})`, [
      ['killed', `${killedAt.toFixed(1)} s after the import was sent (staged tables seen, then ${DELAY_MS} ms); the import's answer: ${importAnswer}`],
      ['staged tables before restart', describeStaged(before)],
      ['staged tables after restart', describeStaged(after)],
      ['assets partial', `${partial} (rows of the killed import in assets)`],
      ['restart time', `${(restart / 1000).toFixed(1)} s (spawn to /api/health 200)`],
      ['server said', logged.join('; ') || '(nothing of staged tables)'],
    ]);
    if (partial || after.names.length) process.exitCode = 1;
  } finally {
    await stopServer(server);
    await db.close();
  }
}

main().catch((err) => {
  console.error('drill failed:', err);
  process.exit(1);
});
