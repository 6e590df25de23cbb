import { Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { TooManyRequests } from '../http/errors.js';
import type { AppContext } from '../context.js';
import type { RouteRegistry } from '../http/route.js';
import { problem } from '../http/schemas.js';
import { requireUser, userOf } from './middleware.js';
import { loginBody, loginResponse, meSchema, normalizeUsername } from './schema.js';
import { deviceTokenOf, isDeviceOf, rememberDevice } from './devices.js';
import { hashToken, login, SESSION_COOKIE } from './service.js';
import { sessionCacheOf } from './session_cache.js';

/** Login, logout and the current user. */
export function authRoutes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();
  const { knex } = ctx.db;
  // Failed logins per browser when it brings its device cookie for the username, else per address and
  // username (devices.ts): slows password guessing without locking out the real user, elsewhere or on a
  // browser they logged in from before.
  const loginLimit = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: ctx.config.loginAttempts,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: async (req) => {
      const username = normalizeUsername(req.body?.username).toLowerCase();
      const device = deviceTokenOf(req);
      if (device && (await isDeviceOf(knex, device, username))) return `device|${hashToken(device)}`;
      return `${ipKeyGenerator(req.ip ?? '')}|${username}`;
    },
    handler: (_req, _res, next, options) => {
      const minutes = Math.ceil(options.windowMs / 60000);
      next(new TooManyRequests('too_many_logins', `Too many failed logins; wait ${minutes} minutes or ask an administrator.`, { params: { minutes } }));
    },
  });

  registry.add(router, {
    method: 'post',
    path: '/api/auth/login',
    summary: 'Log in with a username and password; starts a session',
    tags: ['auth'],
    auth: 'public',
    body: loginBody,
    before: [loginLimit],
    responses: { 200: { description: 'Logged in', schema: loginResponse }, 400: problem('Missing username or password'), 401: problem('Wrong username or password'), 429: problem('Too many failed logins') },
    handler: async ({ body }, req, res) => {
      const s = await login(knex, body.username, body.password, ctx.config.sessionTtlSeconds);
      await rememberDevice(knex, req, res, s.user.id);
      res.cookie(SESSION_COOKIE, s.token, {
        httpOnly: true,
        sameSite: 'lax',
        secure: req.secure,
        path: '/',
        expires: s.expires_at,
      });
      const { scope, ...user } = s.user;
      return { token: s.token, expires_at: s.expires_at.toISOString(), user: { ...user, scope } };
    },
  });

  registry.add(router, {
    method: 'post',
    path: '/api/auth/logout',
    summary: 'End the current session',
    tags: ['auth'],
    auth: 'session',
    responses: { 204: { description: 'Logged out (also when there was no session)' } },
    handler: async (_input, req, res) => {
      if (req.sessionToken) await sessionCacheOf(ctx.db, ctx.logger).end(req.sessionToken);
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      res.status(204).end();
    },
  });

  registry.add(router, {
    method: 'get',
    path: '/api/me',
    summary: 'The logged-in user, their role and scope',
    tags: ['auth'],
    auth: 'session',
    before: [requireUser],
    responses: { 200: { description: 'The user', schema: meSchema }, 401: problem('Not logged in or session expired') },
    handler: (_input, req) => {
      const u = userOf(req) as ReturnType<typeof userOf> & { expires_at?: Date };
      return {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        role: u.role,
        department_code: u.department_code,
        scope: u.scope,
        expires_at: new Date(u.expires_at ?? Date.now()).toISOString(),
      };
    },
  });
  return router;
}
