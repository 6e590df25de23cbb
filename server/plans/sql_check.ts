/** The SQL of checking a plan: its proposed grids, what they replace, and each kind of problem. */
import type { Knex } from 'knex';
import { AREA_LEVELS } from '../areas/levels.js';

const { office: OFFICE, community: COMMUNITY, grid: GRID } = AREA_LEVELS;
import { sqlGeoJson } from '../geo/geojson_sql.js';
import type { PlanFeature } from './source.js';

/** Gaps and overlaps smaller than this (m²) are floating-point noise along shared edges, not errors. */
export const MIN_PIECE_M2 = 1;
/**
 * Gaps and overlaps narrower than this on average (2A/P, metres) are noise too: edges drawn separately
 * differ by millimetres over hundreds of metres, which adds up to square metres of hairline strips.
 */
export const MIN_WIDTH_M = 0.05;

/**
 * Precision grid (degrees, about 0.1 mm) of the unions and differences over many grids: fixed-precision
 * overlay (GEOS OverlayNG) cannot fail on nearly coincident edges, where floating overlay can throw a
 * TopologyException (which the embedded build turns into zero rows).
 */
export const GRID_SIZE = 1e-9;

/** SQL condition that a polygon (geometry expression) is more than noise. */
export const NOT_NOISE = (g: string) =>
  `(ST_Area(${g}::geography) > :min and 2 * ST_Area(${g}::geography) / greatest(ST_Perimeter(${g}::geography), 1e-9) > :minWidth)`;
/** A gap or overlap piece whose isoperimetric quotient (4πA/P²) is below this is a sliver. */
export const SLIVER_THINNESS = 0.1;
/** SQL of a polygon's isoperimetric quotient 4πA/P² (geodesic): 1 for a disc, near 0 for a thin strip, 0 when empty. */
const THINNESS = (g: string) => `coalesce(4 * pi() * ST_Area(${g}::geography) / nullif(ST_Perimeter(${g}::geography) ^ 2, 0), 0)`;

/** What a gap or overlap piece is to the report: `PIECE_KIND`'s answer. */
export type PieceKind = 'noise' | 'sliver' | 'piece';
/**
 * SQL of what a gap or overlap piece (polygon expression) is, the one rule the report reads: 'noise'
 * under MIN_PIECE_M2 or MIN_WIDTH_M (an empty piece too), else 'sliver' when thinner than
 * SLIVER_THINNESS, else 'piece'. Takes PIECE_BINDINGS.
 */
export const PIECE_KIND = (g: string) =>
  `(case when not coalesce(${NOT_NOISE(g)}, false) then 'noise' when ${THINNESS(g)} < :sliver then 'sliver' else 'piece' end)`;
/** The bindings of NOT_NOISE and PIECE_KIND. */
const PIECE_BINDINGS = { min: MIN_PIECE_M2, minWidth: MIN_WIDTH_M, sliver: SLIVER_THINNESS };
/** A part of a grid smaller than this (m²) is a crumb left by drawing, reported as a sliver. */
export const SLIVER_PART_M2 = 10;

/** A proposed grid that is a non-empty (Multi)Polygon, valid or not. */
const POLYGONAL = (p: string) => `(not ST_IsEmpty(${p}.geom) and GeometryType(${p}.geom) in ('POLYGON', 'MULTIPOLYGON'))`;
/**
 * A proposed grid's geometry safe for overlays: as drawn when valid, else as ST_MakeValid repairs it, so
 * that an invalid grid is reported once (as invalid) rather than also as a gap or a grid not replaced.
 */
const SAFE = (p: string) => `(case when ${p}.valid then ${p}.geom else ST_CollectionExtract(ST_MakeValid(${p}.geom), 3) end)`;

/** Text of a point as [lon, lat] JSON with 7 decimals (about 1 cm). */
const LOCATION = (expr: string) => `(ST_AsGeoJSON(${expr}, 7)::json)->'coordinates'`;

/** Insert a plan's proposed grids (WGS84 GeoJSON geometry, kept as drawn). */
export function sqlInsertPlanGrids(knex: Knex, planId: number, features: PlanFeature[]): Knex.Raw {
  return knex.raw(
    `insert into plan_grids (plan_id, code, name, name_en, parent_code, geom)
     select :plan, f->>'code', f->>'name', f->>'name_en', f->>'parent_code',
            ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326)
       from json_array_elements(:features::json) f`,
    { plan: planId, features: JSON.stringify(features) },
  );
}

/** Mark which proposed grids are safe for overlays: non-empty, polygonal, valid. */
export function sqlMarkValid(knex: Knex, planId: number): Knex.Raw {
  return knex.raw(
    `update plan_grids
        set valid = (not ST_IsEmpty(geom) and GeometryType(geom) in ('POLYGON', 'MULTIPOLYGON') and ST_IsValid(geom))
      where plan_id = :plan`,
    { plan: planId },
  );
}

/**
 * Work out which grid versions in force the plan replaces (same code, or the grid's point-on-surface
 * lies in a proposed grid) and its base (those plus every grid in force whose box touches a proposed
 * grid), and store both on the plan.
 */
export function sqlComputeBase(knex: Knex, planId: number): Knex.Raw {
  return knex.raw(
    `with replaced as (
       select a.id from areas a
        where a.level = ${GRID} and a.valid_to is null
          and (a.code in (select code from plan_grids where plan_id = :plan)
               or exists (select 1 from plan_grids p
                           where p.plan_id = :plan and ${POLYGONAL('p')} and p.geom && a.geom
                             and ST_Intersects(${SAFE('p')}, ST_PointOnSurface(a.geom))))
     ),
     near as (
       select a.id from areas a
        where a.level = ${GRID} and a.valid_to is null
          and exists (select 1 from plan_grids p where p.plan_id = :plan and p.geom && a.geom)
     )
     update plans
        set replaces = (select coalesce(array_agg(id order by id), '{}') from replaced),
            base = (select coalesce(array_agg(id order by id), '{}') from (select id from replaced union select id from near) b),
            updated_at = now()
      where id = :plan
     returning replaces, base`,
    { plan: planId },
  );
}

/** Proposed grids that cannot be used as they are: invalid geometry, wrong type, unknown parent. */
export function sqlInvalidGrids(knex: Knex, planId: number): Knex.Raw {
  return knex.raw(
    `select p.code,
            case when ST_IsEmpty(p.geom) then 'Empty geometry'
                 when GeometryType(p.geom) not in ('POLYGON', 'MULTIPOLYGON') then 'Not a polygon: ' || GeometryType(p.geom)
                 when not ST_IsValid(p.geom) then ST_IsValidReason(p.geom)
                 when p.parent_code is null then 'No parent_code: name the community the grid belongs to'
                 when c.id is null then 'parent_code ' || p.parent_code || ' is not a community in force'
            end as reason,
            ${LOCATION(`case when not ST_IsEmpty(p.geom) and not ST_IsValid(p.geom) then (ST_IsValidDetail(p.geom)).location
                             when ST_IsEmpty(p.geom) then null
                             else ST_PointOnSurface(p.geom) end`)} as location
       from plan_grids p
       left join areas c on c.level = ${COMMUNITY} and c.valid_to is null and c.code = p.parent_code
      where p.plan_id = :plan
        and (not p.valid or c.id is null)
      order by p.code`,
    { plan: planId },
  );
}

/**
 * Pieces where two grids of the result overlap: proposed × proposed and proposed × kept grids in force,
 * each with its PIECE_KIND; noise too, so that no overlap vanishes. ST_Relate finds interiors that meet
 * (on the exact coordinates) before any intersection is computed; inputs are valid. A pair always gives a
 * row: when the floating-point intersection has no polygon left (an overlap far under a millimetre, as
 * ST_Relate sees where nearly collinear edges differ in the last digits, collapses to a line), one empty
 * piece, noise, placed on that line.
 */
export function sqlOverlaps(knex: Knex, planId: number, replaces: number[]): Knex.Raw {
  return knex.raw(
    `with pairs as (
       select a.code as a, b.code as b, a.geom as ga, b.geom as gb
         from plan_grids a
         join plan_grids b on b.plan_id = a.plan_id and a.code < b.code and b.valid and a.geom && b.geom
        where a.plan_id = :plan and a.valid and ST_Relate(a.geom, b.geom, '2********')
       union all
       select a.code, k.code, a.geom, k.geom
         from plan_grids a
         join areas k on k.level = ${GRID} and k.valid_to is null and a.geom && k.geom and k.id not in (select unnest(:replaces::int[]))
                     and k.code not in (select code from plan_grids where plan_id = :plan)
        where a.plan_id = :plan and a.valid and ST_Relate(a.geom, k.geom, '2********')
     ),
     pieces as (
       select p.a, p.b, coalesce(d.geom, ST_SetSRID('POLYGON EMPTY'::geometry, 4326)) as g,
              case when d.geom is not null then ST_PointOnSurface(d.geom)
                   when not ST_IsEmpty(x.i) then ST_PointOnSurface(x.i)
                   else ST_ClosestPoint(p.ga, p.gb) end as at
         from pairs p
         cross join lateral (select ST_Intersection(p.ga, p.gb) as i) x
         left join lateral ST_Dump(ST_CollectionExtract(x.i, 3)) d on true
     )
     select a, b, ${PIECE_KIND('g')} as kind, ST_Area(g::geography) as area_m2, ${THINNESS('g')} as thinness,
            ${LOCATION('at')} as location
       from pieces
      order by a, b, area_m2 desc`,
    { plan: planId, replaces, ...PIECE_BINDINGS },
  );
}

/**
 * The frame the plan must tile (the offices of the communities involved), the result's gaps inside it
 * that are more than noise (with their PIECE_KIND and polygons, for repair) and the uncovered total,
 * noise included. One row, always: zero rows means the geometry engine failed silently.
 */
export function sqlGaps(knex: Knex, planId: number, replaces: number[]): Knex.Raw {
  return knex.raw(
    `with comms as (
       select distinct c.code, c.parent_code
         from areas c
        where c.level = ${COMMUNITY} and c.valid_to is null
          and (c.code in (select parent_code from plan_grids where plan_id = :plan)
               or c.code in (select parent_code from areas where id = any(:replaces::int[])))
     ),
     offices as (
       select o.code, o.geom from areas o where o.level = ${OFFICE} and o.valid_to is null and o.code in (select parent_code from comms)
     ),
     result as (
       select ${SAFE('p')} as geom from plan_grids p where p.plan_id = :plan and ${POLYGONAL('p')}
       union all
       select g.geom from areas g
         join areas c on c.level = ${COMMUNITY} and c.valid_to is null and c.code = g.parent_code
        where g.level = ${GRID} and g.valid_to is null and g.id not in (select unnest(:replaces::int[]))
          and g.code not in (select code from plan_grids where plan_id = :plan)
          and c.parent_code in (select code from offices)
     ),
     frame as (select ST_Union(geom, :grid::float8) as g from offices),
     covered as (select ST_Union(geom, :grid::float8) as g from result),
     diff as (
       select case when frame.g is null then null
                   when covered.g is null then frame.g
                   else ST_Difference(frame.g, covered.g, :grid::float8) end as g
         from frame, covered
     )
     select coalesce(ST_Area(diff.g::geography), 0) as uncovered_m2,
            (select count(*) from offices) as offices,
            coalesce((select json_agg(json_build_object('kind', d.kind, 'area_m2', ST_Area(d.geom::geography), 'thinness', ${THINNESS('d.geom')},
                                                       'location', ${LOCATION('ST_PointOnSurface(d.geom)')},
                                                       'geometry', ${sqlGeoJson('d.geom', 9)}::json) order by ST_Area(d.geom::geography) desc)
                        from (select geom, ${PIECE_KIND('geom')} as kind from ST_Dump(ST_CollectionExtract(diff.g, 3))) d
                       where d.kind <> 'noise'), '[]'::json) as gaps
       from diff`,
    { plan: planId, replaces, grid: GRID_SIZE, ...PIECE_BINDINGS },
  );
}

/** Proposed grids reaching outside the office of their parent community, with the area outside. */
export function sqlOutsideParent(knex: Knex, planId: number): Knex.Raw {
  return knex.raw(
    `with outside as (
       select p.code, ST_CollectionExtract(ST_Difference(p.geom, o.geom), 3) as g
         from plan_grids p
         join areas c on c.level = ${COMMUNITY} and c.valid_to is null and c.code = p.parent_code
         join areas o on o.level = ${OFFICE} and o.valid_to is null and o.code = c.parent_code
        where p.plan_id = :plan and p.valid and not ST_CoveredBy(p.geom, o.geom)
     )
     select code, ST_Area(g::geography) as area_m2, ${LOCATION('ST_PointOnSurface(g)')} as location
       from outside
      where ${NOT_NOISE('g')}
      order by code`,
    { plan: planId, min: MIN_PIECE_M2, minWidth: MIN_WIDTH_M },
  );
}

/** Parts of proposed grids so small they are crumbs of drawing (reported as slivers). */
export function sqlCrumbs(knex: Knex, planId: number): Knex.Raw {
  return knex.raw(
    `with parts as (select p.code, (ST_Dump(p.geom)).geom as g from plan_grids p where p.plan_id = :plan and p.valid)
     select code, ST_Area(g::geography) as area_m2, ${THINNESS('g')} as thinness, ${LOCATION('ST_PointOnSurface(g)')} as location
       from parts
      where ST_Area(g) < 1e-7 and ST_Area(g::geography) < :max
      order by code`,
    { plan: planId, max: SLIVER_PART_M2 },
  );
}

/** The offices a plan touches: of the parents of its proposed grids and of the grids it replaces. */
export function sqlPlanOffices(knex: Knex, planId: number, replaces: number[]): Knex.Raw {
  return knex.raw(
    `select distinct c.parent_code as code
       from areas c
      where c.level = ${COMMUNITY} and c.valid_to is null
        and (c.code in (select parent_code from plan_grids where plan_id = :plan)
             or c.code in (select parent_code from areas where id = any(:replaces::int[])))
      order by 1`,
    { plan: planId, replaces },
  );
}

