import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import pino, { type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { areaRoutes } from './areas/routes.js';
import { exportRoutes } from './export/routes.js';
import { ogcRoutes } from './ogc/routes.js';
import { authenticate } from './auth/middleware.js';
import { authRoutes } from './auth/routes.js';
import { sessionCacheOf } from './auth/session_cache.js';
import { calendarRoutes } from './calendar/routes.js';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import type { Db } from './db/connect.js';
import { healthRoutes } from './health/routes.js';
import { settingsRoutes } from './settings/routes.js';
import { incidentRoutes } from './incidents/routes.js';
import { open311Routes } from './open311/routes.js';
import { populationRoutes } from './population/routes.js';
import { appraisalRoutes } from './appraisal/routes.js';
import { patrolRoutes } from './patrols/routes.js';
import { planRoutes } from './plans/routes.js';
import { assetRoutes } from './assets/routes.js';
import { openApiRoutes } from './http/openapi.js';
import { publicCors } from './http/cors.js';
import { handleErrors, handleUnknownRoute } from './http/problem.js';
import { RouteRegistry } from './http/route.js';
import { inlineScriptHashes, resourcePolicy, securityHeaders } from './http/security.js';
import { serveWebApp } from './http/web_static.js';
import { tileRoutes } from './tiles/routes.js';
import { TileService } from './tiles/service.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;

/**
 * Build the express app from its dependencies; it never listens (main.ts does, tests use supertest). The
 * app has its own tiles (sources and cache) unless `tiles` hands it some to watch from outside; a
 * registry passed in is filled with the routes, for the OpenAPI document (scripts/gen_api_types.ts).
 */
export function createApp({ db, config, logger, tiles, registry = new RouteRegistry() }: { db: Db; config: Config; logger?: Logger; tiles?: TileService; registry?: RouteRegistry }): express.Express {
  const log = logger ?? pino({ level: config.logLevel });
  const ctx: AppContext = { db, config, logger: log, tiles: tiles ?? new TileService(db) };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const webDist = path.join(ROOT, 'web', 'dist');
  const webDir = fs.existsSync(path.join(webDist, 'index.html')) ? webDist : path.join(ROOT, 'web');
  const inlineScripts = inlineScriptHashes(fs.readFileSync(path.join(webDir, 'index.html'), 'utf8'));
  app.use(securityHeaders({ publicUrl: config.publicUrl, inlineScripts }), resourcePolicy);
  app.use(pinoHttp({
    logger: log,
    autoLogging: { ignore: (req) => req.url === '/api/health' },
    // A map pan asks for dozens of tiles: served tiles are logged at debug, failures as any request's are.
    customLogLevel: (req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : req.url?.startsWith('/tiles/') ? 'debug' : 'info',
  }));
  app.use(publicCors({ origins: config.corsOrigins, publicUrl: config.publicUrl }));
  // Tiles are public and a map asks for dozens at once: they are answered before the session lookup, which
  // would cost every tile of a logged-in browser a database round trip for nothing.
  app.use(tileRoutes(ctx, registry));
  app.use(express.json({ limit: config.bodyLimit, type: ['application/json', 'application/*+json'] }));
  app.use(authenticate(sessionCacheOf(db, log), { publicUrl: config.publicUrl }));

  app.use(healthRoutes(ctx, registry));
  app.use(settingsRoutes(ctx, registry));
  app.use(authRoutes(ctx, registry));
  app.use(areaRoutes(ctx, registry));
  app.use(incidentRoutes(ctx, registry));
  app.use(calendarRoutes(ctx, registry));
  app.use(open311Routes(ctx, registry));
  app.use(exportRoutes(ctx, registry));
  app.use(ogcRoutes(ctx, registry));
  app.use(populationRoutes(ctx, registry));
  app.use(appraisalRoutes(ctx, registry));
  app.use(patrolRoutes(ctx, registry));
  app.use(planRoutes(ctx, registry));
  app.use(assetRoutes(ctx, registry));
  app.use(openApiRoutes(registry, VERSION));

  app.use(serveWebApp(webDir));

  app.use(handleUnknownRoute);
  app.use(handleErrors(log));
  return app;
}
