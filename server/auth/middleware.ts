import { parse as parseCookie } from 'cookie';
import type { Request, RequestHandler } from 'express';
import type { Knex } from 'knex';
import { Unauthorized } from '../http/errors.js';
import { SESSION_COOKIE, sessionUser } from './service.js';
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

/** Attach the session's user to the request when there is a live session; never refuses by itself. */
export function authenticate(knex: Knex): RequestHandler {
  return async (req, _res, next) => {
    try {
      const token = tokenOf(req);
      req.sessionToken = token;
      if (token) req.user = await sessionUser(knex, token);
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
