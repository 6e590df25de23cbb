import type { Knex } from 'knex';
import { AREA_LEVELS } from '../areas/levels.js';

/** Roles of the staff table, as its check constraint allows them. */
export const STAFF_ROLES = ['chief', 'grid_leader', 'cleaner', 'cadre', 'party_member', 'volunteer', 'police'] as const;
/** A staff role. */
export type StaffRole = (typeof STAFF_ROLES)[number];

/** An instant for the assignment rules, as SQL text: a column, a binding (`?`, `:at`), or null for now. */
export type InstantSql = string | null;

/** The condition that an assignment `sa` is in force at an instant (SQL text naming the instant once; null is now). */
function sqlAssignedAt(at: InstantSql): string {
  return at === null ? 'sa.valid_to is null' : `tstzrange(sa.valid_from, sa.valid_to, '[)') @> (${at})::timestamptz`;
}

/**
 * SQL text of the one rule for who holds an area in a role at an instant: a subquery giving the staff
 * member with that role assigned to the area (an expression from code) then; when two are, the lowest
 * staff code, so the answer is deterministic. Columns: id, user_id, code, name, name_en, phone.
 */
export function sqlHolderAt(role: StaffRole, areaCode: string, at: InstantSql = null): string {
  return `(select s.id, s.user_id, s.code, s.name, s.name_en, s.phone
             from staff s join staff_assignments sa on sa.staff_id = s.id and ${sqlAssignedAt(at)}
            where s.role = '${role}' and sa.area_code = ${areaCode}
            order by s.code
            limit 1)`;
}

/** SQL text of the chief of a grid at an instant as JSON ({name, name_en, phone}), or null. */
export function sqlChiefJson(gridCode: string, at: InstantSql = null): string {
  return `(select json_build_object('name', h.name, 'name_en', h.name_en, 'phone', h.phone) from ${sqlHolderAt('chief', gridCode, at)} h)`;
}

/** SQL text of the staff id holding an area in a role at an instant, or null. */
export function sqlHolderId(role: StaffRole, areaCode: string, at: InstantSql = null): string {
  return `(select h.id from ${sqlHolderAt(role, areaCode, at)} h)`;
}

/**
 * SQL text of every chief's spans of office (area_code, valid_from, valid_to, chief_id), for joining many
 * incidents to the chief in charge at their time in one hash join rather than a probe per row.
 */
export function sqlChiefSpans(): string {
  return `(select sa.area_code, sa.valid_from, sa.valid_to, s.id as chief_id
             from staff_assignments sa join staff s on s.id = sa.staff_id and s.role = 'chief')`;
}

/** The chief of each grid in force whose code starts with a prefix, now (grids without one are left out). */
export function sqlChiefsNow(knex: Knex, codePrefix: string): Knex.Raw {
  return knex.raw(
    `select g.code as area_code, h.id, h.user_id, h.name
       from areas g cross join lateral ${sqlHolderAt('chief', 'g.code')} h
      where g.level = ${AREA_LEVELS.grid} and g.valid_to is null and g.code like :prefix
      order by g.code`,
    { prefix: `${codePrefix}%` },
  );
}

/** The chief on the staff list linked to a user account (the lowest code if several), with the grids assigned to them now. */
export function sqlChiefOfUser(knex: Knex, userId: number): Knex.Raw {
  return knex.raw(
    `select s.id, s.code, s.name, s.name_en,
            coalesce(array_agg(sa.area_code order by sa.area_code) filter (where sa.area_code is not null), '{}') as grids
       from staff s left join staff_assignments sa on sa.staff_id = s.id and ${sqlAssignedAt(null)}
      where s.role = 'chief' and s.user_id = :user
      group by s.id, s.code, s.name, s.name_en
      order by s.code
      limit 1`,
    { user: userId },
  );
}

/** A span of time [start, end). */
export interface Span {
  start: Date;
  end: Date;
}

/** The chiefs assigned at some time in a span to any of some grids, with the grids they held. */
export function sqlChiefsOf(knex: Knex, grids: string[], span: Span): Knex.Raw {
  return knex.raw(
    `select s.id::text as key, s.code, s.name, s.name_en, array_agg(distinct sa.area_code order by sa.area_code) as grids
       from staff s join staff_assignments sa on sa.staff_id = s.id
      where s.role = 'chief' and sa.area_code = any(:grids)
        and sa.valid_from < :end and (sa.valid_to is null or sa.valid_to > :start)
      group by s.id, s.code, s.name, s.name_en`,
    { grids, start: span.start, end: span.end },
  );
}

/** Staff by id, with every area they held at some time in a span. */
export function sqlStaffById(knex: Knex, ids: number[], span: Span): Knex.Raw {
  return knex.raw(
    `select s.id::text as key, s.code, s.name, s.name_en,
            coalesce(array_agg(distinct sa.area_code order by sa.area_code) filter (where sa.area_code is not null), '{}') as grids
       from staff s left join staff_assignments sa on sa.staff_id = s.id and sa.valid_from < :end and (sa.valid_to is null or sa.valid_to > :start)
      where s.id = any(:ids)
      group by s.id, s.code, s.name, s.name_en`,
    { ids, start: span.start, end: span.end },
  );
}

/** Assignments in force on some area codes, except those whose code is kept, with their staff. */
export function sqlAssignmentsOn(knex: Knex, codes: string[], keep: string[]): Knex.Raw {
  return knex.raw(
    `select s.id, s.code, s.name, s.role, sa.area_code as from_grid
       from staff_assignments sa join staff s on s.id = sa.staff_id
      where sa.valid_to is null and sa.area_code = any(:codes::text[]) and not (sa.area_code = any(:keep::text[]))
      order by sa.area_code, s.code`,
    { codes, keep },
  );
}

/** End (valid_to = now) the assignments in force on area codes that are no longer in force; returns them. */
export function sqlEndAssignments(knex: Knex, codes: string[]): Knex.Raw {
  return knex.raw(
    `update staff_assignments set valid_to = now()
      where valid_to is null and area_code = any(:codes::text[])
        and not exists (select 1 from areas a where a.code = staff_assignments.area_code and a.valid_to is null)
     returning staff_id, area_code`,
    { codes },
  );
}
