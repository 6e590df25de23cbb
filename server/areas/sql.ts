import type { Knex } from 'knex';

/** Area levels by name and number. */
export const LEVELS = { office: 1, community: 2, grid: 3 } as const;
export type LevelName = keyof typeof LEVELS;
export const LEVEL_NAMES: Record<number, LevelName> = { 1: 'office', 2: 'community', 3: 'grid' };

/** Decimal places of coordinates in API output: 7 decimals is about 1 cm. */
export const API_PRECISION = 7;

/** The clause selecting area versions in force: now when `at` is absent, else at that instant. */
export function sqlInForce(q: Knex.QueryBuilder, at: Date | undefined, alias = 'a'): Knex.QueryBuilder {
  if (!at) return q.whereNull(`${alias}.valid_to`);
  return q
    .where(`${alias}.valid_from`, '<=', at)
    .andWhere((w) => w.whereNull(`${alias}.valid_to`).orWhere(`${alias}.valid_to`, '>', at));
}

/** The grid's chief in force: the staff member with role chief assigned to the area. */
export function sqlChiefOf(knex: Knex, areaCodeColumn: string): Knex.Raw {
  return knex.raw(`${CHIEF_JSON(areaCodeColumn)} as chief`);
}

/** Subquery text for the chief of the area in a column (the column name comes from code, never from input). */
const CHIEF_JSON = (areaCodeColumn: string) =>
  `(select json_build_object('name', s.name, 'name_en', s.name_en, 'phone', s.phone)
      from staff s join staff_assignments sa on sa.staff_id = s.id and sa.valid_to is null
     where s.role = 'chief' and sa.area_code = ${areaCodeColumn}
     order by s.code limit 1)`;

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
    knex.raw(`ST_AsGeoJSON(ST_ForcePolygonCCW(a.geom), ${API_PRECISION})::json as geometry`),
    sqlChiefOf(knex, 'a.code'),
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

/** The in-force condition on one alias as SQL text, with `:at` as its only (named) binding. */
function spanSql(alias: string, at: Date | undefined): string {
  return at
    ? `${alias}.valid_from <= :at and (${alias}.valid_to is null or ${alias}.valid_to > :at)`
    : `${alias}.valid_to is null`;
}

/**
 * The grid in force that contains a point, with its community, office and chief. A point on a shared
 * edge lies in both grids: the one with the lowest code wins, so the answer is deterministic.
 */
export function sqlLocate(knex: Knex, lon: number, lat: number, at?: Date): Knex.Raw {
  return knex.raw(
    `with pt as (select ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) as g)
     select g.id as grid_version_id, g.code as grid_code, g.name as grid_name, g.name_en as grid_name_en,
            c.code as community_code, c.name as community_name, c.name_en as community_name_en,
            o.code as office_code, o.name as office_name, o.name_en as office_name_en,
            ${CHIEF_JSON('g.code')} as chief
       from pt
       join areas g on g.level = 3 and ${spanSql('g', at)} and ST_Intersects(g.geom, pt.g)
       left join areas c on c.code = g.parent_code and ${spanSql('c', at)}
       left join areas o on o.code = c.parent_code and ${spanSql('o', at)}
      order by g.code
      limit 1`,
    at ? { lon, lat, at } : { lon, lat },
  );
}
