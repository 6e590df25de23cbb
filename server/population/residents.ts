import type { Knex } from 'knex';
import type { SessionUser } from '../auth/store.js';
import { Conflict, Forbidden, NotFound, Unprocessable } from '../http/errors.js';
import { iso } from '../http/wire.js';
import { populationGrids, type Page } from './access.js';
import { scopedHousehold } from './households.js';
import { maskIdNumber, storedIdNumber, hmacIdNumber } from './pii.js';
import { sqlLimitOffset, sqlLogAccess, sqlResidents, sqlWhereGrid, type GridFilter } from './sql.js';

interface ResidentRow {
  id: number;
  office_code: string;
  household_id: number;
  building_id: number;
  address: string;
  unit: string;
  grid_code: string | null;
  name: string;
  gender: string | null;
  birth_year: number | null;
  id_number_last4: string | null;
  phone: string | null;
  tags: string[];
  note: string;
  updated_at: Date;
}

/** A resident row as answered: the ID number masked, never the stored hash. */
export function toResident(r: ResidentRow) {
  return {
    id: r.id,
    household_id: r.household_id,
    building_id: r.building_id,
    address: r.address,
    unit: r.unit,
    grid_code: r.grid_code,
    name: r.name,
    gender: r.gender,
    birth_year: r.birth_year,
    id_number_masked: maskIdNumber(r.id_number_last4),
    phone: r.phone,
    tags: r.tags ?? [],
    note: r.note,
    updated_at: iso(r.updated_at)!,
  };
}

/** Residents in the viewer's scope, filtered by grid, tag, household or ID number; every one returned is logged. */
export async function listResidents(
  knex: Knex,
  user: SessionUser,
  idKey: string,
  q: { grid?: string; tag?: string; household_id?: number; id_number?: string } & Page,
) {
  const scope = await populationGrids(knex, user, q.grid);
  const filter = (qb: Knex.QueryBuilder) => {
    sqlWhereGrid(qb, scope);
    if (q.tag) qb.whereRaw('? = any(r.tags)', [q.tag]);
    if (q.household_id) qb.where('r.household_id', q.household_id);
    if (q.id_number) qb.where('r.id_number_hmac', hmacIdNumber(q.id_number, idKey));
    return qb;
  };
  const [rows, [{ n }]] = await Promise.all([
    sqlLimitOffset(filter(sqlResidents(knex)).orderBy('r.id'), q),
    filter(
      knex('residents as r')
        .join('households as h', 'h.id', 'r.household_id')
        .join('buildings as b', 'b.id', 'h.building_id')
        .count<{ n: number }[]>({ n: '*' }),
    ),
  ]);
  if (rows.length) await sqlLogAccess(knex, user, 'list', rows.map((r: ResidentRow) => r.id));
  return { items: (rows as ResidentRow[]).map(toResident), total: Number(n) };
}

/** A resident in the viewer's scope grids; NotFound otherwise. */
export async function scopedResident(knex: Knex, scope: GridFilter, id: number): Promise<ResidentRow> {
  const row = await sqlWhereGrid(sqlResidents(knex), scope).where('r.id', id).first();
  if (!row) throw new NotFound('resident_not_found', `No resident ${id} in your scope; list yours with GET /api/residents.`, { params: { id } });
  return row;
}

/** One resident in the viewer's scope; the read is logged. */
export async function getResident(knex: Knex, user: SessionUser, id: number) {
  const row = await scopedResident(knex, await populationGrids(knex, user), id);
  await sqlLogAccess(knex, user, 'read', [id]);
  return toResident(row);
}

/** Refuse an ID number already registered in the office (matched by its keyed hash). */
async function assertIdNumberFree(knex: Knex, officeCode: string, hmac: string | null, exceptId?: number) {
  if (!hmac) return;
  const q = knex('residents').where({ office_code: officeCode, id_number_hmac: hmac }).first('id');
  if (exceptId) q.whereNot('id', exceptId);
  if (await q) throw new Conflict('id_number_taken', 'A resident with this ID number is already registered in this office; find them with GET /api/residents?id_number=….');
}

/** Fields of a resident as sent by a client. */
export interface ResidentInput {
  household_id?: number;
  name?: string;
  gender?: string | null;
  birth_year?: number | null;
  id_number?: string | null;
  phone?: string | null;
  tags?: string[];
  note?: string;
}

/** The columns to store for resident input (the ID number as hash + last 4). */
function toResidentColumns(body: ResidentInput, idKey: string): Record<string, unknown> {
  const { id_number, ...rest } = body;
  const out: Record<string, unknown> = { ...rest };
  if (id_number !== undefined) Object.assign(out, storedIdNumber(id_number, idKey));
  return out;
}

/** Create a resident in a household of the viewer's scope. */
export async function createResident(knex: Knex, user: SessionUser, idKey: string, body: ResidentInput & { household_id: number; name: string }) {
  const scope = await populationGrids(knex, user);
  const h = await scopedHousehold(knex, scope, body.household_id).catch(() => {
    throw new Unprocessable('household_id_unknown', `household_id ${body.household_id} is not a household in your scope; list yours with GET /api/households.`, {
      params: { household_id: body.household_id },
    });
  });
  const columns = toResidentColumns(body, idKey);
  await assertIdNumberFree(knex, h.office_code, (columns.id_number_hmac as string | null) ?? null);
  const [row] = await knex('residents').insert({ ...columns, office_code: h.office_code }).returning('id');
  await sqlLogAccess(knex, user, 'create', [row.id]);
  return toResident(await scopedResident(knex, scope, row.id));
}

/** Change a resident in the viewer's scope (a new household must be in scope too). */
export async function patchResident(knex: Knex, user: SessionUser, idKey: string, id: number, body: ResidentInput) {
  const scope = await populationGrids(knex, user);
  const current = await scopedResident(knex, scope, id);
  if (body.household_id) {
    await scopedHousehold(knex, scope, body.household_id).catch(() => {
      throw new Unprocessable('household_id_unknown', `household_id ${body.household_id} is not a household in your scope.`, { params: { household_id: body.household_id ?? null } });
    });
  }
  const columns = toResidentColumns(body, idKey);
  await assertIdNumberFree(knex, current.office_code, (columns.id_number_hmac as string | null) ?? null, id);
  await knex('residents').where({ id }).update({ ...columns, updated_at: knex.fn.now() });
  await sqlLogAccess(knex, user, 'update', [id]);
  return toResident(await scopedResident(knex, scope, id));
}

/** Delete a resident in the viewer's scope (with their care visits); the log keeps the deletion. */
export async function deleteResident(knex: Knex, user: SessionUser, id: number): Promise<void> {
  await scopedResident(knex, await populationGrids(knex, user), id);
  await knex('residents').where({ id }).delete();
  await sqlLogAccess(knex, user, 'delete', [id]);
}

/** The read-access log of resident records; the command centre (admin) only. */
export async function accessLog(knex: Knex, user: SessionUser, q: { resident_id?: number; username?: string; since?: Date } & Page) {
  if (user.role !== 'admin') {
    throw new Forbidden('role_required', 'The resident access log is visible to the command centre (admin) only.', { params: { roles: ['admin'], role: user.role } });
  }
  const filter = (qb: Knex.QueryBuilder) => {
    if (q.resident_id) qb.where('resident_id', q.resident_id);
    if (q.username) qb.where('username', q.username);
    if (q.since) qb.where('at', '>=', q.since);
    return qb;
  };
  const [rows, [{ n }]] = await Promise.all([
    sqlLimitOffset(filter(knex('resident_access_log').select('id', 'user_id', 'username', 'resident_id', 'action', 'at')).orderBy('id', 'desc'), q),
    filter(knex('resident_access_log').count<{ n: number }[]>({ n: '*' })),
  ]);
  return {
    items: rows.map((r: { id: number; user_id: number | null; username: string; resident_id: number; action: string; at: Date }) => ({ ...r, id: Number(r.id), at: iso(r.at)! })),
    total: Number(n),
  };
}

