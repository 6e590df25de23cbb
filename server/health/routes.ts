import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import type { RouteRegistry } from '../http/route.js';
import { problem } from '../http/schemas.js';

const healthSchema = z
  .object({
    status: z.literal('ok'),
    database: z.enum(['embedded', 'postgis']),
    postgis: z.string().meta({ description: 'PostGIS library version' }),
    geos: z.string(),
    capabilities: z.object({ st_asmvt: z.boolean() }),
  })
  .meta({ id: 'Health' });

/** GET /api/health: the server is up and its database answers. */
export function healthRoutes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();
  registry.add(router, {
    method: 'get',
    path: '/api/health',
    summary: 'Server and database status',
    tags: ['health'],
    auth: 'public',
    responses: { 200: { description: 'Up', schema: healthSchema }, 503: problem('The database does not answer') },
    handler: async () => {
      await ctx.db.knex.raw('select 1');
      const c = ctx.db.capabilities;
      return {
        status: 'ok',
        database: ctx.db.kind,
        postgis: c.postgisVersion,
        geos: c.geosVersion,
        capabilities: { st_asmvt: c.asMvt },
      };
    },
  });
  return router;
}
