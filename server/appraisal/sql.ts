import type { Knex } from 'knex';
import { sqlChiefSpans } from '../staff/sql.js';

/**
 * SQL of the monthly appraisal. One statement classifies every incident that matters for the month
 * (reported in it, due in it, handled, reworked or rated by its reporter in it, or open and overdue now) and another groups
 * those flags by the row kind. Attribution uses what was stored at intake: the grid of the boundary
 * version the incident was routed to (`area_version_id`), that version's community, and the chief
 * assigned to that grid when the incident was reported; so a later redraw never changes a past month.
 */

/** Row kinds of the appraisal. */
export const ROW_KINDS = ['chief', 'grid', 'community', 'department'] as const;
export type RowKind = (typeof ROW_KINDS)[number];

/** The figures that count incidents, each a boolean column of the classified set. */
export const COUNT_FIGURES = ['reported', 'found', 'missed', 'handled', 'due', 'deferred', 'closed', 'closed_on_time', 'rework', 'overdue', 'rated', 'satisfied'] as const;
export type CountFigure = (typeof COUNT_FIGURES)[number];

/** Who may be seen: incidents under these area codes, or (departments) dispatched to this department. */
export interface AppraisalScope {
  areas: string[];
  department?: string;
}

/** The month as a half-open interval of instants. */
export interface MonthSpan {
  start: Date;
  end: Date;
}

// Level(s) at which a 'handle' event counts as handled by a row of each kind (identifiers from code only).
const HANDLE_LEVELS: Record<RowKind, string> = {
  chief: `('grid')`,
  grid: `('grid')`,
  community: `('grid', 'community')`,
  department: `('department')`,
};

// The key column of each row kind in the classified set.
const KEY: Record<RowKind, string> = {
  chief: 'chief_id::text',
  grid: 'grid_code',
  community: 'community_code',
  department: 'department_code',
};

/** The scope clause on the classified set (alias f), bound by name. */
function sqlScopeClause(scope: AppraisalScope): string {
  if (scope.department) return 'f.department_code = :department';
  return '(f.office_code = any(:areas) or f.community_code = any(:areas) or f.grid_code = any(:areas))';
}

/**
 * The classified incidents of a month for a row kind: one row per incident (per chief in charge, for
 * chiefs) with its row key and a boolean per figure (see the definitions in service.ts), plus the hours
 * to the first handling. `:start` and `:end` are bound as values so the planner sees the month's size.
 */
function sqlClassified(kind: RowKind, scope: AppraisalScope, withDetails: boolean): string {
  // Incidents that matter through their own columns: reported or due in the month, or open and overdue now.
  const ownCondition = `((i.reported_at >= :start and i.reported_at < :end) or (i.due_at >= :start and i.due_at < :end)
                         or (i.status = 'open' and i.due_at < now() and i.reported_at < :end))`;
  // Only the items need the case number and category; the rows carry as little as they can through the joins.
  const columns = `i.id, ${withDetails ? 'i.case_no, i.category_code, ' : ''}i.source, i.status, i.level, i.office_code, i.department_code,
                   i.grid_code, i.community_code, i.area_version_id, i.reported_at, i.due_at, i.closed_at, i.deferred`;
  const details = withDetails ? 'f.case_no, f.category_code, ' : '';
  // A chief's spans of office; an incident goes to the chief of its grid at its report time (hash join, no per-row probe).
  const chiefJoin =
    kind === 'chief'
      ? `left join ${sqlChiefSpans()} ch
           on ch.area_code = coalesce(av.code, i.grid_code) and ch.valid_from <= i.reported_at and (ch.valid_to is null or ch.valid_to > i.reported_at)`
      : '';
  const departmentOnly = kind === 'department' ? 'and f.department_code is not null' : '';
  const overdue =
    kind === 'department'
      ? `f.status = 'open' and f.level = 'department' and f.due_at < now() and f.reported_at < :end`
      : `f.status = 'open' and f.due_at < now() and f.reported_at < :end`;
  return `
    ev as (
      select ev.incident_id,
             min(ev.created_at) filter (where ev.action = 'handle' and ev.from_level in ${HANDLE_LEVELS[kind]}) as handled_at,
             count(*) filter (where ev.action = 'reject')::int as rework
        from incident_events ev
       where ev.created_at >= :start and ev.created_at < :end and ev.action in ('handle', 'reject')
       group by ev.incident_id),
    rt as (
      select r.incident_id, r.rating from incident_ratings r where r.created_at >= :start and r.created_at < :end),
    base as (
      select ${columns} from incidents i where ${ownCondition}
      union all
      select ${columns} from incidents i
       where i.id in (select e.incident_id from incident_events e
                       where e.created_at >= :start and e.created_at < :end and e.action in ('handle', 'reject')
                      union all
                      select rt.incident_id from rt)
         and not coalesce(${ownCondition}, false)),
    f as (
      select i.id, ${withDetails ? 'i.case_no, i.category_code, ' : ''}i.source, i.status, i.level, i.office_code, i.department_code,
             coalesce(av.code, i.grid_code) as grid_code, coalesce(av.parent_code, i.community_code) as community_code,
             i.reported_at, i.due_at, i.closed_at, i.deferred, ev.handled_at, coalesce(ev.rework, 0) as rework_events, rt.rating
             ${kind === 'chief' ? ', ch.chief_id' : ''}
        from base i
        left join areas av on av.id = i.area_version_id
        left join ev on ev.incident_id = i.id
        left join rt on rt.incident_id = i.id
        ${chiefJoin}),
    c as (
      select f.id, ${details}f.source, f.status, f.level, f.grid_code, f.community_code, f.department_code,
             f.reported_at, f.due_at, f.closed_at, f.rework_events,
             (${KEY[kind]}) as key,
             (f.reported_at >= :start and f.reported_at < :end) as reported,
             (f.reported_at >= :start and f.reported_at < :end and f.source = 'patrol') as found,
             (f.reported_at >= :start and f.reported_at < :end and f.source <> 'patrol') as missed,
             (f.handled_at is not null) as handled,
             (f.due_at >= :start and f.due_at < :end and f.status not in ('cancelled', 'merged')) as due,
             (f.due_at >= :start and f.due_at < :end and f.status = 'closed' and f.closed_at < :end) as closed,
             (f.due_at >= :start and f.due_at < :end and f.status = 'closed' and f.closed_at < :end and f.closed_at <= f.due_at) as closed_on_time,
             (f.due_at >= :start and f.due_at < :end and f.status not in ('cancelled', 'merged') and f.deferred
               and not (f.status = 'closed' and f.closed_at < :end)) as deferred,
             (f.rework_events > 0) as rework,
             (${overdue}) as overdue,
             (f.rating is not null) as rated,
             coalesce(f.rating in ('satisfied', 'basically_satisfied'), false) as satisfied,
             extract(epoch from (f.handled_at - f.reported_at)) / 3600.0 as handling_hours
        from f
       where ${sqlScopeClause(scope)} ${departmentOnly})`;
}

function bindings(month: MonthSpan, scope: AppraisalScope) {
  return { start: month.start, end: month.end, ...(scope.department ? { department: scope.department } : { areas: scope.areas }) };
}

/**
 * Settings for one appraisal transaction: memory for the month's hash tables (with the default 4 MB a
 * city's month of hundreds of thousands of incidents spills to disk), and no JIT (compiling this plan
 * costs more than running it: 1.7 s against 1.4 s for a 200,000-incident month).
 */
export function sqlAppraisalSettings(knex: Knex): Knex.Raw {
  return knex.raw(`select set_config('work_mem', '64MB', true), set_config('jit', 'off', true)`);
}

/** The figures of every row of a kind for a month, or of one row (rows with no incident are not returned). */
export function sqlAppraisalRows(knex: Knex, kind: RowKind, month: MonthSpan, scope: AppraisalScope, key?: string): Knex.Raw {
  return knex.raw(
    `with ${sqlClassified(kind, scope, false)}
     select key,
            count(*) filter (where reported)::int as reported,
            count(*) filter (where found)::int as found,
            count(*) filter (where missed)::int as missed,
            count(*) filter (where handled)::int as handled,
            count(*) filter (where due)::int as due,
            count(*) filter (where deferred)::int as deferred,
            count(*) filter (where closed)::int as closed,
            count(*) filter (where closed_on_time)::int as closed_on_time,
            coalesce(sum(rework_events), 0)::int as rework,
            count(*) filter (where overdue)::int as overdue,
            count(*) filter (where rated)::int as rated,
            count(*) filter (where satisfied)::int as satisfied,
            avg(handling_hours) filter (where handled)::float8 as avg_handling_hours
       from c where key is not null ${key === undefined ? '' : 'and key = :key'} group by key order by key`,
    { ...bindings(month, scope), ...(key === undefined ? {} : { key }) },
  );
}

/** The incidents behind one figure of one row (no personal data: no reporter contact, no description). */
export function sqlAppraisalItems(
  knex: Knex,
  kind: RowKind,
  month: MonthSpan,
  scope: AppraisalScope,
  key: string,
  figure: CountFigure,
  page: { limit: number; offset: number },
): Knex.Raw {
  return knex.raw(
    `with ${sqlClassified(kind, scope, true)}
     select id, case_no, category_code, source, status, level, grid_code, community_code, department_code,
            reported_at, due_at, closed_at, rework_events, count(*) over () as total
       from c where key = :key and ${figure}
      order by reported_at, id limit :limit offset :offset`,
    { ...bindings(month, scope), key, limit: page.limit, offset: page.offset },
  );
}

/** Names of areas by code (the latest version of each code). */
export function sqlAreaNames(knex: Knex, codes: string[]): Knex.Raw {
  return knex.raw(`select distinct on (code) code, name, name_en from areas where code = any(:codes) order by code, valid_from desc`, { codes });
}

/** The month [start, end) of a YYYY-MM in a time zone, computed by the database (it knows the zone rules). */
export function sqlMonthSpan(knex: Knex, month: string, tz: string): Knex.Raw {
  return knex.raw(
    `select (:first::timestamp at time zone :tz) as start, ((:first::timestamp + interval '1 month') at time zone :tz) as "end"`,
    { first: `${month}-01 00:00:00`, tz },
  );
}
