/** What the drills share: their database (migrated, with a synthetic city and an admin of all of it), the asset file they import, and small measures. */
import { AREA_LEVELS } from '../../server/areas/levels.js';
import { hashPassword } from '../../server/auth/service.js';
import { insertUser } from '../../server/auth/store.js';
import { openDatabase, type Db } from '../../server/db/connect.js';
import { migrate } from '../../server/db/migrate.js';
import { gridAssets } from '../city/assets.js';
import { CITY_PREFIX, planCity } from '../city/plan.js';
import { generateCity } from '../city/write.js';

/** Grids of the drills' city (its assets come from the file each drill imports). */
const CITY_GRIDS = 1000;
const CITY_SEED = 1;
/** The drills' account: an admin whose scope is every office in force. */
export const DRILL_USER = 'drill_admin';
const DRILL_PASSWORD = 'gridwork-drill';
/** Codes of the assets the drills import start with this; each run removes those of the runs before. */
export const DRILL_PREFIX = 'DRILL';

/** A flag's value (`--name value`), or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** The database a drill writes to: --url, else DATABASE_URL; native PostGIS only (the embedded database has one connection). */
export function drillUrl(): string {
  const url = arg('--url', process.env.DATABASE_URL ?? '');
  if (!url) throw new Error('name a scratch database of native PostGIS: --url postgres://gridwork:gridwork@localhost/gridwork_drill (or DATABASE_URL); the drill writes to it');
  return url;
}

/** Open the drill's database: migrated, with a 1,000-grid city, the drill's admin (DRILL_USER), and no asset of an earlier drill. */
export async function openDrillDb(url: string): Promise<Db> {
  const db = await openDatabase({ url });
  if (db.kind !== 'postgis') throw new Error('the drills run on native PostGIS');
  await migrate(db);
  const { rows } = await db.knex.raw(`select count(*)::int as n from areas where level = ? and valid_to is null and code like ?`, [AREA_LEVELS.grid, `${CITY_PREFIX}%`]);
  if (rows[0].n < CITY_GRIDS) {
    console.log(`generating a ${CITY_GRIDS.toLocaleString('en')}-grid city (seed ${CITY_SEED})…`);
    await generateCity(db, { grids: CITY_GRIDS, assets: 1000, seed: CITY_SEED, replace: true });
  }
  const offices = (await db.knex('areas').where({ level: AREA_LEVELS.office }).whereNull('valid_to').pluck('code')) as string[];
  const user = await db.knex('users').where({ username: DRILL_USER }).first('id');
  if (user) {
    await db.knex('user_scopes').where({ user_id: user.id }).delete();
    await db.knex('user_scopes').insert(offices.map((area_code) => ({ user_id: user.id, area_code })));
  } else {
    await insertUser(db.knex, { username: DRILL_USER, password_hash: await hashPassword(DRILL_PASSWORD), display_name: 'drill', role: 'admin', scope: offices });
  }
  const old = await db.knex('assets').where('code', 'like', `${DRILL_PREFIX}%`).delete();
  if (old) {
    console.log(`removed ${old.toLocaleString('en')} assets of earlier drills`);
    await db.knex.raw('vacuum analyze assets');
  }
  return db;
}

/** A CSV of `rows` assets of the city, each inside its grid, codes `${prefix}-…`. */
export function drillCsv(rows: number, prefix: string): string {
  const plan = planCity({ grids: CITY_GRIDS, assets: rows, seed: CITY_SEED });
  const lines = ['code,category_code,status,lon,lat'];
  for (let g = 0; g < plan.grids.length; g++) for (const a of gridAssets(plan, g)) lines.push(`${prefix}-${a.code},${a.category_code},${a.status},${a.lon},${a.lat}`);
  return lines.join('\n');
}

/** Log in through the API (as the drill's admin unless told) and answer the bearer token. */
export async function login(base: string, username = DRILL_USER, password = DRILL_PASSWORD): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login as ${username} failed (${res.status}): ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** The p-th percentile (0–100) of some numbers, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Deadlocks PostgreSQL has counted in the current database (backends report theirs when they exit, or within about 10 s of going idle). */
export async function deadlocksCounted(db: Db): Promise<number> {
  await db.knex.raw('select pg_stat_clear_snapshot()');
  const { rows } = await db.knex.raw('select deadlocks::int as n from pg_stat_database where datname = current_database()');
  return rows[0].n;
}

/** Print rows of [what, value] as an aligned table. */
export function printTable(title: string, rows: [string, string][]): void {
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n${title}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
}
