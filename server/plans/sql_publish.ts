/** The SQL of a plan's impact and publish: the rows it would move, the versions it closes and opens. */
import type { Knex } from 'knex';
import { AREA_LEVELS } from '../areas/levels.js';
import type { PlacedTable } from '../areas/sql.js';
import { GRID_SIZE, MIN_PIECE_M2, MIN_WIDTH_M, NOT_NOISE } from './sql_check.js';

const { office: OFFICE, community: COMMUNITY, grid: GRID } = AREA_LEVELS;
/** The levels that are unions of their children: communities and offices. */
export type ParentLevel = typeof OFFICE | typeof COMMUNITY;

/**
 * Rows of a table that the plan would move: those now in a replaced grid, each with the grid it would
 * fall in (proposed or kept; lowest code on a shared edge, as locate does) when that differs.
 */
export function sqlPlannedMoves(knex: Knex, place: PlacedTable, planId: number, replaces: number[]): Knex.Raw {
  const { table, point, label, follows } = place;
  return knex.raw(
    `with cand as (
       select x.id, ${label} as label, x.grid_code, ${point} as pt
         from ${table} x
        where x.grid_code in (select code from areas where id = any(:replaces::int[])) and ${follows}
     ),
     hits as (
       select distinct on (c.id) c.id, h.code
         from cand c
         join lateral (
           select p.code from plan_grids p where p.plan_id = :plan and p.valid and p.geom && c.pt and ST_Intersects(p.geom, c.pt)
           union all
           select k.code from areas k
            where k.level = ${GRID} and k.valid_to is null and k.id not in (select unnest(:replaces::int[])) and k.geom && c.pt and ST_Intersects(k.geom, c.pt)
              and k.code not in (select code from plan_grids where plan_id = :plan)
         ) h on true
        order by c.id, h.code
     )
     select c.id, c.label, c.grid_code as from_grid, h.code as to_grid
       from cand c left join hits h on h.id = c.id
      where h.code is distinct from c.grid_code
      order by c.grid_code, h.code, c.id`,
    { plan: planId, replaces },
  );
}

/** The key of the advisory lock that serialises publishes (drills look for it in pg_locks). */
export const PUBLISH_LOCK_KEY = 724190312;

/** Serialise publishes: one at a time per database, inside the transaction. */
export function sqlPublishLock(knex: Knex): Knex.Raw {
  return knex.raw(`select pg_advisory_xact_lock(${PUBLISH_LOCK_KEY})`);
}

/**
 * The base of a plan as it stands now: which base versions are still in force, and which grids in force
 * near the plan (or with a proposed code) are not in the base. Either differing means the plan is stale.
 */
export function sqlBaseNow(knex: Knex, planId: number, base: number[]): Knex.Raw {
  return knex.raw(
    `select (select count(*) from areas where id = any(:base::int[]) and valid_to is null) as still,
            (select coalesce(array_agg(a.code order by a.code), '{}') from areas a
              where a.level = ${GRID} and a.valid_to is null and not (a.id = any(:base::int[]))
                and (a.code in (select code from plan_grids where plan_id = :plan)
                     or exists (select 1 from plan_grids p where p.plan_id = :plan and p.geom && a.geom))) as intruders`,
    { plan: planId, base },
  );
}

/** Close grid versions (valid_to = the transaction's time); returns their codes and parents. */
export function sqlCloseVersions(knex: Knex, ids: number[]): Knex.Raw {
  return knex.raw(
    `update areas set valid_to = now() where id = any(:ids::int[]) and valid_to is null returning id, code, parent_code`,
    { ids },
  );
}

/** Open the plan's grids as versions in force from the transaction's time. */
export function sqlOpenPlanGrids(knex: Knex, planId: number): Knex.Raw {
  return knex.raw(
    `insert into areas (code, level, name, name_en, parent_code, geom, valid_from, plan_id)
     select code, ${GRID}, name, name_en, parent_code, ST_Multi(ST_CollectionExtract(geom, 3)), now(), plan_id
       from plan_grids where plan_id = :plan and valid
     returning id, code`,
    { plan: planId },
  );
}

/** Close the versions in force of some parent areas (communities or offices); returns their codes. */
export function sqlCloseParents(knex: Knex, level: ParentLevel, codes: string[]): Knex.Raw {
  return knex.raw(
    `update areas set valid_to = now() where level = :level and valid_to is null and code = any(:codes::text[]) returning id, code`,
    { level, codes },
  );
}

/**
 * Open new versions of parent areas just closed (valid_to = now()) whose shape is the union of their
 * children in force; a parent left without children stays closed. Hairline holes (where children's
 * edges differ by floating-point noise) are dropped: they are not territory left out, and later
 * overlays against them go wrong.
 */
export function sqlOpenParents(knex: Knex, level: ParentLevel, codes: string[], planId: number): Knex.Raw {
  return knex.raw(
    `with unions as (
       select ch.parent_code as code, ST_CollectionExtract(ST_Union(ch.geom, :grid::float8), 3) as geom
         from areas ch
        where ch.level = :child and ch.valid_to is null and ch.parent_code = any(:codes::text[])
        group by ch.parent_code
     ),
     shapes as (
       select u.code,
              ST_Multi(ST_Collect(array(
                select ST_MakePolygon(ST_ExteriorRing(d.geom), array(
                         select ST_ExteriorRing(r.geom) from ST_DumpRings(d.geom) r
                          where r.path[1] > 0 and ${NOT_NOISE('r.geom')}))
                  from ST_Dump(u.geom) d))) as geom
         from unions u
     )
     insert into areas (code, level, name, name_en, parent_code, geom, valid_from, plan_id)
     select old.code, old.level, old.name, old.name_en, old.parent_code, s.geom, now(), :plan
       from areas old join shapes s on s.code = old.code
      where old.level = :level and old.valid_to = now() and old.code = any(:codes::text[])
     returning id, code`,
    { level, child: level + 1, codes, plan: planId, min: MIN_PIECE_M2, minWidth: MIN_WIDTH_M, grid: GRID_SIZE },
  );
}

/** How many of the parent codes still have children in force (each must get a new version). */
export function sqlParentsWithChildren(knex: Knex, level: ParentLevel, codes: string[]): Knex.Raw {
  return knex.raw(
    `select count(distinct parent_code) as n from areas where level = :child and valid_to is null and parent_code = any(:codes::text[])`,
    { child: level + 1, codes },
  );
}

