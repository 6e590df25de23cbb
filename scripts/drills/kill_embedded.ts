/**
 * Drill: the embedded database killed during writes. Starts the server (server/main.ts --demo) as a child
 * process with no DATABASE_URL, so on PGlite in a DATA_DIR of its own (a temporary directory), and sends it
 * reports from --clients clients at once, each the next when the last is answered: in turn a grid chief's
 * (POST /api/incidents, one statement) and a resident's (POST /api/public/incidents with an Idempotency-Key,
 * a transaction that also keeps the answer). A random time (--min to --max ms, seeded) after the first
 * report is accepted it kills the server with SIGKILL, starts it again on the same DATA_DIR and times it
 * until GET /api/health answers 200, sends one report more, stops it (SIGTERM) and opens the DATA_DIR itself
 * to check. Per round it prints the reports accepted (201) and found (same id, case number and text), lost
 * (accepted, not found: must be 0), any other answer (must be none), those unanswered at the kill and how
 * many of them were written anyway, half-written reports (an incident without its report event, an
 * accepted keyed report whose key holds no answer: must be 0), keys left claimed by a request the kill cut
 * short, the reopen time after the kill beside a clean start on the same DATA_DIR before it, and the answer
 * to the first report after the reopen.
 *
 *   npx tsx scripts/drills/kill_embedded.ts [--rounds 5] [--clients 4] [--min 1000] [--max 6000] [--seed 1] [--keep]
 *
 * Needs nothing but the checkout: the first start loads the demo office into the new DATA_DIR (about 30 s).
 * The directory is removed at the end unless --keep.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bbox, centroid, pointToPolygonDistance } from '@turf/turf';
import type { Feature, FeatureCollection, Polygon, MultiPolygon } from 'geojson';
import { openDatabase } from '../../server/db/connect.js';
import { mulberry32 } from '../../server/demo/synthetic.js';
import { freePort, spawnServer, stopServer, untilHealthy, type ServerProcess } from './child_server.js';
import { login } from './support.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '4' },
    min: { type: 'string', default: '1000' },
    max: { type: 'string', default: '6000' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const CLIENTS = Number(values.clients);
const MIN_MS = Number(values.min);
const MAX_MS = Number(values.max);
const PASSWORD = 'gridwork-demo';
/** The chief who reports, and the grid of theirs the reports are in. */
const CHIEF = 'chief01';
const CHIEF_GRID = '210103007001001';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A report sent: by whom, its key (residents'), and what came back. */
interface Sent {
  route: 'chief' | 'resident';
  key?: string;
  description: string;
  status: number;
  /** The problem's code, when it was not 201. */
  code?: string;
  id?: number;
  caseNo?: string;
}

/** What one round saw and found. */
interface Round {
  killedAfterMs: number;
  sent: number;
  accepted: number;
  found: number;
  unanswered: number;
  writtenUnanswered: number;
  withoutEvent: number;
  keysWithoutAnswer: number;
  claimsLeft: number;
  otherStatuses: string;
  cleanStartMs: number;
  reopenMs: number;
  afterReopen: number;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridwork-kill-embedded-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const run = Date.now().toString(36);
const random = mulberry32(Number(values.seed));
const env = { DATABASE_URL: '', DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', NODE_ENV: 'production', PUBLIC_REPORTS_PER_HOUR: '100000000' };
const start = () => spawnServer(env, ['--demo']);

/**
 * A point inside a grid, 10 m or more from its edges: its centroid when it is, else the first of seeded
 * tries in its box. (The areas come with 7 decimals: a point on an edge of those may be outside the stored one.)
 */
function pointInside(f: Feature<Polygon | MultiPolygon>): [number, number] {
  const [w, s, e, n] = bbox(f);
  const tries = mulberry32(1);
  for (let i = 0; i < 1000; i++) {
    const p: [number, number] = i === 0 ? (centroid(f).geometry.coordinates as [number, number]) : [w + tries() * (e - w), s + tries() * (n - s)];
    if (pointToPolygonDistance(p, f, { units: 'meters' }) < -10) return p;
  }
  throw new Error(`no point 10 m inside grid ${JSON.stringify(f.properties)}`);
}

/** A point inside each grid in force (residents report at all of them), and one inside the chief's. */
async function reportPoints(): Promise<{ grids: [number, number][]; chief: [number, number] }> {
  const res = await fetch(`${base}/api/areas?level=grid`);
  const areas = (await res.json()) as FeatureCollection<Polygon | MultiPolygon, { code: string }>;
  const chief = areas.features.find((f) => f.properties.code === CHIEF_GRID);
  if (!chief) throw new Error(`the demo office has no grid ${CHIEF_GRID}`);
  return { grids: areas.features.map(pointInside), chief: pointInside(chief) };
}

/** Send one report by the chief or a resident, and note what came back (status 0: no answer). */
async function report(route: Sent['route'], n: string, point: [number, number], token: string): Promise<Sent> {
  const description = `drill ${run} ${n}`;
  const body = JSON.stringify({ category: '0101', description, lon: point[0], lat: point[1] });
  const key = route === 'resident' ? `drill-${run}-${n}` : undefined;
  const headers: Record<string, string> =
    route === 'chief' ? { 'content-type': 'application/json', authorization: `Bearer ${token}` } : { 'content-type': 'application/json', 'idempotency-key': key! };
  const sent: Sent = { route, key, description, status: 0 };
  try {
    const res = await fetch(`${base}${route === 'chief' ? '/api/incidents' : '/api/public/incidents'}`, { method: 'POST', headers, body });
    sent.status = res.status;
    const answer = (await res.json()) as { id?: number; case_no?: string; code?: string };
    if (res.status === 201) Object.assign(sent, { id: answer.id, caseNo: answer.case_no });
    else sent.code = answer.code;
  } catch {
    // The server was killed before it answered (or while it sent the answer).
    sent.status = 0;
  }
  return sent;
}

/** Open the DATA_DIR here (the server stopped) and check the round's reports against it. */
async function check(sent: Sent[], round: number): Promise<Pick<Round, 'found' | 'writtenUnanswered' | 'withoutEvent' | 'keysWithoutAnswer' | 'claimsLeft'>> {
  const db = await openDatabase({ dataDir });
  try {
    const accepted = sent.filter((s) => s.status === 201);
    const rows = (await db.knex('incidents').whereIn('id', accepted.map((s) => s.id!)).select('id', 'case_no', 'description')) as { id: number; case_no: string; description: string }[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    const found = accepted.filter((s) => byId.get(s.id!)?.case_no === s.caseNo && byId.get(s.id!)?.description === s.description).length;
    const unanswered = new Set(sent.filter((s) => s.status === 0).map((s) => s.description));
    const mine = (await db.knex('incidents').where('description', 'like', `drill ${run} %`).select('id', 'description')) as { id: number; description: string }[];
    const writtenUnanswered = mine.filter((r) => unanswered.has(r.description)).length;
    const { rows: orphans } = await db.knex.raw(
      `select count(*)::int as n from incidents i where i.description like ? and not exists (select 1 from incident_events e where e.incident_id = i.id and e.action = 'report')`,
      [`drill ${run} %`],
    );
    const keyed = accepted.filter((s) => s.key);
    const keys = (await db.knex('idempotency_keys').where({ scope: 'POST /api/public/incidents' }).whereIn('key', keyed.map((s) => s.key!)).select('key', 'status', 'response_body')) as {
      key: string;
      status: string;
      response_body: string | null;
    }[];
    const answers = new Map(keys.map((k) => [k.key, k]));
    const keysWithoutAnswer = keyed.filter((s) => {
      const k = answers.get(s.key!);
      return !(k?.status === 'done' && k.response_body && (JSON.parse(k.response_body) as { id: number }).id === s.id);
    }).length;
    const claimsLeft = Number(
      (await db.knex('idempotency_keys').where({ scope: 'POST /api/public/incidents', status: 'in_progress' }).where('key', 'like', `drill-${run}-r${round}-%`).count({ n: '*' }))[0].n,
    );
    return { found, writtenUnanswered, withoutEvent: orphans[0].n, keysWithoutAnswer, claimsLeft };
  } finally {
    await db.close();
  }
}

const rounds: Round[] = [];
let server: ServerProcess | undefined;
try {
  let t = performance.now();
  server = start();
  const firstStartMs = await untilHealthy(base, server, t, 300_000);
  console.log(`DATA_DIR ${dataDir}: first start with the demo office loaded in ${(firstStartMs / 1000).toFixed(1)} s`);
  // Each round's reopen is set beside a clean start on the same DATA_DIR (after SIGTERM).
  await stopServer(server);
  t = performance.now();
  server = start();
  let cleanStartMs = await untilHealthy(base, server, t, 300_000);
  for (let r = 0; r < ROUNDS; r++) {
    const token = await login(base, CHIEF, PASSWORD);
    const points = await reportPoints();
    const killAfter = Math.round(MIN_MS + random() * (MAX_MS - MIN_MS));
    const sent: Sent[] = [];
    let writing = true;
    const client = async (k: number) => {
      for (let i = 0; writing; i++) {
        const route = (i + k) % 2 ? 'resident' : 'chief';
        const point = route === 'chief' ? points.chief : points.grids[(i * CLIENTS + k) % points.grids.length];
        const s = await report(route, `r${r}-c${k}-${i}`, point, token);
        sent.push(s);
        if (s.status === 0) return;
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, k) => client(k));
    // The time to the kill runs from the first report accepted: the first after a start wait for caches and the JIT.
    const t0 = performance.now();
    while (!sent.some((s) => s.status === 201)) {
      if (performance.now() - t0 > 60_000) throw new Error(`no report accepted within 60 s: ${JSON.stringify(sent.slice(0, 3))}\n${server.lines.join('\n')}`);
      await sleep(5);
    }
    await sleep(killAfter);
    server.child.kill('SIGKILL');
    writing = false;
    await server.exited;
    await Promise.all(clients);

    t = performance.now();
    server = start();
    const reopenMs = await untilHealthy(base, server, t, 300_000);
    const after = await report('chief', `r${r}-after`, points.chief, await login(base, CHIEF, PASSWORD));
    await stopServer(server);
    const checked = await check(sent, r);
    const others = sent.filter((s) => s.status !== 201 && s.status !== 0);
    rounds.push({
      killedAfterMs: killAfter,
      sent: sent.length,
      accepted: sent.filter((s) => s.status === 201).length,
      unanswered: sent.filter((s) => s.status === 0).length,
      otherStatuses: [...new Set(others.map((s) => `${s.status} ${s.code}`))].map((a) => `${a} ×${others.filter((s) => `${s.status} ${s.code}` === a).length}`).join(', ') || '—',
      cleanStartMs,
      reopenMs,
      afterReopen: after.status,
      ...checked,
    });
    const last = rounds[rounds.length - 1];
    console.log(`round ${r + 1}: killed after ${killAfter} ms, ${last.accepted} accepted, ${last.found} found, reopened in ${(reopenMs / 1000).toFixed(1)} s`);
    if (r === ROUNDS - 1) break;
    // The next round's start is a clean one (the server was stopped with SIGTERM): the baseline of its reopen.
    t = performance.now();
    server = start();
    cleanStartMs = await untilHealthy(base, server, t, 300_000);
  }
} finally {
  if (server) await stopServer(server);
  if (!values.keep) fs.rmSync(dataDir, { recursive: true, force: true });
}

const sum = (f: (r: Round) => number) => rounds.reduce((n, r) => n + f(r), 0);
console.log(`\nkill -9 of the embedded database's server during writes: ${ROUNDS} rounds, ${CLIENTS} clients (${new Date().toISOString()})\n`);
console.log('| round | killed ms after the first 201 | sent | accepted (201) | found | lost | other answers | unanswered at kill | of those written | half-written | keyed claims left in progress | clean start s | reopen after kill s | report after reopen |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
rounds.forEach((r, i) =>
  console.log(
    `| ${i + 1} | ${r.killedAfterMs} | ${r.sent} | ${r.accepted} | ${r.found} | ${r.accepted - r.found} | ${r.otherStatuses} | ${r.unanswered} | ${r.writtenUnanswered} | ${r.withoutEvent + r.keysWithoutAnswer} | ${r.claimsLeft} | ${(r.cleanStartMs / 1000).toFixed(1)} | ${(r.reopenMs / 1000).toFixed(1)} | ${r.afterReopen} |`,
  ),
);
console.log(
  `| all | | ${sum((r) => r.sent)} | ${sum((r) => r.accepted)} | ${sum((r) => r.found)} | ${sum((r) => r.accepted - r.found)} | | ${sum((r) => r.unanswered)} | ${sum((r) => r.writtenUnanswered)} | ${sum((r) => r.withoutEvent + r.keysWithoutAnswer)} | ${sum((r) => r.claimsLeft)} | | | |`,
);
const failed = rounds.some((r) => r.accepted !== r.found || r.withoutEvent || r.keysWithoutAnswer || r.afterReopen !== 201 || r.otherStatuses !== '—');
process.exit(failed ? 1 : 0);
