import type { Knex } from 'knex';
import type { SessionUser } from '../auth/store.js';
import { Conflict, NotFound, Unprocessable } from '../http/errors.js';
import { populationGrids, type Page } from './access.js';
import { scopedBuilding } from './buildings.js';
import { sqlHouseholds, sqlLimitOffset, sqlWhereGrid, type GridFilter } from './sql.js';

interface HouseholdRow {
  id: number;
  office_code: string;
  building_id: number;
  address: string;
  unit: string;
  size: number;
  grid_code: string | null;
  residents: number;
}

/** A household row as answered. */
export function toHousehold(r: HouseholdRow) {
  return { id: r.id, building_id: r.building_id, address: r.address, unit: r.unit, size: r.size, grid_code: r.grid_code, residents: r.residents };
}

/** The households in the viewer's scope, optionally of one grid or building. */
export async function listHouseholds(knex: Knex, user: SessionUser, q: { grid?: string; building_id?: number } & Page) {
  const scope = await populationGrids(knex, user, q.grid);
  const filter = (qb: Knex.QueryBuilder) => {
    sqlWhereGrid(qb, scope);
    if (q.building_id) qb.where('h.building_id', q.building_id);
    return qb;
  };
  const [rows, [{ n }]] = await Promise.all([
    sqlLimitOffset(filter(sqlHouseholds(knex)).orderBy('h.id'), q),
    filter(knex('households as h').join('buildings as b', 'b.id', 'h.building_id').count<{ n: number }[]>({ n: '*' })),
  ]);
  return { items: (rows as HouseholdRow[]).map(toHousehold), total: Number(n) };
}

/** A household in the viewer's scope grids; NotFound otherwise. */
export async function scopedHousehold(knex: Knex, scope: GridFilter, id: number): Promise<HouseholdRow> {
  const row = await sqlWhereGrid(sqlHouseholds(knex), scope).where('h.id', id).first();
  if (!row) throw new NotFound('household_not_found', `No household ${id} in your scope; list yours with GET /api/households.`, { params: { id } });
  return row;
}

/** One household in the viewer's scope. */
export async function getHousehold(knex: Knex, user: SessionUser, id: number) {
  return toHousehold(await scopedHousehold(knex, await populationGrids(knex, user), id));
}

/** Create a household in a building of the viewer's scope. */
export async function createHousehold(knex: Knex, user: SessionUser, body: { building_id: number; unit: string; size: number }) {
  const scope = await populationGrids(knex, user);
  const b = await scopedBuilding(knex, scope, body.building_id).catch(() => {
    throw new Unprocessable('building_id_unknown', `building_id ${body.building_id} is not a building in your scope; list yours with GET /api/buildings.`, {
      params: { building_id: body.building_id },
    });
  });
  const [row] = await knex('households').insert({ office_code: b.office_code, building_id: b.id, unit: body.unit, size: body.size }).returning('id');
  return toHousehold(await scopedHousehold(knex, scope, row.id));
}

/** Change a household (its unit, size, or building within scope). */
export async function patchHousehold(knex: Knex, user: SessionUser, id: number, body: { building_id?: number; unit?: string; size?: number }) {
  const scope = await populationGrids(knex, user);
  await scopedHousehold(knex, scope, id);
  if (body.building_id) {
    await scopedBuilding(knex, scope, body.building_id).catch(() => {
      throw new Unprocessable('building_id_unknown', `building_id ${body.building_id} is not a building in your scope.`, { params: { building_id: body.building_id ?? null } });
    });
  }
  await knex('households').where({ id }).update({ ...body, updated_at: knex.fn.now() });
  return toHousehold(await scopedHousehold(knex, scope, id));
}

/** Delete a household that has no residents. */
export async function deleteHousehold(knex: Knex, user: SessionUser, id: number): Promise<void> {
  const h = await scopedHousehold(knex, await populationGrids(knex, user), id);
  if (h.residents > 0) {
    throw new Conflict('household_has_residents', `Household ${id} still has ${h.residents} residents; move or delete them first.`, { params: { id, residents: h.residents } });
  }
  await knex('households').where({ id }).delete();
}


/** How many households live in some buildings. */
export async function countHouseholds(knex: Knex, buildingIds: number[]): Promise<number> {
  if (buildingIds.length === 0) return 0;
  const [{ n }] = await knex('households').whereIn('building_id', buildingIds).count({ n: '*' });
  return Number(n);
}
