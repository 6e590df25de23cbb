import type { Knex } from 'knex';
import { AREA_LEVELS } from '../areas/levels.js';
import { API_PRECISION, sqlGridAt, type PlacedTable } from '../areas/sql.js';

/** A filter on the grid of a building: the grids of the viewer's scope, optionally one grid. */
export interface GridFilter {
  grids: string[];
  grid?: string;
}

/** Restrict a query to buildings (alias `b`) in the scope grids and, when given, one grid. */
export function sqlWhereGrid(q: Knex.QueryBuilder, f: GridFilter): Knex.QueryBuilder {
  q.whereRaw('b.grid_code = any(?)', [f.grids]);
  if (f.grid) q.where('b.grid_code', f.grid);
  return q;
}

/** Add limit and offset. */
export function sqlLimitOffset(q: Knex.QueryBuilder, page: { limit: number; offset: number }): Knex.QueryBuilder {
  return q.limit(page.limit).offset(page.offset);
}

/** Validity of a GeoJSON geometry (one row, always). */
export function sqlGeometryCheck(knex: Knex, geojson: string): Knex.Raw {
  return knex.raw(
    `select ST_IsValid(g) as valid, ST_IsValidReason(g) as reason
       from (select ST_SetSRID(ST_GeomFromGeoJSON(:geojson), 4326) as g) t`,
    { geojson },
  );
}

/** The grid in force at the point on surface of a geometry (`sqlGridAt`), with its version and office. */
export function sqlGridOfGeometry(knex: Knex, geojson: string): Knex.Raw {
  return knex.raw(
    `with p as (select ST_PointOnSurface(ST_SetSRID(ST_GeomFromGeoJSON(:geojson), 4326)) as g)
     select loc.area_version_id, loc.grid_code, loc.office_code from p cross join lateral (${sqlGridAt('p.g')}) loc`,
    { geojson },
  );
}

/** For many points at once (an import): the grid in force at each (`sqlGridAt`), by ordinal; points outside get no row. */
export function sqlGridsAtPoints(knex: Knex, points: { i: number; lon: number; lat: number }[]): Knex.Raw {
  return knex.raw(
    `with p as (
       select (e->>'i')::int as i, ST_SetSRID(ST_MakePoint((e->>'lon')::float8, (e->>'lat')::float8), 4326) as g
         from json_array_elements(:points::json) e)
     select p.i, loc.area_version_id, loc.grid_code, loc.office_code
       from p cross join lateral (${sqlGridAt('p.g')}) loc
      order by p.i`,
    { points: JSON.stringify(points) },
  );
}

/** How buildings are placed in grids: by the point on their footprint; every building follows a boundary change. */
export const BUILDING_PLACE: PlacedTable = { table: 'buildings', point: 'ST_PointOnSurface(x.geom)', label: 'x.address', follows: 'true' };


/** Buildings as answered, with their household count. */
export function sqlBuildings(knex: Knex): Knex.QueryBuilder {
  return knex('buildings as b').select(
    'b.id',
    'b.office_code',
    'b.address',
    'b.use',
    'b.floors',
    'b.grid_code',
    'b.area_version_id',
    'b.updated_at',
    knex.raw(`(select count(*) from households h where h.building_id = b.id)::int as households`),
    knex.raw(`ST_AsGeoJSON(b.geom, ${API_PRECISION})::json as geometry`),
  );
}

/** Households as answered, with their building's address and grid and their resident count. */
export function sqlHouseholds(knex: Knex): Knex.QueryBuilder {
  return knex('households as h')
    .join('buildings as b', 'b.id', 'h.building_id')
    .select(
      'h.id',
      'h.office_code',
      'h.building_id',
      'b.address',
      'h.unit',
      'h.size',
      'b.grid_code',
      knex.raw(`(select count(*) from residents r where r.household_id = h.id)::int as residents`),
    );
}

/** Residents as stored, with their household, building and grid (never the ID number hash). */
export function sqlResidents(knex: Knex): Knex.QueryBuilder {
  return knex('residents as r')
    .join('households as h', 'h.id', 'r.household_id')
    .join('buildings as b', 'b.id', 'h.building_id')
    .select(
      'r.id',
      'r.office_code',
      'r.household_id',
      'h.building_id',
      'b.address',
      'h.unit',
      'b.grid_code',
      'r.name',
      'r.gender',
      'r.birth_year',
      'r.id_number_last4',
      'r.phone',
      'r.tags',
      'r.note',
      'r.updated_at',
    );
}

/** Care visits with the grid of the resident visited. */
export function sqlVisits(knex: Knex): Knex.QueryBuilder {
  return knex('care_visits as v')
    .join('residents as r', 'r.id', 'v.resident_id')
    .join('households as h', 'h.id', 'r.household_id')
    .join('buildings as b', 'b.id', 'h.building_id')
    .select('v.id', 'v.resident_id', 'b.grid_code', 'v.visitor_name', 'v.visited_at', 'v.kind', 'v.note');
}

/** Record reads or changes of resident records, one row per record. */
export function sqlLogAccess(knex: Knex, user: { id: number; username: string }, action: string, residentIds: number[]) {
  return knex('resident_access_log').insert(residentIds.map((resident_id) => ({ user_id: user.id, username: user.username, resident_id, action })));
}

/** Per-grid counts for the grids in force (public: counts only). */
export function sqlSummary(knex: Knex, filter: { grid?: string; community?: string }): Knex.Raw {
  const where = [filter.grid ? 'and g.code = :grid' : '', filter.community ? 'and g.parent_code = :community' : ''].join(' ');
  return knex.raw(
    `with per_building as (
       select b.grid_code, count(distinct b.id)::int as buildings, count(distinct h.id)::int as households
         from buildings b left join households h on h.building_id = b.id group by b.grid_code),
     per_resident as (
       select b.grid_code, count(*)::int as residents,
              count(*) filter (where r.tags && array['elderly_alone', 'disabled', 'low_income']::text[])::int as vulnerable
         from residents r join households h on h.id = r.household_id join buildings b on b.id = h.building_id
        group by b.grid_code),
     per_visit as (
       select b.grid_code, count(*)::int as visits
         from care_visits v join residents r on r.id = v.resident_id join households h on h.id = r.household_id
         join buildings b on b.id = h.building_id
        where v.visited_at >= date_trunc('month', now()) group by b.grid_code)
     select g.code as grid_code, g.name as grid_name,
            coalesce(pb.buildings, 0) as buildings, coalesce(pb.households, 0) as households,
            coalesce(pr.residents, 0) as residents, coalesce(pr.vulnerable, 0) as vulnerable,
            coalesce(pv.visits, 0) as visits_this_month
       from areas g
       left join per_building pb on pb.grid_code = g.code
       left join per_resident pr on pr.grid_code = g.code
       left join per_visit pv on pv.grid_code = g.code
      where g.level = ${AREA_LEVELS.grid} and g.valid_to is null ${where}
      order by g.code`,
    { ...(filter.grid ? { grid: filter.grid } : {}), ...(filter.community ? { community: filter.community } : {}) },
  );
}
