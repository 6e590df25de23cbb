import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import type { RouteRegistry } from '../http/route.js';
import { problem } from '../http/schemas.js';
import { exportParams, exportQuery } from './schema.js';
import { openExport } from './service.js';

/** GET /export/{layer}.{format}: a public layer streamed as GeoJSON, GeoJSON text sequence or CSV. */
export function exportRoutes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();

  registry.add(router, {
    method: 'get',
    path: '/export/:layer.:format',
    summary:
      'Download a layer, streamed: RFC 7946 GeoJSON, RFC 8142 GeoJSON text sequence, or CSV (WKT, UTF-8 with BOM). ' +
      'Public layers need no session; buildings (personal data) need one and hold only the rows in your scope.',
    tags: ['export'],
    auth: 'public',
    params: exportParams,
    query: exportQuery,
    responses: {
      200: { description: 'The layer, as an attachment named after the layer and the date', schema: z.string(), contentType: 'application/geo+json' },
      400: problem('Unknown layer or format, a filter that does not apply to the layer, or a bad filter value'),
      401: problem('A layer with personal data was asked for without a session'),
    },
    handler: async ({ params, query }, req, res) => {
      const body = await openExport(ctx.db, params.layer, params.format, query, req.user);
      res.status(200);
      res.setHeader('Content-Type', body.contentType);
      res.setHeader('Content-Disposition', `attachment; filename="${body.filename}"`);
      res.setHeader('Cache-Control', 'no-store');
      try {
        // One chunk (a batch of rows) read ahead at most: memory stays flat whatever the layer's size.
        await pipeline(Readable.from(body.chunks, { highWaterMark: 1 }), res);
      } catch (err) {
        // Headers are sent: nothing can be answered any more. The pipeline has closed the rows (and the
        // cursor) and the response; a client that went away is normal, anything else is logged.
        if ((err as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') ctx.logger.error({ err, url: req.originalUrl }, 'export failed mid-stream');
      }
    },
  });
  return router;
}
