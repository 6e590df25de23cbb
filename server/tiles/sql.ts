import type { Knex } from 'knex';

/** WGS84 bounds of the offices in force (no row when there are none), for TileJSON. */
export function sqlOfficeBounds(knex: Knex): Knex.Raw {
  return knex.raw(
    `select ST_XMin(e) as w, ST_YMin(e) as s, ST_XMax(e) as e, ST_YMax(e) as n
       from (select ST_Extent(geom) as e from areas where level = 1 and valid_to is null) x
      where e is not null`,
  );
}
