/**
 * Drill: a boundary plan's publish killed mid-way. On a native database of its own, the server
 * (server/main.ts --demo, a child process) is given --assets more assets (POST /api/assets/import) and
 * --incidents open incidents (POST /api/incidents) across the demo office, and the planner uploads a plan
 * that redraws most of its grids (adjacent pairs of a community, in turn merged into one, which retires a
 * code and ends its assignments, and cut again north-south); its report must be valid. That database is
 * the template of every round, each on a copy of it. Round 0 publishes uninterrupted
 * (POST /api/plans/{id}/publish), sampling its session in pg_stat_activity every 5 ms: it gives the publish
 * time T, the statements it ran (and the waits between them, while the server works on what one answered)
 * and when, and what a publish moves. The later rounds kill the server with SIGKILL: --rounds of them at
 * times spread evenly over T, then one at the start of each phase round 0 saw (the session is watched and
 * the server killed once it is seen in that phase). Each checks in pg_stat_activity and pg_locks that the
 * publish's transaction was running at the kill (what it was in is printed), starts the server again at
 * once (as a supervisor would), times it to GET /api/health 200 and notes whether it waited for a lock.
 * Once the dead server's session has ended, the database must be in one state, the plan published in full
 * or not at all: its versions opened and the grids it replaces closed (or none of it), the events of its
 * moves and the assignments it ends as in round 0 (or none), and in either state every asset, building and
 * open incident in the grid in force at its point and that grid's version, no assignment on a grid no longer
 * in force, one version in force per community and office; every row that disagrees is counted (must be 0).
 * Then the publish is sent again (200, or 409 plan_not_draft when the killed one had committed), the state
 * counted again (published, 0 disagreeing), and advisory locks, sessions idle in a transaction and prepared
 * transactions left over are counted (must be 0).
 *
 *   npx tsx scripts/drills/kill_publish.ts [--rounds 3] [--assets 100000] [--incidents 2000]
 *
 * Needs native PostgreSQL + PostGIS and the role gridwork/gridwork (allowed to create databases); makes and
 * drops its own databases.
 */
import { parseArgs } from 'node:util';
import knexFactory, { type Knex } from 'knex';
import { AREA_LEVELS } from '../../server/areas/levels.js';
import { sqlGridAt, type PlacedTable } from '../../server/areas/sql.js';
import { ASSET_PLACE } from '../../server/assets/sql.js';
import { INCIDENT_PLACE } from '../../server/incidents/sql.js';
import { BUILDING_PLACE } from '../../server/population/sql.js';
import { PUBLISH_LOCK_KEY } from '../../server/plans/sql_publish.js';
import { ADMIN_URL, freePort, spawnServer, stopServer, untilHealthy, type ServerProcess } from './child_server.js';
import { login } from './support.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    assets: { type: 'string', default: '100000' },
    incidents: { type: 'string', default: '2000' },
  },
});
const ROUNDS = Number(values.rounds);
const ASSETS = Number(values.assets);
const INCIDENTS = Number(values.incidents);
const PASSWORD = 'gridwork-demo';
const { grid: GRID } = AREA_LEVELS;
/** Set on the drill's own sessions, so that the server's are told apart in pg_stat_activity. */
const APP = 'gridwork_drill';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const template = `gridwork_drill_publish_${process.pid}`;
const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
const urlOf = (name: string) => ADMIN_URL.replace(/\/postgres$/, `/${name}`);
const connect = (name: string) => knexFactory({ client: 'pg', connection: `${urlOf(name)}?application_name=${APP}`, pool: { min: 0, max: 2 } });
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const start = (name: string, args: string[] = []) => spawnServer({ DATABASE_URL: urlOf(name), PORT: String(port), LOG_LEVEL: 'warn', NODE_ENV: 'production' }, args);

/** Random points inside the grids in force (seeded, spread by area), as [lon, lat]. */
async function pointsInGrids(knex: Knex, n: number, seed: number): Promise<[number, number][]> {
  const { rows } = await knex.raw(
    `with g as (select code, geom, ST_Area(geom) / sum(ST_Area(geom)) over () as share from areas where level = ${GRID} and valid_to is null)
     select ST_X(d.geom) as lon, ST_Y(d.geom) as lat
       from g cross join lateral ST_Dump(ST_GeneratePoints(g.geom, greatest(1, round(g.share * :n)::int), :seed)) d`,
    { n, seed },
  );
  return rows.map((r: { lon: number; lat: number }) => [r.lon, r.lat]);
}

/**
 * The plan: adjacent grids of a community paired off (longest shared edge first), each pair in turn merged
 * into the first's code or cut again north-south at the middle of its box (first code west).
 */
async function planFeatures(knex: Knex): Promise<unknown[]> {
  const { rows: pairs } = await knex.raw(
    `select a.code as a, b.code as b
       from areas a join areas b on b.level = ${GRID} and b.valid_to is null and a.code < b.code and b.parent_code = a.parent_code
                                and a.geom && b.geom and ST_Intersects(a.geom, b.geom)
      where a.level = ${GRID} and a.valid_to is null
        and ST_Length(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 2)::geography) > 50
      order by ST_Length(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 2)::geography) desc, a.code, b.code`,
  );
  const used = new Set<string>();
  const features: unknown[] = [];
  for (const { a, b } of pairs as { a: string; b: string }[]) {
    if (used.has(a) || used.has(b)) continue;
    const merge = used.size % 4 === 0;
    used.add(a);
    used.add(b);
    const { rows } = await knex.raw(
      `with g as (select code, parent_code, geom from areas where level = ${GRID} and valid_to is null and code in (:a, :b)),
            u as (select ST_Union(geom) as g from g),
            m as (select g, ST_XMin(g) - 1 as x0, ST_YMin(g) - 1 as y0, ST_XMax(g) + 1 as x1, ST_YMax(g) + 1 as y1, (ST_XMin(g) + ST_XMax(g)) / 2 as xm from u)
       select ST_AsGeoJSON(m.g, 15)::json as whole,
              ST_AsGeoJSON(ST_CollectionExtract(ST_Intersection(m.g, ST_MakeEnvelope(x0, y0, xm, y1, 4326)), 3), 15)::json as west,
              ST_AsGeoJSON(ST_CollectionExtract(ST_Intersection(m.g, ST_MakeEnvelope(xm, y0, x1, y1, 4326)), 3), 15)::json as east,
              (select parent_code from g limit 1) as parent
         from m`,
      { a, b },
    );
    const { whole, west, east, parent } = rows[0];
    const feature = (code: string, geometry: unknown) => ({ type: 'Feature', properties: { code, parent_code: parent }, geometry });
    features.push(...(merge ? [feature(a, whole)] : [feature(a, west), feature(b, east)]));
  }
  return features;
}

/** Make the template: the demo office, more assets and open incidents, and the planner's checked plan. */
async function makeTemplate(): Promise<{ planId: number; grids: number; replaces: number }> {
  await admin.raw(`drop database if exists ${template} with (force)`);
  await admin.raw(`create database ${template}`);
  let t = performance.now();
  const server = start(template, ['--demo']);
  try {
    await untilHealthy(base, server, t, 300_000);
    console.log(`template ${template}: demo office loaded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const knex = connect(template);
    try {
      const token = await login(base, 'admin', PASSWORD);
      const categories = (await knex('asset_categories').orderBy('code').pluck('code')) as string[];
      t = performance.now();
      const assets = await pointsInGrids(knex, ASSETS, 1);
      const csv = ['code,category_code,status,lon,lat', ...assets.map(([x, y], i) => `DRILL-${i},${categories[i % categories.length]},normal,${x},${y}`)].join('\n');
      const imported = await fetch(`${base}/api/assets/import?format=csv`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: csv });
      if (imported.status !== 201) throw new Error(`the asset import answered ${imported.status}: ${(await imported.text()).slice(0, 500)}`);
      console.log(`  ${assets.length.toLocaleString('en')} assets imported in ${((performance.now() - t) / 1000).toFixed(1)} s`);

      t = performance.now();
      const points = await pointsInGrids(knex, INCIDENTS, 2);
      let next = 0;
      const reporter = async () => {
        while (next < points.length) {
          const [lon, lat] = points[next++];
          const res = await fetch(`${base}/api/incidents`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ category: '0101', description: `drill publish ${next}`, lon, lat }),
          });
          if (res.status !== 201) throw new Error(`a report answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
        }
      };
      await Promise.all(Array.from({ length: 8 }, reporter));
      console.log(`  ${points.length.toLocaleString('en')} incidents reported in ${((performance.now() - t) / 1000).toFixed(1)} s`);

      const features = await planFeatures(knex);
      const planner = await login(base, 'planner', PASSWORD);
      const res = await fetch(`${base}/api/plans?title=drill`, {
        method: 'POST',
        headers: { authorization: `Bearer ${planner}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'FeatureCollection', features }),
      });
      const body = (await res.json()) as { id: number; report: { valid: boolean; grids: number; replaces: string[] } };
      if (res.status !== 201 || !body.report.valid) throw new Error(`the plan was not taken as valid (${res.status}): ${JSON.stringify(body).slice(0, 1500)}`);
      await knex.raw('vacuum analyze');
      return { planId: body.id, grids: body.report.grids, replaces: body.report.replaces.length };
    } finally {
      await knex.destroy();
    }
  } finally {
    await stopServer(server);
  }
}

/** What a full publish did, from round 0: the counts a published state must show. */
interface Published {
  opened: number;
  closed: number;
  assetEvents: number;
  incidentEvents: number;
  buildingEvents: number;
  endedAssignments: number;
}

/** Counts of the plan's own rows: its versions, the versions it closed, its events, the assignments ended. */
async function planRows(knex: Knex, planId: number): Promise<Published & { status: string; publishedAt: boolean; replacedInForce: number }> {
  const { rows } = await knex.raw(
    `select p.status, p.published_at is not null as published_at,
            (select count(*)::int from areas where plan_id = p.id and level = ${GRID} and valid_to is null) as opened,
            (select count(*)::int from areas where id = any(p.replaces) and valid_to is not null) as closed,
            (select count(*)::int from areas where id = any(p.replaces) and valid_to is null) as replaced_in_force,
            (select count(*)::int from asset_events where plan_id = p.id) as asset_events,
            (select count(*)::int from incident_events where action = 'rerouted' and note like 'Boundary plan ' || p.id || ' %') as incident_events,
            (select count(*)::int from building_events where plan_id = p.id) as building_events,
            (select count(*)::int from staff_assignments where valid_to is not null) as ended
       from plans p where p.id = :planId`,
    { planId },
  );
  const r = rows[0];
  return {
    status: r.status,
    publishedAt: r.published_at,
    opened: r.opened,
    closed: r.closed,
    replacedInForce: r.replaced_in_force,
    assetEvents: r.asset_events,
    incidentEvents: r.incident_events,
    buildingEvents: r.building_events,
    endedAssignments: r.ended,
  };
}

/** Rows of a placed table (as its owner describes it) not in the grid in force at their point, or not on that grid's version (or its community). */
async function misplaced(knex: Knex, place: PlacedTable): Promise<number> {
  const { rows } = await knex.raw(
    `select count(*)::int as n
       from ${place.table} x left join lateral (${sqlGridAt(place.point)}) loc on true
      where ${place.follows} and (x.grid_code is distinct from loc.grid_code or x.area_version_id is distinct from loc.area_version_id
                            ${place.community ? 'or x.community_code is distinct from loc.community_code' : ''})`,
  );
  return rows[0].n;
}

/** The plan's state, and the rows that disagree with it (against round 0's counts once there are some). */
async function stateOf(knex: Knex, planId: number, full: Published | undefined): Promise<{ status: string; disagree: number; detail: string[] }> {
  const p = await planRows(knex, planId);
  const detail: string[] = [];
  const expect = (what: string, got: number, want: number) => {
    if (got !== want) detail.push(`${what} ${got} (not ${want})`);
    return Math.abs(got - want);
  };
  let disagree = 0;
  if (p.status === 'published') {
    disagree += expect('published_at missing', p.publishedAt ? 0 : 1, 0) + expect('replaced grids still in force', p.replacedInForce, 0);
    if (full) {
      disagree +=
        expect('versions opened', p.opened, full.opened) +
        expect('versions closed', p.closed, full.closed) +
        expect('asset moves logged', p.assetEvents, full.assetEvents) +
        expect('incident reroutes logged', p.incidentEvents, full.incidentEvents) +
        expect('building moves logged', p.buildingEvents, full.buildingEvents) +
        expect('assignments ended', p.endedAssignments, full.endedAssignments);
    }
  } else {
    disagree +=
      expect('published_at set', p.publishedAt ? 1 : 0, 0) +
      expect('versions opened', p.opened, 0) +
      expect('versions closed', p.closed, 0) +
      expect('asset moves logged', p.assetEvents, 0) +
      expect('incident reroutes logged', p.incidentEvents, 0) +
      expect('building moves logged', p.buildingEvents, 0) +
      expect('assignments ended', p.endedAssignments, 0);
  }
  // In either state: every placed row in the grid in force at its point, on its version.
  disagree += expect('assets misplaced', await misplaced(knex, ASSET_PLACE), 0);
  disagree += expect('open incidents misplaced', await misplaced(knex, INCIDENT_PLACE), 0);
  disagree += expect('buildings misplaced', await misplaced(knex, BUILDING_PLACE), 0);
  const { rows } = await knex.raw(
    `select (select count(*)::int from staff_assignments sa where sa.valid_to is null
              and exists (select 1 from areas a where a.code = sa.area_code and a.level = ${GRID})
              and not exists (select 1 from areas a where a.code = sa.area_code and a.valid_to is null)) as dead_assignments,
            (select count(*)::int from (select code from areas where valid_to is null group by code having count(*) > 1) d) as doubled,
            (select count(*)::int from areas g where g.level = ${GRID} and g.valid_to is null
              and not exists (select 1 from areas c where c.code = g.parent_code and c.valid_to is null)) as orphan_grids`,
  );
  disagree += expect('assignments on grids no longer in force', rows[0].dead_assignments, 0);
  disagree += expect('codes with two versions in force', rows[0].doubled, 0);
  disagree += expect('grids whose community is not in force', rows[0].orphan_grids, 0);
  return { status: p.status, disagree, detail };
}

/** A session of the server: its pid, its state, what it runs (named by `statementName`), whether it holds the publish lock or waits for a lock. */
interface Session {
  pid: number;
  state: string;
  what: string;
  lock: boolean;
  waiting: boolean;
}

/** A statement named by what it writes (`update assets`, `insert into areas (with unions)`) or the first table it reads (`select from plans for update`). */
function statementName(query: string): string {
  const text = query.replace(/\s+/g, ' ').trim();
  const write = /\b(insert into|update|delete from)\s+"?(\w+)"?/i.exec(text);
  const cte = /^with (?:recursive )?(\w+) as/i.exec(text);
  if (write) return `${write[1].toLowerCase()} ${write[2]}${cte ? ` (with ${cte[1]})` : ''}`;
  const read = /^select\b.*?\bfrom\s+"?(\w+)"?/i.exec(text);
  if (read) return `select from ${read[1]}${/\bfor update\b/i.test(text) ? ' for update' : ''}`;
  return text.slice(0, 48);
}

/** The server's sessions (not the drill's) now in a transaction. */
async function serverSessions(knex: Knex): Promise<Session[]> {
  const { rows } = await knex.raw(
    `select a.pid, a.state, left(a.query, 1024) as query, a.wait_event_type = 'Lock' as waiting,
            exists (select 1 from pg_locks l where l.pid = a.pid and l.locktype = 'advisory' and l.objid = :lock and l.granted) as lock
       from pg_stat_activity a
      where a.datname = current_database() and a.application_name <> :app and a.xact_start is not null and a.backend_type = 'client backend'`,
    { lock: PUBLISH_LOCK_KEY, app: APP },
  );
  return rows.map((r: { pid: number; state: string; query: string; waiting: boolean; lock: boolean }) => ({
    pid: r.pid,
    state: r.state,
    what: r.state === 'active' ? statementName(r.query) : `${r.state} after ${statementName(r.query)}`,
    lock: r.lock,
    waiting: r.waiting,
  }));
}

/** Wait until none of these sessions is left, noting meanwhile any other session of the server waiting for a lock; ms it took, and what waited. */
async function untilGone(knex: Knex, pids: number[]): Promise<{ ms: number; waited: Set<string> }> {
  const t0 = performance.now();
  const waited = new Set<string>();
  for (;;) {
    const sessions = await serverSessions(knex);
    for (const s of sessions) if (s.waiting && !pids.includes(s.pid)) waited.add(s.what);
    const { rows } = await knex.raw(`select count(*)::int as n from pg_stat_activity where pid = any(:pids::int[])`, { pids });
    if (rows[0].n === 0) return { ms: performance.now() - t0, waited };
    if (performance.now() - t0 > 300_000) throw new Error(`sessions ${pids.join(', ')} of the killed server were still there after 300 s`);
    await sleep(20);
  }
}

/** Advisory locks held, sessions idle in a transaction and prepared transactions in the database (the drill's own sessions aside). */
async function leftovers(knex: Knex): Promise<number> {
  const { rows } = await knex.raw(
    `select (select count(*)::int from pg_locks l join pg_stat_activity a on a.pid = l.pid where l.locktype = 'advisory' and a.datname = current_database() and a.application_name <> :app)
          + (select count(*)::int from pg_stat_activity where datname = current_database() and state like 'idle in transaction%')
          + (select count(*)::int from pg_prepared_xacts where database = current_database()) as n`,
    { app: APP },
  );
  return rows[0].n;
}

/** Send the publish; answers its status and code (0: no answer). */
async function publish(planId: number, token: string): Promise<{ status: number; code?: string; body?: Record<string, unknown> }> {
  try {
    const res = await fetch(`${base}/api/plans/${planId}/publish`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as Record<string, unknown>;
    return { status: res.status, code: typeof body.code === 'string' ? body.code : undefined, body };
  } catch {
    return { status: 0 };
  }
}

/** Warnings and errors the server logged (pino JSON lines at level 40 and up, or anything not JSON). */
function complaints(server: ServerProcess): string[] {
  return server.lines.filter((l) => {
    try {
      return (JSON.parse(l) as { level?: number }).level! >= 40;
    } catch {
      return !/^(Gridwork is up|API docs)/.test(l);
    }
  });
}

/** A statement of the publish (or the wait after one) as sampled: ms after the publish was sent. */
interface Phase {
  what: string;
  from: number;
  to: number;
}

/** Add a sample of the publish's session to its timeline: the same phase goes on, or a new one begins. */
function addSample(timeline: Phase[], holder: Session | undefined, at: number): void {
  if (!holder) return;
  const last = timeline[timeline.length - 1];
  if (last?.what === holder.what) last.to = at;
  else timeline.push({ what: holder.what, from: at, to: at });
}

/** Where a round kills: at a time after sending, or once the publish is seen in a phase (its n-th occurrence, from 1). */
type KillPoint = { ms: number } | { phase: string; nth: number };

/** The kill points: --rounds times spread evenly over the publish, then the start of each phase round 0 saw. */
function killPoints(timeline: Phase[], T: number): KillPoint[] {
  const points: KillPoint[] = Array.from({ length: ROUNDS }, (_, k) => ({ ms: Math.round((T * (k + 1)) / (ROUNDS + 1)) }));
  const seen = new Map<string, number>();
  for (const p of timeline) {
    const nth = (seen.get(p.what) ?? 0) + 1;
    seen.set(p.what, nth);
    points.push({ phase: p.what, nth });
  }
  return points;
}

/** One round as printed. */
interface Row {
  round: number;
  target: string;
  killAt: string;
  inFlight: string;
  answer: string;
  sessionEnded: string;
  state: string;
  disagree: number;
  restart: string;
  waited: string;
  complaints: number;
  again: string;
  after: string;
  leftovers: number;
  detail: string[];
}

/**
 * Send the publish and kill the server at the point: sampling its session every 5 ms, kill once the time has
 * come or the phase is seen; when the publish ends first, kill it then. Answers the sessions in a transaction
 * at the kill, when it was, the timeline sampled, and the publish's answer.
 */
async function publishAndKill(server: ServerProcess, knex: Knex, planId: number, token: string, point: KillPoint) {
  const t0 = performance.now();
  let answered = false;
  const answer = publish(planId, token).finally(() => (answered = true));
  const timeline: Phase[] = [];
  const counts = new Map<string, number>();
  let sessions: Session[] = [];
  for (;;) {
    sessions = await serverSessions(knex);
    const holder = sessions.find((s) => s.lock);
    const before = timeline.length;
    addSample(timeline, holder, performance.now() - t0);
    if (timeline.length > before) counts.set(holder!.what, (counts.get(holder!.what) ?? 0) + 1);
    if (answered) break;
    if ('ms' in point ? performance.now() - t0 >= point.ms : holder?.what === point.phase && counts.get(point.phase) === point.nth) break;
    await sleep('ms' in point ? Math.min(5, point.ms - (performance.now() - t0)) : 1);
  }
  server.child.kill('SIGKILL');
  const killedAt = performance.now() - t0;
  await server.exited;
  return { sessions, killedAt, timeline, answer: await answer };
}

const rows: Row[] = [];
let failed = false;
let T = 0;
let round0: Phase[] = [];
try {
  const plan = await makeTemplate();
  console.log(`  plan ${plan.planId}: ${plan.grids} grids proposed for ${plan.replaces} in force`);
  let full: Published | undefined;
  const points: KillPoint[] = [];
  for (let k = 0; k <= points.length; k++) {
    const name = `${template}_r${k}`;
    await admin.raw(`create database ${name} template ${template}`);
    const knex = connect(name);
    let server = start(name);
    try {
      await untilHealthy(base, server, performance.now());
      const token = await login(base, 'planner', PASSWORD);
      const before = await stateOf(knex, plan.planId, undefined);
      if (before.status !== 'draft' || before.disagree) throw new Error(`the copy is not as made: ${before.status}, ${before.detail.join('; ')}`);
      const row: Row = { round: k, target: '—', killAt: '—', inFlight: '—', answer: '', sessionEnded: '—', state: '', disagree: 0, restart: '—', waited: '—', complaints: 0, again: '—', after: '', leftovers: 0, detail: [] };
      if (k === 0) {
        // Uninterrupted, sampled as the killed ones are.
        const t0 = performance.now();
        const timeline: Phase[] = [];
        let answered = false;
        const sent = publish(plan.planId, token).finally(() => (answered = true));
        while (!answered) {
          addSample(timeline, (await serverSessions(knex)).find((s) => s.lock), performance.now() - t0);
          await sleep(5);
        }
        const answer = await sent;
        T = performance.now() - t0;
        if (answer.status !== 200) throw new Error(`the uninterrupted publish answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 800)}`);
        round0 = timeline;
        points.push(...killPoints(timeline, T));
        const moved = answer.body!.moved as { assets: number; incidents: number; buildings: number };
        const p = await planRows(knex, plan.planId);
        full = { ...p, assetEvents: moved.assets, incidentEvents: moved.incidents, buildingEvents: moved.buildings };
        row.answer = `200 in ${(T / 1000).toFixed(2)} s: ${moved.assets.toLocaleString('en')} assets, ${moved.incidents} incidents, ${moved.buildings} buildings moved; ${p.endedAssignments} assignments ended; ${p.opened} versions opened, ${p.closed} closed`;
      } else {
        const point = points[k - 1];
        row.target = 'ms' in point ? `${point.ms} ms` : `${point.phase}${point.nth > 1 ? ` (#${point.nth})` : ''}`;
        const killed = await publishAndKill(server, knex, plan.planId, token, point);
        const holder = killed.sessions.find((s) => s.lock);
        row.killAt = `${killed.killedAt.toFixed(0)} ms (${((killed.killedAt / T) * 100).toFixed(0)} %)`;
        row.inFlight = holder ? `yes: ${holder.what}` : killed.answer.status ? 'no: missed, the publish had answered' : `no (${killed.sessions.length} in a transaction)`;
        row.answer = killed.answer.status ? `${killed.answer.status}${killed.answer.code ? ` ${killed.answer.code}` : ''}` : 'none';
        // Started again at once, as a supervisor would; the dead server's session ends when PostgreSQL notices its client is gone.
        const t1 = performance.now();
        server = start(name);
        const gone = untilGone(knex, killed.sessions.map((s) => s.pid));
        row.restart = `${((await untilHealthy(base, server, t1)) / 1000).toFixed(1)} s`;
        const ended = await gone;
        row.sessionEnded = `${ended.ms.toFixed(0)} ms`;
        row.waited = ended.waited.size ? [...ended.waited].join(', ') : 'none';
        row.complaints = complaints(server).length;
        const state = await stateOf(knex, plan.planId, full);
        row.state = state.status;
        row.disagree = state.disagree;
        row.detail.push(...state.detail);
        const again = await publish(plan.planId, await login(base, 'planner', PASSWORD));
        row.again = `${again.status}${again.code ? ` ${again.code}` : ''}`;
        if (!(again.status === 200 || (again.status === 409 && again.code === 'plan_not_draft' && state.status === 'published'))) failed = true;
      }
      const after = await stateOf(knex, plan.planId, full);
      row.after = `${after.status}, ${after.disagree} disagreeing`;
      row.detail.push(...after.detail.map((d) => `after: ${d}`));
      row.leftovers = await leftovers(knex);
      if (row.disagree || after.status !== 'published' || after.disagree || row.leftovers || row.complaints) failed = true;
      rows.push(row);
      console.log(`round ${k}: ${k === 0 ? row.answer : `${row.target}: killed at ${row.killAt}, ${row.inFlight}; ${row.state}, ${row.disagree} disagreeing; again ${row.again}`}`);
    } finally {
      await stopServer(server);
      await knex.destroy();
      await admin.raw(`drop database if exists ${name} with (force)`);
    }
  }
} finally {
  await admin.raw(`drop database if exists ${template} with (force)`);
  await admin.destroy();
}

console.log(`\nthe publish in round 0 (${(T / 1000).toFixed(2)} s), its session sampled in pg_stat_activity every 5 ms (ms after it was sent):`);
for (const p of round0) console.log(`  ${p.from.toFixed(0).padStart(6)}–${p.to.toFixed(0).padEnd(6)} ${p.what}`);
console.log(`\nkill -9 mid-publish: ${rows.length - 1} rounds, demo office + ${ASSETS.toLocaleString('en')} assets and ${INCIDENTS.toLocaleString('en')} open incidents (${new Date().toISOString()})\n`);
console.log('| round | kill point | killed at (of T) | publish in flight at the kill | its answer | dead session ended after | state after restart | rows disagreeing | restart | restart waited for a lock | warnings logged | publish again | state then | locks, idle transactions left |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(`| ${r.round} | ${r.target} | ${r.killAt} | ${r.inFlight} | ${r.answer} | ${r.sessionEnded} | ${r.state || '—'} | ${r.round ? r.disagree : '—'} | ${r.restart} | ${r.waited} | ${r.complaints} | ${r.again} | ${r.after} | ${r.leftovers} |`);
}
for (const r of rows) for (const d of r.detail) console.log(`round ${r.round}: ${d}`);
process.exit(failed ? 1 : 0);
