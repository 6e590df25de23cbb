import crypto from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Knex } from 'knex';
import { queryPrepared } from '../db/connect.js';
import { Forbidden, Unauthorized } from '../http/errors.js';
import {
  sqlDeleteExpiredSessions,
  sqlInsertSession,
  sqlSessionUser,
  sqlUserByUsername,
  type Role,
  type SessionUser,
} from './store.js';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'gridwork_session';

// A hash to verify against when the user does not exist, so that timing does not reveal usernames.
let dummyHash: Promise<string> | undefined;

/** Hash a password with Argon2id (the library's defaults follow the OWASP recommendation). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** The SHA-256 of a session token, as stored. */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** Check a username and password; on success create a session and return its token and expiry. */
export async function login(
  knex: Knex,
  username: string,
  password: string,
  ttlSeconds: number,
): Promise<{ token: string; expires_at: Date; user: SessionUser }> {
  const row = await sqlUserByUsername(knex, username);
  dummyHash ??= hashPassword('not a real password');
  const ok = await verify(row?.password_hash ?? (await dummyHash), password);
  if (!row || !ok) throw new Unauthorized('wrong_credentials', 'Wrong username or password.');
  await sqlDeleteExpiredSessions(knex);
  const token = crypto.randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  await sqlInsertSession(knex, hashToken(token), row.id, expiresAt);
  const user = await sessionUser(knex, token);
  if (!user) throw new Unauthorized('session_not_started', 'The session could not be started; try again.');
  return { token, expires_at: expiresAt, user };
}

/** A live session's user, with when the session expires. */
export type LiveSession = SessionUser & { expires_at: Date };

/** The session stored under a token's hash, or undefined when there is none or it expired (requests ask through SessionCache). */
export async function lookUpSession(knex: Knex, tokenHash: string): Promise<LiveSession | undefined> {
  // Prepared, so it is planned once per connection.
  const [row] = await queryPrepared<LiveSession>(knex, sqlSessionUser(knex, tokenHash));
  if (!row) return undefined;
  return { ...row, scope: row.scope ?? [] };
}

/** The user of a token, or undefined when the token is unknown or its session expired (straight from the database). */
export function sessionUser(knex: Knex, token: string): Promise<LiveSession | undefined> {
  return lookUpSession(knex, hashToken(token));
}

/** Throw Forbidden unless the user has one of the roles. */
export function assertRole(user: SessionUser, roles: readonly Role[]): void {
  if (!roles.includes(user.role)) {
    throw new Forbidden('role_required', `This needs the role ${roles.join(' or ')}; you are logged in as ${user.role}.`, { params: { roles, role: user.role } });
  }
}
