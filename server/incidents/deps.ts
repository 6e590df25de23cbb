import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { AppContext } from '../context.js';
import { TooManyRequests } from '../http/errors.js';
import { diskStorageIn } from '../photos/storage.js';
import { IntakeBatcher } from './batch.js';
import { IncidentBus } from './events.js';
import type { IncidentDeps } from './service.js';

/** The incident services' dependencies plus the public-intake rate limit, shared by /api and /open311. */
export interface IncidentContext extends IncidentDeps {
  publicLimit: RequestHandler;
}

const made = new WeakMap<AppContext, IncidentContext>();

/** One set of incident dependencies per app: one photo store, one live-update bus, one public rate limit. */
export function incidentContext(ctx: AppContext): IncidentContext {
  let deps = made.get(ctx);
  if (!deps) {
    deps = {
      knex: ctx.db.knex,
      config: ctx.config,
      storage: diskStorageIn(ctx.config.dataDir),
      bus: new IncidentBus(ctx.db.relay, ctx.logger),
      tiles: ctx.tiles,
      intake: new IntakeBatcher(ctx.db.knex),
      publicLimit: rateLimit({
        windowMs: 60 * 60 * 1000,
        limit: ctx.config.publicReportsPerHour,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        keyGenerator: (req) => ipKeyGenerator(req.ip ?? ''),
        handler: (_req, _res, next, options) => {
          const limit = Number(options.limit);
          next(new TooManyRequests('too_many_reports', `Too many reports from this connection: at most ${limit} an hour. Try again later, or call the hotline.`, { params: { limit } }));
        },
      }),
    };
    made.set(ctx, deps);
  }
  return deps;
}
