import { Router } from 'express';
import { requireUser, userOf } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import type { RouteRegistry } from '../http/route.js';
import { problem } from '../http/schemas.js';
import {
  coverageQuery,
  coverageResponse,
  endBody,
  listQuery,
  listResponse,
  patrolParams,
  patrolSchema,
  pointsBody,
  pointsResponse,
  startBody,
  startResponse,
} from './schema.js';
import { addPoints, endPatrol, listPatrols, patrolCoverage, startPatrol } from './service.js';

/** Patrols (巡查): a chief's walk recorded as GPS fixes, its track of a day, and the grids' coverage by month. */
export function patrolRoutes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();
  const { knex } = ctx.db;
  const common = { tags: ['patrols'], auth: 'session' as const, before: [requireUser] };
  const notLoggedIn = { 401: problem('Not logged in') };

  registry.add(router, {
    method: 'post',
    path: '/api/patrols',
    summary: 'Start a patrol (grid chiefs); the chief’s patrol still open, if any, is ended first',
    ...common,
    body: startBody,
    responses: {
      201: { description: 'Started', schema: startResponse },
      400: problem('A bad or future started_at'),
      ...notLoggedIn,
      403: problem('Not a grid chief holding a grid now'),
    },
    handler: async ({ body }, req, res) => {
      const p = await startPatrol(knex, userOf(req), body);
      res.status(201).location(`/api/patrols/${p.id}`).json(p);
    },
  });

  registry.add(router, {
    method: 'post',
    path: '/api/patrols/:id/points',
    summary: 'Send a batch of GPS fixes (at most 500) of your patrol; a resent batch stores nothing twice',
    ...common,
    params: patrolParams,
    body: pointsBody,
    responses: {
      200: { description: 'What was kept and dropped', schema: pointsResponse },
      400: problem('A bad fix, or more than 500'),
      ...notLoggedIn,
      403: problem('Another chief’s patrol'),
      404: problem('No such patrol in your scope'),
    },
    handler: ({ params, body }, req) => addPoints(knex, userOf(req), params.id, body),
  });

  registry.add(router, {
    method: 'post',
    path: '/api/patrols/:id/end',
    summary: 'End your patrol (now, or when the phone says the chief pressed stop); ending it again answers it unchanged',
    ...common,
    params: patrolParams,
    body: endBody,
    responses: {
      200: { description: 'The patrol, ended', schema: patrolSchema },
      400: problem('A bad or future ended_at, or one before the start'),
      ...notLoggedIn,
      403: problem('Another chief’s patrol'),
      404: problem('No such patrol in your scope'),
    },
    handler: ({ params, body }, req) => endPatrol(knex, userOf(req), params.id, body),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/patrols',
    summary: 'The patrols of a day in your scope, each with its track of the day as a GeoJSON LineString',
    ...common,
    query: listQuery,
    responses: { 200: { description: 'The patrols, earliest first', schema: listResponse }, 400: problem('Bad day or chief'), ...notLoggedIn },
    handler: ({ query }, req) => listPatrols(knex, userOf(req), query),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/patrols/coverage',
    summary: 'Patrol coverage of a month in your scope: per chief, grid and day, the share of the grid’s 50 m cells a fix came within 30 m of',
    ...common,
    query: coverageQuery,
    responses: { 200: { description: 'Coverage per chief and grid, with its days, and per grid', schema: coverageResponse }, 400: problem('Bad month'), ...notLoggedIn },
    handler: ({ query }, req) => patrolCoverage(knex, userOf(req), query.month),
  });
  return router;
}
