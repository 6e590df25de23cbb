/** The SQL of repairing a plan: each step rewrites the proposed grids in place; the caller re-checks afterwards. */
import type { Knex } from 'knex';
import { AREA_LEVELS } from '../areas/levels.js';
import { GRID_SIZE, MIN_PIECE_M2, MIN_WIDTH_M } from './sql_check.js';

const { office: OFFICE, grid: GRID } = AREA_LEVELS;

/** Make invalid proposed grids valid, keeping polygons only (ST_MakeValid, then the polygonal parts). */
export function sqlRepairMakeValid(knex: Knex, planId: number): Knex.Raw {
  return knex.raw(
    `update plan_grids
        set geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3))
      where plan_id = :plan and not ST_IsEmpty(geom) and not ST_IsValid(geom)`,
    { plan: planId },
  );
}

/**
 * Snap the vertices of each proposed grid to its neighbours (proposed and kept grids in force, and the
 * office edge) within a tolerance in degrees. A snapped grid that came out invalid keeps its shape.
 */
export function sqlRepairSnap(knex: Knex, planId: number, replaces: number[], toleranceDeg: number): Knex.Raw {
  return knex.raw(
    `with targets as (
       select p.code,
              (select ST_Collect(n.g) from (
                  select q.geom as g from plan_grids q
                   where q.plan_id = p.plan_id and q.code <> p.code and q.valid and ST_DWithin(q.geom, p.geom, :tol)
                  union all
                  select k.geom from areas k
                   where k.level = ${GRID} and k.valid_to is null and k.id not in (select unnest(:replaces::int[]))
                     and k.code <> p.code and ST_DWithin(k.geom, p.geom, :tol)
                  union all
                  select ST_Boundary(o.geom) from areas o
                   where o.level = ${OFFICE} and o.valid_to is null and ST_DWithin(o.geom, p.geom, :tol)
                     and not ST_CoveredBy(p.geom, ST_Buffer(o.geom, -(:tol::float8)))) n) as near
         from plan_grids p
        where p.plan_id = :plan and p.valid
     ),
     snapped as (
       select t.code, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Snap(p.geom, t.near, :tol)), 3)) as g
         from targets t join plan_grids p on p.plan_id = :plan and p.code = t.code
        where t.near is not null
     )
     update plan_grids p
        set geom = s.g
       from snapped s
      where p.plan_id = :plan and p.code = s.code and ST_IsValid(s.g) and not ST_IsEmpty(s.g)`,
    { plan: planId, replaces, tol: toleranceDeg },
  );
}

/**
 * Give each overlap piece (up to maxM2) to one of the two grids: the one whose rest shares the longer
 * edge with the piece keeps it, the other loses it. Only proposed grids change; an overlap with a kept
 * grid is always removed from the proposed one.
 */
export function sqlRepairOverlaps(knex: Knex, planId: number, replaces: number[], maxM2: number): Knex.Raw {
  return knex.raw(
    `with pairs as (
       select a.code as a, b.code as b, true as b_proposed, ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3) as piece,
              a.geom as ga, b.geom as gb
         from plan_grids a
         join plan_grids b on b.plan_id = a.plan_id and a.code < b.code and b.valid and a.geom && b.geom
        where a.plan_id = :plan and a.valid and ST_Relate(a.geom, b.geom, '2********')
       union all
       select a.code, k.code, false, ST_CollectionExtract(ST_Intersection(a.geom, k.geom), 3), a.geom, k.geom
         from plan_grids a
         join areas k on k.level = ${GRID} and k.valid_to is null and a.geom && k.geom and k.id not in (select unnest(:replaces::int[]))
                     and k.code not in (select code from plan_grids where plan_id = :plan)
        where a.plan_id = :plan and a.valid and ST_Relate(a.geom, k.geom, '2********')
     ),
     scored as (
       select a, b, b_proposed, piece,
              ST_Length(ST_Intersection(ST_Boundary(piece), ST_Buffer(ST_Difference(ga, piece), 1e-9))::geography) as edge_a,
              ST_Length(ST_Intersection(ST_Boundary(piece), ST_Buffer(ST_Difference(gb, piece), 1e-9))::geography) as edge_b
         from pairs
        where ST_Area(piece::geography) <= :max
     ),
     losers as (
       select case when not b_proposed or edge_b >= edge_a then a else b end as code, piece from scored
     ),
     cut as (select code, ST_Union(piece) as piece from losers group by code)
     update plan_grids p
        set geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Difference(p.geom, c.piece)), 3))
       from cut c
      where p.plan_id = :plan and p.code = c.code`,
    { plan: planId, replaces, max: maxM2 },
  );
}

/**
 * Merge each gap piece (up to maxM2) into the proposed grid that shares the longest edge with it.
 * `gaps` are GeoJSON polygons of the pieces, from sqlGaps.
 */
export function sqlRepairGaps(knex: Knex, planId: number, gaps: unknown[], maxM2: number): Knex.Raw {
  return knex.raw(
    `with pieces as (
       select n, ST_SetSRID(ST_GeomFromGeoJSON(g::text), 4326) as g
         from json_array_elements(:gaps::json) with ordinality as t(g, n)
     ),
     scored as (
       select pc.n, pc.g, p.code,
              ST_Length(ST_Intersection(ST_Boundary(pc.g), ST_Buffer(p.geom, 1e-9))::geography) as edge
         from pieces pc
         join plan_grids p on p.plan_id = :plan and p.valid and p.geom && ST_Expand(pc.g, 1e-7)
        where ST_Area(pc.g::geography) <= :max
     ),
     best as (select distinct on (n) n, g, code from scored where edge > 0 order by n, edge desc, code),
     merged as (select code, ST_Union(g) as g from best group by code)
     update plan_grids p
        set geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(p.geom, m.g)), 3))
       from merged m
      where p.plan_id = :plan and p.code = m.code`,
    { plan: planId, gaps: JSON.stringify(gaps), max: maxM2 },
  );
}

