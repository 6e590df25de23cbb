import type { Knex } from 'knex';
import { AREA_LEVELS } from '../areas/levels.js';
import { sqlAreaSubtree } from '../areas/sql.js';
import { Forbidden } from '../http/errors.js';
import type { SessionUser } from './store.js';

/*
 * The one scope rule: a user's scope is a set of area codes, and everything under them. A chief's scope
 * is their grid(s); a community's the community and its grids; the command centre's the office and all
 * in it. A row lies in the scope when an area it lies in (its grid, community or office) is a scope area
 * or lies under one. Rows that carry all three codes are checked on their own columns (no recursion);
 * rows that carry only their grid (and office) are checked against the subtree of the scope.
 */

/** Who asks, as the scope rule reads a user. */
export interface Viewer {
  role: string;
  scope: string[];
  department_code: string | null;
}

/** The area codes a row carries (incidents all three; assets and buildings their grid and office). */
export interface PlacedRow {
  grid_code?: string | null;
  community_code?: string | null;
  office_code?: string | null;
  /** Grids the row lies near (an incident near a grid edge is seen by both chiefs). */
  near_grid_codes?: string[] | null;
}

/** The columns of a table that place a row in areas, alias-qualified (identifiers from code). */
export interface PlacedColumns {
  grid: string;
  community?: string;
  office?: string;
  near?: string;
}

/** Whether an area code is one of the viewer's scope areas. */
export function holds(viewer: Pick<Viewer, 'scope'>, code: string | null | undefined): boolean {
  return code !== null && code !== undefined && viewer.scope.includes(code);
}

/** Row check: whether a row that carries its grid, community and office lies in the viewer's scope (with `near`, also near it). */
export function rowInScope(viewer: Pick<Viewer, 'scope'>, row: PlacedRow, opts: { near?: boolean } = {}): boolean {
  if (holds(viewer, row.grid_code) || holds(viewer, row.community_code) || holds(viewer, row.office_code)) return true;
  return opts.near === true && (row.near_grid_codes ?? []).some((c) => holds(viewer, c));
}

/** SQL clause of the same rule over a table's columns (with `near`, also rows near the scope's grids). */
export function sqlRowInScope(knex: Knex, viewer: Pick<Viewer, 'scope'>, cols: PlacedColumns): Knex.Raw {
  const scope = viewer.scope;
  const parts: Knex.Raw[] = cols.community
    ? [knex.raw(`${cols.grid} = any(?::text[])`, [scope]), knex.raw(`${cols.community} = any(?::text[])`, [scope])]
    : [knex.raw(`${cols.grid} in (?)`, [sqlAreaSubtree(knex, scope, { level: AREA_LEVELS.grid })])];
  if (cols.office) parts.push(knex.raw(`${cols.office} = any(?::text[])`, [scope]));
  if (cols.near) parts.push(knex.raw(`${cols.near} && ?::text[]`, [scope]));
  return knex.raw(`(${parts.map(() => '?').join(' or ')})`, parts);
}

/** The areas in force under the user's scope areas (the scope areas themselves included), optionally of one level. */
export function sqlAreasInScope(knex: Knex, user: Pick<Viewer, 'scope'>, level?: number): Knex.Raw {
  return sqlAreaSubtree(knex, user.scope, { level });
}

/** Grid codes the user may see and act on. */
export async function gridsInScope(knex: Knex, user: Pick<Viewer, 'scope'>): Promise<string[]> {
  const { rows } = await sqlAreasInScope(knex, user, AREA_LEVELS.grid);
  return rows.map((r: { code: string }) => r.code).sort();
}

/** Office codes the user may write under (the offices of their scope, or those in it). */
export async function officesInScope(knex: Knex, user: Pick<Viewer, 'scope'>): Promise<Set<string>> {
  const { rows } = await sqlAreasInScope(knex, user, AREA_LEVELS.office);
  return new Set(rows.map((r: { code: string }) => r.code));
}

/** Whether an area (by code) is inside the user's scope: it is a scope area or lies under one. */
export async function isAreaInScope(knex: Knex, user: Pick<Viewer, 'scope'>, code: string): Promise<boolean> {
  if (holds(user, code)) return true;
  const { rows } = await knex.raw(`select exists (select 1 from (?) t where t.code = ?) as ok`, [sqlAreaSubtree(knex, user.scope), code]);
  return rows[0]?.ok === true;
}

/** Throw Forbidden unless the area is in the user's scope. */
export async function assertAreaInScope(knex: Knex, user: SessionUser, code: string): Promise<void> {
  if (!(await isAreaInScope(knex, user, code))) {
    throw new Forbidden('area_out_of_scope', `Area ${code} is outside your scope (${user.scope.join(', ') || 'none'}).`, { params: { code } });
  }
}
