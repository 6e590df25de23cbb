/**
 * Benchmarks of issue 4 on native PostGIS, each beside its baseline in the same run:
 *   (a) importing 1,000,000 assets with grid assignment vs ogr2ogr load + one UPDATE … FROM areas join;
 *   (b) validating a 10,000-grid plan (the whole city proposed again);
 *   (c) publishing a plan that redraws 50 grids, re-routing their assets.
 *
 *   npx tsx scripts/bench/plans_assets.ts [--url postgres://…/scratch_db] [--assets 1000000] [--only abc] [--no-baseline]
 *
 * It WRITES to the database named by --url (default gridwork_plans_bench): use a scratch database
 * (createdb -O gridwork gridwork_plans_bench). A 10,000-grid city (seed 1) is generated there when missing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importAssets } from '../../server/assets/importer.js';
import { insertUser, type SessionUser } from '../../server/auth/store.js';
import { openDatabase, type Db } from '../../server/db/connect.js';
import { migrate } from '../../server/db/migrate.js';
import { checkPlan, createPlan, publishPlan } from '../../server/plans/service.js';
import { readGeoJson } from '../../server/plans/source.js';
import { TileService } from '../../server/tiles/service.js';
import { gridAssets } from '../city/assets.js';
import { CITY_PREFIX, planCity } from '../city/plan.js';
import { generateCity } from '../city/write.js';
import { AREA_LEVELS } from '../../server/areas/levels.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const URL_ = arg('--url', 'postgres://gridwork:gridwork@localhost/gridwork_plans_bench');
const ASSETS = Number(arg('--assets', '1000000'));
const GRIDS = 10_000;
const SEED = 1;
const results: [string, string, string][] = [];
const secs = (t0: number) => (performance.now() - t0) / 1000;

/** Write the city's assets as CSV (codes prefixed B so they never clash with the generator's own). */
function writeCsv(file: string): void {
  const plan = planCity({ grids: GRIDS, assets: ASSETS, seed: SEED });
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'code,category_code,status,lon,lat\n');
  let buf: string[] = [];
  for (let g = 0; g < plan.grids.length; g++) {
    for (const a of gridAssets(plan, g)) buf.push(`B${a.code},${a.category_code},${a.status},${a.lon},${a.lat}`);
    if (buf.length > 50_000) {
      fs.writeSync(fd, `${buf.join('\n')}\n`);
      buf = [];
    }
  }
  if (buf.length) fs.writeSync(fd, `${buf.join('\n')}\n`);
  fs.closeSync(fd);
}

async function ensureCity(db: Db): Promise<void> {
  const { rows } = await db.knex.raw(`select count(*) as n from areas where level = ${AREA_LEVELS.grid} and valid_to is null and code like :p`, { p: `${CITY_PREFIX}%` });
  if (Number(rows[0].n) >= GRIDS) return;
  console.log('generating the 10,000-grid city (seed 1, 1,000 assets)…');
  await generateCity(db, { grids: GRIDS, assets: 1000, seed: SEED, replace: true });
}

/** A checkpoint now (it needs a superuser or pg_checkpoint; without, the steps go on and may pay for one). */
async function checkpoint(knex: Db['knex']): Promise<void> {
  try {
    await knex.raw('checkpoint');
  } catch (err) {
    console.warn(`no checkpoint before the step: ${(err as Error).message}`);
  }
}

async function benchImport(db: Db, file: string): Promise<void> {
  const { knex } = db;
  await knex.raw(`delete from assets where code like 'B%'`);
  await knex.raw('drop table if exists bench_ogr');
  await knex.raw('vacuum analyze assets');

  // Baseline: ogr2ogr load, then one spatial UPDATE join (--no-baseline skips it, while working on the import).
  const baseline = !process.argv.includes('--no-baseline');
  const u = new URL(URL_);
  const pg = `PG:host=${u.hostname} dbname=${u.pathname.slice(1)} user=${decodeURIComponent(u.username)} password=${decodeURIComponent(u.password)}`;
  // Each timed step starts from a checkpoint, so that none pays for the WAL of what came before it (deleting
  // and vacuuming the last run's million rows would otherwise set one off in the middle of the next step).
  await checkpoint(knex);
  let t0 = performance.now();
  if (baseline) execFileSync('ogr2ogr', ['-f', 'PostgreSQL', pg, file, '-nln', 'bench_ogr', '-oo', 'X_POSSIBLE_NAMES=lon', '-oo', 'Y_POSSIBLE_NAMES=lat', '-a_srs', 'EPSG:4326', '-lco', 'GEOMETRY_NAME=geom', '-overwrite', '--config', 'PG_USE_COPY', 'YES'], { stdio: 'inherit' });
  const ogrLoad = secs(t0);
  t0 = performance.now();
  let ogrJoin = 0;
  let missed = 0;
  if (baseline) {
    await knex.raw('alter table bench_ogr add column grid_code text');
    await checkpoint(knex);
    t0 = performance.now();
    await knex.raw(`update bench_ogr b set grid_code = g.code from areas g where g.level = ${AREA_LEVELS.grid} and g.valid_to is null and ST_Intersects(g.geom, b.geom)`);
    ogrJoin = secs(t0);
    missed = (await knex.raw('select count(*) as n from bench_ogr where grid_code is null')).rows[0].n;
    await knex.raw('drop table bench_ogr');
  }

  await checkpoint(knex);
  t0 = performance.now();
  const text = fs.readFileSync(file, 'utf8');
  const read = secs(t0);
  const r = await importAssets(db, text, { format: 'csv' });
  const ours = secs(t0);
  if (r.error_count) throw new Error(`import reported ${r.error_count} bad rows, e.g. ${JSON.stringify(r.errors.slice(0, 3))}`);
  results.push(['(a) baseline: ogr2ogr load', `${ogrLoad.toFixed(1)} s`, `${ASSETS.toLocaleString('en')} rows`]);
  results.push(['(a) baseline: UPDATE … FROM areas join', `${ogrJoin.toFixed(1)} s`, `${missed} rows without grid`]);
  results.push(['(a) baseline total', `${(ogrLoad + ogrJoin).toFixed(1)} s`, '']);
  results.push([
    '(a) import:assets (read, check, grid, COPY)',
    `${ours.toFixed(1)} s`,
    `read ${read.toFixed(1)} + start ${r.seconds.parse.toFixed(1)} + check/grid while COPY ${r.seconds.validate.toFixed(1)} + finish ${r.seconds.write.toFixed(1)}; ${r.imported.toLocaleString('en')} rows in ${r.grids} grids; ${baseline ? `${((ogrLoad + ogrJoin) / ours).toFixed(1)}× faster` : 'no baseline'}`,
  ]);
  await knex.raw('analyze assets');
}

async function benchUser(db: Db): Promise<SessionUser> {
  const offices = (await db.knex('areas').where({ level: AREA_LEVELS.office }).whereNull('valid_to').pluck('code')) as string[];
  let row = await db.knex('users').where({ username: 'bench_planner' }).first('id');
  if (!row) row = { id: await insertUser(db.knex, { username: 'bench_planner', password_hash: 'x', display_name: 'bench', role: 'planner', scope: offices }) };
  return { id: row.id, username: 'bench_planner', display_name: 'bench', role: 'planner', department_code: null, scope: offices };
}

async function benchValidate(db: Db, user: SessionUser): Promise<void> {
  const t0 = performance.now();
  const { rows } = await db.knex.raw(
    `select json_build_object('type', 'Feature', 'properties', json_build_object('code', code, 'name', name, 'name_en', name_en, 'parent_code', parent_code),
                              'geometry', ST_AsGeoJSON(geom)::json) as f
       from areas where level = ${AREA_LEVELS.grid} and valid_to is null and code like :p order by code`,
    { p: `${CITY_PREFIX}%` },
  );
  const source = readGeoJson({ type: 'FeatureCollection', features: rows.map((r: { f: unknown }) => r.f) });
  const read = secs(t0);
  const t1 = performance.now();
  const { id, report } = await createPlan(db, user, source, 'bench: whole city');
  const created = secs(t1);
  const t2 = performance.now();
  const again = await checkPlan(db.knex, id);
  const checked = secs(t2);
  results.push(['(b) validate 10,000-grid plan: create (insert + check)', `${created.toFixed(1)} s`, `${report.grids} grids, valid=${report.valid}, replaces ${report.replaces.length}`]);
  results.push(['(b) validate 10,000-grid plan: re-check only', `${checked.toFixed(1)} s`, `valid=${again.valid}, gaps ${again.gaps.length}, overlaps ${again.overlaps.length}; reading grids ${read.toFixed(1)} s`]);
  // Its 10,000 proposed grids would otherwise sit in the plan_grids index under every later plan.
  await db.knex('plans').where({ id }).update({ status: 'discarded' });
  await db.knex('plan_grids').where({ plan_id: id }).delete();
}

async function benchPublish(db: Db, user: SessionUser): Promise<void> {
  // 25 adjacent pairs of one office no plan has touched yet, each redrawn as its union cut in two by a north-south line.
  const { rows: pairs } = await db.knex.raw(
    `with office as (select o.code from areas o where o.level = ${AREA_LEVELS.office} and o.valid_to is null and o.code like :p and o.plan_id is null order by o.code limit 1)
     select a.code as a, b.code as b
       from areas a join areas b on b.level = ${AREA_LEVELS.grid} and b.valid_to is null and a.code < b.code and b.parent_code = a.parent_code
                                and a.geom && b.geom and ST_Intersects(a.geom, b.geom)
       join areas c on c.code = a.parent_code and c.valid_to is null
      where a.level = ${AREA_LEVELS.grid} and a.valid_to is null and c.parent_code = (select code from office)
        and ST_Length(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 2)::geography) > 200
      order by a.code, b.code`,
    { p: `${CITY_PREFIX}%` },
  );
  const used = new Set<string>();
  const chosen: [string, string][] = [];
  for (const r of pairs as { a: string; b: string }[]) {
    if (chosen.length === 25) break;
    if (used.has(r.a) || used.has(r.b)) continue;
    used.add(r.a);
    used.add(r.b);
    chosen.push([r.a, r.b]);
  }
  const features: unknown[] = [];
  for (const [a, b] of chosen) {
    const { rows } = await db.knex.raw(
      `with g as (select code, name, parent_code, geom from areas where level = ${AREA_LEVELS.grid} and valid_to is null and code in (:a, :b)),
            u as (select ST_Union(geom) as g from g),
            m as (select g, ST_XMin(g) - 1 as x0, ST_YMin(g) - 1 as y0, ST_XMax(g) + 1 as x1, ST_YMax(g) + 1 as y1, (ST_XMin(g) + ST_XMax(g)) / 2 as xm from u)
       select ST_AsGeoJSON(ST_CollectionExtract(ST_Intersection(m.g, ST_MakeEnvelope(x0, y0, xm, y1, 4326)), 3), 15)::json as west,
              ST_AsGeoJSON(ST_CollectionExtract(ST_Intersection(m.g, ST_MakeEnvelope(xm, y0, x1, y1, 4326)), 3), 15)::json as east,
              (select parent_code from g where code = :a) as pa, (select parent_code from g where code = :b) as pb
         from m`,
      { a, b },
    );
    features.push({ type: 'Feature', properties: { code: a, parent_code: rows[0].pa }, geometry: rows[0].west });
    features.push({ type: 'Feature', properties: { code: b, parent_code: rows[0].pb }, geometry: rows[0].east });
  }
  const t0 = performance.now();
  const { id, report } = await createPlan(db, user, readGeoJson({ type: 'FeatureCollection', features }), 'bench: 50-grid redraw');
  const created = secs(t0);
  if (!report.valid) throw new Error(`the 50-grid plan is not valid: ${JSON.stringify({ ...report, replaces: undefined }).slice(0, 800)}`);
  const t1 = performance.now();
  // No app serves tiles here: a tile service of its own stands in, with nothing cached to drop.
  const out = await publishPlan(db, new TileService(db), user, id);
  const published = secs(t1);
  results.push(['(c) 50-grid plan: create + check', `${created.toFixed(2)} s`, `${report.grids} grids`]);
  results.push(['(c) publish 50-grid redraw', `${published.toFixed(2)} s`, `moved ${out.moved.assets} assets, ${out.moved.incidents} incidents; ${out.communities.length} communities, ${out.offices.length} office recomputed`]);
}

async function main(): Promise<void> {
  const db = await openDatabase({ url: URL_ });
  if (db.kind !== 'postgis') throw new Error('run against native PostGIS');
  await migrate(db);
  await ensureCity(db);
  const file = path.join(os.tmpdir(), `gridwork_bench_assets_${ASSETS}.csv`);
  if (!fs.existsSync(file)) {
    console.log(`writing ${file}…`);
    writeCsv(file);
  }
  const user = await benchUser(db);
  await db.knex.raw(`delete from plan_grids where plan_id in (select id from plans where status = 'discarded')`);
  await db.knex.raw('vacuum analyze plan_grids');
  const only = arg('--only', 'abc');
  if (only.includes('a')) await benchImport(db, file);
  if (only.includes('b')) await benchValidate(db, user);
  if (only.includes('c')) await benchPublish(db, user);
  await db.close();
  const w0 = Math.max(...results.map((r) => r[0].length));
  const w1 = Math.max(...results.map((r) => r[1].length));
  console.log(`\nnative PostGIS ${db.capabilities.postgisVersion} (GEOS ${db.capabilities.geosVersion}), ${os.cpus().length} cores, ${new Date().toISOString()}`);
  for (const [k, v, note] of results) console.log(`${k.padEnd(w0)}  ${v.padStart(w1)}  ${note}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
