import type { Knex } from 'knex';
import { NotFound } from '../http/errors.js';
import { WORK_TIME_ZONE, sqlCalendarDays, sqlDeadlineAfter, sqlWorkPeriods } from './sql.js';

interface Period {
  starts: string;
  ends: string;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The working calendar: periods of a working day and the exception days between two dates. */
export async function getCalendar(knex: Knex, range: { from?: string; to?: string }) {
  const from = range.from ?? `${new Date().getUTCFullYear()}-01-01`;
  const to = range.to ?? `${from.slice(0, 4)}-12-31`;
  const [periods, days] = await Promise.all([sqlWorkPeriods(knex), sqlCalendarDays(knex, from, to)]);
  const hours = (periods as Period[]).reduce((h, p) => h + (minutes(p.ends) - minutes(p.starts)) / 60, 0);
  return { time_zone: WORK_TIME_ZONE, periods, hours_per_day: hours, days };
}

/** Mark a day a holiday or a worked weekend day (replacing what was said of it). */
export async function putDay(knex: Knex, day: string, working: boolean, note: string) {
  await knex('work_calendar').insert({ day, working, note }).onConflict('day').merge();
  return { day, working, note };
}

/** Forget what was said of a day: it follows the Monday-to-Friday week again. */
export async function deleteDay(knex: Knex, day: string): Promise<void> {
  const gone = await knex('work_calendar').where({ day }).delete().returning('day');
  if (gone.length === 0) throw new NotFound('day_already_ordinary', `${day} is an ordinary day already: nothing to delete.`, { params: { day } });
}

/** Replace the working periods of a working day (already checked: at least one, none overlapping). */
export async function putPeriods(knex: Knex, periods: Period[]) {
  await knex.transaction(async (trx) => {
    await trx('work_periods').delete();
    await trx('work_periods').insert(periods);
  });
  return sqlWorkPeriods(knex);
}

/** When a deadline falls, as the incidents count it. */
export async function deadlineAfter(knex: Knex, from: Date, hours: number, kind: 'working' | 'calendar') {
  const { rows } = await sqlDeadlineAfter(knex, from, hours, kind);
  return { from: from.toISOString(), hours, kind, due_at: new Date(rows[0].due_at).toISOString() };
}
