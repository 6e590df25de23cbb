import type { Knex } from 'knex';
import { AREA_LEVELS } from '../areas/levels.js';
import { WORK_TIME_ZONE } from '../calendar/sql.js';
import { gridsInScope, sqlAreasInScope } from '../auth/scope.js';
import type { SessionUser } from '../auth/store.js';
import { chiefsOf, staffById } from '../staff/service.js';
import { COVERAGE_DEFINITION, coverageShares } from '../patrols/service.js';
import { Forbidden, Invalid } from '../http/errors.js';
import {
  COUNT_FIGURES,
  sqlAppraisalItems,
  sqlAppraisalRows,
  sqlAppraisalSettings,
  sqlAreaNames,
  sqlMonthSpan,
  type AppraisalScope,
  type CountFigure,
  type MonthSpan,
  type RowKind,
} from './sql.js';
import { iso } from '../http/wire.js';

/** What each figure means; answered with every appraisal so a reader never has to guess. */
export const DEFINITIONS: Record<string, string> = {
  attribution:
    'An incident belongs to the grid of the boundary version it was routed to when reported (incidents.area_version_id), to that version\'s community, to the chief assigned to that grid at the report time, and to the department it was dispatched to. A later redraw does not move it.',
  reported: 'Incidents reported in the month.',
  found: 'Proactive discovery: incidents reported in the month by the grid\'s own staff (source patrol).',
  missed: 'Missed discoveries: incidents reported in the month first by residents, the hotline, superiors or the media instead of the grid\'s own staff.',
  handled: 'Incidents handled in the month at the row\'s level (a "handle" step: grid level for chiefs and grids; grid or community level for communities; department level for departments).',
  due: 'Incidents whose deadline (as it stands, after dispatch or deferral) falls in the month, excluding cancelled and merged ones.',
  deferred: 'Due incidents granted a deferral that were not closed by the end of the month.',
  closed: 'Due incidents closed (confirmed by the chief) before the end of the month.',
  closed_on_time: 'Closed incidents closed no later than their deadline.',
  closure_rate: 'closed / (due − deferred); null when due − deferred is 0.',
  on_time_rate: 'closed_on_time / (due − deferred); null when due − deferred is 0.',
  rework: 'Rejections in the month: handled work sent back by the chief for rework (each rejection counts once).',
  overdue: 'Overdue now: incidents reported before the end of the month that are still open past their deadline at the time of the report (departments: open at the department level).',
  avg_handling_hours: 'Mean hours from report to the first handling in the month, over the handled incidents.',
  rated: 'Public satisfaction: incidents their reporters rated in the month (a resident rates a closed case once, with its check code).',
  satisfied: 'Rated incidents rated satisfied or basically satisfied.',
  satisfaction_rate: 'satisfied / rated; null when nothing was rated.',
  patrol_coverage: `${COVERAGE_DEFINITION} Per chief: over the grids they held in the month; per grid: by any of its chiefs; per community: over its grids (covered cells over cells, summed); none for departments. Computed from the stored fixes like every other figure, so a past month does not change after a redraw or a handover.`,
  target_met: 'Whether every target of the row kind is met (targets are configurable; a chief handles at least 10 a month by default); null when the kind has no target.',
};

/** Figures a target may set a minimum for. */
export const TARGET_FIGURES = ['reported', 'found', 'handled', 'closed', 'closed_on_time', 'closure_rate', 'on_time_rate', 'satisfaction_rate'] as const;
export type TargetFigure = (typeof TARGET_FIGURES)[number];

/** One target: the minimum of a figure for a row kind. */
export interface Target {
  row_kind: RowKind;
  figure: TargetFigure;
  minimum: number;
}

/** The figures of one row. */
export interface AppraisalFigures {
  reported: number | null;
  found: number | null;
  missed: number | null;
  handled: number;
  due: number;
  deferred: number;
  closed: number;
  closed_on_time: number;
  closure_rate: number | null;
  on_time_rate: number | null;
  rework: number;
  overdue: number;
  avg_handling_hours: number | null;
  rated: number;
  satisfied: number;
  satisfaction_rate: number | null;
}

/** One row of the appraisal. */
export interface AppraisalRow extends AppraisalFigures {
  rank: number;
  key: string;
  code: string;
  name: string;
  grids?: string[];
  targets: { figure: string; minimum: number; value: number | null; met: boolean }[];
  target_met: boolean | null;
  /** Patrol coverage of the month (0–1), beside the incident figures; null where there is none (departments, a row with no grid). */
  patrol_coverage: number | null;
  items: Record<string, string>;
}

/** Parse a YYYY-MM month and a time zone into the instants it spans. */
export async function monthSpan(knex: Knex, month: string, tz: string): Promise<MonthSpan> {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Invalid('month_invalid', `month must be YYYY-MM, e.g. 2026-03 (got "${month}").`, { params: { month } });
  let rows;
  try {
    ({ rows } = await sqlMonthSpan(knex, month, tz));
  } catch {
    throw new Invalid('time_zone_unknown', `Unknown time zone "${tz}"; use an IANA name such as Asia/Shanghai or UTC.`, { params: { time_zone: tz } });
  }
  return { start: new Date(rows[0].start), end: new Date(rows[0].end) };
}

/**
 * Which incidents the user may appraise: the command centre, planners, community staff and chiefs see
 * those under their scope areas; a department only its own department's row.
 */
export function appraisalScope(user: SessionUser, kind: RowKind): AppraisalScope {
  if (user.role === 'department') {
    if (kind !== 'department' || !user.department_code) throw new Forbidden('appraisal_department_only', 'A department sees only its own row: ask for by=department.');
    return { areas: [], department: user.department_code };
  }
  const roles = ['admin', 'planner', 'community', 'chief'];
  if (!roles.includes(user.role)) throw new Forbidden('role_required', `The appraisal is not open to the role ${user.role}.`, { params: { roles, role: user.role } });
  return { areas: user.scope };
}

/** Round a rate or mean for display (4 decimals is enough for a percentage with two decimals). */
const round = (v: number | null, digits = 4) => (v === null || v === undefined ? null : Math.round(v * 10 ** digits) / 10 ** digits);

/** Compute the rates from the counts; departments have no discovery figures. */
export function toFigures(kind: RowKind, r: Record<string, number | null> | undefined): AppraisalFigures {
  const n = (k: string) => Number(r?.[k] ?? 0);
  const base = n('due') - n('deferred');
  return {
    reported: kind === 'department' ? null : n('reported'),
    found: kind === 'department' ? null : n('found'),
    missed: kind === 'department' ? null : n('missed'),
    handled: n('handled'),
    due: n('due'),
    deferred: n('deferred'),
    closed: n('closed'),
    closed_on_time: n('closed_on_time'),
    closure_rate: base > 0 ? round(n('closed') / base) : null,
    on_time_rate: base > 0 ? round(n('closed_on_time') / base) : null,
    rework: n('rework'),
    overdue: n('overdue'),
    avg_handling_hours: r?.avg_handling_hours === null || r?.avg_handling_hours === undefined ? null : round(Number(r.avg_handling_hours), 2),
    rated: n('rated'),
    satisfied: n('satisfied'),
    satisfaction_rate: n('rated') > 0 ? round(n('satisfied') / n('rated')) : null,
  };
}

/** Check a row's figures against the targets of its kind. */
export function checkTargets(figures: AppraisalFigures, targets: Target[]) {
  const checks = targets.map((t) => {
    const value = figures[t.figure as keyof AppraisalFigures] as number | null;
    return { figure: t.figure, minimum: t.minimum, value, met: value !== null && value >= t.minimum };
  });
  return { targets: checks, target_met: checks.length ? checks.every((c) => c.met) : null };
}

/** The configured targets (all kinds, or one). */
export async function listTargets(knex: Knex, kind?: RowKind): Promise<Target[]> {
  const q = knex('appraisal_targets').select('row_kind', 'figure', 'minimum').orderBy(['row_kind', 'figure']);
  if (kind) q.where('row_kind', kind);
  return (await q).map((t: Target) => ({ ...t, minimum: Number(t.minimum) }));
}

/** Replace every target (command centre only), in one transaction. */
export async function replaceTargets(knex: Knex, user: SessionUser, targets: Target[]): Promise<Target[]> {
  if (user.role !== 'admin') throw new Forbidden('role_required', 'Only the command centre (admin) sets appraisal targets.', { params: { roles: ['admin'], role: user.role } });
  const seen = new Set<string>();
  for (const t of targets) {
    const k = `${t.row_kind}/${t.figure}`;
    if (seen.has(k)) throw new Invalid('target_repeated', `The target ${k} is given twice; give each row kind and figure once.`, { params: { target: k } });
    seen.add(k);
    if ((t.figure === 'closure_rate' || t.figure === 'on_time_rate' || t.figure === 'satisfaction_rate') && t.minimum > 1) {
      throw new Invalid('target_not_fraction', `${t.figure} is a fraction between 0 and 1; send e.g. 0.9 for 90%.`, { params: { figure: t.figure } });
    }
  }
  await knex.transaction(async (trx) => {
    await trx('appraisal_targets').delete();
    if (targets.length) await trx('appraisal_targets').insert(targets);
  });
  return listTargets(knex);
}

/** Rows that exist even with no incident (so a chief with nothing handled still shows, failing the target). */
async function knownRows(knex: Knex, user: SessionUser, kind: RowKind, scope: AppraisalScope, month: MonthSpan, keys: string[]) {
  const out = new Map<string, { code: string; name: string; grids?: string[] }>();
  if (kind === 'department') {
    const q = knex('departments').select('code', 'name');
    if (scope.department) q.where('code', scope.department);
    else q.whereIn('code', knex('incident_categories').distinct('department_code').whereNotNull('department_code')).orWhereIn('code', keys);
    for (const d of await q) out.set(d.code, { code: d.code, name: d.name });
    return out;
  }
  if (kind === 'chief') {
    const grids = await gridsInScope(knex, user);
    for (const r of await chiefsOf(knex, grids, month)) out.set(r.key, { code: r.code, name: r.name, grids: r.grids });
    const others = keys.filter((k) => !out.has(k)).map(Number).filter(Number.isInteger);
    if (others.length) for (const r of await staffById(knex, others, month)) out.set(r.key, { code: r.code, name: r.name, grids: r.grids });
    return out;
  }
  const level = kind === 'grid' ? AREA_LEVELS.grid : AREA_LEVELS.community;
  const inScope = ((await sqlAreasInScope(knex, user, level)).rows as { code: string }[]).map((r) => r.code);
  const names = (await sqlAreaNames(knex, [...new Set([...inScope, ...keys])])).rows as { code: string; name: string }[];
  for (const r of names) out.set(r.code, { code: r.code, name: r.name });
  return out;
}

/** Links to the incidents behind each figure of a row (built from one prefix: a city has 10,000 rows). */
function itemsLinks(prefix: string, key: string): Record<string, string> {
  const k = encodeURIComponent(key);
  return Object.fromEntries(COUNT_FIGURES.map((f) => [f, `${prefix}&key=${k}&figure=${f}`]));
}

/** The appraisal of a month by chief, grid, community or department, ranked, with targets and links to the incidents. */
export async function appraise(knex: Knex, user: SessionUser, input: { month: string; by: RowKind; tz?: string }) {
  const tz = input.tz ?? WORK_TIME_ZONE;
  const kind = input.by;
  const scope = appraisalScope(user, kind);
  const month = await monthSpan(knex, input.month, tz);
  // Patrol coverage runs beside the incident figures (on its own connection, where the pool has more than one).
  const [{ rows }, shares] = await Promise.all([
    knex.transaction(async (trx) => {
      await sqlAppraisalSettings(trx);
      return sqlAppraisalRows(trx, kind, month, scope);
    }),
    kind === 'department' ? undefined : coverageShares(knex, { scope: scope.areas }, month, tz),
  ]);
  const coverage = kind === 'department' ? undefined : shares?.[kind];
  const targets = await listTargets(knex, kind);
  const counts = new Map<string, Record<string, number | null>>(rows.map((r: { key: string }) => [r.key, r]));
  const known = await knownRows(knex, user, kind, scope, month, [...counts.keys()]);
  const keys = [...new Set([...known.keys(), ...counts.keys()])];
  const linkPrefix = `/api/appraisal/items?${new URLSearchParams({ month: input.month, by: kind, ...(tz !== WORK_TIME_ZONE ? { tz } : {}) })}`;
  const out: AppraisalRow[] = keys.map((key) => {
    const figures = toFigures(kind, counts.get(key));
    const who = known.get(key) ?? { code: key, name: key };
    return {
      rank: 0,
      key,
      code: who.code,
      name: who.name,
      ...(who.grids ? { grids: who.grids } : {}),
      ...figures,
      ...checkTargets(figures, targets),
      patrol_coverage: coverage?.get(key) ?? null,
      items: itemsLinks(linkPrefix, key),
    };
  });
  // Ranking: most handled first, then the best closure and on-time rates, then fewest overdue; ties by code.
  out.sort(
    (a, b) =>
      b.handled - a.handled ||
      (b.closure_rate ?? -1) - (a.closure_rate ?? -1) ||
      (b.on_time_rate ?? -1) - (a.on_time_rate ?? -1) ||
      a.overdue - b.overdue ||
      a.code.localeCompare(b.code),
  );
  out.forEach((r, i) => (r.rank = i + 1));
  return {
    month: input.month,
    by: kind,
    tz,
    from: month.start.toISOString(),
    to: month.end.toISOString(),
    generated_at: new Date().toISOString(),
    targets,
    definitions: DEFINITIONS,
    rows: out,
  };
}

/** The months ending with `to`, oldest first, as YYYY-MM. */
export function monthsEndingWith(to: string, count: number): string[] {
  const [y, m] = to.split('-').map(Number);
  return Array.from({ length: count }, (_, i) => {
    const d = new Date(Date.UTC(y, m - 1 - (count - 1 - i), 1));
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  });
}

/** The figures of one row over several months (for the trend chart), oldest month first. */
export async function appraisalTrend(knex: Knex, user: SessionUser, input: { to: string; months: number; by: RowKind; key: string; tz?: string }) {
  const tz = input.tz ?? WORK_TIME_ZONE;
  const scope = appraisalScope(user, input.by);
  const targets = await listTargets(knex, input.by);
  const out = [];
  for (const month of monthsEndingWith(input.to, input.months)) {
    const span = await monthSpan(knex, month, tz);
    const { rows } = await knex.transaction(async (trx) => {
      await sqlAppraisalSettings(trx);
      return sqlAppraisalRows(trx, input.by, span, scope, input.key);
    });
    const figures = toFigures(input.by, rows[0]);
    out.push({ month, ...figures, target_met: checkTargets(figures, targets).target_met });
  }
  return { by: input.by, key: input.key, tz, months: out };
}

/** The incidents behind one figure of one row. */
export async function appraisalItems(
  knex: Knex,
  user: SessionUser,
  input: { month: string; by: RowKind; key: string; figure: CountFigure; tz?: string; limit: number; offset: number },
) {
  const scope = appraisalScope(user, input.by);
  const month = await monthSpan(knex, input.month, input.tz ?? WORK_TIME_ZONE);
  const { rows } = await knex.transaction(async (trx) => {
    await sqlAppraisalSettings(trx);
    return sqlAppraisalItems(trx, input.by, month, scope, input.key, input.figure, input);
  });
  return {
    month: input.month,
    by: input.by,
    key: input.key,
    figure: input.figure,
    definition: DEFINITIONS[input.figure],
    total: rows.length ? Number(rows[0].total) : 0,
    items: rows.map(({ total: _t, ...r }: Record<string, unknown>) => ({
      ...r,
      reported_at: iso(r.reported_at as Date),
      due_at: iso(r.due_at as Date | null),
      closed_at: iso(r.closed_at as Date | null),
    })),
  };
}

