/** Writing the synthetic city into a migrated database: its SQL, the clearing of a previous city, the checks. */
import type { Knex } from 'knex';
import type { Db, DatabaseKind } from '../../server/db/connect.js';
import { finishBulkLoad, newCellPyramid, shouldLoadInBulk, startBulkLoad } from '../../server/assets/bulk.js';
import type { CellPyramid } from '../../server/assets/cell_pyramid.js';
import { copyAssets, toAssetCopyLine } from '../../server/assets/copy.js';
import { AREA_LEVELS } from '../../server/areas/levels.js';
import { CITY_ASSET_CATEGORIES, gridAssets } from './assets.js';
import { CITY_PREFIX, planCity, type CityArea, type CityGrid, type CityOptions, type CityPlan } from './plan.js';

/** When the city's boundaries and staff assignments come into force. */
export const CITY_VALID_FROM = '2026-01-01T00:00:00Z';

/** Phases of a run, in order. */
export const PHASES = ['plan', 'clear', 'areas', 'staff', 'assets', 'analyze', 'verify'] as const;
export type Phase = (typeof PHASES)[number];

/** Progress of the phase under way. */
export interface CityProgress {
  phase: Phase;
  done: number;
  total: number;
}

/** Options of a run: the city, whether to delete a previous one, and a progress callback. */
export interface GenerateOptions extends CityOptions {
  replace?: boolean;
  /** Load the assets in bulk (indexes rebuilt, pyramid summed in memory): by default when they outnumber those there. */
  bulk?: boolean;
  onProgress?: (progress: CityProgress) => void;
}

/** What a run wrote and how long each phase took. */
export interface CityResult {
  kind: DatabaseKind;
  offices: number;
  communities: number;
  grids: number;
  staff: number;
  assets: number;
  /** Seconds per phase. */
  seconds: Record<Phase, number>;
  totalSeconds: number;
  /** Assets checked against a spatial query after the load. */
  verifiedAssets: number;
}

/** The database already holds a synthetic city; the message says how to proceed. */
export class CityExistsError extends Error {}

const AREA_BATCH = 1000;
const STAFF_BATCH = 5000;
const ASSET_CHUNK = 20_000;
/** About this many assets are checked with a spatial query after the load. */
const VERIFY_SAMPLE = 5000;

const like = `${CITY_PREFIX}%`;

/** Count the rows of a previous synthetic city. */
function sqlCityRowCounts(knex: Knex): Knex.Raw {
  return knex.raw(
    `select (select count(*)::int from areas where code like :like) as areas,
            (select count(*)::int from assets where office_code like :like) as assets`,
    { like },
  );
}

/** Order tables so that every table comes before the tables it references (children first). */
export function childrenFirst(tables: string[], references: { child: string; parent: string }[]): string[] {
  const order: string[] = [];
  const left = new Set(tables);
  while (left.size) {
    const free = [...left].find((t) => !references.some((r) => r.parent === t && r.child !== t && left.has(r.child)));
    // A cycle of foreign keys has no free table: take any, and let the database say if that fails.
    const next = free ?? [...left][0];
    order.push(next);
    left.delete(next);
  }
  return order;
}

/**
 * Delete the previous synthetic city: only rows whose codes start with CITY_PREFIX. Every table with an
 * office_code column is cleared of the city's rows (incidents, photos, population… added by later work),
 * children before parents; then the chiefs, the assignments to the city's areas and the areas.
 */
async function clearCity(trx: Knex.Transaction): Promise<void> {
  const tables = (
    await trx.raw(
      `select c.table_name as name
         from information_schema.columns c
         join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = current_schema() and c.column_name = 'office_code' and t.table_type = 'BASE TABLE'
        order by 1`,
    )
  ).rows.map((r: { name: string }) => r.name) as string[];
  const references = (
    await trx.raw(
      `select (select relname from pg_class where oid = conrelid) as child, (select relname from pg_class where oid = confrelid) as parent
         from pg_constraint where contype = 'f' and connamespace = current_schema()::regnamespace`,
    )
  ).rows as { child: string; parent: string }[];
  for (const table of childrenFirst(tables, references)) await trx.raw(`delete from ?? where office_code like ?`, [table, like]);
  await trx.raw(`delete from staff where code like ?`, [`C${like}`]);
  await trx.raw(`delete from staff_assignments where area_code like ?`, [like]);
  await trx.raw(`delete from areas where code like ?`, [like]);
}

/** Insert areas from JSON rows in one statement; returns their ids by code. */
function sqlInsertAreas(knex: Knex, areas: CityArea[]): Knex.Raw {
  const rows = areas.map((a) => ({ ...a, ring: undefined, geometry: { type: 'MultiPolygon', coordinates: [[a.ring]] } }));
  return knex.raw(
    `insert into areas (code, level, name, name_en, parent_code, geom, valid_from)
     select f->>'code', (f->>'level')::smallint, f->>'name', f->>'name_en', f->>'parent_code',
            ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326), :validFrom
       from json_array_elements(:rows::json) f
     returning id, code`,
    { rows: JSON.stringify(rows), validFrom: CITY_VALID_FROM },
  );
}

/** Count the city's areas in force and the invalid ones, in one row. */
function sqlAreaValidity(knex: Knex): Knex.Raw {
  return knex.raw(
    `select count(*)::int as n, count(*) filter (where not ST_IsValid(geom))::int as invalid
       from areas where code like ? and valid_to is null`,
    [like],
  );
}

/** Insert grid chiefs from JSON rows in one statement. */
function sqlInsertChiefs(knex: Knex, chiefs: CityGrid['chief'][]): Knex.Raw {
  return knex.raw(
    `insert into staff (code, name, name_en, role, phone)
     select f->>'code', f->>'name', f->>'name_en', 'chief', f->>'phone' from json_array_elements(?::json) f`,
    [JSON.stringify(chiefs)],
  );
}

/** Assign every chief of the city to the grid named by its code (`C` + grid code). */
function sqlAssignChiefs(knex: Knex): Knex.Raw {
  return knex.raw(
    `insert into staff_assignments (staff_id, area_code, valid_from)
     select id, substr(code, 2), ? from staff where code like ? and role = 'chief'`,
    [CITY_VALID_FROM, `C${like}`],
  );
}

/**
 * Check a sample of the city's assets with a spatial query: each must lie in exactly one grid in force,
 * the one recorded on it, in the version recorded on it. One row: checked and wrong.
 */
function sqlVerifyAssetGrids(knex: Knex, step: number): Knex.Raw {
  return knex.raw(
    `select count(*)::int as checked,
            count(*) filter (where m.hits <> 1 or m.code is distinct from s.grid_code or m.id is distinct from s.area_version_id)::int as wrong
       from (select grid_code, area_version_id, geom from assets where office_code like :like and id % :step = 0) s
       cross join lateral (
         select count(*)::int as hits, min(g.code) as code, min(g.id) as id
           from areas g
          where g.level = ${AREA_LEVELS.grid} and g.valid_to is null and ST_Intersects(g.geom, s.geom)) m`,
    { like, step },
  );
}

/** The city's assets as COPY text chunks of about ASSET_CHUNK rows, in grid order (each added to the pyramid when given). */
function* assetCopyChunks(plan: CityPlan, gridIds: Map<string, number>, departments: Map<string, string | null>, pyramid?: CellPyramid): Generator<{ text: string; rows: number }> {
  let lines: string[] = [];
  for (let g = 0; g < plan.grids.length; g++) {
    const grid = plan.grids[g];
    const gridId = gridIds.get(grid.area.code);
    if (gridId === undefined) throw new Error(`grid ${grid.area.code} was not inserted`);
    for (const a of gridAssets(plan, g)) {
      const dept = departments.get(a.category_code) ?? null;
      pyramid?.addPoint(a.lon, a.lat, a.category_code, a.status);
      lines.push(
        toAssetCopyLine({ office: grid.officeCode, code: a.code, category: a.category_code, status: a.status, department: dept, grid: grid.area.code, version: gridId, attrs: a.attrs, lon: a.lon, lat: a.lat }),
      );
    }
    if (lines.length >= ASSET_CHUNK || g === plan.grids.length - 1) {
      if (lines.length) yield { text: `${lines.join('\n')}\n`, rows: lines.length };
      lines = [];
    }
  }
}

/**
 * Write the synthetic city into a migrated database in one transaction: areas, chiefs, assets, ANALYZE,
 * and a spatial check of a sample of assets (a failed check rolls everything back). Refuses when a city
 * is already there unless `replace`.
 */
export async function generateCity(db: Db, options: GenerateOptions): Promise<CityResult> {
  const started = performance.now();
  const seconds = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>;
  let phaseStart = started;
  const progress = options.onProgress ?? (() => undefined);
  const endPhase = (phase: Phase) => {
    const now = performance.now();
    seconds[phase] = (now - phaseStart) / 1000;
    phaseStart = now;
  };

  const existing = (await sqlCityRowCounts(db.knex)).rows[0] as { areas: number; assets: number };
  if ((existing.areas > 0 || existing.assets > 0) && !options.replace) {
    throw new CityExistsError(
      `the database already holds a synthetic city (${existing.areas} areas and ${existing.assets} assets with codes starting ${CITY_PREFIX}). ` +
        `Run again with --replace to delete it first (only rows whose codes start with ${CITY_PREFIX} are deleted; the demo office is not touched), ` +
        'or point DATABASE_URL or DATA_DIR at another database.',
    );
  }
  const categories = (await db.knex('asset_categories').select('code', 'department_code')) as { code: string; department_code: string | null }[];
  const departments = new Map(categories.map((c) => [c.code, c.department_code]));
  const missing = CITY_ASSET_CATEGORIES.filter((c) => !departments.has(c));
  if (missing.length) throw new Error(`asset categories ${missing.join(', ')} are missing from asset_categories: run the migrations (002_dictionaries.sql) first`);

  progress({ phase: 'plan', done: 0, total: 1 });
  const plan = planCity(options);
  progress({ phase: 'plan', done: 1, total: 1 });
  endPhase('plan');

  let verifiedAssets = 0;
  await db.knex.transaction(async (trx) => {
    progress({ phase: 'clear', done: 0, total: 1 });
    if (options.replace) await clearCity(trx);
    progress({ phase: 'clear', done: 1, total: 1 });
    endPhase('clear');

    const areas = [...plan.offices, ...plan.communities, ...plan.grids.map((g) => g.area)];
    const gridIds = new Map<string, number>();
    for (let i = 0; i < areas.length; i += AREA_BATCH) {
      const { rows } = await sqlInsertAreas(trx, areas.slice(i, i + AREA_BATCH));
      for (const r of rows as { id: number; code: string }[]) gridIds.set(r.code, r.id);
      progress({ phase: 'areas', done: Math.min(i + AREA_BATCH, areas.length), total: areas.length });
    }
    // A statement that must return one row and returns none is a swallowed GEOS error on the embedded build.
    const validity = (await sqlAreaValidity(trx)).rows[0] as { n: number; invalid: number } | undefined;
    if (!validity || validity.n !== areas.length || validity.invalid !== 0) {
      throw new Error(`area check failed: ${validity ? `${validity.n} areas in force (expected ${areas.length}), ${validity.invalid} invalid` : 'no answer'}`);
    }
    endPhase('areas');

    const chiefs = plan.grids.map((g) => g.chief);
    for (let i = 0; i < chiefs.length; i += STAFF_BATCH) {
      await sqlInsertChiefs(trx, chiefs.slice(i, i + STAFF_BATCH));
      progress({ phase: 'staff', done: Math.min(i + STAFF_BATCH, chiefs.length), total: chiefs.length });
    }
    await sqlAssignChiefs(trx);
    endPhase('staff');

    let loaded = 0;
    progress({ phase: 'assets', done: 0, total: options.assets });
    const there = Number((await trx('assets').count({ n: '*' }))[0].n);
    const bulk = options.bulk ?? shouldLoadInBulk(options.assets, there);
    const suspended = bulk ? await startBulkLoad(db, trx) : undefined;
    const pyramid = bulk ? await newCellPyramid(trx) : undefined;
    await copyAssets(db, trx, assetCopyChunks(plan, gridIds, departments, pyramid), (rows) => {
      loaded += rows;
      progress({ phase: 'assets', done: loaded, total: options.assets });
    });
    if (loaded !== options.assets) throw new Error(`loaded ${loaded} assets, expected ${options.assets}`);
    if (suspended && pyramid) await finishBulkLoad(db, trx, suspended, pyramid);
    endPhase('assets');

    // Statistics first: the check below (and every later query) plans badly on a million unanalysed rows.
    progress({ phase: 'analyze', done: 0, total: 1 });
    await trx.raw('analyze areas, staff, staff_assignments, assets');
    progress({ phase: 'analyze', done: 1, total: 1 });
    endPhase('analyze');

    progress({ phase: 'verify', done: 0, total: 1 });
    const step = Math.max(1, Math.floor(options.assets / VERIFY_SAMPLE));
    const check = (await sqlVerifyAssetGrids(trx, step)).rows[0] as { checked: number; wrong: number } | undefined;
    if (!check || check.checked === 0 || check.wrong !== 0) {
      throw new Error(`asset grid check failed: ${check ? `${check.wrong} of ${check.checked} sampled assets are not in their recorded grid` : 'no answer'}`);
    }
    verifiedAssets = check.checked;
    progress({ phase: 'verify', done: 1, total: 1 });
    endPhase('verify');
  });

  return {
    kind: db.kind,
    offices: plan.offices.length,
    communities: plan.communities.length,
    grids: plan.grids.length,
    staff: plan.grids.length,
    assets: options.assets,
    seconds,
    totalSeconds: (performance.now() - started) / 1000,
    verifiedAssets,
  };
}
