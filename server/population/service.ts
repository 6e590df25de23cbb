import type { Knex } from 'knex';
import { gridsInScope } from '../auth/scope.js';
import type { SessionUser } from '../auth/store.js';
import { Conflict, Forbidden, Invalid, NotFound, Unprocessable } from '../http/errors.js';
import { maskIdNumber, storedIdNumber, hmacIdNumber } from './pii.js';
import {
  sqlAssignBuildingGrids,
  sqlBuildings,
  sqlGeometryCheck,
  sqlGridAt,
  sqlHouseholds,
  sqlLimitOffset,
  sqlLogAccess,
  sqlResidents,
  sqlSummary,
  sqlVisits,
  sqlWhereGrid,
  type GridFilter,
} from './sql.js';

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

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

// ------------------------------------------------------------------------------------------------
// Buildings

interface BuildingRow {
  id: number;
  office_code: string;
  address: string;
  use: string;
  floors: number | null;
  grid_code: string | null;
  area_version_id: number | null;
  households: number;
  geometry: { type: string; coordinates: unknown[] };
  updated_at: Date;
}

/** A building row as answered. */
export function toBuilding(r: BuildingRow) {
  return {
    id: r.id,
    address: r.address,
    use: r.use,
    floors: r.floors,
    grid_code: r.grid_code,
    area_version_id: r.area_version_id,
    households: r.households,
    geometry: r.geometry,
    updated_at: iso(r.updated_at)!,
  };
}

/** The buildings in the viewer's scope, optionally of one grid. */
export async function listBuildings(knex: Knex, user: SessionUser, q: { grid?: string } & Page) {
  const scope = await populationGrids(knex, user, q.grid);
  const [rows, [{ n }]] = await Promise.all([
    sqlLimitOffset(sqlWhereGrid(sqlBuildings(knex), scope).orderBy('b.id'), q),
    sqlWhereGrid(knex('buildings as b').count<{ n: number }[]>({ n: '*' }), scope),
  ]);
  return { items: (rows as BuildingRow[]).map(toBuilding), total: Number(n) };
}

async function scopedBuilding(knex: Knex, scope: GridFilter, id: number): Promise<BuildingRow> {
  const row = await sqlWhereGrid(sqlBuildings(knex), scope).where('b.id', id).first();
  if (!row) throw new NotFound('building_not_found', `No building ${id} in your scope; list yours with GET /api/buildings.`, { params: { id } });
  return row;
}

/** One building in the viewer's scope. */
export async function getBuilding(knex: Knex, user: SessionUser, id: number) {
  return toBuilding(await scopedBuilding(knex, await populationGrids(knex, user), id));
}

/** Check a geometry and find the grid in force at it, inside the viewer's scope. */
async function placeGeometry(knex: Knex, scope: GridFilter, geometry: unknown) {
  const geojson = JSON.stringify(geometry);
  // A statement that must answer one row and answers none is a swallowed GEOS error on the embedded build.
  const check = (await sqlGeometryCheck(knex, geojson)).rows[0];
  if (!check) throw new Invalid('geometry_unreadable', 'The geometry could not be read; send a GeoJSON Point, Polygon or MultiPolygon in WGS84.');
  if (!check.valid) {
    throw new Invalid('footprint_invalid', `The footprint is not a valid polygon (${check.reason}); fix the ring (no self-intersections, closed rings).`, { params: { reason: check.reason } });
  }
  const place = (await sqlGridAt(knex, geojson)).rows[0] as { area_version_id: number; grid_code: string; office_code: string } | undefined;
  if (!place) throw new Unprocessable('building_outside_grids', 'The building lies outside every grid; check the coordinates (WGS84 [lon, lat]).');
  if (!scope.grids.includes(place.grid_code)) {
    throw new Forbidden('area_out_of_scope', `The building lies in grid ${place.grid_code}, outside your scope.`, { params: { code: place.grid_code } });
  }
  return { ...place, geojson };
}

/** Create a building; its grid is the grid in force at its position, which must be in the viewer's scope. */
export async function createBuilding(
  knex: Knex,
  user: SessionUser,
  body: { address: string; use: string; floors?: number | null; geometry: unknown },
) {
  const scope = await populationGrids(knex, user);
  const place = await placeGeometry(knex, scope, body.geometry);
  const [row] = await knex('buildings')
    .insert({
      office_code: place.office_code,
      address: body.address,
      use: body.use,
      floors: body.floors ?? null,
      grid_code: place.grid_code,
      area_version_id: place.area_version_id,
      geom: knex.raw('ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)', [place.geojson]),
    })
    .returning('id');
  return toBuilding(await scopedBuilding(knex, scope, row.id));
}

/** Change a building; a new geometry moves it to the grid there (which must be in scope). */
export async function patchBuilding(
  knex: Knex,
  user: SessionUser,
  id: number,
  body: { address?: string; use?: string; floors?: number | null; geometry?: unknown },
) {
  const scope = await populationGrids(knex, user);
  await scopedBuilding(knex, scope, id);
  const { geometry, ...fields } = body;
  const change: Record<string, unknown> = { ...fields, updated_at: knex.fn.now() };
  if (geometry) {
    const place = await placeGeometry(knex, scope, geometry);
    Object.assign(change, {
      grid_code: place.grid_code,
      area_version_id: place.area_version_id,
      office_code: place.office_code,
      geom: knex.raw('ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)', [place.geojson]),
    });
  }
  await knex('buildings').where({ id }).update(change);
  return toBuilding(await scopedBuilding(knex, scope, id));
}

/** Delete a building that has no households. */
export async function deleteBuilding(knex: Knex, user: SessionUser, id: number): Promise<void> {
  const b = await scopedBuilding(knex, await populationGrids(knex, user), id);
  if (b.households > 0) {
    throw new Conflict('building_has_households', `Building ${id} still has ${b.households} households; move or delete them first.`, { params: { id, households: b.households } });
  }
  await knex('buildings').where({ id }).delete();
}

// ------------------------------------------------------------------------------------------------
// Households

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

async function scopedHousehold(knex: Knex, scope: GridFilter, id: number): Promise<HouseholdRow> {
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

// ------------------------------------------------------------------------------------------------
// Residents

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

async function scopedResident(knex: Knex, scope: GridFilter, id: number): Promise<ResidentRow> {
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

// ------------------------------------------------------------------------------------------------
// Care visits

interface VisitRow {
  id: number;
  resident_id: number;
  grid_code: string | null;
  visitor_name: string;
  visited_at: Date;
  kind: string;
  note: string;
}

/** A care visit row as answered. */
export function toVisit(r: VisitRow) {
  return { id: r.id, resident_id: r.resident_id, grid_code: r.grid_code, visitor_name: r.visitor_name, visited_at: iso(r.visited_at)!, kind: r.kind, note: r.note };
}

/** Care visits in the viewer's scope, newest first. */
export async function listVisits(
  knex: Knex,
  user: SessionUser,
  q: { grid?: string; resident_id?: number; since?: Date; until?: Date } & Page,
) {
  const scope = await populationGrids(knex, user, q.grid);
  const filter = (qb: Knex.QueryBuilder) => {
    sqlWhereGrid(qb, scope);
    if (q.resident_id) qb.where('v.resident_id', q.resident_id);
    if (q.since) qb.where('v.visited_at', '>=', q.since);
    if (q.until) qb.where('v.visited_at', '<', q.until);
    return qb;
  };
  const [rows, [{ n }]] = await Promise.all([
    sqlLimitOffset(filter(sqlVisits(knex)).orderBy([{ column: 'v.visited_at', order: 'desc' }, { column: 'v.id', order: 'desc' }]), q),
    filter(
      knex('care_visits as v')
        .join('residents as r', 'r.id', 'v.resident_id')
        .join('households as h', 'h.id', 'r.household_id')
        .join('buildings as b', 'b.id', 'h.building_id')
        .count<{ n: number }[]>({ n: '*' }),
    ),
  ]);
  return { items: (rows as VisitRow[]).map(toVisit), total: Number(n) };
}

/** Record a care visit to a resident in the viewer's scope, by the viewer. */
export async function createVisit(knex: Knex, user: SessionUser, body: { resident_id: number; visited_at?: Date; kind: string; note: string }) {
  const scope = await populationGrids(knex, user);
  const r = await scopedResident(knex, scope, body.resident_id).catch(() => {
    throw new Unprocessable('resident_id_unknown', `resident_id ${body.resident_id} is not a resident in your scope.`, { params: { resident_id: body.resident_id } });
  });
  if (body.visited_at && body.visited_at.getTime() > Date.now() + 5 * 60_000) throw new Invalid('visit_in_future', 'visited_at is in the future; record a visit after it took place.');
  const [row] = await knex('care_visits')
    .insert({
      office_code: r.office_code,
      resident_id: r.id,
      visitor_user_id: user.id,
      visitor_name: user.display_name,
      visited_at: body.visited_at ?? knex.fn.now(),
      kind: body.kind,
      note: body.note,
    })
    .returning('id');
  const visit = await sqlVisits(knex).where('v.id', row.id).first();
  return toVisit(visit);
}

/**
 * Move every building to the grid in force at its position (with that grid's version); households and
 * residents follow their building. Call after publishing new boundaries. Answers how many buildings moved.
 */
export async function reassignBuildingGrids(knex: Knex): Promise<number> {
  const { rows } = await sqlAssignBuildingGrids(knex, { all: true });
  return rows.length;
}

// ------------------------------------------------------------------------------------------------
// Public summary

/** Per-grid counts (buildings, households, residents, vulnerable residents, visits this month); public. */
export async function populationSummary(knex: Knex, filter: { grid?: string; community?: string }) {
  const { rows } = await sqlSummary(knex, filter);
  if (filter.grid && rows.length === 0) {
    throw new NotFound('area_not_found', `No grid ${filter.grid} is in force; list the grids with GET /api/areas?level=grid.`, { params: { code: filter.grid } });
  }
  return rows;
}
