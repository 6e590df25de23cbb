import type { Knex } from 'knex';
import { Forbidden } from '../http/errors.js';
import type { SessionUser } from './store.js';

/**
 * The codes of every area in force under the user's scope areas (the scope areas themselves included).
 * A chief's scope is their grid(s); a community's is the community and its grids; the command centre's
 * the office and everything in it.
 */
export function sqlAreasInScope(knex: Knex, user: SessionUser, level?: number): Knex.Raw {
  return knex.raw(
    `with recursive sub as (
       select code, level from areas where valid_to is null and code = any(:scope)
       union
       select a.code, a.level from areas a join sub on a.parent_code = sub.code where a.valid_to is null
     )
     select code from sub ${level ? 'where level = :level' : ''} order by code`,
    level ? { scope: user.scope, level } : { scope: user.scope },
  );
}

/** Grid codes the user may see and act on. */
export async function gridsInScope(knex: Knex, user: SessionUser): Promise<string[]> {
  const { rows } = await sqlAreasInScope(knex, user, 3);
  return rows.map((r: { code: string }) => r.code);
}

/** Office codes the user may write under (the offices of their scope, or those in it). */
export async function officesInScope(knex: Knex, user: SessionUser): Promise<Set<string>> {
  const { rows } = await sqlAreasInScope(knex, user, 1);
  return new Set(rows.map((r: { code: string }) => r.code));
}

/** Whether an area (by code) is inside the user's scope: it is a scope area or lies under one. */
export async function isAreaInScope(knex: Knex, user: SessionUser, code: string): Promise<boolean> {
  const { rows } = await knex.raw(
    `with recursive up as (
       select code, parent_code from areas where valid_to is null and code = :code
       union
       select a.code, a.parent_code from areas a join up on a.code = up.parent_code where a.valid_to is null
     )
     select exists (select 1 from up where code = any(:scope)) as ok`,
    { code, scope: user.scope },
  );
  return rows[0]?.ok === true;
}

/** Throw Forbidden unless the area is in the user's scope. */
export async function assertAreaInScope(knex: Knex, user: SessionUser, code: string): Promise<void> {
  if (!(await isAreaInScope(knex, user, code))) {
    throw new Forbidden('area_out_of_scope', `Area ${code} is outside your scope (${user.scope.join(', ') || 'none'}).`, { params: { code } });
  }
}
