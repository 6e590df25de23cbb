/**
 * Device cookies (OWASP, "Slow down online guessing attacks with device cookies"): a successful login gives
 * the browser a cookie naming it as one the user logs in from. Failed logins are counted per browser when
 * they bring a valid cookie for the username tried, and per network address and username otherwise, so an
 * attacker guessing a password from the user's own address (an office behind one NAT) exhausts only the
 * count without the cookie: the user, on a browser they logged in from before, is not locked out. The
 * cookie is sent to the login route only.
 */
import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import { parse as parseCookie } from 'cookie';
import { hashToken } from './service.js';

/** Name of the device cookie. */
export const DEVICE_COOKIE = 'gridwork_device';
/** How long a browser is remembered after its last login. */
const DEVICE_DAYS = 365;
/** Path the cookie is sent to: the login route only. */
const DEVICE_PATH = '/api/auth/login';

/** The device token a request brings, if any. */
export function deviceTokenOf(req: Request): string | undefined {
  const cookies = req.headers.cookie ? parseCookie(req.headers.cookie) : {};
  const token = cookies[DEVICE_COOKIE];
  return token && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : undefined;
}

/** Whether a device token was given to the user of this (normalized, lower-cased) username. */
export async function isDeviceOf(knex: Knex, token: string, username: string): Promise<boolean> {
  const row = await knex('login_devices as d')
    .join('users as u', 'u.id', 'd.user_id')
    .where('d.token_hash', hashToken(token))
    .andWhereRaw('lower(u.username) = ?', [username])
    .andWhereRaw(`d.last_login_at > now() - make_interval(days => ${DEVICE_DAYS})`)
    .first('d.user_id');
  return row !== undefined;
}

/** After a successful login: remember this browser for the user (the token it brought, or a new one) and set its cookie. */
export async function rememberDevice(knex: Knex, req: Request, res: Response, userId: number): Promise<void> {
  const brought = deviceTokenOf(req);
  let token = brought;
  if (brought) {
    const updated = await knex('login_devices').where({ token_hash: hashToken(brought), user_id: userId }).update({ last_login_at: knex.fn.now() });
    if (!updated) token = undefined;
  }
  if (!token) {
    token = crypto.randomBytes(32).toString('base64url');
    await knex('login_devices').insert({ token_hash: hashToken(token), user_id: userId });
  }
  res.cookie(DEVICE_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: req.secure,
    path: DEVICE_PATH,
    maxAge: DEVICE_DAYS * 24 * 3600 * 1000,
  });
}
