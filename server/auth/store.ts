import type { Knex } from 'knex';

/** A user as the rest of the server sees it (never with the password hash). */
export interface SessionUser {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  department_code: string | null;
  /** Area codes the user may see and act on (everything under them). */
  scope: string[];
}

/** Roles: command centre (admin), planner, community staff, grid chief, department, other staff. */
export const ROLES = ['admin', 'planner', 'community', 'chief', 'department', 'staff'] as const;
export type Role = (typeof ROLES)[number];

/** The user row with its hash, for login only. */
export function sqlUserByUsername(knex: Knex, username: string) {
  return knex('users').where({ username, active: true }).first('id', 'password_hash');
}

/** The user of a live session (not expired), with the scope codes. */
export function sqlSessionUser(knex: Knex, tokenHash: string) {
  return knex('sessions as s')
    .join('users as u', 'u.id', 's.user_id')
    .where('s.token_hash', tokenHash)
    .andWhere('s.expires_at', '>', knex.fn.now())
    .andWhere('u.active', true)
    .first(
      'u.id',
      'u.username',
      'u.display_name',
      'u.role',
      'u.department_code',
      's.expires_at',
      knex.raw(`coalesce((select array_agg(area_code order by area_code) from user_scopes where user_id = u.id), '{}') as scope`),
    );
}

/** Store a new session by the hash of its token. */
export function sqlInsertSession(knex: Knex, tokenHash: string, userId: number, expiresAt: Date) {
  return knex('sessions').insert({ token_hash: tokenHash, user_id: userId, expires_at: expiresAt });
}

/** Delete one session. */
export function sqlDeleteSession(knex: Knex, tokenHash: string) {
  return knex('sessions').where({ token_hash: tokenHash }).delete();
}

/** Delete every expired session (housekeeping at login). */
export function sqlDeleteExpiredSessions(knex: Knex) {
  return knex('sessions').where('expires_at', '<=', knex.fn.now()).delete();
}

/** Insert a user with its scope; returns the id. */
export async function insertUser(
  knex: Knex,
  user: { username: string; password_hash: string; display_name: string; role: Role; department_code?: string | null; scope: string[] },
): Promise<number> {
  const [row] = await knex('users')
    .insert({
      username: user.username,
      password_hash: user.password_hash,
      display_name: user.display_name,
      role: user.role,
      department_code: user.department_code ?? null,
    })
    .returning('id');
  if (user.scope.length) {
    await knex('user_scopes').insert(user.scope.map((area_code) => ({ user_id: row.id, area_code })));
  }
  return row.id;
}
