import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { CellPyramid } from './cell_pyramid.js';
import { copyBinaryInto } from './copy.js';
import { ASSET_STATUSES, sqlRebuildableIndexes, sqlTopAssetCells } from './sql.js';

/**
 * Bulk loads of assets: a COPY of a million rows costs about 6 s into a bare table, 25 s with the asset
 * indexes and foreign keys kept row by row, and 44 s more with the cell pyramid's statement trigger. So a
 * bulk load, inside its transaction, drops the indexes and keys, skips the trigger, and afterwards builds the
 * indexes in one sort each, checks each key with one query, and writes the pyramid summed in memory.
 *
 * Locks: dropping the indexes takes ACCESS EXCLUSIVE on assets (and truncating the pyramid on asset_cells and
 * asset_cell_sums) until the transaction ends, so readers of those tables wait for the whole load.
 */

/** Fewest rows for a bulk load; see shouldLoadInBulk. */
export const BULK_MIN_ROWS = 50_000;

/**
 * Whether a load of about `rows` assets into a table of about `existing` loads in bulk: when it is large and
 * at least half as large as the table, building the indexes and the pyramid again from everything is cheaper
 * than keeping them row by row. It blocks readers of assets for the whole load.
 */
export function shouldLoadInBulk(rows: number, existing: number): boolean {
  return rows >= BULK_MIN_ROWS && rows * 2 >= existing;
}

/** Indexes and constraints dropped from a table, to be built again before the transaction ends. */
export interface SuspendedIndexes {
  table: string;
  items: { kind: 'constraint' | 'index'; name: string; def: string; type: string | null }[];
}

/** Only names from the catalog and tables from code reach here; quote them anyway. */
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Drop a table's indexes and keys (all but those other tables refer to; with `keysOnly`, its keys but not its
 * other indexes); answers what to build again.
 */
export async function suspendIndexes(trx: Knex.Transaction, table: 'assets' | 'asset_cells' | 'asset_cell_sums', keysOnly = false): Promise<SuspendedIndexes> {
  const { rows } = await sqlRebuildableIndexes(trx, table);
  const items = (rows as SuspendedIndexes['items']).filter((i) => !keysOnly || i.kind === 'constraint');
  const constraints = items.filter((i) => i.kind === 'constraint');
  if (constraints.length) await trx.raw(`alter table ${table} ${constraints.map((c) => `drop constraint ${ident(c.name)}`).join(', ')}`);
  const indexes = items.filter((i) => i.kind === 'index');
  if (indexes.length) await trx.raw(`drop index ${indexes.map((i) => ident(i.name)).join(', ')}`);
  return { table, items };
}

/** Build again what suspendIndexes dropped: indexes first, then keys (unique before foreign), each one statement. */
export async function restoreIndexes(trx: Knex.Transaction, s: SuspendedIndexes, onStep: () => void = () => undefined): Promise<void> {
  for (const i of s.items.filter((x) => x.kind === 'index')) {
    await trx.raw(i.def);
    onStep();
  }
  const order = { p: 0, u: 1, f: 2 } as Record<string, number>;
  const constraints = s.items.filter((x) => x.kind === 'constraint').sort((a, b) => order[a.type ?? 'f'] - order[b.type ?? 'f']);
  for (const c of constraints) {
    await trx.raw(`alter table ${s.table} add constraint ${ident(c.name)} ${c.def}`);
    onStep();
  }
}

/**
 * Settings of a bulk load's transaction: the pyramid trigger skips its statements (the loader writes the
 * pyramid itself, see finishBulkLoad) and index builds get memory enough to sort a million rows at once.
 */
export async function startBulkLoad(db: Db, trx: Knex.Transaction): Promise<SuspendedIndexes> {
  await trx.raw(`set local gridwork.skip_asset_cells = 'on'`);
  // PGlite's whole heap is a WebAssembly memory: leave its default there.
  if (db.kind === 'postgis') await trx.raw(`set local maintenance_work_mem = '512MB'`);
  return suspendIndexes(trx, 'assets');
}

/** A pyramid for the assets a bulk load adds, knowing every category. */
export async function newCellPyramid(knex: Knex): Promise<CellPyramid> {
  return new CellPyramid((await knex('asset_categories').pluck('code')) as string[], ASSET_STATUSES);
}

/** Every chunk of a generator, handing the event loop back between chunks so that queries in flight proceed. */
async function gather<T>(chunks: Iterable<T>): Promise<T[]> {
  const out: T[] = [];
  for (const c of chunks) {
    out.push(c);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}

/**
 * Finish a bulk load of assets in its transaction: build the indexes and keys again and write the pyramid
 * of all assets (the loaded ones, in `pyramid`, plus those already there, read from the existing zoom-12
 * rows), replacing both pyramid tables. The pyramid is summed while the server builds the indexes.
 */
export async function finishBulkLoad(db: Db, trx: Knex.Transaction, suspended: SuspendedIndexes, pyramid: CellPyramid, onStep: () => void = () => undefined): Promise<void> {
  for (const r of (await sqlTopAssetCells(trx)).rows) pyramid.addCellRow(r);
  const rebuilt = restoreIndexes(trx, suspended, onStep);
  // Awaited below, after the pyramid is summed; until then a failure must not count as unhandled.
  rebuilt.catch(() => undefined);
  const cells = await gather(pyramid.cellChunks());
  const sums = await gather(pyramid.sumChunks());
  await rebuilt;
  await trx.raw('truncate asset_cells, asset_cell_sums');
  // Their other indexes are partial (rows whose count fell to zero: none here), so cheap to keep.
  const cellIndexes = await suspendIndexes(trx, 'asset_cells', true);
  const sumIndexes = await suspendIndexes(trx, 'asset_cell_sums', true);
  await copyBinaryInto(db, trx, 'asset_cells', 'z, tx, ty, cell, category_code, status, n, sum_lon, sum_lat', cells);
  await copyBinaryInto(db, trx, 'asset_cell_sums', 'z, tx, ty, cell, n, sum_lon, sum_lat, category_code', sums);
  await restoreIndexes(trx, cellIndexes);
  await restoreIndexes(trx, sumIndexes);
  onStep();
}
