import type { Knex } from 'knex';
import { sqlGeoJson } from '../geo/geojson_sql.js';
import { sqlChiefJson } from '../staff/sql.js';
import { AREA_LEVELS } from './levels.js';

const GRID = AREA_LEVELS.grid;

/** Decimal places of coordinates in API output: 7 decimals is about 1 cm. */
export const API_PRECISION = 7;

/** The clause selecting area versions in force: now when `at` is absent, else at that instant. */
export function sqlInForce(q: Knex.QueryBuilder, at: Date | undefined, alias = 'a'): Knex.QueryBuilder {
  if (!at) return q.whereNull(`${alias}.valid_to`);
  return q
    .where(`${alias}.valid_from`, '<=', at)
    .andWhere((w) => w.whereNull(`${alias}.valid_to`).orWhere(`${alias}.valid_to`, '>', at));
}

/** Area rows as GeoJSON-ready records: properties plus the geometry as RFC 7946 JSON (CCW outer rings). */
export function sqlAreaFeatures(
  knex: Knex,
  filter: { level?: number; code?: string; at?: Date; parentCode?: string },
): Knex.QueryBuilder {
  const q = knex('areas as a').select(
    'a.id',
    'a.code',
    'a.name',
    'a.name_en',
    'a.level',
    'a.parent_code',
    'a.valid_from',
    'a.valid_to',
    knex.raw(`${sqlGeoJson('a.geom', API_PRECISION)}::json as geometry`),
    knex.raw(`${sqlChiefJson('a.code', filter.at ? '?' : null)} as chief`, filter.at ? [filter.at] : []),
  );
  sqlInForce(q, filter.at);
  if (filter.level) q.where('a.level', filter.level);
  if (filter.code) q.where('a.code', filter.code);
  if (filter.parentCode) q.where('a.parent_code', filter.parentCode);
  return q.orderBy('a.code');
}

/** Every version of one area, newest first. */
export function sqlAreaHistory(knex: Knex, code: string): Knex.QueryBuilder {
  return knex('areas as a')
    .select('a.id', 'a.code', 'a.name', 'a.name_en', 'a.level', 'a.parent_code', 'a.valid_from', 'a.valid_to', 'a.plan_id',
      knex.raw(`ST_Area(a.geom::geography) as area_m2`))
    .where('a.code', code)
    .orderBy('a.valid_from', 'desc');
}

/** The in-force condition of an area alias as SQL text: now, or at the named binding `:at` when `at`. */
export function sqlSpan(alias: string, at: boolean): string {
  return at ? `${alias}.valid_from <= :at and (${alias}.valid_to is null or ${alias}.valid_to > :at)` : `${alias}.valid_to is null`;
}

/** SQL text of a grid's office (alias of a grid row): the parent of its community in force (now, or at `:at`). */
export function sqlOfficeOf(gridAlias: string, at = false): string {
  return `(select oc.parent_code from areas oc where oc.code = ${gridAlias}.parent_code and ${sqlSpan('oc', at)})`;
}

/**
 * SQL text of the one rule for the grid at a point: a subquery (for `join lateral`) giving the grid in
 * force (now, or at `:at`) that contains the point expression, with its version, community and office.
 * A point on a shared edge lies in both grids: the one with the lowest code wins, so the answer is
 * deterministic. `point` is an expression from code (e.g. `x.geom`), never from input.
 */
export function sqlGridAt(point: string, at = false): string {
  return `select ga.id as area_version_id, ga.code as grid_code, ga.name as grid_name, ga.name_en as grid_name_en,
                 ga.parent_code as community_code, ${sqlOfficeOf('ga', at)} as office_code
            from areas ga
           where ga.level = ${GRID} and ${sqlSpan('ga', at)} and ST_Intersects(ga.geom, ${point})
           order by ga.code
           limit 1`;
}

/** How a domain's table is placed in grids, for regrids and a plan's impact (identifiers and SQL from code). */
export interface PlacedTable {
  /** The table; it has id, office_code, grid_code, area_version_id, updated_at. */
  table: string;
  /** The row's point as SQL over alias `x`, e.g. `x.geom` or `ST_PointOnSurface(x.geom)`. */
  point: string;
  /** What names a row to a person, as SQL over `x` (its code, case number, address). */
  label: string;
  /** Which rows follow a boundary change, as SQL over `x` (`true` for all). */
  follows: string;
  /** The table keeps community_code too. */
  community?: boolean;
}

/** What a regrid moves: rows of a placed table chosen by a condition over `x` with named bindings. */
export type RegridSpec = Pick<PlacedTable, 'table' | 'point' | 'community'> & { where: string; bindings?: Record<string, unknown> };

/** A row a regrid gave another grid. */
export interface GridMove {
  id: number;
  office_code: string;
  from_grid: string | null;
  to_grid: string;
}

/**
 * Give the chosen rows of a table the grid in force at their point (`sqlGridAt`) with its version, in one
 * set-based statement; rows outside every grid keep theirs. Returns each row changed, with its grids.
 */
export function sqlRegrid(knex: Knex, spec: RegridSpec): Knex.Raw {
  const community = spec.community ? ', community_code = m.community_code' : '';
  return knex.raw(
    `with moved as (
       select x.id, x.grid_code as from_grid, loc.grid_code as to_grid, loc.area_version_id, loc.community_code
         from ${spec.table} x cross join lateral (${sqlGridAt(spec.point)}) loc
        where ${spec.where}
     )
     update ${spec.table} x
        set grid_code = m.to_grid, area_version_id = m.area_version_id, updated_at = now()${community}
       from moved m
      where x.id = m.id and (x.grid_code is distinct from m.to_grid or x.area_version_id is distinct from m.area_version_id)
     returning x.id, x.office_code, m.from_grid, m.to_grid`,
    spec.bindings ?? {},
  );
}

/** Who moved rows to other grids: a boundary plan published by a user. */
export interface MovedBy {
  planId: number;
  actor: number;
}

/** What a plan's publish asks a domain to move: its rows in the grid codes that closed. */
export type PlanMoves = MovedBy & { codes: string[] };

/**
 * Log regrid moves in a domain's event table (one with office_code, the row's id column, action, from_grid,
 * to_grid, plan_id, actor_user_id and note, as asset_events and building_events have); identifiers from code.
 */
export function sqlLogGridMoves(knex: Knex, log: { table: string; idColumn: string }, moves: GridMove[], by: MovedBy): Knex.Raw {
  return knex.raw(
    `insert into ${log.table} (office_code, ${log.idColumn}, action, from_grid, to_grid, plan_id, actor_user_id, note)
     select m->>'office_code', (m->>'id')::int, 'regrid', m->>'from_grid', m->>'to_grid', :plan, :actor, :note
       from json_array_elements(:moves::json) m`,
    { moves: JSON.stringify(moves), plan: by.planId, actor: by.actor, note: `Moved by boundary plan ${by.planId}` },
  );
}

/** The in-force condition of an area alias with positional bindings: its text and its values. */
function spanPositional(alias: string, at: Date | undefined): { text: string; values: unknown[] } {
  return at
    ? { text: `${alias}.valid_from <= ? and (${alias}.valid_to is null or ${alias}.valid_to > ?)`, values: [at, at] }
    : { text: `${alias}.valid_to is null`, values: [] };
}

/**
 * The one area-subtree query: the codes of the areas in force (now, or at `at`) under some root areas,
 * the roots included, optionally of one level; as text with `?` placeholders and their values, for
 * statements built from clauses (features) and for knex (`sqlAreaSubtree`).
 */
export function areaSubtreeSql(roots: string[], opts: { at?: Date; level?: number } = {}): { text: string; values: unknown[] } {
  const r = spanPositional('r', opts.at);
  const a = spanPositional('a', opts.at);
  return {
    text: `with recursive sub as (
       select r.code, r.level from areas r where r.code = any(?::text[]) and ${r.text}
       union
       select a.code, a.level from areas a join sub on a.parent_code = sub.code where ${a.text}
     )
     select code from sub${opts.level ? ' where level = ?' : ''}`,
    values: [roots, ...r.values, ...a.values, ...(opts.level ? [opts.level] : [])],
  };
}

/** The area subtree (`areaSubtreeSql`) as a knex statement, to run or to embed in another. */
export function sqlAreaSubtree(knex: Knex, roots: string[], opts: { at?: Date; level?: number } = {}): Knex.Raw {
  const { text, values } = areaSubtreeSql(roots, opts);
  return knex.raw(text, values as Knex.RawBinding[]);
}

/**
 * The grid in force that contains a point, with its community, office and chief (see `sqlGridAt`).
 */
export function sqlLocate(knex: Knex, lon: number, lat: number, at?: Date): Knex.Raw {
  return knex.raw(
    `with pt as (select ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) as g)
     select loc.area_version_id as grid_version_id, loc.grid_code, loc.grid_name, loc.grid_name_en,
            c.code as community_code, c.name as community_name, c.name_en as community_name_en,
            o.code as office_code, o.name as office_name, o.name_en as office_name_en,
            ${sqlChiefJson('loc.grid_code', at ? ':at' : null)} as chief
       from pt
       cross join lateral (${sqlGridAt('pt.g', at !== undefined)}) loc
       left join areas c on c.code = loc.community_code and ${sqlSpan('c', at !== undefined)}
       left join areas o on o.code = loc.office_code and ${sqlSpan('o', at !== undefined)}`,
    at ? { lon, lat, at } : { lon, lat },
  );
}
