import { z } from 'zod';

/** A calendar day, YYYY-MM-DD, that exists. */
export const isoDay = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day is YYYY-MM-DD, e.g. 2026-10-01')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  }, 'no such day in the calendar');

/** A local time of day, HH:MM (24 h). */
const clock = z
  .string()
  .trim()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day is HH:MM, 24-hour, e.g. 08:30');

/** A day that breaks the Monday-to-Friday week. */
export const calendarDay = z
  .object({
    day: z.string().meta({ description: 'YYYY-MM-DD, local date' }),
    working: z.boolean().meta({ description: 'true: a weekend day worked (调休); false: a holiday' }),
    note: z.string(),
  })
  .meta({ id: 'CalendarDay' });

/** One working period of a working day, local time. */
export const workPeriod = z.object({ starts: clock, ends: clock }).refine((p) => p.starts < p.ends, 'a period ends after it starts');

/** GET /api/work-calendar. */
export const calendarQuery = z
  .object({
    from: isoDay.optional().meta({ description: 'First day listed; 1 January of this year when absent' }),
    to: isoDay.optional().meta({ description: 'Last day listed; 31 December of the year of `from` when absent' }),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, 'from must not be after to');

export const calendarResponse = z
  .object({
    time_zone: z.string(),
    periods: z.array(z.object({ starts: z.string(), ends: z.string() })),
    hours_per_day: z.number(),
    days: z.array(calendarDay),
  })
  .meta({ id: 'WorkCalendar' });

export const dayParams = z.object({ day: isoDay });

export const putDayBody = z
  .object({
    working: z.boolean().meta({ description: 'true: worked although a weekend day; false: a holiday although a weekday' }),
    note: z.string().trim().max(200).default('').meta({ description: 'e.g. 国庆节 or 国庆节调休' }),
  })
  .strict();

export const putPeriodsBody = z
  .array(workPeriod)
  .min(1, 'give at least one working period, e.g. [{"starts":"08:30","ends":"12:00"}]')
  .max(12)
  .refine((ps) => {
    const sorted = [...ps].sort((a, b) => a.starts.localeCompare(b.starts));
    return sorted.every((p, i) => i === 0 || sorted[i - 1].ends <= p.starts);
  }, 'working periods must not overlap');

/** GET /api/work-calendar/deadline: when a deadline falls. */
export const deadlineQuery = z.object({
  hours: z.coerce.number().positive().max(10_000).meta({ description: 'Length of the deadline in hours' }),
  kind: z.enum(['working', 'calendar']).default('working').meta({ description: 'working: counted in working time; calendar: in clock time' }),
  from: z.iso.datetime({ offset: true }).optional().meta({ description: 'Start instant (ISO 8601); now when absent' }),
});

export const deadlineResponse = z.object({ from: z.string(), hours: z.number(), kind: z.string(), due_at: z.string() });
