import type { Knex } from 'knex';
import { regrid } from '../areas/service.js';
import { sqlLogGridMoves, type PlanMoves } from '../areas/sql.js';
import type { SessionUser } from '../auth/store.js';
import { Conflict, Forbidden, Invalid, NotFound, Unprocessable } from '../http/errors.js';
import { iso } from '../http/wire.js';
import { populationGrids, type Page } from './access.js';
import { BUILDING_PLACE, sqlBuildings, sqlGeometryCheck, sqlGridOfGeometry, sqlLimitOffset, sqlWhereGrid, type GridFilter } from './sql.js';

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

/** A building in the viewer's scope grids; NotFound otherwise (so scope does not reveal what exists). */
export async function scopedBuilding(knex: Knex, scope: GridFilter, id: number): Promise<BuildingRow> {
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
  const place = (await sqlGridOfGeometry(knex, geojson)).rows[0] as { area_version_id: number; grid_code: string; office_code: string } | undefined;
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


/**
 * Move the buildings of some grid codes to the grid in force at their point on surface (a boundary
 * plan's publish, inside its transaction), and log each move; households and residents follow their
 * building. Answers how many buildings changed grid.
 */
export async function regridBuildings(trx: Knex, { codes, planId, actor }: PlanMoves): Promise<number> {
  const moves = await regrid(trx, { ...BUILDING_PLACE, where: `x.grid_code = any(:codes::text[]) and ${BUILDING_PLACE.follows}`, bindings: { codes } });
  if (moves.length) await sqlLogGridMoves(trx, { table: 'building_events', idColumn: 'building_id' }, moves, { planId, actor });
  return moves.length;
}
