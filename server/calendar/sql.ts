import type { Knex } from 'knex';

/** Time zone of working time and of every deadline (the one `deadline_after` in migration 009 uses). */
export const WORK_TIME_ZONE = 'Asia/Shanghai';

/** The exception days between two local dates, inclusive. */
export function sqlCalendarDays(knex: Knex, from: string, to: string) {
  return knex('work_calendar')
    .whereBetween('day', [from, to])
    .orderBy('day')
    .select(knex.raw(`to_char(day, 'YYYY-MM-DD') as day`), 'working', 'note');
}

/** The working periods of a working day, earliest first, as HH:MM. */
export function sqlWorkPeriods(knex: Knex) {
  return knex('work_periods').orderBy('starts').select(knex.raw(`to_char(starts, 'HH24:MI') as starts`), knex.raw(`to_char(ends, 'HH24:MI') as ends`));
}

/** When a deadline of `hours` (working or calendar time) after `from` falls. */
export function sqlDeadlineAfter(knex: Knex, from: Date, hours: number, kind: 'working' | 'calendar') {
  return knex.raw<{ rows: { due_at: Date }[] }>('select deadline_after(?::timestamptz, ?, ?) as due_at', [from.toISOString(), hours, kind]);
}
