import path from 'node:path';
import type { ServerResponse } from 'node:http';
import expressStaticGzip from 'express-static-gzip';
import type { RequestHandler } from 'express';

/** Files the build names by their content (vite's `assets/[name]-[hash].[ext]`): they never change under their name. */
const HASHED = /^assets\/.+-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$/;

/** Cache-Control of a hashed file: a year, and no revalidation on reload. */
export const CACHE_HASHED = 'public, max-age=31536000, immutable';

/** Cache-Control of every other file (index.html, sw.js, the web app manifest, icons): ask each time, answered 304 when unchanged. */
export const CACHE_REVALIDATE = 'no-cache';

/** The Cache-Control for a file of the web app, by its path relative to the app's folder (without .br/.gz). */
export function cacheControlFor(relative: string): string {
  return HASHED.test(relative.split(path.sep).join('/')) ? CACHE_HASHED : CACHE_REVALIDATE;
}

/**
 * Serve the built web app from `dir`: the brotli or gzip copy the build wrote beside each file when the
 * client accepts it (`Content-Encoding`, `Vary: Accept-Encoding`), hashed assets cached for good, everything
 * else revalidated. The precompressed copies are found when the middleware is made, so make it after the build.
 */
export function serveWebApp(dir: string): RequestHandler {
  return expressStaticGzip(dir, {
    enableBrotli: true,
    orderPreference: ['br', 'gzip'],
    index: 'index.html',
    serveStatic: {
      setHeaders: (res: ServerResponse, file: string) => {
        const relative = path.relative(dir, file).replace(/\.(br|gz)$/, '');
        res.setHeader('Cache-Control', cacheControlFor(relative));
      },
    },
  });
}
