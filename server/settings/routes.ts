import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import type { RouteRegistry } from '../http/route.js';

const clientSettingsSchema = z
  .object({
    public_url: z.string().nullable().meta({ description: "The web app's public address (PUBLIC_URL), for printed QR codes; null: use the address in the browser" }),
    photos: z
      .object({
        max_files: z.number().int().meta({ description: 'Most photos one request takes (PHOTO_MAX_FILES)' }),
        max_bytes: z.number().int().meta({ description: 'Largest photo accepted, in bytes (PHOTO_MAX_BYTES)' }),
      })
      .meta({ description: 'The photo upload limits, so that a form offers no more than the server takes' }),
  })
  .meta({ id: 'ClientSettings' });

/** The settings of this server a client needs (the same for everyone, no personal data). */
export type ClientSettings = z.infer<typeof clientSettingsSchema>;

/** GET /api/settings: what the web app (and any client) must know of this server's configuration. */
export function settingsRoutes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();
  registry.add(router, {
    method: 'get',
    path: '/api/settings',
    summary: "The server's settings a client needs: its public address and the photo limits",
    tags: ['health'],
    auth: 'public',
    responses: { 200: { description: 'Settings', schema: clientSettingsSchema } },
    handler: (_input, _req, res): ClientSettings => {
      res.set('Cache-Control', 'public, max-age=300');
      return { public_url: ctx.config.publicUrl, photos: { max_files: ctx.config.photoMaxFiles, max_bytes: ctx.config.photoMaxBytes } };
    },
  });
  return router;
}
