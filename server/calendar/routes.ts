import { Router } from 'express';
import type { AppContext } from '../context.js';
import { requireRole } from '../auth/middleware.js';
import type { RouteRegistry } from '../http/route.js';
import { problem } from '../http/schemas.js';
import { calendarDay, calendarQuery, calendarResponse, dayParams, deadlineQuery, deadlineResponse, putDayBody, putPeriodsBody } from './schema.js';
import { deadlineAfter, deleteDay, getCalendar, putDay, putPeriods } from './service.js';

/** The working calendar that incident deadlines are counted in: public to read, the admin's to change. */
export function calendarRoutes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();
  const { knex } = ctx.db;
  const admins = requireRole('admin');

  registry.add(router, {
    method: 'get',
    path: '/api/work-calendar',
    summary: 'Working periods of a working day and the days that break the Monday-to-Friday week',
    tags: ['calendar'],
    auth: 'public',
    query: calendarQuery,
    responses: { 200: { description: 'The calendar', schema: calendarResponse }, 400: problem('Bad day') },
    handler: ({ query }) => getCalendar(knex, query),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/work-calendar/deadline',
    summary: 'When a deadline of so many working (or calendar) hours from an instant falls',
    tags: ['calendar'],
    auth: 'public',
    query: deadlineQuery,
    responses: { 200: { description: 'The deadline', schema: deadlineResponse }, 400: problem('Bad hours, kind or instant') },
    handler: ({ query }) => deadlineAfter(knex, query.from ? new Date(query.from) : new Date(), query.hours, query.kind),
  });

  registry.add(router, {
    method: 'put',
    path: '/api/work-calendar/days/:day',
    summary: 'Mark a day a holiday (working: false) or a worked weekend day (working: true)',
    tags: ['calendar'],
    auth: 'session',
    before: [admins],
    params: dayParams,
    body: putDayBody,
    responses: {
      200: { description: 'The day as now recorded', schema: calendarDay },
      400: problem('Bad day or body'),
      401: problem('Not logged in'),
      403: problem('Not an admin'),
    },
    handler: ({ params, body }) => putDay(knex, params.day, body.working, body.note),
  });

  registry.add(router, {
    method: 'delete',
    path: '/api/work-calendar/days/:day',
    summary: 'Make a day ordinary again (it follows the Monday-to-Friday week)',
    tags: ['calendar'],
    auth: 'session',
    before: [admins],
    params: dayParams,
    responses: { 204: { description: 'Done' }, 401: problem('Not logged in'), 403: problem('Not an admin'), 404: problem('The day was ordinary already') },
    handler: async ({ params }, _req, res) => {
      await deleteDay(knex, params.day);
      res.status(204).end();
    },
  });

  registry.add(router, {
    method: 'put',
    path: '/api/work-calendar/periods',
    summary: 'Replace the working periods of a working day (local time, not overlapping)',
    tags: ['calendar'],
    auth: 'session',
    before: [admins],
    body: putPeriodsBody,
    responses: {
      200: { description: 'The periods as now recorded', schema: calendarResponse.shape.periods },
      400: problem('No period, a bad time, or overlapping periods'),
      401: problem('Not logged in'),
      403: problem('Not an admin'),
    },
    handler: ({ body }) => putPeriods(knex, body),
  });
  return router;
}
