import type { Knex } from 'knex';
import { regrid } from '../areas/service.js';
import { sqlLogGridMoves, type PlanMoves } from '../areas/sql.js';
import { isAreaInScope } from '../auth/scope.js';
import type { SessionUser } from '../auth/store.js';
import type { Db } from '../db/connect.js';
import { Conflict, Forbidden, Invalid, NotFound, Unprocessable } from '../http/errors.js';
import type { TileInvalidation } from '../tiles/service.js';
import { importAssets, type ImportOptions } from './importer.js';
import { ASSET_PLACE, sqlAssetEvents, sqlCountAssets, sqlGetAsset, sqlListAssets, type AssetFilter, type AssetStatus } from './sql.js';

interface AssetRow {
  id: number;
  office_code: string;
  code: string;
  category_code: string;
  category_name: string | null;
  category_name_en: string | null;
  status: AssetStatus;
  department_code: string | null;
  grid_code: string | null;
  area_version_id: number | null;
  attrs: Record<string, unknown>;
  lon: number;
  lat: number;
  created_at: Date;
  updated_at: Date;
}

/** An asset row as the API answers it (position as WGS84 lon/lat, 7 decimals). */
export function toAsset(r: AssetRow) {
  return {
    id: r.id,
    office_code: r.office_code,
    code: r.code,
    category_code: r.category_code,
    category_name: r.category_name,
    category_name_en: r.category_name_en,
    status: r.status,
    department_code: r.department_code,
    grid_code: r.grid_code,
    area_version_id: r.area_version_id,
    attrs: r.attrs ?? {},
    lon: Math.round(Number(r.lon) * 1e7) / 1e7,
    lat: Math.round(Number(r.lat) * 1e7) / 1e7,
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
  };
}

/** A page of assets matching the filters, with the total. */
export async function listAssets(knex: Knex, filter: AssetFilter, limit: number, offset: number) {
  const [rows, count] = await Promise.all([sqlListAssets(knex, filter, limit, offset), sqlCountAssets(knex, filter)]);
  return { items: (rows as AssetRow[]).map(toAsset), total: Number((count as { n: number }[])[0].n), limit, offset };
}

/** One asset with its change log. */
export async function getAsset(knex: Knex, id: number) {
  const row = (await sqlGetAsset(knex, id)) as AssetRow | undefined;
  if (!row) throw new NotFound('asset_not_found', `There is no asset ${id}; find assets with GET /api/assets?bbox=…`, { params: { id } });
  const history = await sqlAssetEvents(knex, id);
  return {
    ...toAsset(row),
    history: history.map((e: Record<string, unknown>) => ({ ...e, created_at: new Date(e.created_at as string).toISOString() })),
  };
}

/**
 * Add one asset, a GeoJSON Point Feature, checked as every imported row is (code, category, status, position,
 * grid, the user's offices) and given its grid; answers it as GET /api/assets/{id} does.
 */
export async function createAsset(db: Db, tiles: TileInvalidation, offices: Set<string> | undefined, feature: { properties: { code: string } }) {
  const result = await importAssets(db, JSON.stringify(feature), { format: 'geojsonseq', offices, bulk: false });
  const error = result.errors[0];
  if (error) {
    if (error.reason.startsWith('duplicate code')) {
      throw new Conflict('asset_code_taken', `The asset cannot be added: ${error.reason}. Choose another code, or change that asset with PATCH /api/assets/{id}.`, {
        params: { code: feature.properties.code },
      });
    }
    if (error.reason.startsWith('outside your scope')) throw new Forbidden('asset_out_of_scope', `The asset cannot be added: ${error.reason}.`);
    throw new Unprocessable('asset_rejected', `The asset cannot be added: ${error.reason}.`, { params: { reason: error.reason } });
  }
  tiles.invalidate(['assets']);
  // Codes are unique per office: in the user's offices, the newest asset of this code is the one just written.
  const q = db.knex('assets').where({ code: feature.properties.code });
  if (offices) q.whereIn('office_code', [...offices]);
  const row = await q.orderBy('id', 'desc').first('id');
  return getAsset(db.knex, row.id);
}

/** Import a file of assets (see importAssets); the asset tiles are dropped when rows were written. */
export async function importAssetFile(db: Db, tiles: TileInvalidation, text: string, options: ImportOptions) {
  const result = await importAssets(db, text, options);
  if (result.imported) tiles.invalidate(['assets']);
  return result;
}

/** The category dictionary, by class. */
export async function listCategories(knex: Knex) {
  return knex('asset_categories').select('code', 'name', 'name_en', 'class_code', 'class_name', 'class_name_en', 'department_code').orderBy('code');
}

/** Changes a PATCH may make. */
export interface AssetPatch {
  status?: AssetStatus;
  department_code?: string | null;
  attrs?: Record<string, unknown>;
  note?: string;
}

/** Throw Forbidden unless the user may change this asset: in scope, or its department's own. */
async function assertMayChange(knex: Knex, user: SessionUser, row: AssetRow): Promise<void> {
  if (user.role === 'department') {
    if (user.department_code && user.department_code === row.department_code) return;
    throw new Forbidden('asset_other_department', `Asset ${row.code} belongs to department ${row.department_code ?? 'none'}, not yours (${user.department_code ?? 'none'}).`, {
      params: { code: row.code, department: row.department_code ?? null },
    });
  }
  if (!(await isAreaInScope(knex, user, row.grid_code ?? row.office_code))) {
    throw new Forbidden('asset_out_of_scope', `Asset ${row.code} is in grid ${row.grid_code ?? '(none)'}, outside your scope (${user.scope.join(', ') || 'none'}).`);
  }
}

/** Change an asset's status, department or attributes; a status change is logged with who, when and why. */
export async function patchAsset(knex: Knex, tiles: TileInvalidation, user: SessionUser, id: number, patch: AssetPatch) {
  await knex.transaction(async (trx) => {
    // The first lock of this transaction, and on assets before the categories it joins: while a bulk import
    // holds assets (loadBeside), an edit waits here holding nothing that the import's swap would wait for.
    const row = (await sqlGetAsset(trx, id).forUpdate('a')) as AssetRow | undefined;
    if (!row) throw new NotFound('asset_not_found', `There is no asset ${id}.`, { params: { id } });
    await assertMayChange(trx, user, row);
    const update: Record<string, unknown> = { updated_at: trx.fn.now() };
    if (patch.status !== undefined && patch.status !== row.status) update.status = patch.status;
    if (patch.department_code !== undefined) {
      if (patch.department_code !== null && !(await trx('departments').where({ code: patch.department_code }).first('code'))) {
        throw new Invalid('department_unknown', `Unknown department ${patch.department_code}; the codes are listed by GET /api/departments.`, {
          params: { department: patch.department_code },
        });
      }
      update.department_code = patch.department_code;
    }
    if (patch.attrs !== undefined) update.attrs = JSON.stringify({ ...(row.attrs ?? {}), ...patch.attrs });
    // The row is locked (for update) since it was read, so concurrent changes apply one after the other.
    await trx('assets').where({ id }).update(update);
    if (update.status) {
      await trx('asset_events').insert({
        office_code: row.office_code, asset_id: id, action: 'status', from_status: row.status, to_status: patch.status,
        actor_user_id: user.id, note: patch.note ?? null,
      });
    }
  });
  tiles.invalidate(['assets']);
  return getAsset(knex, id);
}

/** Give every asset without a grid the grid in force at its position (after a load); how many got one. */
export async function assignAssetGrids(trx: Knex): Promise<number> {
  return (await regrid(trx, { ...ASSET_PLACE, where: 'x.grid_code is null' })).length;
}

/**
 * Move the assets of some grid codes to the grid in force at their position (a boundary plan's publish,
 * inside its transaction), and log each move; answers how many changed grid.
 */
export async function regridAssets(trx: Knex, { codes, planId, actor }: PlanMoves): Promise<number> {
  const moves = await regrid(trx, { ...ASSET_PLACE, where: `x.grid_code = any(:codes::text[]) and ${ASSET_PLACE.follows}`, bindings: { codes } });
  if (moves.length) await sqlLogGridMoves(trx, { table: 'asset_events', idColumn: 'asset_id' }, moves, { planId, actor });
  return moves.length;
}
