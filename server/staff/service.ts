import type { Knex } from 'knex';
import { sqlAssignmentsOn, sqlChiefOfUser, sqlChiefsNow, sqlChiefsOf, sqlEndAssignments, sqlStaffById, type Span } from './sql.js';

/** A staff member as the appraisal lists them, with the areas they held in a span. */
export interface StaffHeld {
  key: string;
  code: string;
  name: string;
  name_en: string;
  grids: string[];
}

/** An assignment that a boundary change would end. */
export interface EndingAssignment {
  id: number;
  code: string;
  name: string;
  role: string;
  from_grid: string;
}

/** The chiefs who held any of some grids at some time in a span. */
export async function chiefsOf(knex: Knex, grids: string[], span: Span): Promise<StaffHeld[]> {
  return (await sqlChiefsOf(knex, grids, span)).rows;
}

/** The chief of each grid in force under a code prefix, now, by grid code. */
export async function chiefsNow(knex: Knex, codePrefix = ''): Promise<Map<string, { id: number; user_id: number | null; name: string }>> {
  const { rows } = await sqlChiefsNow(knex, codePrefix);
  return new Map(rows.map((r: { area_code: string; id: number; user_id: number | null; name: string }) => [r.area_code, r]));
}

/** A chief as a user account is linked to them, with the grids they hold now. */
export interface ChiefOfUser {
  id: number;
  code: string;
  name: string;
  name_en: string;
  grids: string[];
}

/** The chief a user account stands for (on the staff list, role chief), with the grids assigned now; null when none. */
export async function chiefOfUser(knex: Knex, userId: number): Promise<ChiefOfUser | null> {
  const { rows } = await sqlChiefOfUser(knex, userId);
  return rows[0] ?? null;
}

/** Staff by id, with what they held in a span. */
export async function staffById(knex: Knex, ids: number[], span: Span): Promise<StaffHeld[]> {
  return (await sqlStaffById(knex, ids, span)).rows;
}

/** The assignments in force on area codes about to go, except the codes that stay. */
export async function assignmentsEnding(knex: Knex, { codes, keep }: { codes: string[]; keep: string[] }): Promise<EndingAssignment[]> {
  return (await sqlAssignmentsOn(knex, codes, keep)).rows;
}

/** End the assignments on area codes no longer in force (inside the caller's transaction); how many ended. */
export async function endAssignments(trx: Knex, { codes }: { codes: string[] }): Promise<number> {
  if (codes.length === 0) return 0;
  return (await sqlEndAssignments(trx, codes)).rows.length;
}
