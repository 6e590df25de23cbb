/**
 * Benchmark of the monthly appraisal: one month of 200,000 incidents (with their events) on the
 * 10,000-grid synthetic city, appraised by chief, grid, community and department for the whole city.
 *
 *   npx tsx scripts/bench/appraisal.ts [--incidents 200000] [--grids 10000] [--runs 3]
 *
 * Writes only to its own database, BENCH_DATABASE_URL (default
 * postgres://gridwork:gridwork@localhost/gridwork_appraisal_bench, created when missing): the city is
 * generated there once (generateCity), the incidents once per size (set-based SQL, seeded), and later
 * runs reuse them.
 */
import type { SessionUser } from '../../server/auth/store.js';
import { appraise } from '../../server/appraisal/service.js';
import { ROW_KINDS } from '../../server/appraisal/sql.js';
import { openDatabase } from '../../server/db/connect.js';
import { migrate } from '../../server/db/migrate.js';
import { CITY_PREFIX } from '../city/plan.js';
import { generateCity } from '../city/write.js';
import { AREA_LEVELS } from '../../server/areas/levels.js';
import { arg, ensureDatabase } from './support.js';

const MONTH = '2026-10';
const MONTH_START = '2026-09-30T16:00:00Z'; // 1 October 2026, 00:00 in Asia/Shanghai


/**
 * A month of incidents spread over every grid, set-based and seeded: 60% found by patrols, the rest by
 * residents, the hotline, superiors and the media; 70% closed, 10% handled, 15% open, 5% cancelled;
 * 20% dispatched to a department; 3% deferred; 5% reworked once; deadlines 1–7 days.
 */
const INCIDENTS_SQL = `
  select setseed(0.4242);
  create temporary table g as
    select (row_number() over (order by a.code) - 1)::int as k, a.id, a.code, a.parent_code, c.parent_code as office_code, ST_PointOnSurface(a.geom) as p
      from areas a join areas c on c.code = a.parent_code and c.valid_to is null
     where a.level = ${AREA_LEVELS.grid} and a.valid_to is null and a.code like '${CITY_PREFIX}%';
  create temporary table r as
    select n, random() as r1, random() as r2, random() as r3, random() as r4, random() as r5, random() as r6 from generate_series(1, :count) n;
  insert into incidents (office_code, case_no, category_code, source, status, level, grid_code, community_code, area_version_id,
                         department_code, geom, due_at, deferred, reported_at, closed_at, handled_at, rework_count)
  select g.office_code, 'BENCH' || r.n, cat.code,
         case when r.r1 < 0.60 then 'patrol' when r.r1 < 0.85 then 'resident' when r.r1 < 0.93 then 'hotline' when r.r1 < 0.97 then 'superior' else 'media' end,
         case when r.r2 < 0.70 then 'closed' when r.r2 < 0.80 then 'handled' when r.r2 < 0.95 then 'open' else 'cancelled' end,
         case when r.r3 < 0.20 then 'department' when r.r3 < 0.30 then 'community' else 'grid' end,
         g.code, g.parent_code, g.id,
         case when r.r3 < 0.20 then cat.department_code end,
         g.p,
         t.reported + make_interval(hours => 24 + (r.r4 * 144)::int),
         r.r5 < 0.03,
         t.reported,
         case when r.r2 < 0.70 or r.r2 >= 0.95 then t.reported + make_interval(hours => 2 + (r.r6 * 180)::int) end,
         case when r.r2 < 0.80 then t.reported + make_interval(hours => 1 + (r.r6 * 150)::int) end,
         case when r.r5 > 0.95 then 1 else 0 end
    from r
    join g on g.k = r.n % (select count(*) from g)
    cross join lateral (select r.n, timestamptz '${MONTH_START}' + make_interval(secs => (r.r1 * 7 + r.r2 * 13 + r.r6 * 11) / 31 * 30 * 86400) as reported) t
    join (select row_number() over (order by code) - 1 as j, code, department_code from incident_categories where department_code is not null) cat
      on cat.j = r.n % (select count(*) from incident_categories where department_code is not null);
  insert into incident_events (office_code, incident_id, action, from_status, to_status, from_level, to_level, created_at)
  select office_code, id, 'report', null, 'open', null, 'grid', reported_at from incidents where case_no like 'BENCH%'
  union all
  select office_code, id, 'reject', 'handled', 'open', level, level, handled_at - interval '1 hour' from incidents where case_no like 'BENCH%' and rework_count > 0 and handled_at is not null
  union all
  select office_code, id, 'handle', 'open', 'handled', level, level, handled_at from incidents where case_no like 'BENCH%' and handled_at is not null
  union all
  select office_code, id, case when status = 'cancelled' then 'cancel' else 'confirm' end, 'handled', status, level, level, closed_at
    from incidents where case_no like 'BENCH%' and closed_at is not null;
`;

async function main() {
  const url = process.env.BENCH_DATABASE_URL ?? 'postgres://gridwork:gridwork@localhost/gridwork_appraisal_bench';
  const count = arg('incidents', 200_000);
  const grids = arg('grids', 10_000);
  const runs = arg('runs', 3);
  await ensureDatabase(url);
  const db = await openDatabase({ url });
  try {
    await migrate(db);
    const have = (await db.knex('areas').where({ level: AREA_LEVELS.grid }).whereNull('valid_to').where('code', 'like', `${CITY_PREFIX}%`).count<{ n: number }[]>({ n: '*' }))[0].n;
    if (Number(have) !== grids) {
      const t0 = performance.now();
      await generateCity(db, { grids, assets: grids, seed: 1, replace: Number(have) > 0 });
      console.log(`city of ${grids} grids generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const existing = Number((await db.knex('incidents').where('case_no', 'like', 'BENCH%').count<{ n: number }[]>({ n: '*' }))[0].n);
    if (existing !== count) {
      const t0 = performance.now();
      await db.knex.transaction(async (trx) => {
        await trx.raw(`delete from incident_events where incident_id in (select id from incidents where case_no like 'BENCH%')`);
        await trx('incidents').where('case_no', 'like', 'BENCH%').delete();
        await trx.raw(`drop table if exists g; drop table if exists r;`);
        for (const stmt of INCIDENTS_SQL.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean)) {
          await trx.raw(stmt.replace(':count', String(count)));
        }
      });
      // Statistics and the visibility map (index-only scans), as autovacuum would leave them.
      await db.knex.raw('vacuum analyze incidents, incident_events, staff, staff_assignments, areas');
      console.log(`${count.toLocaleString('en')} incidents generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const offices = (await db.knex('areas').where({ level: AREA_LEVELS.office }).whereNull('valid_to').where('code', 'like', `${CITY_PREFIX}%`).pluck('code')) as string[];
    const user: SessionUser = { id: 0, username: 'bench', display_name: 'bench', role: 'admin', department_code: null, scope: offices };
    const stats = await db.knex.raw(
      `select count(*) as incidents, (select count(*) from incident_events ev join incidents i on i.id = ev.incident_id where i.case_no like 'BENCH%') as events
         from incidents where case_no like 'BENCH%'`,
    );
    console.log(`\nAppraisal of ${MONTH} (Asia/Shanghai) over ${offices.length} offices, ${grids.toLocaleString('en')} grids, ` +
      `${Number(stats.rows[0].incidents).toLocaleString('en')} incidents, ${Number(stats.rows[0].events).toLocaleString('en')} events; native PostGIS, ${runs} runs\n`);
    console.log('| by | rows | min s | median s | max s |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const by of ROW_KINDS) {
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const a = await appraise(db.knex, user, { month: MONTH, by });
        times.push((performance.now() - t0) / 1000);
        rows = a.rows.length;
      }
      times.sort((a, b) => a - b);
      console.log(`| ${by} | ${rows.toLocaleString('en')} | ${times[0].toFixed(2)} | ${times[Math.floor(times.length / 2)].toFixed(2)} | ${times[times.length - 1].toFixed(2)} |`);
    }
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
