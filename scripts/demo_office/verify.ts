/** Checks on the files as written (geometries read back from the GeoJSON text); any failure stops the run. */
import type { Knex } from 'knex';
import { AREA_LEVELS } from '../../server/areas/levels.js';
import {
  COMMUNITY_COUNT,
  GRID_COUNT,
  MAX_AREA_REL_ERROR,
  MAX_OVERLAP_M2,
  MIN_EDGE_OFFSET_M,
  M_PER_DEGREE,
  NOTICE_BOARD_COUNT,
  SLIVER_M2,
  type AssetRecord,
  type XY,
} from './constants.js';
import { fail, roundCoord } from './helpers.js';

/** Load the written areas back into a check table. */
export async function loadCheckAreas(knex: Knex, features: unknown[]): Promise<void> {
  await knex.raw(`create table demo_check (code text primary key, level smallint, parent_code text, geom geometry(Geometry, 4326))`);
  const rows = await knex.raw(
    `insert into demo_check (code, level, parent_code, geom)
     select f->'properties'->>'code', (f->'properties'->>'level')::smallint, f->'properties'->>'parent_code',
            ST_SetSRID(ST_GeomFromGeoJSON(f->'geometry'), 4326)
       from json_array_elements(cast(:features as json)) f
     returning code`,
    { features: JSON.stringify(features) },
  );
  if (rows.rows.length !== features.length) fail(`only ${rows.rows.length} of ${features.length} areas could be read back`);
}

/** One row of area facts over the check table; zero rows means the geometry engine failed. */
async function oneRow(raw: Knex.Raw, what: string): Promise<Record<string, number>> {
  const { rows } = await raw;
  if (rows.length !== 1) fail(`${what}: the geometry engine returned ${rows.length} rows instead of 1`);
  return rows[0];
}

/** Verify the tiling: counts, validity, areas, overlaps, containment. Throws on any failure. */
export async function verifyAreas(knex: Knex, sourceAreaM2: number): Promise<Record<string, number>> {
  const facts = await oneRow(
    knex.raw(
      `select count(*) filter (where level = ${AREA_LEVELS.office}) as offices, count(*) filter (where level = ${AREA_LEVELS.community}) as communities,
              count(*) filter (where level = ${AREA_LEVELS.grid}) as grids,
              count(*) filter (where not ST_IsValid(geom)) as invalid,
              count(*) filter (where GeometryType(geom) <> 'MULTIPOLYGON') as not_multi,
              sum(ST_Area(geom::geography)) filter (where level = ${AREA_LEVELS.office}) as office_m2,
              sum(ST_Area(geom::geography)) filter (where level = ${AREA_LEVELS.community}) as communities_m2,
              sum(ST_Area(geom::geography)) filter (where level = ${AREA_LEVELS.grid}) as grids_m2,
              min(ST_Area(geom::geography)) filter (where level = ${AREA_LEVELS.grid}) as min_grid_m2,
              max(ST_Area(geom::geography)) filter (where level = ${AREA_LEVELS.grid}) as max_grid_m2
         from demo_check`,
    ),
    'area facts',
  );
  if (facts.offices !== 1 || facts.communities !== COMMUNITY_COUNT || facts.grids !== GRID_COUNT) {
    fail(`expected 1 office, ${COMMUNITY_COUNT} communities, ${GRID_COUNT} grids; got ${facts.offices}, ${facts.communities}, ${facts.grids}`);
  }
  if (facts.invalid > 0 || facts.not_multi > 0) fail(`${facts.invalid} invalid and ${facts.not_multi} non-MultiPolygon areas`);
  const rel = (a: number, b: number) => Math.abs(a - b) / b;
  if (rel(facts.grids_m2, facts.office_m2) > MAX_AREA_REL_ERROR) fail(`grid areas sum to ${facts.grids_m2} m², office is ${facts.office_m2} m²`);
  if (rel(facts.communities_m2, facts.office_m2) > MAX_AREA_REL_ERROR) fail(`community areas sum to ${facts.communities_m2} m², office is ${facts.office_m2} m²`);
  if (rel(facts.office_m2, sourceAreaM2) > MAX_AREA_REL_ERROR) fail(`office is ${facts.office_m2} m², repaired boundary is ${sourceAreaM2} m²`);

  const overlaps = await oneRow(
    knex.raw(
      `select count(*) as pairs, coalesce(max(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0) as max_m2
         from demo_check a join demo_check b
           on a.level = :level and b.level = :level and a.code < b.code and ST_Intersects(a.geom, b.geom)`,
      { level: AREA_LEVELS.grid },
    ),
    'grid overlaps',
  );
  if (overlaps.max_m2 > MAX_OVERLAP_M2) fail(`two grids overlap by ${overlaps.max_m2} m²`);
  const communityOverlaps = await oneRow(
    knex.raw(
      `select count(*) as pairs, coalesce(max(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0) as max_m2
         from demo_check a join demo_check b
           on a.level = :level and b.level = :level and a.code < b.code and ST_Intersects(a.geom, b.geom)`,
      { level: AREA_LEVELS.community },
    ),
    'community overlaps',
  );
  if (communityOverlaps.max_m2 > MAX_OVERLAP_M2) fail(`two communities overlap by ${communityOverlaps.max_m2} m²`);

  const containment = await oneRow(
    knex.raw(
      `select count(*) filter (where p.code is null) as orphans,
              count(*) filter (where not ST_CoveredBy(c.geom, p.geom)) as not_within
         from demo_check c left join demo_check p on p.code = c.parent_code where c.level > ${AREA_LEVELS.office}`,
    ),
    'containment',
  );
  if (containment.orphans > 0 || containment.not_within > 0) {
    fail(`${containment.orphans} areas without parent, ${containment.not_within} areas not within their parent`);
  }
  // Planar (lon/lat) difference, scaled to m²: a vertex added on a long boundary segment leaves the
  // planar shape unchanged, but the geodesic reading of the segment bends, so geography would see metres.
  const gap = await oneRow(
    knex.raw(
      `select ST_Area(ST_SymDifference(o.geom, r.geom)) * :m_per_deg * :m_per_deg * cos(radians(ST_Y(ST_Centroid(r.geom)))) as m2
         from demo_check o, demo_regions r where o.level = ${AREA_LEVELS.office} and r.key = :key`,
      { key: 'office', m_per_deg: M_PER_DEGREE },
    ),
    'office against the repaired boundary',
  );
  if (gap.m2 > MAX_OVERLAP_M2) fail(`the office differs from the repaired boundary by ${gap.m2} m²`);
  return { ...facts, overlap_pairs: overlaps.pairs, max_overlap_m2: overlaps.max_m2, source_gap_m2: gap.m2 };
}

/** A detached part of an area (not its largest), for the report. */
export interface ExtraPart {
  code: string;
  area_m2: number;
  at: XY;
}

/** Every part of a multipart area except its largest, with its area and a point inside it. */
export async function extraParts(knex: Knex): Promise<ExtraPart[]> {
  const { rows } = await knex.raw(
    `select code, round(m2::numeric, 1) as area_m2, ST_X(at) as lon, ST_Y(at) as lat
       from (select c.code, ST_Area(d.geom::geography) as m2, ST_PointOnSurface(d.geom) as at,
                    row_number() over (partition by c.code order by ST_Area(d.geom::geography) desc, d.path[1]) as rank
               from demo_check c, ST_Dump(c.geom) d) p
      where rank > 1 order by code, m2`,
  );
  return rows.map((r: { code: string; area_m2: number; lon: number; lat: number }) => ({
    code: r.code,
    area_m2: Number(r.area_m2),
    at: [roundCoord(r.lon), roundCoord(r.lat)] as XY,
  }));
}

/** One line per multipart area: its detached parts and where they are. */
export function describeExtraParts(parts: ExtraPart[]): string[] {
  const codes = [...new Set(parts.map((p) => p.code))];
  return codes.map((code) => {
    const mine = parts.filter((p) => p.code === code);
    const list = mine.map((p) => `${p.area_m2} m² at ${p.at[0]} E ${p.at[1]} N${p.area_m2 < SLIVER_M2 ? ' (sliver)' : ''}`);
    return `${code}: ${mine.length + 1} parts; detached: ${list.join(', ')}`;
  });
}

/** Verify the assets as written: inside the office, in exactly their grid, at least the offset from any edge. */
export async function verifyAssets(knex: Knex, assets: AssetRecord[]): Promise<Record<string, number>> {
  const codes = new Set(assets.map((a) => a.code));
  if (codes.size !== assets.length) fail(`asset codes are not unique (${assets.length - codes.size} duplicates)`);
  const boards = assets.filter((a) => a.category_code === '0312');
  if (boards.length !== NOTICE_BOARD_COUNT) fail(`${boards.length} notice boards instead of ${NOTICE_BOARD_COUNT}`);
  const facts = await oneRow(
    knex.raw(
      `with p as (select e->>'grid' as grid, ST_SetSRID(ST_MakePoint((e->'p'->>0)::float8, (e->'p'->>1)::float8), 4326) as pt
                    from json_array_elements(cast(:points as json)) e),
            hits as (select p.grid, p.pt, count(g.code) as n, min(g.code) as in_grid,
                            min(ST_Distance(p.pt::geography, ST_Boundary(g.geom)::geography)) as edge_m
                       from p left join demo_check g on g.level = ${AREA_LEVELS.grid} and ST_Intersects(g.geom, p.pt)
                      group by p.grid, p.pt)
       select count(*) as points, count(*) filter (where n <> 1) as not_in_one_grid,
              count(*) filter (where in_grid is distinct from grid) as wrong_grid,
              min(edge_m) as min_edge_m,
              count(*) filter (where not ST_Contains((select geom from demo_check where level = ${AREA_LEVELS.office}), pt)) as outside_office
         from hits`,
      { points: JSON.stringify(assets.map((a) => ({ grid: a.grid, p: a.lonlat }))) },
    ),
    'asset checks',
  );
  if (facts.points !== assets.length) fail(`${facts.points} distinct asset positions for ${assets.length} assets (duplicates?)`);
  if (facts.not_in_one_grid > 0 || facts.wrong_grid > 0 || facts.outside_office > 0) {
    fail(`assets: ${facts.not_in_one_grid} not in exactly one grid, ${facts.wrong_grid} in the wrong grid, ${facts.outside_office} outside the office`);
  }
  if (facts.min_edge_m < MIN_EDGE_OFFSET_M) fail(`an asset is ${facts.min_edge_m} m from a grid edge (minimum ${MIN_EDGE_OFFSET_M} m)`);
  return facts;
}
