/**
 * The areas of the demo office: seeds relaxed by Lloyd iterations, regions cut into Voronoi cells with
 * stray parts merged, the coverage cleaned and unioned upwards, and the features as written.
 */
import type { Knex } from 'knex';
import { AREA_LEVELS } from '../../server/areas/levels.js';
import type { Rng } from '../../server/demo/synthetic.js';
import {
  AREA_PRECISION,
  COMMUNITY_COUNT,
  COMMUNITY_LLOYD_ITERATIONS,
  COMMUNITY_NAMES,
  GRID_COUNT,
  GRID_LLOYD_ITERATIONS,
  MIN_GRIDS_PER_COMMUNITY,
  OFFICE,
  SEEDING_ATTEMPTS,
  type AreaRecord,
  type GridInfo,
  type MultiPolygon,
  type XY,
} from './constants.js';
import { allocate, fail, pad, readingOrder, rngFor } from './helpers.js';
import {
  sqlCellSummary,
  sqlCellToArea,
  sqlCleanCoverage,
  sqlCutCells,
  sqlInvalidCoverageEdges,
  sqlLloydStep,
  sqlMovePart,
  sqlNextStrayPart,
  sqlPointsInside,
  sqlPutRegion,
  sqlPutRegionFromCell,
  sqlRegionBox,
  sqlUnionChildren,
} from './sql.js';

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
export async function buildAreas(knex: Knex, officeGeoJson: string) {
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
      if ((await sqlCellToArea(knex, code, g.seed_idx, gridCode, AREA_LEVELS.grid, code)).rows.length !== 1) fail(`could not store grid ${gridCode}`);
      grids.push({ code: gridCode, communityCode: code, areaM2: g.area_m2 });
    }
  }
  await checkedCleanCoverage(knex, AREA_LEVELS.grid, GRID_COUNT);
  for (const r of records.filter((a) => a.level === AREA_LEVELS.community)) await checkedUnion(knex, r.code, AREA_LEVELS.community, OFFICE.code);
  await checkedCoverage(knex, AREA_LEVELS.community, COMMUNITY_COUNT);
  await checkedUnion(knex, OFFICE.code, AREA_LEVELS.office, null);
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
export async function areaFeatures(knex: Knex, records: AreaRecord[]): Promise<unknown[]> {
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
