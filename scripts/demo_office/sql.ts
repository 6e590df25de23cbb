/** SQL of the demo office generator: the work tables and named statements (values always bound). */
import type { Knex } from 'knex';
import { AREA_LEVELS } from '../../server/areas/levels.js';
import { UTM_SRID, VORONOI_MARGIN_M, type XY } from './constants.js';

/** Create the work tables of this run (the database is in memory and thrown away). */
export async function createWorkTables(knex: Knex): Promise<void> {
  await knex.raw(`create table demo_regions (
    key text primary key, geom geometry(MultiPolygon, 4326) not null, geom_utm geometry(MultiPolygon, ${UTM_SRID}) not null)`);
  await knex.raw(`create table demo_cells (
    parent_key text not null, seed_idx integer not null, geom geometry(MultiPolygon, 4326) not null,
    primary key (parent_key, seed_idx))`);
  await knex.raw(`create table demo_areas (
    code text primary key, level smallint not null, parent_code text, geom geometry(MultiPolygon, 4326) not null)`);
  await knex.raw(`create table demo_grid_utm (code text primary key, geom geometry(MultiPolygon, ${UTM_SRID}) not null)`);
}

/** Store a region (office or community) by key, in WGS84 and in UTM. */
export function sqlPutRegion(knex: Knex, key: string, geojson: string): Knex.Raw {
  return knex.raw(
    `insert into demo_regions (key, geom, geom_utm)
     select :key, g, ST_Multi(ST_Transform(g, ${UTM_SRID}))
       from (select ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(:geojson), 4326)) as g) s
     returning key`,
    { key, geojson },
  );
}

/** Store a cell (a community cut from the office) as a region to cut further. */
export function sqlPutRegionFromCell(knex: Knex, key: string, parentKey: string, seedIdx: number): Knex.Raw {
  return knex.raw(
    `insert into demo_regions (key, geom, geom_utm)
     select :key, geom, ST_Multi(ST_Transform(geom, ${UTM_SRID})) from demo_cells where parent_key = :parentKey and seed_idx = :seedIdx
     returning key`,
    { key, parentKey, seedIdx },
  );
}

/** Bounding box of a region in UTM metres. */
export function sqlRegionBox(knex: Knex, key: string): Knex.Raw {
  return knex.raw(
    `select ST_XMin(geom_utm) as xmin, ST_YMin(geom_utm) as ymin, ST_XMax(geom_utm) as xmax, ST_YMax(geom_utm) as ymax
       from demo_regions where key = :key`,
    { key },
  );
}

/** Which candidate points (UTM, indexed from 1 in array order) lie inside a region shrunk by `inset` metres. */
export function sqlPointsInside(knex: Knex, key: string, points: XY[], inset: number): Knex.Raw {
  return knex.raw(
    `with r as (select ST_Buffer(geom_utm, -cast(:inset as float8)) as g from demo_regions where key = :key),
          p as (select i, ST_SetSRID(ST_MakePoint((e->>0)::float8, (e->>1)::float8), ${UTM_SRID}) as pt
                  from json_array_elements(cast(:points as json)) with ordinality as t(e, i))
     select p.i from p, r where ST_Contains(r.g, p.pt) order by p.i`,
    { key, points: JSON.stringify(points), inset },
  );
}

/** SQL fragment (CTEs): region `r`, seed points `s(i, p)` in UTM, Voronoi cells `v(cell)`, and `c(i, cell)` each seed's cell. */
const SEED_CELLS_SQL = `
  r as (select geom, geom_utm from demo_regions where key = :key),
  s as (select i, ST_SetSRID(ST_MakePoint((e->>0)::float8, (e->>1)::float8), ${UTM_SRID}) as p
          from json_array_elements(cast(:seeds as json)) with ordinality as t(e, i)),
  v as (select (ST_Dump(ST_VoronoiPolygons(ST_Collect(s.p), 0, (select ST_Expand(geom_utm, ${VORONOI_MARGIN_M}) from r)))).geom as cell
          from s),
  c as (select s.i, v.cell from s join v on ST_Contains(v.cell, s.p))`;

/** One Lloyd step: the Voronoi cells of the seeds clipped to the region, their areas and centroids (kept inside). */
export function sqlLloydStep(knex: Knex, key: string, seeds: XY[]): Knex.Raw {
  return knex.raw(
    `with ${SEED_CELLS_SQL},
          k as (select c.i, ST_Intersection(c.cell, r.geom_utm) as g from c, r),
          m as (select k.i, case when ST_Contains(r.geom_utm, ST_Centroid(k.g)) then ST_Centroid(k.g)
                                 else ST_PointOnSurface(k.g) end as q
                  from k, r)
     select m.i, ST_X(m.q) as x, ST_Y(m.q) as y, ST_Area(k.g) as area from m join k on k.i = m.i order by m.i`,
    { key, seeds: JSON.stringify(seeds) },
  );
}

/** Cut a region into the Voronoi cells of the seeds: cells built in UTM, clipped to the region in WGS84. */
export function sqlCutCells(knex: Knex, key: string, seeds: XY[]): Knex.Raw {
  return knex.raw(
    `with ${SEED_CELLS_SQL}
     insert into demo_cells (parent_key, seed_idx, geom)
     select :key, c.i, ST_Multi(ST_CollectionExtract(ST_Intersection(ST_Transform(c.cell, 4326), r.geom), 3))
       from c, r
     returning seed_idx`,
    { key, seeds: JSON.stringify(seeds) },
  );
}

/**
 * The first stray part (not the largest part of its cell) that shares an edge with another cell of the
 * same parent, and the neighbour it shares the longest edge with.
 */
export function sqlNextStrayPart(knex: Knex, key: string): Knex.Raw {
  return knex.raw(
    `with parts as (
       select c.seed_idx, d.path[1] as part, d.geom,
              row_number() over (partition by c.seed_idx order by ST_Area(d.geom) desc, d.path[1]) as rank
         from demo_cells c, ST_Dump(c.geom) d where c.parent_key = :key),
     shared as (
       select s.seed_idx, s.part, n.seed_idx as to_idx,
              ST_Length(ST_Intersection(ST_Boundary(s.geom), ST_Boundary(n.geom))) as len
         from parts s join demo_cells n
           on n.parent_key = :key and n.seed_idx <> s.seed_idx and ST_Intersects(s.geom, n.geom)
        where s.rank > 1)
     select seed_idx, part, to_idx, len from shared where len > 0
      order by seed_idx, part, len desc, to_idx limit 1`,
    { key },
  );
}

/** Move one part of a cell into a neighbouring cell of the same parent. */
export function sqlMovePart(knex: Knex, key: string, from: number, part: number, to: number): Knex.Raw {
  return knex.raw(
    `with src as (select geom from demo_cells where parent_key = :key and seed_idx = :from),
          moved as (select (ST_Dump(geom)).* from src),
          upd_to as (
            update demo_cells set geom = ST_Multi(ST_Union(geom, (select geom from moved where path[1] = :part)))
             where parent_key = :key and seed_idx = :to returning seed_idx)
     update demo_cells
        set geom = ST_Multi((select ST_Collect(geom order by path[1]) from moved where path[1] <> :part))
      where parent_key = :key and seed_idx = :from and exists (select 1 from upd_to)
     returning seed_idx`,
    { key, from, to, part },
  );
}

/** Cells of a parent with their area (m²), number of parts and centroid in UTM. */
export function sqlCellSummary(knex: Knex, key: string): Knex.Raw {
  return knex.raw(
    `select seed_idx, ST_Area(geom::geography) as area_m2, ST_NumGeometries(geom) as parts, ST_IsValid(geom) as valid,
            ST_X(ST_Transform(ST_Centroid(geom), ${UTM_SRID})) as x, ST_Y(ST_Transform(ST_Centroid(geom), ${UTM_SRID})) as y
       from demo_cells where parent_key = :key order by seed_idx`,
    { key },
  );
}

/** Copy a cell into demo_areas under its code. */
export function sqlCellToArea(knex: Knex, key: string, seedIdx: number, code: string, level: number, parent: string): Knex.Raw {
  return knex.raw(
    `insert into demo_areas (code, level, parent_code, geom)
     select :code, :level, :parent, geom from demo_cells where parent_key = :key and seed_idx = :seedIdx
     returning code`,
    { key, seedIdx, code, level, parent },
  );
}

/**
 * Clean the coverage of all areas of a level (GEOS coverage cleaning): edges shared by two areas get
 * identical vertices. The cells were clipped separately, so their shared edges differ by floating-point
 * noise, enough to make a plain ST_Union fail with a topology error.
 */
export function sqlCleanCoverage(knex: Knex, level: number): Knex.Raw {
  return knex.raw(
    `with c as (select code, ST_CoverageClean(geom) over () as g
                  from (select code, geom from demo_areas where level = :level order by code) s)
     update demo_areas a set geom = ST_Multi(ST_CollectionExtract(c.g, 3)) from c where a.code = c.code
     returning a.code, ST_IsValid(a.geom) as valid, ST_IsEmpty(a.geom) as empty`,
    { level },
  );
}

/** How many areas of a level have edges that do not match their neighbours' (0 for a clean coverage). */
export function sqlInvalidCoverageEdges(knex: Knex, level: number): Knex.Raw {
  return knex.raw(
    `select count(*) as areas, count(e) as invalid
       from (select ST_CoverageInvalidEdges(geom) over () as e
               from (select code, geom from demo_areas where level = :level order by code) s) t`,
    { level },
  );
}

/** Store an area as the union of its children (a clean coverage, so ST_CoverageUnion; ordered for determinism). */
export function sqlUnionChildren(knex: Knex, code: string, level: number, parent: string | null): Knex.Raw {
  return knex.raw(
    `insert into demo_areas (code, level, parent_code, geom)
     select :code, :level, cast(:parent as text), ST_Multi(ST_CoverageUnion(geom order by code))
       from demo_areas where parent_code = :code
     returning code, ST_IsValid(geom) as valid, ST_NumGeometries(geom) as parts,
               (select sum(ST_NumInteriorRings(d.geom)) from ST_Dump(geom) d) as holes`,
    { code, level, parent },
  );
}

/** Grid geometries in UTM, for asset placement and checks. */
export function sqlFillGridUtm(knex: Knex): Knex.Raw {
  return knex.raw(
    `insert into demo_grid_utm (code, geom)
     select code, ST_Multi(ST_Transform(geom, ${UTM_SRID})) from demo_areas where level = ${AREA_LEVELS.grid} order by code
     returning code`,
  );
}

/** Rings of every grid shrunk by `offset` metres: the lines a street layer follows. */
export function sqlInsetRings(knex: Knex, offset: number): Knex.Raw {
  return knex.raw(
    `with b as (select code, d.path[1] as part, d.geom as g
                  from demo_grid_utm, ST_Dump(ST_Buffer(geom, -cast(:offset as float8))) d)
     select b.code, ST_AsGeoJSON(ST_ExteriorRing(r.geom), 3)::json as line, ST_Length(ST_ExteriorRing(r.geom)) as len
       from b, ST_DumpRings(b.g) r
      order by b.code, b.part, r.path[1]`,
    { offset },
  );
}

/** Bounding boxes of the grids in UTM. */
export function sqlGridBoxes(knex: Knex): Knex.Raw {
  return knex.raw(
    `select code, ST_XMin(geom) as xmin, ST_YMin(geom) as ymin, ST_XMax(geom) as xmax, ST_YMax(geom) as ymax
       from demo_grid_utm order by code`,
  );
}

/** Which candidate points (grid code, UTM) lie inside their grid shrunk by `inset` metres. */
export function sqlInsideGrids(knex: Knex, candidates: Array<{ grid: string; utm: XY }>, inset: number): Knex.Raw {
  return knex.raw(
    `with p as (select i, e->>'grid' as grid,
                       ST_SetSRID(ST_MakePoint((e->'utm'->>0)::float8, (e->'utm'->>1)::float8), ${UTM_SRID}) as pt
                  from json_array_elements(cast(:points as json)) with ordinality as t(e, i)),
          g as (select code, ST_Buffer(geom, -cast(:inset as float8)) as geom from demo_grid_utm)
     select p.i from p join g on g.code = p.grid and ST_Contains(g.geom, p.pt) order by p.i`,
    { points: JSON.stringify(candidates.map((c) => ({ grid: c.grid, utm: c.utm }))), inset },
  );
}

/** Transform UTM points to WGS84 lon/lat, in input order. */
export function sqlToLonLat(knex: Knex, points: XY[]): Knex.Raw {
  return knex.raw(
    `select i, ST_X(q) as lon, ST_Y(q) as lat
       from (select i, ST_Transform(ST_SetSRID(ST_MakePoint((e->>0)::float8, (e->>1)::float8), ${UTM_SRID}), 4326) as q
               from json_array_elements(cast(:points as json)) with ordinality as t(e, i)) s
      order by i`,
    { points: JSON.stringify(points) },
  );
}
