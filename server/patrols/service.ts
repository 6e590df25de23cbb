import type { Knex } from 'knex';
import { rowInScope, sqlRowInScope, type Viewer } from '../auth/scope.js';
import { assertRole } from '../auth/service.js';
import type { SessionUser } from '../auth/store.js';
import { WORK_TIME_ZONE } from '../calendar/sql.js';
import { Forbidden, Invalid, NotFound } from '../http/errors.js';
import { iso } from '../http/wire.js';
import { chiefOfUser } from '../staff/service.js';
import {
  CELL_M,
  MAX_ACCURACY_M,
  REACH_M,
  sqlChiefsHeld,
  sqlCoverage,
  sqlCoverageSettings,
  sqlDaySpan,
  sqlEndOpenPatrol,
  sqlEndPatrol,
  sqlFixCount,
  sqlFillGridCells,
  sqlGridCells,
  sqlGridsPlaced,
  sqlGridVersionCount,
  sqlInsertFixes,
  sqlMonthSpan,
  sqlPatrolById,
  sqlPatrolsInSpan,
  sqlToday,
  type FixIn,
  type PatrolRow,
} from './sql.js';

/*
 * Patrols: a chief starts one, the phone sends its fixes in batches, the chief ends it. One open patrol
 * per chief: starting another ends the open one first (at the new start, or now if that is earlier), so
 * a chief who forgot to press stop is never blocked in the street; the answer names the patrol it ended.
 */

/** Fix times may lie this far outside a patrol's span (clock drift between the phone and the server). */
export const SLACK_MS = 5 * 60_000;
/** A start given by an offline phone may be at most this old. */
const MAX_START_AGE_MS = 24 * 3600_000;

/** What coverage means; answered with every coverage so a reader never has to guess. */
export const COVERAGE_DEFINITION =
  `Patrol coverage: the share of a grid's ${CELL_M} m cells that some fix of a patrol came within ${REACH_M} m of. ` +
  `The cells are the squares of a ${CELL_M} m lattice laid on the easting and northing of the grid's UTM zone (WGS 84 / UTM, EPSG:326zz north or 327zz south, ` +
  `the zone of the centre of the grid's bounding box), corners at multiples of ${CELL_M} m; a cell is the grid's when its centre lies in the grid. ` +
  `A cell is covered when the planar distance in that zone from a fix to the cell's centre is at most ${REACH_M} m. ` +
  `A fix counts for a chief and a grid when it belongs to a patrol of the chief and was taken while the chief held the grid; it is laid on the grid's boundary version in force at its time, ` +
  `so a later redraw or handover does not change a past month (the cells a fix covers are worked out when it is received, from the assignments and boundaries recorded for its time). Days are calendar days in ${WORK_TIME_ZONE}; the month figure counts each cell covered on any day of it once. ` +
  `Fixes with an accuracy worse than ${MAX_ACCURACY_M} m are dropped when received.`;

/** A patrol as the API answers it. */
function toPatrol(p: PatrolRow) {
  return {
    id: p.id,
    chief: { id: p.chief_staff_id, code: p.chief_code, name: p.chief_name, name_en: p.chief_name_en },
    grid_codes: p.grid_codes,
    started_at: iso(p.started_at)!,
    ended_at: iso(p.ended_at),
  };
}

/** The patrol by id if the user may see it (the scope rule, its grids counted), else 404. */
async function patrolInScope(knex: Knex, user: SessionUser, id: number): Promise<PatrolRow> {
  const p: PatrolRow | undefined = (await sqlPatrolById(knex, id)).rows[0];
  if (!p || !rowInScope(user, { ...p, near_grid_codes: p.grid_codes }, { near: true })) {
    throw new NotFound('patrol_not_found', `No patrol ${id} is in your scope; start one with POST /api/patrols.`, { params: { id } });
  }
  return p;
}

/** The patrol by id if it is the user's own (404 when out of scope, 403 when it is another chief's). */
async function ownPatrol(knex: Knex, user: SessionUser, id: number): Promise<PatrolRow> {
  const p = await patrolInScope(knex, user, id);
  if (p.user_id !== user.id) {
    throw new Forbidden('patrol_not_yours', `Patrol ${id} is ${p.chief_name}'s; only the chief who walks it sends its points and ends it.`, { params: { id } });
  }
  return p;
}

/** An instant given by a phone, checked against now (not in the future, beyond the slack). */
function checkedInstant(text: string | undefined, field: string, now: Date): Date {
  if (text === undefined) return now;
  const at = new Date(text);
  if (at.getTime() > now.getTime() + SLACK_MS) {
    throw new Invalid('patrol_time_invalid', `${field} ${text} is in the future; send the time the button was pressed (or none for now).`, { params: { field } });
  }
  return at;
}

/** Start a patrol for the chief the user is (ending their open one, if any). */
export async function startPatrol(knex: Knex, user: SessionUser, body: { started_at?: string }) {
  assertRole(user, ['chief']);
  const now = new Date();
  const startedAt = checkedInstant(body.started_at, 'started_at', now);
  if (startedAt.getTime() < now.getTime() - MAX_START_AGE_MS) {
    throw new Invalid('patrol_time_invalid', `started_at ${body.started_at} is more than 24 hours ago; a patrol is started on the day it is walked.`, { params: { field: 'started_at' } });
  }
  const chief = await chiefOfUser(knex, user.id);
  const grids = chief ? ((await sqlGridsPlaced(knex, chief.grids)).rows as { code: string; community_code: string; office_code: string | null }[]) : [];
  const first = grids.find((g) => g.office_code);
  if (!chief || !first) {
    throw new Forbidden('patrol_needs_grid', `${user.username} is not a grid chief holding a grid now (on the staff list, linked to this account); ask the command centre to assign one.`);
  }
  return knex.transaction(async (trx) => {
    const ended = (await sqlEndOpenPatrol(trx, first.office_code!, chief.id, startedAt)).rows[0]?.id ?? null;
    const [row] = await trx('patrols')
      .insert({
        office_code: first.office_code,
        community_code: first.community_code,
        grid_code: first.code,
        grid_codes: grids.map((g) => g.code),
        chief_staff_id: chief.id,
        user_id: user.id,
        started_at: startedAt,
      })
      .returning('id');
    const p: PatrolRow = (await sqlPatrolById(trx, row.id)).rows[0];
    return { ...toPatrol(p), ended_previous: ended };
  });
}

/** A batch of fixes from the phone, as the route parsed it. */
export interface FixBatch {
  points: FixIn[];
}

/**
 * Store a batch of fixes of the user's own patrol: fixes worse than 50 m and fixes outside the patrol's
 * time are dropped and counted; fixes in any order are fine; a time stored already (a resent batch) or
 * repeated in the batch is kept once, the first position given for it winning.
 */
export async function addPoints(knex: Knex, user: SessionUser, id: number, batch: FixBatch) {
  const p = await ownPatrol(knex, user, id);
  const from = new Date(p.started_at).getTime() - SLACK_MS;
  const to = (p.ended_at ? new Date(p.ended_at).getTime() : Date.now()) + SLACK_MS;
  let dropped = 0;
  let outside = 0;
  const good: FixIn[] = [];
  for (const f of batch.points) {
    if (f.accuracy_m > MAX_ACCURACY_M) dropped++;
    else {
      const at = new Date(f.at);
      if (at.getTime() < from || at.getTime() > to) outside++;
      // The instant in one spelling, so that +08:00 and Z forms of the same time are one key.
      else good.push({ ...f, at: at.toISOString() });
    }
  }
  const unique = new Map<string, FixIn>();
  for (const f of good) if (!unique.has(f.at)) unique.set(f.at, f);
  let inserted = 0;
  if (unique.size) {
    const written = (await sqlInsertFixes(knex, p, [...unique.values()], WORK_TIME_ZONE)).rows[0];
    // The statement always answers one row; none means the embedded build swallowed a geometry error.
    if (!written) throw new Error(`patrol ${p.id}: storing ${unique.size} fixes answered no row (a geometry engine failure?)`);
    inserted = written.inserted;
  }
  const points = (await sqlFixCount(knex, p)).rows[0].n as number;
  return { accepted: good.length, duplicates: good.length - inserted, dropped, outside, points };
}

/** End the user's own patrol (at the time given, or now); ending it again answers it as it is. */
export async function endPatrol(knex: Knex, user: SessionUser, id: number, body: { ended_at?: string }) {
  const p = await ownPatrol(knex, user, id);
  const at = checkedInstant(body.ended_at, 'ended_at', new Date());
  if (!p.ended_at && at.getTime() < new Date(p.started_at).getTime()) {
    throw new Invalid('patrol_time_invalid', `ended_at ${body.ended_at} is before the patrol started (${iso(p.started_at)}).`, { params: { field: 'ended_at' } });
  }
  if (!p.ended_at) await sqlEndPatrol(knex, id, at);
  return toPatrol((await sqlPatrolById(knex, id)).rows[0]);
}

/** The scope clause of patrols for a viewer: the scope rule over the grid, community and office they carry, their other grids counted. */
function sqlPatrolScope(knex: Knex, viewer: Pick<Viewer, 'scope'>): Knex.Raw {
  return sqlRowInScope(knex, viewer, { grid: 'p.grid_code', community: 'p.community_code', office: 'p.office_code', near: 'p.grid_codes' });
}

/** The patrols of a day in the user's scope (optionally one chief's), each with its track of the day. */
export async function listPatrols(knex: Knex, user: SessionUser, query: { chief?: string; day?: string }) {
  const tz = WORK_TIME_ZONE;
  const day = query.day ?? ((await sqlToday(knex, tz)).rows[0].day as string);
  const { rows: [span] } = await sqlDaySpan(knex, day, tz);
  const { rows } = await sqlPatrolsInSpan(knex, sqlPatrolScope(knex, user), span, query.chief);
  return {
    day,
    from: iso(span.start)!,
    to: iso(span.end)!,
    items: rows.map((r: PatrolRow & { points: number; track: unknown; length_m: number }) => ({
      ...toPatrol(r),
      points: r.points,
      length_m: Math.round(Number(r.length_m) * 10) / 10,
      track: r.track as { type: 'LineString'; coordinates: [number, number][] } | null,
    })),
  };
}

/** A share to 4 decimals, or null when there is nothing to share. */
const share = (covered: number, cells: number) => (cells > 0 ? Math.round((covered / cells) * 1e4) / 1e4 : null);

/** A grid version's cells, as the coverage counts them. */
interface GridCells {
  id: number;
  code: string;
  name: string;
  name_en: string;
  parent_code: string | null;
  srid: number;
  cells: number;
}

/** The grid areas a viewer may see, read by the scope rule over a grid version's code, community and office. */
function sqlGridScope(knex: Knex, viewer: Pick<Viewer, 'scope'>): Knex.Raw {
  const office = '(select oc.parent_code from areas oc where oc.code = g.parent_code order by oc.valid_from desc limit 1)';
  return sqlRowInScope(knex, viewer, { grid: 'g.code', community: 'g.parent_code', office });
}

/**
 * Coverage in a span for a viewer (see COVERAGE_DEFINITION): a row per chief and grid version they held
 * in it (with the days that had fixes), and a row per grid version in scope whoever walked it.
 */
export async function coverageInSpan(knex: Knex, viewer: Pick<Viewer, 'scope'>, span: { start: Date; end: Date }, tz = WORK_TIME_ZONE) {
  const scope = sqlGridScope(knex, viewer);
  const { cells, held, counted } = await knex.transaction(async (trx) => {
    await sqlCoverageSettings(trx);
    const expected = (await sqlGridVersionCount(trx, scope, span)).rows[0].n as number;
    await sqlFillGridCells(trx, scope, span);
    const cells = (await sqlGridCells(trx, scope, span)).rows as GridCells[];
    // The embedded build answers a GEOS failure with zero rows: every version must have its row.
    if (cells.length !== expected) throw new Error(`coverage: the cells of ${expected} grid versions answered ${cells.length} rows (a geometry engine failure?)`);
    const held = (await sqlChiefsHeld(trx, scope, span)).rows as { chief_id: number; gv_id: number; chief_code: string; chief_name: string; chief_name_en: string }[];
    const counted = (await sqlCoverage(trx, scope, span, tz)).rows as { chief_id: number | null; gv_id: number | null; day: string | null; level: number; covered: number }[];
    if (counted.length === 0) throw new Error('coverage: the statement answered no rows, not even its total (a geometry engine failure?)');
    return { cells, held, counted };
  });

  const byVersion = new Map(cells.map((c) => [c.id, c]));
  const pair = (chief: number | null, gv: number | null) => `${chief}/${gv}`;
  const month = new Map<string, number>();
  const days = new Map<string, { day: string; covered: number }[]>();
  const grid = new Map<number, number>();
  for (const r of counted) {
    if (r.level === 0) {
      const list = days.get(pair(r.chief_id, r.gv_id)) ?? [];
      list.push({ day: r.day!, covered: r.covered });
      days.set(pair(r.chief_id, r.gv_id), list);
    } else if (r.level === 1) month.set(pair(r.chief_id, r.gv_id), r.covered);
    else if (r.level === 5) grid.set(r.gv_id!, r.covered);
  }
  const rows = held.map((h) => {
    const gv = byVersion.get(h.gv_id)!;
    const covered = month.get(pair(h.chief_id, h.gv_id)) ?? 0;
    return {
      chief: { id: h.chief_id, code: h.chief_code, name: h.chief_name, name_en: h.chief_name_en },
      grid_code: gv.code,
      grid_name: gv.name,
      grid_name_en: gv.name_en,
      grid_version_id: gv.id,
      utm_srid: gv.srid,
      cells: gv.cells,
      covered,
      coverage: share(covered, gv.cells),
      days: (days.get(pair(h.chief_id, h.gv_id)) ?? [])
        .sort((a, b) => a.day.localeCompare(b.day))
        .map((d) => ({ ...d, coverage: share(d.covered, gv.cells) })),
    };
  });
  const grids = cells.map((c) => ({
    grid_code: c.code,
    community_code: c.parent_code,
    grid_version_id: c.id,
    cells: c.cells,
    covered: grid.get(c.id) ?? 0,
    coverage: share(grid.get(c.id) ?? 0, c.cells),
  }));
  return { rows, grids };
}

/** Coverage of a month (YYYY-MM in the work time zone) for the user, as GET /api/patrols/coverage answers it. */
export async function patrolCoverage(knex: Knex, user: SessionUser, month: string) {
  const tz = WORK_TIME_ZONE;
  const { rows: [span] } = await sqlMonthSpan(knex, month, tz);
  const { rows, grids } = await coverageInSpan(knex, user, span, tz);
  return { month, tz, from: iso(span.start)!, to: iso(span.end)!, cell_m: CELL_M, reach_m: REACH_M, definition: COVERAGE_DEFINITION, rows, grids };
}

/** Coverage shares of a span by chief (staff id), grid code and community code: covered cells over cells, summed over the grid versions of each. */
export async function coverageShares(knex: Knex, viewer: Pick<Viewer, 'scope'>, span: { start: Date; end: Date }, tz = WORK_TIME_ZONE) {
  const { rows, grids } = await coverageInSpan(knex, viewer, span, tz);
  const add = (m: Map<string, [number, number]>, key: string, covered: number, cells: number) => {
    const [a, b] = m.get(key) ?? [0, 0];
    m.set(key, [a + covered, b + cells]);
  };
  const chief = new Map<string, [number, number]>();
  const grid = new Map<string, [number, number]>();
  const community = new Map<string, [number, number]>();
  for (const r of rows) add(chief, String(r.chief.id), r.covered, r.cells);
  for (const g of grids) {
    add(grid, g.grid_code, g.covered, g.cells);
    if (g.community_code) add(community, g.community_code, g.covered, g.cells);
  }
  const shares = (m: Map<string, [number, number]>) => new Map([...m].map(([k, [c, n]]) => [k, share(c, n)]));
  return { chief: shares(chief), grid: shares(grid), community: shares(community) };
}
