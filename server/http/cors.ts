/**
 * CORS for the public GIS and citizen endpoints, and only for them: tiles and TileJSON (`/tiles`), map
 * styles (`/styles`), OGC API – Features (`/ogc`), exports (`/export`) and Open311 (`/open311`), which
 * other sites' maps and reporting clients read by script. `/api` is the web app's own, cookie-signed API
 * and stays same-origin: it gets no CORS headers at all.
 *
 * The allowed origins come from CORS_ORIGINS (`*` by default). Credentials are never allowed
 * (no `Access-Control-Allow-Credentials`; `*` must never be combined with them), so a page on another
 * origin cannot read an answer made for the browser's session; and the session cookie of a request
 * from another origin is dropped before anyone reads it, so every such request is answered as for
 * nobody: the public layers only (an export of buildings, personal data, is refused with 401).
 */
import cors, { type CorsOptions } from 'cors';
import type { RequestHandler } from 'express';
import { isSameOrigin } from '../auth/middleware.js';

const PUBLIC_GIS = /^\/(tiles|styles|ogc|export|open311)(\/|\.|$)/;

/** Whether a path belongs to the public GIS and citizen endpoints that other origins may read. */
export function isPublicGisPath(path: string): boolean {
  return PUBLIC_GIS.test(path);
}

/** Request headers a page on another origin may send (beyond the CORS-safelisted ones). */
export const CORS_ALLOWED_HEADERS = ['Accept', 'Accept-Language', 'Content-Type', 'If-None-Match', 'If-Modified-Since', 'X-Api-Key'];
/** Response headers a page on another origin may read (beyond the CORS-safelisted ones). */
export const CORS_EXPOSED_HEADERS = ['Content-Crs', 'Content-Disposition', 'ETag', 'Link', 'Retry-After'];
/** Seconds a browser may keep a preflight answer (Chromium caps it at 7200). */
const PREFLIGHT_MAX_AGE = 7200;

/** The CORS options of a path family: Open311 takes POSTs (new requests), the rest is read only. */
export function corsOptionsOf(path: string, origins: '*' | string[]): CorsOptions {
  return {
    origin: origins,
    methods: path.startsWith('/open311') ? ['GET', 'HEAD', 'POST'] : ['GET', 'HEAD'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    credentials: false,
    maxAge: PREFLIGHT_MAX_AGE,
  };
}

/**
 * The CORS handler of the public endpoints: answers their preflights (204) and marks their answers;
 * with a list of origins, the allowed one is echoed and the answer carries `Vary: Origin`. A request from
 * another origin loses its session cookie here, before the session is looked up.
 */
export function publicCors(opts: { origins: '*' | string[]; publicUrl: string | null }): RequestHandler {
  const open311 = cors(corsOptionsOf('/open311', opts.origins));
  const readOnly = cors(corsOptionsOf('/ogc', opts.origins));
  return (req, res, next) => {
    if (!isPublicGisPath(req.path)) return next();
    if (req.headers.cookie && !isSameOrigin(req, opts.publicUrl)) delete req.headers.cookie;
    (req.path.startsWith('/open311') ? open311 : readOnly)(req, res, next);
  };
}
