import type { Knex } from 'knex';

/** Areas of one level in force as GeoJSON features with their label point, for the boundary index. */
export function sqlBoundaryFeatures(knex: Knex, level: number): Knex.Raw {
  return knex.raw(
    `select a.id, a.code, a.name, a.name_en, a.level, a.parent_code,
            ST_AsGeoJSON(a.geom, 7)::json as geometry,
            ST_AsGeoJSON(ST_PointOnSurface(a.geom), 7)::json as label
       from areas a
      where a.level = ? and a.valid_to is null
      order by a.code`,
    [level],
  );
}

/** A cheap fingerprint of the areas: changes when a version is added or retired (used to expire cached tiles). */
export function sqlAreasStamp(knex: Knex): Knex.Raw {
  // New versions are new rows and retiring one sets valid_to: the newest id and the newest end say it all.
  return knex.raw(`select coalesce((select max(id) from areas), 0) || ':' || coalesce((select max(valid_to) from areas)::text, '') as stamp`);
}
