import type { Knex } from 'knex';
import { gridsInScope } from '../auth/scope.js';
import type { SessionUser } from '../auth/store.js';
import { Forbidden } from '../http/errors.js';
import type { GridFilter } from './sql.js';

/** Roles that may see population records: the command centre, community staff and grid chiefs. */
export const POPULATION_ROLES = ['admin', 'community', 'chief'] as const;

/** Paging of list requests. */
export interface Page {
  limit: number;
  offset: number;
}

/**
 * The grids whose population the user may see: a chief their grid, community staff their grids, the
 * command centre every grid of its office. Departments, planners and other staff see none (403).
 */
export async function populationGrids(knex: Knex, user: SessionUser, grid?: string): Promise<GridFilter> {
  if (!(POPULATION_ROLES as readonly string[]).includes(user.role)) {
    throw new Forbidden(
      'role_required',
      `Population records are visible only to grid chiefs (their grid), community staff (their grids) and the command centre; you are logged in as ${user.role}.`,
      { params: { roles: POPULATION_ROLES, role: user.role } },
    );
  }
  const grids = await gridsInScope(knex, user);
  if (grid && !grids.includes(grid)) throw new Forbidden('area_out_of_scope', `Grid ${grid} is outside your scope; ask for one of your own grids.`, { params: { code: grid } });
  return { grids, grid };
}


