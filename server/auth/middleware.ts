import { parse as parseCookie } from 'cookie';
import type { Request, RequestHandler } from 'express';
import { Forbidden, Unauthorized } from '../http/errors.js';
import { SESSION_COOKIE } from './service.js';
import type { SessionCache } from './session_cache.js';
import type { Role, SessionUser } from './store.js';
import { assertRole } from './service.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The logged-in user, when the request carries a live session. */
    user?: SessionUser;
    /** The session token the request carried (valid or not). */
    sessionToken?: string;
  }
}

/** The session token of a request: `Authorization: Bearer …` first, then the session cookie. */
export function tokenOf(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    return m ? m[1] : undefined;
  }
  const cookies = req.headers.cookie ? parseCookie(req.headers.cookie) : {};
  return cookies[SESSION_COOKIE] || undefined;
}

/** Methods that change nothing, which a page on another site may send with the cookie (links, images). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a request comes from the app's own pages, by what the browser says of it: `Sec-Fetch-Site`
 * when sent (same-origin, or none for a typed address), else `Origin` against this server's own origin
 * and the configured public address. A request with neither is not from a browser page on another site
 * (every browser sends Origin with a cross-site POST), so it passes.
 */
export function isSameOrigin(req: Request, publicUrl: string | null): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== '') return site === 'same-origin' || site === 'none';
  const origin = req.headers.origin;
  if (!origin) return true;
  const own = [`${req.protocol}://${req.get('host')}`, publicUrl ? new URL(publicUrl).origin : undefined];
  return own.includes(origin);
}

/**
 * Attach the session's user to the request when there is a live session. A write that the session cookie
 * authenticates must come from the app's own pages (cross-site request forgery is refused with 403, before
 * anything is read); a bearer token is not sent by browsers on their own, so it needs no such check.
 */
export function authenticate(sessions: SessionCache, opts: { publicUrl: string | null }): RequestHandler {
  return async (req, _res, next) => {
    try {
      const token = tokenOf(req);
      if (token && !req.headers.authorization && !SAFE_METHODS.has(req.method) && !isSameOrigin(req, opts.publicUrl)) {
        throw new Forbidden('cross_site_request', `A ${req.method} signed in by the session cookie must come from this server's own pages; it came from ${req.headers.origin ?? 'another site'}. Other programs send "Authorization: Bearer <token>".`, {
          params: { origin: req.headers.origin ?? null },
        });
      }
      req.sessionToken = token;
      if (token) req.user = await sessions.user(token);
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** Refuse with 401 unless the request has a live session. */
export const requireUser: RequestHandler = (req, _res, next) => {
  if (req.user) return next();
  next(
    req.sessionToken
      ? new Unauthorized('session_expired', 'Your session has expired or was ended; log in again with POST /api/auth/login.')
      : new Unauthorized('login_required', 'Log in first: POST /api/auth/login with {username, password}, then send the token as "Authorization: Bearer <token>".'),
  );
};

/** Refuse with 401 without a session and 403 unless the user has one of the roles. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, res, next) => {
    requireUser(req, res, (err?: unknown) => {
      if (err) return next(err);
      try {
        assertRole(req.user!, roles);
        next();
      } catch (e) {
        next(e);
      }
    });
  };
}

/** The logged-in user of a request that passed requireUser. */
export function userOf(req: Request): SessionUser {
  if (!req.user) throw new Unauthorized('login_required', 'Log in first.');
  return req.user;
}
