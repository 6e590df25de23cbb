import { Router } from 'express';
import { z } from 'zod';
import { requireUser, userOf } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import type { RouteRegistry } from '../http/route.js';
import { problem } from '../http/schemas.js';
import { appraisalCsv, appraisalXlsx } from './export.js';
import { appraisalQuery, appraisalResponse, exportParams, itemsQuery, itemsResponse, targetSchema, targetsBody, trendQuery, trendResponse } from './schema.js';
import { appraisalItems, appraisalTrend, appraise, listTargets, replaceTargets } from './service.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The monthly appraisal, the incidents behind each figure, its CSV/XLSX export and its targets. */
export function appraisalRoutes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();
  const { knex } = ctx.db;
  const common = { tags: ['appraisal'], auth: 'session' as const, before: [requireUser] };
  const refused = { 400: problem('Bad month, row kind or time zone'), 401: problem('Not logged in'), 403: problem('Not allowed to see this appraisal') };

  registry.add(router, {
    method: 'get',
    path: '/api/appraisal',
    summary: 'Monthly appraisal by chief, grid, community or department, with every figure defined and linked to its incidents',
    ...common,
    query: appraisalQuery,
    responses: { 200: { description: 'Ranked rows', schema: appraisalResponse }, ...refused },
    handler: ({ query }, req) => appraise(knex, userOf(req), query),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/appraisal/items',
    summary: 'The incidents behind one figure of one appraisal row',
    ...common,
    query: itemsQuery,
    responses: { 200: { description: 'The incidents', schema: itemsResponse }, ...refused },
    handler: ({ query }, req) => appraisalItems(knex, userOf(req), query),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/appraisal/trend',
    summary: 'The figures of one row month by month, for the trend chart',
    ...common,
    query: trendQuery,
    responses: { 200: { description: 'One entry per month, oldest first', schema: trendResponse }, ...refused },
    handler: ({ query }, req) => appraisalTrend(knex, userOf(req), query),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/appraisal/export.:format',
    summary: 'The appraisal as CSV (UTF-8 with BOM) or XLSX',
    ...common,
    params: exportParams,
    query: appraisalQuery,
    responses: { 200: { description: 'The table as an attachment', schema: z.string(), contentType: 'text/csv' }, ...refused },
    handler: async ({ params, query }, req, res) => {
      const a = await appraise(knex, userOf(req), query);
      const name = `appraisal-${a.month}-${a.by}.${params.format}`;
      res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
      if (params.format === 'csv') {
        res.type('text/csv; charset=utf-8').send(appraisalCsv(a.rows));
      } else {
        res.type(XLSX).send(await appraisalXlsx(`Appraisal ${a.month} by ${a.by} (${a.tz})`, a.rows, a.definitions));
      }
    },
  });

  registry.add(router, {
    method: 'get',
    path: '/api/appraisal/targets',
    summary: 'The monthly targets per row kind',
    ...common,
    responses: { 200: { description: 'The targets', schema: z.array(targetSchema) }, 401: problem('Not logged in') },
    handler: () => listTargets(knex),
  });

  registry.add(router, {
    method: 'put',
    path: '/api/appraisal/targets',
    summary: 'Replace the monthly targets (command centre only)',
    ...common,
    body: targetsBody,
    responses: { 200: { description: 'The targets now', schema: z.array(targetSchema) }, ...refused },
    handler: ({ body }, req) => replaceTargets(knex, userOf(req), body.targets),
  });
  return router;
}
