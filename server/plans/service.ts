import type { Knex } from 'knex';
import type { SessionUser } from '../auth/store.js';
import { assertAreaInScope } from '../auth/scope.js';
import type { Db } from '../db/connect.js';
import { metresToDegrees } from '../geo/geodesy.js';
import { sqlGeoJson } from '../geo/geojson_sql.js';
import { Conflict, Invalid, NotFound, Unprocessable } from '../http/errors.js';
import type { TileInvalidation } from '../tiles/service.js';
import { regridAssets } from '../assets/service.js';
import { ASSET_PLACE } from '../assets/sql.js';
import { rerouteIncidents } from '../incidents/reroute.js';
import { INCIDENT_PLACE } from '../incidents/sql.js';
import { regridBuildings } from '../population/buildings.js';
import { countHouseholds } from '../population/households.js';
import { BUILDING_PLACE } from '../population/sql.js';
import { assignmentsEnding, endAssignments } from '../staff/service.js';
import { AREA_LEVEL_NAMES, AREA_LEVELS } from '../areas/levels.js';
import { API_PRECISION, type PlacedTable } from '../areas/sql.js';
import type { PlanSource } from './source.js';
import { sqlComputeBase, sqlCrumbs, sqlGaps, sqlInsertPlanGrids, sqlInvalidGrids, sqlMarkValid, sqlOutsideParent, sqlOverlaps, sqlPlanOffices, type PieceKind } from './sql_check.js';
import { sqlBaseNow, sqlCloseParents, sqlCloseVersions, sqlOpenParents, sqlOpenPlanGrids, sqlParentsWithChildren, sqlPlannedMoves, sqlPublishLock, type ParentLevel } from './sql_publish.js';
import { sqlRepairGaps, sqlRepairMakeValid, sqlRepairOverlaps, sqlRepairSnap } from './sql_repair.js';

type LonLat = [number, number];

/**
 * A sliver: a thin gap or overlap piece, an overlap piece under the noise threshold, or a crumb-sized
 * part of a grid.
 */
export interface Sliver {
  kind: 'gap' | 'overlap' | 'part';
  code?: string;
  a?: string;
  b?: string;
  area_m2: number;
  /** Isoperimetric quotient 4πA/P²: 1 for a disc, near 0 for a thin strip. */
  thinness: number;
  /**
   * An overlap under the noise threshold (PIECE_KIND 'noise'): listed so that none goes unseen, but it
   * does not block publishing, as a gap under the threshold does not.
   */
  noise: boolean;
  location: LonLat;
}

/** Everything wrong with a plan, each with where it is; areas are geodesic square metres. */
export interface PlanReport {
  valid: boolean;
  grids: number;
  /** Codes of the grids in force the plan replaces. */
  replaces: string[];
  offices: string[];
  invalid: { code: string; reason: string; location: LonLat | null }[];
  overlaps: { a: string; b: string; area_m2: number; location: LonLat }[];
  gaps: { area_m2: number; location: LonLat }[];
  outside_parent: { code: string; area_m2: number; location: LonLat }[];
  uncovered_parent_m2: number;
  slivers: Sliver[];
  checked_at: string;
}

/** What repair may do; each step is off unless asked. */
export interface RepairOptions {
  make_valid?: boolean;
  /** Snap vertices to neighbours within this many metres. */
  snap_m?: number;
  /** Give gaps up to this area (m²) to the neighbour with the longest shared edge. */
  gaps_max_m2?: number;
  /** Give overlaps up to this area (m²) to one side, by longest shared edge. */
  overlaps_max_m2?: number;
}

interface PlanRow {
  id: number;
  office_code: string | null;
  title: string;
  status: 'draft' | 'published' | 'discarded';
  author_user_id: number | null;
  report: PlanReport | null;
  replaces: number[];
  base: number[];
  source: string;
  source_crs: string;
  created_at: Date;
  updated_at: Date;
  published_at: Date | null;
}

const round = (x: number, d = 2) => Math.round(Number(x) * 10 ** d) / 10 ** d;

/** Only rows that really came back; on the embedded build a GEOS error silently yields none. */
function mustOne<T>(rows: T[], what: string): T {
  if (rows.length !== 1) {
    throw new Unprocessable('geometry_engine_failed', `The geometry engine could not ${what}; make the grids valid first (POST /api/plans/{id}/repair with make_valid).`);
  }
  return rows[0];
}

/** One overlap piece as sqlOverlaps answers it. */
interface OverlapPiece {
  a: string;
  b: string;
  kind: PieceKind;
  area_m2: number;
  thinness: number;
  location: LonLat;
}

/**
 * Check a plan against the boundaries in force: mark valid grids, find its base, compute and store the
 * report. Every overlap is reported: as an overlap (a sliver too when thin), or, under the noise threshold,
 * as a sliver with `noise`. The plan is valid (publishable) when nothing but noise is listed: gaps and
 * overlaps under the threshold do not block it (noise gaps count in uncovered_parent_m2 only), since edges
 * cut or drawn separately always differ by some (point routing takes the first grid by code there).
 */
export async function checkPlan(knex: Knex, planId: number): Promise<PlanReport> {
  await sqlMarkValid(knex, planId);
  const { rows: baseRows } = await sqlComputeBase(knex, planId);
  const replaces = (mustOne(baseRows, 'find the grids this plan replaces') as { replaces: number[] }).replaces;
  const invalid = (await sqlInvalidGrids(knex, planId)).rows;
  const pieces = (await sqlOverlaps(knex, planId, replaces)).rows as OverlapPiece[];
  const gapRow = mustOne((await sqlGaps(knex, planId, replaces)).rows, 'compute the gaps') as {
    uncovered_m2: number;
    gaps: { kind: PieceKind; area_m2: number; thinness: number; location: LonLat }[];
  };
  const outside = (await sqlOutsideParent(knex, planId)).rows;
  const crumbs = (await sqlCrumbs(knex, planId)).rows;
  const offices = (await sqlPlanOffices(knex, planId, replaces)).rows.map((r: { code: string }) => r.code);
  const replacedCodes = (await knex('areas').whereIn('id', replaces).orderBy('code').pluck('code')) as string[];
  const grids = Number((await knex('plan_grids').where({ plan_id: planId }).count({ n: '*' }))[0].n);

  // Each piece goes where its PIECE_KIND says: slivers and pieces are errors; noise overlaps are listed, noise gaps only summed.
  const overlaps = pieces.filter((o) => o.kind !== 'noise');
  const slivers: Sliver[] = [
    ...gapRow.gaps
      .filter((g) => g.kind === 'sliver')
      .map((g) => ({ kind: 'gap' as const, area_m2: round(g.area_m2), thinness: round(g.thinness, 4), noise: false, location: g.location })),
    ...pieces
      .filter((o) => o.kind !== 'piece')
      .map((o) => ({ kind: 'overlap' as const, a: o.a, b: o.b, area_m2: round(o.area_m2), thinness: round(o.thinness, 4), noise: o.kind === 'noise', location: o.location })),
    ...crumbs.map((c: { code: string; area_m2: number; thinness: number; location: LonLat }) => ({
      kind: 'part' as const, code: c.code, area_m2: round(c.area_m2), thinness: round(c.thinness, 4), noise: false, location: c.location,
    })),
  ];
  const report: PlanReport = {
    valid: false,
    grids,
    replaces: replacedCodes,
    offices,
    invalid: invalid.map((r: { code: string; reason: string; location: LonLat | null }) => ({ code: r.code, reason: r.reason, location: r.location })),
    overlaps: overlaps.map((o) => ({ a: o.a, b: o.b, area_m2: round(o.area_m2), location: o.location })),
    gaps: gapRow.gaps.map((g) => ({ area_m2: round(g.area_m2), location: g.location })),
    outside_parent: outside.map((o: { code: string; area_m2: number; location: LonLat }) => ({ code: o.code, area_m2: round(o.area_m2), location: o.location })),
    uncovered_parent_m2: round(gapRow.uncovered_m2),
    slivers,
    checked_at: new Date().toISOString(),
  };
  report.valid =
    report.invalid.length === 0 && report.overlaps.length === 0 && report.gaps.length === 0 && report.outside_parent.length === 0 && slivers.every((x) => x.noise) && offices.length > 0;
  await knex('plans').where({ id: planId }).update({ report: JSON.stringify(report), office_code: offices[0] ?? null, updated_at: knex.fn.now() });
  return report;
}

/** Throw Forbidden unless every office the plan touches is in the user's scope. */
async function assertPlanInScope(knex: Knex, user: SessionUser, offices: string[]): Promise<void> {
  for (const office of offices) await assertAreaInScope(knex, user, office);
}

/** Create a plan from proposed grids, check it, and answer its id and report. */
export async function createPlan(db: Db, user: SessionUser, source: PlanSource, title: string): Promise<{ id: number; report: PlanReport }> {
  return db.knex.transaction(async (trx) => {
    const [row] = await trx('plans')
      .insert({ title, author_user_id: user.id, source: source.source, source_crs: source.crs })
      .returning('id');
    const id = row.id as number;
    try {
      await sqlInsertPlanGrids(trx, id, source.features);
    } catch (err) {
      throw new Invalid('geometry_unreadable', `The grid geometries could not be read: ${(err as Error).message.split('\n')[0]}. Send GeoJSON Polygon or MultiPolygon geometries.`);
    }
    // Fresh statistics, or the planner joins thousands of new rows as if there were none.
    await trx.raw('analyze plan_grids');
    const report = await checkPlan(trx, id);
    await assertPlanInScope(trx, user, report.offices);
    return { id, report };
  });
}

/** A plan by id; NotFound when there is none. */
async function planRow(knex: Knex, id: number, forUpdate = false): Promise<PlanRow> {
  const q = knex('plans').where({ id }).first();
  const row = (await (forUpdate ? q.forUpdate() : q)) as PlanRow | undefined;
  if (!row) throw new NotFound('plan_not_found', `There is no plan ${id}; list the plans with GET /api/plans.`, { params: { id } });
  return row;
}

/** A plan's summary (no grids). */
export function toPlanSummary(row: PlanRow) {
  return {
    id: row.id,
    title: row.title,
    status: row.status,
    office_code: row.office_code,
    author_user_id: row.author_user_id,
    source: row.source,
    source_crs: row.source_crs,
    valid: row.report?.valid ?? false,
    grids: row.report?.grids ?? 0,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
    published_at: row.published_at ? new Date(row.published_at).toISOString() : null,
  };
}

/** Plans, newest first. */
export async function listPlans(knex: Knex, filter: { status?: string; limit: number; offset: number }) {
  const q = knex('plans').select('*').orderBy('id', 'desc').limit(filter.limit).offset(filter.offset);
  if (filter.status) q.where({ status: filter.status });
  const rows = (await q) as PlanRow[];
  return rows.map(toPlanSummary);
}

/** One plan with its proposed grids as a GeoJSON FeatureCollection. */
export async function getPlan(knex: Knex, id: number) {
  const row = await planRow(knex, id);
  const { rows } = await knex.raw(
    `select code, name, name_en, parent_code, valid, ${sqlGeoJson('geom', API_PRECISION)}::json as geometry from plan_grids where plan_id = :id order by code`,
    { id },
  );
  return {
    ...toPlanSummary(row),
    features: {
      type: 'FeatureCollection' as const,
      features: rows.map((r: { code: string; name: string; name_en: string; parent_code: string | null; valid: boolean; geometry: unknown }) => ({
        type: 'Feature' as const,
        id: r.code,
        properties: { code: r.code, name: r.name, name_en: r.name_en, parent_code: r.parent_code, valid: r.valid },
        geometry: r.geometry,
      })),
    },
  };
}

/** The stored report of a plan (as of its last check). */
export async function planReport(knex: Knex, id: number): Promise<PlanReport> {
  const row = await planRow(knex, id);
  if (!row.report) return checkPlan(knex, id);
  return row.report;
}

/** Throw Conflict unless the plan is still a draft. */
function assertDraft(row: PlanRow): void {
  if (row.status !== 'draft') {
    throw new Conflict('plan_not_draft', `Plan ${row.id} is ${row.status}; only a draft plan can be changed or published. Create a new plan instead.`, {
      params: { id: row.id, status: row.status },
    });
  }
}

/** The latitude snap tolerances are converted at: generous enough for longitude at the latitudes of China. */
const SNAP_LATITUDE = 50;

/** Repair a draft plan with the chosen steps, in order: make valid, snap, overlaps, gaps; then re-check. */
export async function repairPlan(db: Db, user: SessionUser, id: number, options: RepairOptions): Promise<PlanReport> {
  return db.knex.transaction(async (trx) => {
    const row = await planRow(trx, id, true);
    assertDraft(row);
    if (row.report) await assertPlanInScope(trx, user, row.report.offices);
    if (options.make_valid) {
      await sqlRepairMakeValid(trx, id);
      await checkPlan(trx, id);
    }
    const replaces = async () => (await trx('plans').where({ id }).first('replaces')).replaces as number[];
    if (options.snap_m) {
      await sqlRepairSnap(trx, id, await replaces(), metresToDegrees(options.snap_m, SNAP_LATITUDE));
      await checkPlan(trx, id);
    }
    if (options.overlaps_max_m2) {
      await sqlRepairOverlaps(trx, id, await replaces(), options.overlaps_max_m2);
      await sqlMarkValid(trx, id);
    }
    if (options.gaps_max_m2) {
      const gapRow = mustOne((await sqlGaps(trx, id, await replaces())).rows, 'compute the gaps') as {
        gaps: { area_m2: number; geometry: unknown }[];
      };
      const small = gapRow.gaps.filter((g) => g.area_m2 <= options.gaps_max_m2!).map((g) => g.geometry);
      if (small.length) await sqlRepairGaps(trx, id, small, options.gaps_max_m2);
    }
    return checkPlan(trx, id);
  });
}

/** Most moved items listed per kind in an impact (all are counted). */
export const MAX_IMPACT_ITEMS = 10_000;

/** One kind of thing a plan moves: counts per (from, to) grid pair and the list. */
interface MoveGroup {
  total: number;
  /** True when the list stops at MAX_IMPACT_ITEMS. */
  truncated: boolean;
  by_grid: { from_grid: string | null; to_grid: string | null; count: number }[];
  items: { id: number; label: string; from_grid: string | null; to_grid: string | null }[];
}

/** Group moves by (from, to) with counts. */
function toMoveGroup(rows: { id: number; label: string; from_grid: string | null; to_grid: string | null }[]): MoveGroup {
  const counts = new Map<string, { from_grid: string | null; to_grid: string | null; count: number }>();
  for (const r of rows) {
    const key = `${r.from_grid}\u0000${r.to_grid}`;
    const c = counts.get(key) ?? { from_grid: r.from_grid, to_grid: r.to_grid, count: 0 };
    c.count++;
    counts.set(key, c);
  }
  return {
    total: rows.length,
    truncated: rows.length > MAX_IMPACT_ITEMS,
    by_grid: [...counts.values()],
    items: rows.slice(0, MAX_IMPACT_ITEMS).map((r) => ({ id: r.id, label: r.label, from_grid: r.from_grid, to_grid: r.to_grid })),
  };
}

/** What publishing the plan would move: assets, open incidents, buildings (with households), staff assignments. */
export async function planImpact(knex: Knex, id: number) {
  const row = await planRow(knex, id);
  const report = row.report ?? (await checkPlan(knex, id));
  const replaces = (await knex('plans').where({ id }).first('replaces')).replaces as number[];
  const moves = async (place: PlacedTable) => toMoveGroup((await sqlPlannedMoves(knex, place, id, replaces)).rows);
  const assets = await moves(ASSET_PLACE);
  const incidents = await moves(INCIDENT_PLACE);
  const buildings = await moves(BUILDING_PLACE);
  const households = await countHouseholds(knex, buildings.items.map((b) => b.id));
  const replacedCodes = (await knex('areas').whereIn('id', replaces).distinct('code').pluck('code')) as string[];
  const kept = (await knex('plan_grids').where({ plan_id: id }).pluck('code')) as string[];
  const staff = await assignmentsEnding(knex, { codes: replacedCodes, keep: kept });
  const proposed = new Set((await knex('plan_grids').where({ plan_id: id }).pluck('code')) as string[]);
  return {
    plan_id: id,
    valid: report.valid,
    changed_grids: [...new Set([...report.replaces, ...proposed])].sort(),
    retired_grids: report.replaces.filter((c) => !proposed.has(c)),
    new_grids: [...proposed].filter((c) => !report.replaces.includes(c)).sort(),
    assets,
    incidents,
    buildings: { ...buildings, households },
    staff_assignments: { total: staff.length, items: staff },
  };
}

/** Publish a valid, current plan in one transaction; 409 with the report when invalid, 409 when stale. */
export async function publishPlan(db: Db, tiles: TileInvalidation, user: SessionUser, id: number) {
  const result = await db.knex.transaction(async (trx) => {
    await sqlPublishLock(trx);
    const row = await planRow(trx, id, true);
    assertDraft(row);
    const report = row.report;
    if (!report) throw new Conflict('plan_not_checked', `Plan ${id} has not been checked; GET /api/plans/${id}/report first.`, { params: { id } });
    await assertPlanInScope(trx, user, report.offices);
    if (!report.valid) {
      throw new Conflict('plan_invalid', `Plan ${id} is not valid; fix what the report lists (POST /api/plans/${id}/repair) and publish again.`, {
        params: { id },
        extra: { report },
      });
    }
    const now = mustOne((await sqlBaseNow(trx, id, row.base)).rows, 'check the plan against the boundaries in force') as { still: number; intruders: string[] };
    if (Number(now.still) !== row.base.length || now.intruders.length > 0) {
      throw new Conflict(
        'stale_plan',
        `Plan ${id} is stale: the boundaries it was checked against have changed since (another plan was published there). ` +
          'Create the plan again from the boundaries in force (GET /api/areas?level=grid).',
        { params: { id }, extra: { stale: true } },
      );
    }

    const closed = (await sqlCloseVersions(trx, row.replaces)).rows as { code: string; parent_code: string }[];
    if (closed.length !== row.replaces.length) {
      throw new Conflict('stale_plan', `Plan ${id} is stale: some grids it replaces are no longer in force.`, { params: { id }, extra: { stale: true } });
    }
    const opened = (await sqlOpenPlanGrids(trx, id)).rows as { id: number; code: string }[];
    if (opened.length !== report.grids) throw new Error(`publish of plan ${id}: opened ${opened.length} grids, expected ${report.grids}`);

    const planCommunities = (await trx('plan_grids').where({ plan_id: id }).distinct('parent_code').pluck('parent_code')) as string[];
    const communities = [...new Set([...closed.map((c) => c.parent_code), ...planCommunities])].sort();
    await reshapeParents(trx, AREA_LEVELS.community, communities, id);
    const offices = (await trx('areas').where({ level: AREA_LEVELS.community }).whereNull('valid_to').whereIn('code', communities).distinct('parent_code').pluck('parent_code')) as string[];
    await reshapeParents(trx, AREA_LEVELS.office, offices, id);

    // Each domain moves its own rows to the grids now in force, and logs the moves in its own trail.
    const codes = [...new Set(closed.map((c) => c.code))];
    const by = { codes, planId: id, actor: user.id };
    const moved = { assets: await regridAssets(trx, by), incidents: await rerouteIncidents(trx, by), buildings: await regridBuildings(trx, by) };
    await endAssignments(trx, { codes });
    await trx('plans').where({ id }).update({ status: 'published', published_at: trx.fn.now(), published_by: user.id, updated_at: trx.fn.now() });
    return {
      id,
      status: 'published' as const,
      closed_versions: closed.length,
      opened_versions: opened.length,
      communities,
      offices,
      moved,
    };
  });
  tiles.invalidate(['offices', 'communities', 'grids', 'assets', 'incidents']);
  return result;
}

/** Close and reopen parent areas as the union of their children; the union must come back for each. */
async function reshapeParents(trx: Knex, level: ParentLevel, codes: string[], planId: number): Promise<void> {
  if (codes.length === 0) return;
  const expected = Number((await sqlParentsWithChildren(trx, level, codes)).rows[0].n);
  await sqlCloseParents(trx, level, codes);
  const opened = (await sqlOpenParents(trx, level, codes, planId)).rows;
  if (opened.length !== expected) {
    throw new Error(`publish of plan ${planId}: ${opened.length} of ${expected} ${AREA_LEVEL_NAMES[level]} shapes came back from the union`);
  }
}

