/**
 * Benchmark of patrol coverage: a month of simulated patrols on the demo office (each of the 91 chiefs
 * walks their grid two hours every weekday, a fix every 20 s: about 720,000 fixes), written as the points
 * route writes them (sqlInsertFixes: the fixes and the cells they cover, one statement per patrol's batch
 * of 361), then the coverage of the month for the whole office (the command centre's view, as the
 * appraisal asks it) and for one chief.
 *
 *   npx tsx scripts/bench/patrol_coverage.ts [--runs 3] [--embedded]
 *
 * Native by default, on its own database BENCH_DATABASE_URL (default
 * postgres://gridwork:gridwork@localhost/gridwork_patrol_bench, created when missing; the demo office and
 * the month are written once and reused). With --embedded, an in-memory PGlite made for the run.
 */
import { booleanPointInPolygon } from '@turf/turf';
import type { MultiPolygon } from 'geojson';
import proj4 from 'proj4';
import { openDatabase, type Db } from '../../server/db/connect.js';
import { migrate } from '../../server/db/migrate.js';
import { hasAreas, loadDemoOffice } from '../../server/demo/load.js';
import { coverageInSpan } from '../../server/patrols/service.js';
import { sqlChiefsHeld, sqlCoverage, sqlFillGridCells, sqlGridCells, sqlInsertFixes, sqlMonthSpan } from '../../server/patrols/sql.js';
import { sqlRowInScope } from '../../server/auth/scope.js';
import { arg, ensureDatabase } from './support.js';

const MONTH = '2026-03';
const OFFICE = '210103007';
const UTM51 = '+proj=utm +zone=51 +datum=WGS84 +units=m +no_defs';


/** A seeded PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Write the month's patrols: per chief and weekday, a walk of 2 h inside their grid, 28 m steps every 20 s, turning at the edge. */
async function simulateMonth(db: Db): Promise<{ fixes: number; batchMs: number[] }> {
  const k = db.knex;
  const toUtm = proj4('WGS84', UTM51);
  const chiefs = (await k.raw(
    `select s.id, s.user_id, sa.area_code, a.parent_code, ST_AsGeoJSON(a.geom)::json as g
       from staff s join staff_assignments sa on sa.staff_id = s.id join areas a on a.code = sa.area_code and a.valid_to is null
      where s.role = 'chief' order by s.code`,
  )).rows as { id: number; user_id: number; area_code: string; parent_code: string; g: MultiPolygon }[];
  const rand = prng(14);
  const days = Array.from({ length: 31 }, (_, i) => `2026-03-${String(i + 1).padStart(2, '0')}`).filter((d) => ![0, 6].includes(new Date(`${d}T12:00:00Z`).getUTCDay()));
  let total = 0;
  const batchMs: number[] = [];
  for (const c of chiefs) {
    const utm: MultiPolygon = { type: 'MultiPolygon', coordinates: c.g.coordinates.map((p) => p.map((r) => r.map((xy) => toUtm.forward(xy as [number, number])))) };
    const ring = utm.coordinates[0][0];
    const cx = ring.reduce((s, p) => s + p[0], 0) / ring.length;
    const cy = ring.reduce((s, p) => s + p[1], 0) / ring.length;
    for (const day of days) {
      const start = Date.parse(`${day}T09:00:00+08:00`);
      const [p] = await k('patrols')
        .insert({ office_code: OFFICE, community_code: c.parent_code, grid_code: c.area_code, grid_codes: [c.area_code], chief_staff_id: c.id, user_id: c.user_id, started_at: new Date(start), ended_at: new Date(start + 7200_000) })
        .returning('id');
      let [x, y] = booleanPointInPolygon([cx, cy], utm) ? [cx, cy] : ring[0];
      let heading = rand() * 2 * Math.PI;
      const fixes = [];
      for (let i = 0; i <= 360; i++) {
        const [lon, lat] = toUtm.inverse([x, y]);
        fixes.push({ lon, lat, accuracy_m: 5 + rand() * 20, at: new Date(start + i * 20_000).toISOString() });
        heading += (rand() - 0.5) * (Math.PI / 3);
        for (let tries = 0; tries < 8; tries++) {
          const nx = x + 28 * Math.cos(heading);
          const ny = y + 28 * Math.sin(heading);
          if (booleanPointInPolygon([nx, ny], utm)) {
            [x, y] = [nx, ny];
            break;
          }
          heading += Math.PI / 2 + rand() * Math.PI;
        }
      }
      const t0 = performance.now();
      await sqlInsertFixes(k, { id: p.id, office_code: OFFICE, chief_staff_id: c.id }, fixes, 'Asia/Shanghai');
      batchMs.push(performance.now() - t0);
      total += fixes.length;
    }
  }
  return { fixes: total, batchMs };
}

/** Milliseconds of a call, and its answer. */
async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const out = await f();
  return [performance.now() - t0, out];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const runs = arg('runs', 3);
  const embedded = process.argv.includes('--embedded');
  const url = process.env.BENCH_DATABASE_URL ?? 'postgres://gridwork:gridwork@localhost/gridwork_patrol_bench';
  if (!embedded) await ensureDatabase(url);
  const db = await openDatabase(embedded ? { memory: true } : { url });
  await migrate(db);
  if (!(await hasAreas(db.knex))) await loadDemoOffice(db, 'bench-only-password');
  const { rows: [span] } = await sqlMonthSpan(db.knex, MONTH, 'Asia/Shanghai');
  const existing = Number((await db.knex('patrol_fixes').where('at', '>=', span.start).andWhere('at', '<', span.end).count('* as n').first())?.n ?? 0);
  let fixes = existing;
  if (existing === 0) {
    const [ms, sim] = await timed(() => simulateMonth(db));
    fixes = sim.fixes;
    const cells = Number((await db.knex('patrol_cells').count('* as n').first())?.n ?? 0);
    console.log(`simulated ${fixes} fixes (${sim.batchMs.length} batches, ${cells} covered cells kept) in ${(ms / 1000).toFixed(1)} s; a batch of 361 written in ${median(sim.batchMs).toFixed(1)} ms (median), ${[...sim.batchMs].sort((a, b) => a - b)[Math.floor(sim.batchMs.length * 0.95)].toFixed(1)} ms (p95)`);
  }
  if (db.kind === 'postgis') await db.knex.raw('analyze patrols; analyze patrol_fixes; analyze patrol_cells');
  const office = { scope: [OFFICE] };
  const chief = { scope: [(await db.knex('areas').where({ level: 3 }).whereNull('valid_to').orderBy('code').first('code')).code as string] };
  const table: string[][] = [];
  for (const [label, viewer] of [['office (91 grids)', office], ['one chief', chief]] as const) {
    const times: number[] = [];
    let rows = 0;
    let mean = 0;
    let meanDay = 0;
    for (let i = 0; i < runs; i++) {
      const [ms, out] = await timed(() => coverageInSpan(db.knex, viewer, span));
      times.push(ms);
      rows = out.rows.length;
      mean = out.rows.reduce((s, r) => s + (r.coverage ?? 0), 0) / Math.max(1, out.rows.length);
      const days = out.rows.flatMap((r) => r.days);
      meanDay = days.reduce((s, d) => s + (d.coverage ?? 0), 0) / Math.max(1, days.length);
    }
    table.push([label, String(rows), `${(mean * 100).toFixed(1)} % / ${(meanDay * 100).toFixed(1)} %`, `${(median(times) / 1000).toFixed(2)} s`, times.map((t) => (t / 1000).toFixed(2)).join(', ')]);
  }
  // The parts of the office's figure: the cells of the grids, the chiefs who held them, the covered cells.
  const scope = sqlRowInScope(db.knex, office, { grid: 'g.code', community: 'g.parent_code', office: `(select oc.parent_code from areas oc where oc.code = g.parent_code order by oc.valid_from desc limit 1)` });
  // Counting the grids' cells happens once per boundary version: measured on an emptied cache.
  await db.knex('grid_cells').delete();
  const [cellsMs] = await timed(() => sqlFillGridCells(db.knex, scope, span));
  const [cachedMs] = await timed(() => sqlGridCells(db.knex, scope, span));
  const [heldMs] = await timed(() => sqlChiefsHeld(db.knex, scope, span));
  const [coverMs] = await timed(() => sqlCoverage(db.knex, scope, span, 'Asia/Shanghai'));
  console.log(`\n${db.kind} (PostGIS ${db.capabilities.postgisVersion}), ${MONTH}, ${fixes} fixes, ${runs} runs`);
  console.log('| viewer | rows | mean coverage: month / day | median | runs |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of table) console.log(`| ${r.join(' | ')} |`);
  console.log(`\nparts (office, one run): counting the grids' cells (once per boundary version) ${(cellsMs / 1000).toFixed(2)} s, reading them counted ${(cachedMs / 1000).toFixed(2)} s, the chiefs who held them ${(heldMs / 1000).toFixed(2)} s, the covered cells counted ${(coverMs / 1000).toFixed(2)} s`);
  await db.close();
}

await main();
