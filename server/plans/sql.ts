import type { Knex } from 'knex';
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
const NOT_NOISE = (g: string) =>
  `(ST_Area(${g}::geography) > :min and 2 * ST_Area(${g}::geography) / greatest(ST_Perimeter(${g}::geography), 1e-9) > :minWidth)`;
/** A gap or overlap piece whose isoperimetric quotient (4πA/P²) is below this is a sliver. */
export const SLIVER_THINNESS = 0.1;
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
        where a.level = 3 and a.valid_to is null
          and (a.code in (select code from plan_grids where plan_id = :plan)
               or exists (select 1 from plan_grids p
                           where p.plan_id = :plan and ${POLYGONAL('p')} and p.geom && a.geom
                             and ST_Intersects(${SAFE('p')}, ST_PointOnSurface(a.geom))))
     ),
     near as (
       select a.id from areas a
        where a.level = 3 and a.valid_to is null
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
       left join areas c on c.level = 2 and c.valid_to is null and c.code = p.parent_code
      where p.plan_id = :plan
        and (not p.valid or c.id is null)
      order by p.code`,
    { plan: planId },
  );
}

/**
 * Pieces where two grids of the result overlap: proposed × proposed and proposed × kept grids in force.
 * ST_Relate finds interiors that meet before any intersection is computed; inputs are valid.
 */
export function sqlOverlaps(knex: Knex, planId: number, replaces: number[]): Knex.Raw {
  return knex.raw(
    `with pairs as (
       select a.code as a, b.code as b, ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3) as g
         from plan_grids a
         join plan_grids b on b.plan_id = a.plan_id and a.code < b.code and b.valid and a.geom && b.geom
        where a.plan_id = :plan and a.valid and ST_Relate(a.geom, b.geom, '2********')
       union all
       select a.code, k.code, ST_CollectionExtract(ST_Intersection(a.geom, k.geom), 3)
         from plan_grids a
         join areas k on k.level = 3 and k.valid_to is null and a.geom && k.geom and k.id not in (select unnest(:replaces::int[]))
                     and k.code not in (select code from plan_grids where plan_id = :plan)
        where a.plan_id = :plan and a.valid and ST_Relate(a.geom, k.geom, '2********')
     ),
     pieces as (select a, b, (ST_Dump(g)).geom as g from pairs)
     select a, b, ST_Area(g::geography) as area_m2, ST_Perimeter(g::geography) as perimeter_m,
            ${LOCATION('ST_PointOnSurface(g)')} as location
       from pieces
      where ${NOT_NOISE('g')}
      order by a, b`,
    { plan: planId, replaces, min: MIN_PIECE_M2, minWidth: MIN_WIDTH_M },
  );
}

/**
 * The frame the plan must tile (the offices of the communities involved), the result's gaps inside it,
 * (with their polygons, for repair) and the uncovered total. One row, always: zero rows means the
 * geometry engine failed silently.
 */
export function sqlGaps(knex: Knex, planId: number, replaces: number[]): Knex.Raw {
  return knex.raw(
    `with comms as (
       select distinct c.code, c.parent_code
         from areas c
        where c.level = 2 and c.valid_to is null
          and (c.code in (select parent_code from plan_grids where plan_id = :plan)
               or c.code in (select parent_code from areas where id = any(:replaces::int[])))
     ),
     offices as (
       select o.code, o.geom from areas o where o.level = 1 and o.valid_to is null and o.code in (select parent_code from comms)
     ),
     result as (
       select ${SAFE('p')} as geom from plan_grids p where p.plan_id = :plan and ${POLYGONAL('p')}
       union all
       select g.geom from areas g
         join areas c on c.level = 2 and c.valid_to is null and c.code = g.parent_code
        where g.level = 3 and g.valid_to is null and g.id not in (select unnest(:replaces::int[]))
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
            coalesce((select json_agg(json_build_object('area_m2', ST_Area(d.geom::geography), 'perimeter_m', ST_Perimeter(d.geom::geography),
                                                       'location', ${LOCATION('ST_PointOnSurface(d.geom)')},
                                                       'geometry', ST_AsGeoJSON(d.geom)::json) order by ST_Area(d.geom::geography) desc)
                        from ST_Dump(ST_CollectionExtract(diff.g, 3)) d
                       where ${NOT_NOISE('d.geom')}), '[]'::json) as gaps
       from diff`,
    { plan: planId, replaces, min: MIN_PIECE_M2, minWidth: MIN_WIDTH_M, grid: GRID_SIZE },
  );
}

/** Proposed grids reaching outside the office of their parent community, with the area outside. */
export function sqlOutsideParent(knex: Knex, planId: number): Knex.Raw {
  return knex.raw(
    `with outside as (
       select p.code, ST_CollectionExtract(ST_Difference(p.geom, o.geom), 3) as g
         from plan_grids p
         join areas c on c.level = 2 and c.valid_to is null and c.code = p.parent_code
         join areas o on o.level = 1 and o.valid_to is null and o.code = c.parent_code
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
     select code, ST_Area(g::geography) as area_m2, ST_Perimeter(g::geography) as perimeter_m, ${LOCATION('ST_PointOnSurface(g)')} as location
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
      where c.level = 2 and c.valid_to is null
        and (c.code in (select parent_code from plan_grids where plan_id = :plan)
             or c.code in (select parent_code from areas where id = any(:replaces::int[])))
      order by 1`,
    { plan: planId, replaces },
  );
}

// ---------------------------------------------------------------------------------------------------
// Repair: each step rewrites the proposed grids in place; the caller re-checks afterwards.

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
                   where k.level = 3 and k.valid_to is null and k.id not in (select unnest(:replaces::int[]))
                     and k.code <> p.code and ST_DWithin(k.geom, p.geom, :tol)
                  union all
                  select ST_Boundary(o.geom) from areas o
                   where o.level = 1 and o.valid_to is null and ST_DWithin(o.geom, p.geom, :tol)
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
         join areas k on k.level = 3 and k.valid_to is null and a.geom && k.geom and k.id not in (select unnest(:replaces::int[]))
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

// ---------------------------------------------------------------------------------------------------
// Impact and publish.

/** Tables whose rows belong to a grid by position; `point` is the SQL of the position used. */
export const ROUTED = {
  assets: { point: 'x.geom', filter: '' },
  incidents: { point: 'x.geom', filter: ` and x.status in ('open', 'handled')` },
  buildings: { point: 'ST_PointOnSurface(x.geom)', filter: '' },
} as const;
export type RoutedTable = keyof typeof ROUTED;

/**
 * Rows of a table that the plan would move: those now in a replaced grid, each with the grid it would
 * fall in (proposed or kept; lowest code on a shared edge, as locate does) when that differs.
 */
export function sqlPlannedMoves(knex: Knex, table: RoutedTable, planId: number, replaces: number[]): Knex.Raw {
  const { point, filter } = ROUTED[table];
  const label = table === 'assets' ? 'x.code' : table === 'incidents' ? 'x.case_no' : 'x.address';
  return knex.raw(
    `with cand as (
       select x.id, ${label} as label, x.grid_code, ${point} as pt
         from ${table} x
        where x.grid_code in (select code from areas where id = any(:replaces::int[]))${filter}
     ),
     hits as (
       select distinct on (c.id) c.id, h.code
         from cand c
         join lateral (
           select p.code from plan_grids p where p.plan_id = :plan and p.valid and p.geom && c.pt and ST_Intersects(p.geom, c.pt)
           union all
           select k.code from areas k
            where k.level = 3 and k.valid_to is null and k.id not in (select unnest(:replaces::int[])) and k.geom && c.pt and ST_Intersects(k.geom, c.pt)
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

/** Staff assignments in force on replaced grids whose code the plan drops (they would end). */
export function sqlEndedAssignments(knex: Knex, planId: number, replaces: number[]): Knex.Raw {
  return knex.raw(
    `select s.id, s.code, s.name, s.role, sa.area_code as from_grid
       from staff_assignments sa join staff s on s.id = sa.staff_id
      where sa.valid_to is null
        and sa.area_code in (select code from areas where id = any(:replaces::int[]))
        and sa.area_code not in (select code from plan_grids where plan_id = :plan)
      order by sa.area_code, s.code`,
    { plan: planId, replaces },
  );
}

/** Whether a table exists (the population module's buildings may not be installed). */
export function sqlTableExists(knex: Knex, table: string): Knex.Raw {
  return knex.raw(`select to_regclass(:t) is not null as ok`, { t: `public.${table}` });
}

/** Serialise publishes: one at a time per database, inside the transaction. */
export function sqlPublishLock(knex: Knex): Knex.Raw {
  return knex.raw(`select pg_advisory_xact_lock(724190312)`);
}

/**
 * The base of a plan as it stands now: which base versions are still in force, and which grids in force
 * near the plan (or with a proposed code) are not in the base. Either differing means the plan is stale.
 */
export function sqlBaseNow(knex: Knex, planId: number, base: number[]): Knex.Raw {
  return knex.raw(
    `select (select count(*) from areas where id = any(:base::int[]) and valid_to is null) as still,
            (select coalesce(array_agg(a.code order by a.code), '{}') from areas a
              where a.level = 3 and a.valid_to is null and not (a.id = any(:base::int[]))
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
     select code, 3, name, name_en, parent_code, ST_Multi(ST_CollectionExtract(geom, 3)), now(), plan_id
       from plan_grids where plan_id = :plan and valid
     returning id, code`,
    { plan: planId },
  );
}

/** Close the versions in force of some parent areas (communities or offices); returns their codes. */
export function sqlCloseParents(knex: Knex, level: 1 | 2, codes: string[]): Knex.Raw {
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
export function sqlOpenParents(knex: Knex, level: 1 | 2, codes: string[], planId: number): Knex.Raw {
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
export function sqlParentsWithChildren(knex: Knex, level: 1 | 2, codes: string[]): Knex.Raw {
  return knex.raw(
    `select count(distinct parent_code) as n from areas where level = :child and valid_to is null and parent_code = any(:codes::text[])`,
    { child: level + 1, codes },
  );
}

/**
 * Move the rows of a table that sit in closed grids to the grid in force containing them (lowest code
 * on a shared edge), with its version; returns each move. Closed incidents keep their old version.
 */
export function sqlReroute(knex: Knex, table: RoutedTable, oldCodes: string[]): Knex.Raw {
  const { point, filter } = ROUTED[table];
  const community = table === 'incidents' ? ', community_code = m.community_code' : '';
  return knex.raw(
    `with moved as (
       select distinct on (x.id) x.id, x.office_code, x.grid_code as from_grid, g.code as to_grid, g.id as version_id,
              g.parent_code as community_code
         from ${table} x
         join areas g on g.level = 3 and g.valid_to is null and g.geom && ${point} and ST_Intersects(g.geom, ${point})
        where x.grid_code = any(:codes::text[])${filter}
        order by x.id, g.code
     )
     update ${table} x
        set grid_code = m.to_grid, area_version_id = m.version_id, updated_at = now()${community}
       from moved m
      where x.id = m.id
     returning x.id, x.office_code, m.from_grid, m.to_grid`,
    { codes: oldCodes },
  );
}

/** Log asset moves made by a plan. */
export function sqlLogAssetMoves(knex: Knex, moves: { id: number; office_code: string; from_grid: string; to_grid: string }[], planId: number, actor: number): Knex.Raw {
  return knex.raw(
    `insert into asset_events (office_code, asset_id, action, from_grid, to_grid, plan_id, actor_user_id, note)
     select m->>'office_code', (m->>'id')::int, 'regrid', m->>'from_grid', m->>'to_grid', :plan, :actor, :note
       from json_array_elements(:moves::json) m`,
    { moves: JSON.stringify(moves), plan: planId, actor, note: `Moved by boundary plan ${planId}` },
  );
}

/** Log incident moves made by a plan in their audit trail (action `rerouted`, state unchanged). */
export function sqlLogIncidentMoves(knex: Knex, moves: { id: number; office_code: string; from_grid: string; to_grid: string }[], actor: number, planId: number): Knex.Raw {
  return knex.raw(
    `insert into incident_events (office_code, incident_id, action, from_status, to_status, from_level, to_level, actor_user_id, note)
     select i.office_code, i.id, 'rerouted', i.status, i.status, i.level, i.level, :actor,
            'Boundary plan ' || :plan || ' moved it from grid ' || (m->>'from_grid') || ' to grid ' || (m->>'to_grid')
       from json_array_elements(:moves::json) m join incidents i on i.id = (m->>'id')::int`,
    { moves: JSON.stringify(moves), plan: planId, actor },
  );
}

/** End the staff assignments of grid codes that no longer exist. */
export function sqlEndAssignments(knex: Knex, codes: string[]): Knex.Raw {
  return knex.raw(
    `update staff_assignments set valid_to = now()
      where valid_to is null and area_code = any(:codes::text[])
        and not exists (select 1 from areas a where a.code = staff_assignments.area_code and a.valid_to is null)`,
    { codes },
  );
}
