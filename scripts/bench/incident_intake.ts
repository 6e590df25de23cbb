/**
 * Incident intake throughput and latency: POST /api/incidents over HTTP (a real server in a child
 * process, native PostGIS) at a fixed arrival rate and at a fixed concurrency, beside the bare
 * point-in-polygon query and the full routing query (`locate`) measured in the same run (the floor).
 *
 * The grids come from the 10,000-grid city database when it exists (else the demo office) and are copied
 * into a scratch database that is dropped afterwards, so the city database is only read.
 *
 * CPU per request is counted for the server process, the PostgreSQL backends of the scratch database and
 * this load generator (from /proc, Linux only), since the three share the machine's cores.
 *
 *   npx tsx scripts/bench/incident_intake.ts [--admin-url postgres://gridwork:gridwork@localhost/gridwork_dev]
 *       [--city postgres://gridwork:gridwork@localhost/gridwork_city] [--rate 200] [--seconds 20] [--concurrency 16]
 *       [--keyed] [--skip-floor] [--cpu-prof DIR] [--keep] [--baseline DIR] [--rounds 1]
 *
 * --keyed sends every report with an Idempotency-Key, as the web app does (its outbox sends again after a lost
 * answer); without it, reports go without one. --skip-floor leaves out the bare SQL measures (quicker runs while developing); --cpu-prof DIR writes a V8
 * CPU profile of the server to DIR (open it in Chrome DevTools); --keep keeps the scratch database for EXPLAIN.
 * --baseline DIR also runs the server of another checkout (e.g. `git archive` of the previous commit, with a
 * node_modules link) on the same database, alternating with this one for --rounds rounds, so before and after
 * are measured side by side.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { hashPassword } from '../../server/auth/service.js';
import { insertUser } from '../../server/auth/store.js';
import { openDatabase } from '../../server/db/connect.js';
import { migrate } from '../../server/db/migrate.js';
import { loadDemoOffice } from '../../server/demo/load.js';
import { sqlLocate } from '../../server/areas/sql.js';
import { AREA_LEVELS } from '../../server/areas/levels.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const ADMIN_URL = arg('admin-url', 'postgres://gridwork:gridwork@localhost/gridwork_dev');
const CITY_URL = arg('city', 'postgres://gridwork:gridwork@localhost/gridwork_city');
const RATE = Number(arg('rate', '200'));
const SECONDS = Number(arg('seconds', '20'));
const CONCURRENCY = Number(arg('concurrency', '16'));
const SKIP_FLOOR = args.includes('--skip-floor');
const KEYED = args.includes('--keyed');
const CPU_PROF = args.includes('--cpu-prof') ? path.resolve(arg('cpu-prof', 'profiles')) : undefined;
const KEEP = args.includes('--keep');
const BASELINE = args.includes('--baseline') ? path.resolve(arg('baseline', '')) : undefined;
const ROUNDS = Number(arg('rounds', '1'));
const BENCH_DB = `gridwork_bench_intake_${process.pid}`;
const PASSWORD = 'bench-password';
const CATEGORIES = ['0101', '0103', '0201', '0501', '0504', '0601', '0603'];

/** Percentile of sorted numbers. */
function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A table row of latency figures in ms. */
function row(name: string, ms: number[], seconds: number, errors = 0) {
  const s = [...ms].sort((a, b) => a - b);
  return {
    measure: name,
    n: s.length,
    errors,
    'req/s': Math.round(s.length / seconds),
    'p50 ms': +pct(s, 50).toFixed(2),
    'p95 ms': +pct(s, 95).toFixed(2),
    'p99 ms': +pct(s, 99).toFixed(2),
    'max ms': +s[s.length - 1].toFixed(2),
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc; 0 when it cannot be read. */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU ms per request of the server, the database backends and this load generator over one phase. */
async function cpuMeter(admin: Knex, serverPid: number) {
  const backends = async () =>
    ((await admin.raw(`select pid from pg_stat_activity where datname = ?`, [BENCH_DB])).rows as { pid: number }[]).map((r) => r.pid);
  const pids = await backends();
  const pg0 = new Map(pids.map((p) => [p, cpuSecondsOf(p)]));
  const server0 = cpuSecondsOf(serverPid);
  const gen0 = process.cpuUsage();
  return async (requests: number) => {
    const gen = process.cpuUsage(gen0);
    let pgSeconds = 0;
    for (const p of await backends()) pgSeconds += cpuSecondsOf(p) - (pg0.get(p) ?? 0);
    const per = (seconds: number) => +((seconds * 1000) / requests).toFixed(2);
    return { 'cpu server': per(cpuSecondsOf(serverPid) - server0), 'cpu pg': per(pgSeconds), 'cpu gen': per((gen.user + gen.system) / 1e6) };
  };
}

/** Whether the city database exists and holds at least 10,000 grids in force. */
async function cityAvailable(): Promise<number> {
  const k = knexFactory({ client: 'pg', connection: CITY_URL, pool: { min: 0, max: 1 } });
  try {
    const { rows } = await k.raw(`select count(*) as n from areas where level = ${AREA_LEVELS.grid} and valid_to is null`);
    return Number(rows[0].n);
  } catch {
    return 0;
  } finally {
    await k.destroy();
  }
}

/** Copy the areas in force, the chiefs and their assignments from the city database (read-only there). */
async function copyCity(target: Knex): Promise<void> {
  const src = knexFactory({ client: 'pg', connection: CITY_URL, pool: { min: 0, max: 1 } });
  try {
    for (let offset = 0; ; offset += 1000) {
      const rows = await src('areas').whereNull('valid_to').orderBy('id').offset(offset).limit(1000)
        .select('code', 'level', 'name', 'name_en', 'parent_code', 'valid_from', src.raw(`encode(ST_AsBinary(geom), 'hex') as wkb`));
      if (!rows.length) break;
      await target.raw(
        `insert into areas (code, level, name, name_en, parent_code, valid_from, geom)
         select r->>'code', (r->>'level')::smallint, r->>'name', r->>'name_en', r->>'parent_code', (r->>'valid_from')::timestamptz,
                ST_SetSRID(ST_GeomFromWKB(decode(r->>'wkb', 'hex')), 4326)
           from json_array_elements(?::json) r`,
        [JSON.stringify(rows)],
      );
    }
    const staff = await src('staff as s').join('staff_assignments as sa', 'sa.staff_id', 's.id').whereNull('sa.valid_to').where('s.role', 'chief')
      .select('s.code', 's.name', 's.name_en', 's.phone', 'sa.area_code', 'sa.valid_from');
    for (let i = 0; i < staff.length; i += 2000) {
      await target.raw(
        `with r as (select * from json_to_recordset(?::json) as x(code text, name text, name_en text, phone text, area_code text, valid_from timestamptz)),
              s as (insert into staff (code, name, name_en, role, phone) select code, name, name_en, 'chief', phone from r returning id, code)
         insert into staff_assignments (staff_id, area_code, valid_from) select s.id, r.area_code, r.valid_from from s join r using (code)`,
        [JSON.stringify(staff.slice(i, i + 2000))],
      );
    }
  } finally {
    await src.destroy();
  }
}

/** A free TCP port on localhost. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Start the real server on the bench database and wait until it answers. */
async function startServer(root: string, url: string, port: number): Promise<ChildProcess> {
  const prof = CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', path.join(root, 'server/main.ts')], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url, PORT: String(port), LOG_LEVEL: 'silent', PUBLIC_REPORTS_PER_HOUR: '1000000', NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (res.ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('the server did not start within 30 s');
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** POST one JSON body; resolves with the status. */
function postJson(port: number, pathName: string, body: unknown, token?: string, key?: string): Promise<{ status: number; text: string }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: pathName, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': data.length, ...(token ? { authorization: `Bearer ${token}` } : {}), ...(key ? { 'idempotency-key': key } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** GET a path; resolves with whether it answered 200. */
function getOk(port: number, pathName: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: pathName, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      })
      .on('error', reject);
  });
}

async function main() {
  const grids = await cityAvailable();
  const source = grids >= 10_000 ? `city (${grids} grids, ${CITY_URL.replace(/\/\/[^@]*@/, '//')})` : 'demo office (91 grids)';
  const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${BENCH_DB}`);
  const benchUrl = new URL(ADMIN_URL);
  benchUrl.pathname = `/${BENCH_DB}`;
  let child: ChildProcess | undefined;
  try {
    const t0 = Date.now();
    const db = await openDatabase({ url: benchUrl.toString() });
    await migrate(db);
    if (grids >= 10_000) await copyCity(db.knex);
    else await loadDemoOffice(db, PASSWORD);
    await db.knex.raw('analyze');
    const office = await db.knex('areas').where({ level: AREA_LEVELS.office }).whereNull('valid_to').orderBy('code').select('code');
    await insertUser(db.knex, { username: 'bench', password_hash: await hashPassword(PASSWORD), display_name: 'Bench', role: 'admin', scope: office.map((o) => o.code) });
    await db.knex.raw('select setseed(0.42)');
    const { rows: pts } = await db.knex.raw(
      `select ST_X(p) as lon, ST_Y(p) as lat from (
         select (ST_Dump(ST_GeneratePoints(geom, 1, id))).geom as p from areas where level = ${AREA_LEVELS.grid} and valid_to is null order by random() limit 4000) t`,
    );
    const points: [number, number][] = pts.map((r: { lon: number; lat: number }) => [Number(r.lon), Number(r.lat)]);
    console.log(`source: ${source}; scratch database ${BENCH_DB} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${points.length} sample points`);

    // The floor: the same queries straight over a pg pool of the server's size, at the same concurrency.
    const pool = new pg.Pool({ connectionString: benchUrl.toString(), max: 10 });
    const bare = `select code from areas where level = ${AREA_LEVELS.grid} and valid_to is null and ST_Intersects(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) order by code limit 1`;
    const locateSql = sqlLocate(db.knex, 0, 0).toSQL().toNative().sql;
    const closedLoop = async (seconds: number, concurrency: number, one: (i: number) => Promise<boolean>) => {
      const ms: number[] = [];
      let errors = 0;
      let i = 0;
      const end = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < end) {
            const k = i++;
            const t = performance.now();
            const ok = await one(k);
            ms.push(performance.now() - t);
            if (!ok) errors++;
          }
        }),
      );
      return { ms, errors };
    };
    const floorSeconds = Math.min(SECONDS, 10);
    // Warm every pooled connection: a backend's first geography call costs tens of ms.
    await closedLoop(2, CONCURRENCY, async (k) => (await pool.query(locateSql, points[k % points.length])).rowCount === 1);
    const floorRows = [];
    if (!SKIP_FLOOR) {
      const pip = await closedLoop(floorSeconds, CONCURRENCY, async (k) => (await pool.query(bare, points[k % points.length])).rowCount === 1);
      const loc = await closedLoop(floorSeconds, CONCURRENCY, async (k) => (await pool.query(locateSql, points[k % points.length])).rowCount === 1);
      floorRows.push(
        row(`bare point-in-polygon SQL, ${CONCURRENCY} concurrent`, pip.ms, floorSeconds, pip.errors),
        row(`locate SQL (grid+community+office+chief), ${CONCURRENCY} concurrent`, loc.ms, floorSeconds, loc.errors),
      );
    }
    const pipSerial = await closedLoop(3, 1, async (k) => (await pool.query(bare, points[k % points.length])).rowCount === 1);
    await pool.end();
    await db.close();

    const pipSerialRow = row('bare point-in-polygon, 1 at a time', pipSerial.ms, 3, pipSerial.errors);
    let offset = 0;
    // Every keyed report a key of its own (the request numbers of the phases overlap).
    let keySeq = 0;
    /** The HTTP measures of the server in one checkout: fixed rate, fixed concurrency, one at a time. */
    const measure = async (label: string, root: string) => {
      const port = await freePort();
      child = await startServer(root, benchUrl.toString(), port);
      const serverPid = child.pid!;
      const login = await postJson(port, '/api/auth/login', { username: 'bench', password: PASSWORD });
      const token = JSON.parse(login.text).token as string;
      const body = (k: number) => ({ category: CATEGORIES[k % CATEGORIES.length], description: 'bench', lon: points[k % points.length][0], lat: points[k % points.length][1] });
      const intake = async (k: number) => (await postJson(port, '/api/incidents', body(k + offset), token, KEYED ? `bench-${process.pid}-${keySeq++}` : undefined)).status === 201;
      // Warm up the server (JIT, every pooled connection, plans).
      await closedLoop(3, CONCURRENCY, intake);

      // Fixed arrival rate (open loop): one timer sends every request that is due, and latency is counted from
      // the scheduled send time, so neither a slow server nor a late generator is hidden.
      const fixed: number[] = [];
      let fixedErrors = 0;
      const total = RATE * SECONDS;
      let cpu = await cpuMeter(admin, serverPid);
      const start = performance.now();
      await new Promise<void>((resolve) => {
        let sent = 0;
        let done = 0;
        const tick = () => {
          const now = performance.now();
          for (; sent < total && start + (sent * 1000) / RATE <= now; sent++) {
            const due = start + (sent * 1000) / RATE;
            intake(sent + 200).then(
              (ok) => {
                fixed.push(performance.now() - due);
                if (!ok) fixedErrors++;
                if (++done === total) resolve();
              },
              () => {
                fixed.push(performance.now() - due);
                fixedErrors++;
                if (++done === total) resolve();
              },
            );
          }
          if (sent < total) setTimeout(tick, Math.max(0, start + (sent * 1000) / RATE - performance.now()));
        };
        tick();
      });
      const fixedSeconds = (performance.now() - start) / 1000;
      const fixedCpu = await cpu(total);

      // Fixed concurrency (closed loop): the most the server takes.
      cpu = await cpuMeter(admin, serverPid);
      const http1 = await closedLoop(Math.min(SECONDS, 10), CONCURRENCY, (k) => intake(k + 200 + total));
      const http1Cpu = await cpu(http1.ms.length);
      // One at a time: the server's own share without queueing.
      cpu = await cpuMeter(admin, serverPid);
      const serial = await closedLoop(5, 1, (k) => intake(k + 300 + total * 2));
      const serialCpu = await cpu(serial.ms.length);
      // The HTTP floor: a route without session or body whose handler is one trivial query.
      cpu = await cpuMeter(admin, serverPid);
      const health = await closedLoop(3, CONCURRENCY, () => getOk(port, '/api/health'));
      const healthCpu = await cpu(health.ms.length);
      const fixedRow = { ...row(`HTTP POST /api/incidents at ${RATE} req/s for ${SECONDS} s`, fixed, fixedSeconds, fixedErrors), ...fixedCpu };
      const serialRow = { ...row('HTTP POST /api/incidents, 1 at a time', serial.ms, 5, serial.errors), ...serialCpu };

      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
      child = undefined;
      offset += 50_000;
      return [
        { ...fixedRow, measure: `${label}: ${fixedRow.measure}` },
        { ...row(`${label}: HTTP POST /api/incidents, ${CONCURRENCY} concurrent (max throughput)`, http1.ms, Math.min(SECONDS, 10), http1.errors), ...http1Cpu },
        { ...serialRow, measure: `${label}: ${serialRow.measure}` },
        { ...row(`${label}: HTTP GET /api/health (select 1), ${CONCURRENCY} concurrent`, health.ms, 3, health.errors), ...healthCpu },
      ];
    };
    const httpRows = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (BASELINE) httpRows.push(...(await measure('baseline', BASELINE)));
      httpRows.push(...(await measure(BASELINE ? 'this' : 'server', ROOT)));
    }
    console.table([...floorRows, pipSerialRow, ...httpRows]);
    console.log('cpu columns: CPU ms per request of the server process, its PostgreSQL backends and this load generator');
    for (let i = 0; i < httpRows.length; i += 4) {
      const [fixedRow, , serialRow] = httpRows.slice(i, i + 4);
      console.log(
        `${fixedRow.measure.split(':')[0]}: server share (HTTP p50 − bare query p50, one request at a time) ${(serialRow['p50 ms'] - pipSerialRow['p50 ms']).toFixed(2)} ms; ` +
          `at ${RATE} req/s p95 ${fixedRow['p95 ms']} ms (goal < 15 ms), p50 − bare p50 ${(fixedRow['p50 ms'] - pipSerialRow['p50 ms']).toFixed(2)} ms (goal < 5 ms)`,
      );
    }
  } finally {
    if (child) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    agent.destroy();
    if (KEEP) console.log(`kept the scratch database ${BENCH_DB}`);
    else await admin.raw(`drop database if exists ${BENCH_DB} with (force)`);
    await admin.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
