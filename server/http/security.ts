import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { isPublicGisPath } from './cors.js';

/**
 * The CSP source of each inline script of a page (`'sha256-…'`): the web app's index.html carries one, the
 * build's page-chunk preloader, which must run before the module graph loads; it is allowed by its hash,
 * so no other inline script can run.
 */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)]
    .filter((m) => m[1].trim() !== '')
    .map((m) => `'sha256-${crypto.createHash('sha256').update(m[1], 'utf8').digest('base64')}'`);
}

/**
 * The browser-facing defences every answer carries (helmet): a strict Content-Security-Policy that the
 * web app and the API browser pass (scripts only from this server, inline ones only by their hash, no framing, no
 * plugins), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` (a track page's address
 * holds its check code), and the opener and frame isolation headers. HSTS and upgrade-insecure-requests
 * only when the configured public address is https: an office intranet served over plain http must not
 * be told to switch to a TLS it does not have.
 */
export function securityHeaders(opts: { publicUrl: string | null; inlineScripts?: string[] }): RequestHandler {
  const https = opts.publicUrl?.startsWith('https://') ?? false;
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'", ...(opts.inlineScripts ?? [])],
        // MapLibre and the API browser set element styles; no stylesheet comes from elsewhere.
        'style-src': ["'self'", "'unsafe-inline'"],
        // Photos shown before they are sent are blob: URLs; icons and QR codes may be data: URLs.
        'img-src': ["'self'", 'data:', 'blob:'],
        'font-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'worker-src': ["'self'", 'blob:'],
        'manifest-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        ...(https ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    // Tiles, exports, OGC API, Open311 and public photos are read by other sites' maps and clients (CORS
    // decides who may read them by script); a resource policy of same-origin would block their <img> and
    // no-cors loads, so it is relaxed there and kept strict for everything else below.
    crossOriginResourcePolicy: false,
    strictTransportSecurity: https ? { maxAge: 31_536_000 } : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

// Public photos, which other sites may show (in <img>, not read by script: they get no CORS).
const PUBLIC_PHOTOS = /^\/api\/public\/incidents\/[^/]+\/photos\//;

/** `Cross-Origin-Resource-Policy`: cross-origin for what other sites' maps and clients load (the CORS paths and public photos), same-origin for the rest. */
export const resourcePolicy: RequestHandler = (req, res, next) => {
  res.setHeader('Cross-Origin-Resource-Policy', isPublicGisPath(req.path) || PUBLIC_PHOTOS.test(req.path) ? 'cross-origin' : 'same-origin');
  next();
};
