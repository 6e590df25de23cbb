import type { Knex } from 'knex';
import { AREA_LEVELS } from '../areas/levels.js';
import { API_PRECISION, sqlOfficeOf } from '../areas/sql.js';
import { sqlChiefSpans } from '../staff/sql.js';

/*
 * SQL of patrols. Coverage is computed in the database, in two halves: when fixes are stored, the cells
 * they cover are worked out and kept in patrol_cells (`sqlInsertFixes`: the fix projected to the grid's
 * UTM zone, its cells within reach by arithmetic on the lattice, at most 2 × 2 candidates, no spatial
 * join); a month's coverage counts those against each grid's cells (`sqlFillGridCells`: ST_SquareGrid
 * over the grid in its zone, counted once per boundary version). Both backends give the same integers.
 */

/** Side of a coverage cell, metres. */
export const CELL_M = 50;
/** A cell is covered when a fix lies this close to its centre, metres. */
export const REACH_M = 30;
/** Fixes with a worse accuracy (a larger radius) are dropped, metres. */
export const MAX_ACCURACY_M = 50;

/** A patrol row with its chief's names. */
export interface PatrolRow {
  id: number;
  office_code: string;
  community_code: string | null;
  grid_code: string;
  grid_codes: string[];
  chief_staff_id: number;
  user_id: number;
  chief_code: string;
  chief_name: string;
  chief_name_en: string;
  started_at: Date;
  ended_at: Date | null;
}

/** The SQL text of a grid version's UTM zone SRID (alias of an areas row): the zone of its bounding-box centre, 326zz north, 327zz south. */
export function sqlUtmSrid(alias: string): string {
  const lon = `((ST_XMin(${alias}.geom) + ST_XMax(${alias}.geom)) / 2)`;
  const lat = `((ST_YMin(${alias}.geom) + ST_YMax(${alias}.geom)) / 2)`;
  return `(case when ${lat} >= 0 then 32600 else 32700 end + least(60, greatest(1, floor((${lon} + 180) / 6)::int + 1)))`;
}

/** The grids in force now among some codes, with their community and office (to place a new patrol). */
export function sqlGridsPlaced(knex: Knex, codes: string[]): Knex.Raw {
  return knex.raw(
    `select g.code, g.parent_code as community_code, ${sqlOfficeOf('g')} as office_code
       from areas g where g.level = ${AREA_LEVELS.grid} and g.valid_to is null and g.code = any(:codes::text[])
      order by g.code`,
    { codes },
  );
}

/** End the chief's open patrol (if any) at an instant, never before it started; returns its id. */
export function sqlEndOpenPatrol(knex: Knex, office: string, chiefId: number, at: Date): Knex.Raw {
  return knex.raw(
    `update patrols set ended_at = greatest(started_at, least(now(), :at::timestamptz))
      where office_code = :office and chief_staff_id = :chief and ended_at is null
     returning id`,
    { office, chief: chiefId, at },
  );
}

const PATROL_COLUMNS = `p.id, p.office_code, p.community_code, p.grid_code, p.grid_codes, p.chief_staff_id, p.user_id, p.started_at, p.ended_at,
                        s.code as chief_code, s.name as chief_name, s.name_en as chief_name_en`;

/** One patrol by id, with its chief's names. */
export function sqlPatrolById(knex: Knex, id: number): Knex.Raw {
  return knex.raw(`select ${PATROL_COLUMNS} from patrols p join staff s on s.id = p.chief_staff_id where p.id = :id`, { id });
}

/** Set a patrol's end, unless it has one; returns the patrol's id when it changed. */
export function sqlEndPatrol(knex: Knex, id: number, at: Date): Knex.Raw {
  return knex.raw(`update patrols set ended_at = greatest(started_at, :at::timestamptz) where id = :id and ended_at is null returning id`, { id, at });
}

/** A fix as the service hands it to the database. */
export interface FixIn {
  lon: number;
  lat: number;
  accuracy_m: number;
  at: string;
}

/**
 * Store fixes of a patrol, skipping those whose (patrol, at) is stored already, and keep the cells the
 * new ones cover (patrol_cells), in one statement; answers one row: how many fixes were written.
 *
 * A fix covers cell (i, j) of a grid version when the patrol's chief held the grid at the fix's time
 * (sqlChiefSpans), the version was in force then, and the planar distance in the version's UTM zone
 * from the fix to the cell's centre (50i + 25, 50j + 25) is at most 30 m. Centres lie 50 m apart, so at
 * most two on each axis are within 30 m: the candidates are the 2 × 2 centres from the first index
 * within reach on each axis, and a candidate counts only when its centre lies in the grid (ST_Intersects,
 * as in sqlFillGridCells). The day is the fix's calendar day in the time zone `tz`.
 */
export function sqlInsertFixes(knex: Knex, patrol: { id: number; office_code: string; chief_staff_id: number }, fixes: FixIn[], tz: string): Knex.Raw {
  const half = CELL_M / 2;
  // The first candidate centre on each axis: the lowest lattice index whose centre is within reach.
  const first = (v: string) => `ceil((${v} - ${REACH_M + half}) / ${CELL_M})::int`;
  return knex.raw(
    `with ins as (
       insert into patrol_fixes (office_code, patrol_id, at, geom, accuracy_m)
       select :office, :patrol, (f->>'at')::timestamptz,
              ST_SetSRID(ST_MakePoint((f->>'lon')::float8, (f->>'lat')::float8), 4326), (f->>'accuracy_m')::real
         from json_array_elements(:fixes::json) f
       on conflict (office_code, patrol_id, at) do nothing
       returning at, geom, accuracy_m),
     gv as materialized (
       select distinct g.id, ${sqlUtmSrid('g')} as srid, g.code, g.valid_from, g.valid_to
         from ins
         join ${sqlChiefSpans()} ch on ch.chief_id = :chief and ch.valid_from <= ins.at and (ch.valid_to is null or ch.valid_to > ins.at)
         join areas g on g.code = ch.area_code and g.level = ${AREA_LEVELS.grid} and g.valid_from <= ins.at and (g.valid_to is null or g.valid_to > ins.at)),
     fx as materialized (
       select gv.id as gv_id, (ins.at at time zone :tz)::date as day, ST_X(xy.pt) as x, ST_Y(xy.pt) as y
         from ins
         join ${sqlChiefSpans()} ch on ch.chief_id = :chief and ch.valid_from <= ins.at and (ch.valid_to is null or ch.valid_to > ins.at)
         join gv on gv.code = ch.area_code and gv.valid_from <= ins.at and (gv.valid_to is null or gv.valid_to > ins.at)
         cross join lateral (select ST_Transform(ins.geom, gv.srid) as pt) xy
        where ins.accuracy_m <= ${MAX_ACCURACY_M}),
     cand as (
       select distinct fx.gv_id, fx.day, ${first('fx.x')} + d.di as i, ${first('fx.y')} + d.dj as j
         from fx cross join (values (0, 0), (0, 1), (1, 0), (1, 1)) d (di, dj)
        where ((${first('fx.x')} + d.di) * ${CELL_M} + ${half} - fx.x) ^ 2 + ((${first('fx.y')} + d.dj) * ${CELL_M} + ${half} - fx.y) ^ 2 <= ${REACH_M * REACH_M}),
     u as materialized (select gv.id, gv.srid, ST_Transform(g.geom, gv.srid) as utm from gv join areas g on g.id = gv.id),
     cells as (
       insert into patrol_cells (office_code, area_version_id, day, chief_staff_id, i, j)
       select :office, cand.gv_id, cand.day, :chief, cand.i, cand.j
         from cand join u on u.id = cand.gv_id
        where ST_Intersects(u.utm, ST_SetSRID(ST_MakePoint(cand.i * ${CELL_M} + ${half}, cand.j * ${CELL_M} + ${half}), u.srid))
       on conflict do nothing
       returning 1)
     select (select count(*) from ins)::int as inserted, (select count(*) from cells)::int as cells`,
    { office: patrol.office_code, patrol: patrol.id, chief: patrol.chief_staff_id, fixes: JSON.stringify(fixes), tz },
  );
}

/** How many fixes a patrol holds. */
export function sqlFixCount(knex: Knex, patrol: { id: number; office_code: string }): Knex.Raw {
  return knex.raw(`select count(*)::int as n from patrol_fixes where office_code = :office and patrol_id = :patrol`, { office: patrol.office_code, patrol: patrol.id });
}

/**
 * The patrols in a viewer's scope (the clause given) that were under way in a span, optionally of one
 * chief (staff code), each with its track in the span: the fixes by time as a GeoJSON LineString
 * (null with fewer than two fixes), their count and the track's length on the ellipsoid.
 */
export function sqlPatrolsInSpan(knex: Knex, scope: Knex.Raw, span: { start: Date; end: Date }, chief?: string): Knex.Raw {
  return knex.raw(
    `select ${PATROL_COLUMNS}, t.points, t.track, t.length_m
       from patrols p join staff s on s.id = p.chief_staff_id
       cross join lateral (
         select count(*)::int as points,
                case when count(*) >= 2 then ST_AsGeoJSON(ST_MakeLine(f.geom order by f.at), ${API_PRECISION})::json end as track,
                case when count(*) >= 2 then ST_Length(ST_MakeLine(f.geom order by f.at)::geography) else 0 end as length_m
           from patrol_fixes f
          where f.office_code = p.office_code and f.patrol_id = p.id and f.at >= ? and f.at < ?) t
      where p.started_at < ? and (p.ended_at is null or p.ended_at >= ?) and ?
        ${chief === undefined ? '' : 'and s.code = ?'}
      order by p.started_at, p.id`,
    [span.start, span.end, span.end, span.start, scope, ...(chief === undefined ? [] : [chief])],
  );
}

/** The day [start, end) of a YYYY-MM-DD in a time zone, computed by the database. */
export function sqlDaySpan(knex: Knex, day: string, tz: string): Knex.Raw {
  return knex.raw(
    `select (:day::timestamp at time zone :tz) as start, ((:day::timestamp + interval '1 day') at time zone :tz) as "end"`,
    { day: `${day} 00:00:00`, tz },
  );
}

/** The month [start, end) of a YYYY-MM in a time zone, computed by the database. */
export function sqlMonthSpan(knex: Knex, month: string, tz: string): Knex.Raw {
  return knex.raw(
    `select (:first::timestamp at time zone :tz) as start, ((:first::timestamp + interval '1 month') at time zone :tz) as "end"`,
    { first: `${month}-01 00:00:00`, tz },
  );
}

/** Today (YYYY-MM-DD) in a time zone. */
export function sqlToday(knex: Knex, tz: string): Knex.Raw {
  return knex.raw(`select to_char(now() at time zone :tz, 'YYYY-MM-DD') as day`, { tz });
}

/**
 * The grid versions that were in force at some time in a span and lie in a viewer's scope (the clause,
 * written over alias `g`), as SQL text with `?` for the span's start and end (in that order) and the
 * clause: id, code, names, community (parent_code), span and UTM zone.
 */
function sqlGridVersions(): string {
  return `select g.id, g.code, g.name, g.name_en, g.parent_code, g.valid_from, g.valid_to, ${sqlUtmSrid('g')} as srid, g.geom
            from areas g
           where g.level = ${AREA_LEVELS.grid} and g.valid_from < ?::timestamptz and (g.valid_to is null or g.valid_to > ?::timestamptz) and ?`;
}

/** How many grid versions in scope were in force in a span (no geometry function: the check that sqlGridCells answers each). */
export function sqlGridVersionCount(knex: Knex, scope: Knex.Raw, span: { start: Date; end: Date }): Knex.Raw {
  return knex.raw(
    `select count(*)::int as n from areas g
      where g.level = ${AREA_LEVELS.grid} and g.valid_from < ?::timestamptz and (g.valid_to is null or g.valid_to > ?::timestamptz) and ?`,
    [span.end, span.start, scope],
  );
}

/**
 * Count the cells of the grid versions in force in a span and in scope that have not been counted yet,
 * into grid_cells. A cell is a square of the 50 m lattice laid on the easting and northing of the
 * version's UTM zone (corners at multiples of 50 m); it is the grid's when its centre lies in the grid
 * (ST_Intersects: a centre on the edge counts for both grids). A version too small to hold a centre has 0.
 */
export function sqlFillGridCells(knex: Knex, scope: Knex.Raw, span: { start: Date; end: Date }): Knex.Raw {
  const half = CELL_M / 2;
  return knex.raw(
    `with gv as (${sqlGridVersions()} and not exists (select 1 from grid_cells gc where gc.area_version_id = g.id)),
     u as materialized (select gv.id, gv.srid, ST_Transform(gv.geom, gv.srid) as utm from gv)
     insert into grid_cells (area_version_id, utm_srid, cells)
     select u.id, u.srid, c.cells
       from u cross join lateral (
         select count(*)::int as cells
           from ST_SquareGrid(${CELL_M}, u.utm) sq
          where ST_Intersects(u.utm, ST_SetSRID(ST_MakePoint(sq.i * ${CELL_M} + ${half}, sq.j * ${CELL_M} + ${half}), u.srid))) c
     on conflict (area_version_id) do nothing`,
    [span.end, span.start, scope],
  );
}

/** The grid versions in force in a span and in scope with their counted cells (sqlFillGridCells first): one row per version counted. */
export function sqlGridCells(knex: Knex, scope: Knex.Raw, span: { start: Date; end: Date }): Knex.Raw {
  return knex.raw(
    `with gv as (${sqlGridVersions()})
     select gv.id, gv.code, gv.name, gv.name_en, gv.parent_code, gv.valid_from, gv.valid_to, gc.utm_srid as srid, gc.cells
       from gv join grid_cells gc on gc.area_version_id = gv.id
      order by gv.code, gv.valid_from`,
    [span.end, span.start, scope],
  );
}

/**
 * The chiefs who held each grid version in scope at some time in a span: chief id, grid version id, and
 * the part of the span in which both the assignment and the version were in force.
 */
function sqlHeld(): string {
  return `select ch.chief_id, gv.id as gv_id, gv.srid,
                 greatest(ch.valid_from, gv.valid_from, ?::timestamptz) as held_from,
                 least(coalesce(ch.valid_to, 'infinity'), coalesce(gv.valid_to, 'infinity'), ?::timestamptz) as held_to
            from gv join ${sqlChiefSpans()} ch on ch.area_code = gv.code
           where ch.valid_from < least(coalesce(gv.valid_to, 'infinity'), ?::timestamptz)
             and coalesce(ch.valid_to, 'infinity') > greatest(gv.valid_from, ?::timestamptz)`;
}

/** The chiefs who held each grid version in scope in a span, with their names. */
export function sqlChiefsHeld(knex: Knex, scope: Knex.Raw, span: { start: Date; end: Date }): Knex.Raw {
  return knex.raw(
    `with gv as (${sqlGridVersions()}),
     held as (${sqlHeld()})
     select distinct held.chief_id, held.gv_id, s.code as chief_code, s.name as chief_name, s.name_en as chief_name_en
       from held join staff s on s.id = held.chief_id
      order by s.code, held.gv_id`,
    [span.end, span.start, scope, span.start, span.end, span.end, span.start],
  );
}

/**
 * The covered cells of a span (kept by sqlInsertFixes), counted three ways in one statement (grouping
 * sets): per chief, grid version and day, per chief and grid version over the span, and per grid
 * version over the span whoever walked it; plus one total row (`level` 7), so that an answer is never
 * empty. Days are those of the span in the time zone `tz` (the span runs from midnight to midnight there).
 */
export function sqlCoverage(knex: Knex, scope: Knex.Raw, span: { start: Date; end: Date }, tz: string): Knex.Raw {
  return knex.raw(
    `with gv as materialized (${sqlGridVersions()})
     select c.chief_staff_id as chief_id, c.area_version_id as gv_id, to_char(c.day, 'YYYY-MM-DD') as day,
            grouping(c.chief_staff_id, c.area_version_id, c.day)::int as level,
            count(distinct c.i::bigint * 10000000 + c.j)::int as covered
       from patrol_cells c
      where c.area_version_id in (select id from gv)
        and c.day >= (?::timestamptz at time zone ?)::date and c.day < (?::timestamptz at time zone ?)::date
      group by grouping sets ((c.chief_staff_id, c.area_version_id, c.day), (c.chief_staff_id, c.area_version_id), (c.area_version_id), ())`,
    [span.end, span.start, scope, span.start, tz, span.end, tz],
  );
}

/** Settings for one coverage transaction: no JIT (compiling the plan costs seconds, more than running it), room for the month's sorts. */
export function sqlCoverageSettings(knex: Knex): Knex.Raw {
  return knex.raw(`select set_config('jit', 'off', true), set_config('work_mem', '64MB', true)`);
}
