import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { CellPyramid } from './cell_pyramid.js';
import { copyBinaryInto } from './copy.js';
import { ASSET_STATUSES, sqlIndexPairs, sqlRebuildableIndexes, sqlTopAssetCells } from './sql.js';

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
export async function suspendIndexes(trx: Knex.Transaction, table: string, keysOnly = false): Promise<SuspendedIndexes> {
  const { rows } = await sqlRebuildableIndexes(trx, table);
  const items = (rows as SuspendedIndexes['items']).filter((i) => !keysOnly || i.kind === 'constraint');
  const constraints = items.filter((i) => i.kind === 'constraint');
  if (constraints.length) await trx.raw(`alter table ${table} ${constraints.map((c) => `drop constraint ${ident(c.name)}`).join(', ')}`);
  const indexes = items.filter((i) => i.kind === 'index');
  if (indexes.length) await trx.raw(`drop index ${indexes.map((i) => ident(i.name)).join(', ')}`);
  return { table, items };
}

/**
 * Build again what suspendIndexes dropped, each one statement: indexes first, then keys (unique before
 * foreign). Of the indexes, those PostgreSQL builds in one process (GiST) go first, while the pyramid is
 * being written on the other core; B-trees after, when their sorts can have a parallel worker.
 */
export async function restoreIndexes(trx: Knex.Transaction, s: SuspendedIndexes, onStep: () => void = () => undefined): Promise<void> {
  const serial = (def: string) => (/ USING btree /.test(def) ? 1 : 0);
  for (const i of s.items.filter((x) => x.kind === 'index').sort((a, b) => serial(a.def) - serial(b.def))) {
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

/** The pyramid's tables: the columns each COPY writes, and its rows. */
const PYRAMID = [
  { table: 'asset_cells', columns: 'z, tx, ty, cell, category_code, status, n, sum_lon, sum_lat', chunks: (p: CellPyramid) => p.cellChunks() },
  { table: 'asset_cell_sums', columns: 'z, tx, ty, cell, n, sum_lon, sum_lat, category_code', chunks: (p: CellPyramid) => p.sumChunks() },
] as const;
/** Staged pyramid tables are named after the live ones with this and a suffix of their load. */
const STAGED = '_load_';

/**
 * Finish a bulk load of assets in its transaction: build the indexes and keys again and write the pyramid
 * of all assets (the loaded ones, in `pyramid`, plus those already there, read from the existing zoom-12
 * rows). On native PostgreSQL the pyramid is written on a second connection into tables beside the live ones
 * while this transaction builds the asset indexes (the two use both cores), and this transaction swaps them
 * in before it commits: readers see the old pyramid until then, and a load that fails leaves it as it was.
 * The embedded database has one connection, and writes the pyramid in the transaction after the indexes.
 */
export async function finishBulkLoad(db: Db, trx: Knex.Transaction, suspended: SuspendedIndexes, pyramid: CellPyramid, onStep: () => void = () => undefined): Promise<void> {
  for (const r of (await sqlTopAssetCells(trx)).rows) pyramid.addCellRow(r);
  const rebuilt = restoreIndexes(trx, suspended, onStep);
  // Awaited below, after the pyramid is written; until then a failure must not count as unhandled.
  rebuilt.catch(() => undefined);
  if (db.kind !== 'postgis') {
    const chunks = await Promise.all(PYRAMID.map((t) => gather(t.chunks(pyramid))));
    await rebuilt;
    await trx.raw('truncate asset_cells, asset_cell_sums');
    for (const [i, t] of PYRAMID.entries()) {
      // Their other indexes are partial (rows whose count fell to zero: none here), so cheap to keep.
      const keys = await suspendIndexes(trx, t.table, true);
      await copyBinaryInto(db, trx, t.table, t.columns, chunks[i]);
      await restoreIndexes(trx, keys);
    }
    onStep();
    return;
  }
  const suffix = `${STAGED}${process.pid}_${Date.now().toString(36)}`;
  // Whatever becomes of this transaction, the staged tables go: renamed into place on commit, dropped on rollback.
  trx.executionPromise.then(
    () => undefined,
    () => dropStagedPyramid(db.knex, suffix).catch(() => undefined),
  );
  await stagePyramid(db, pyramid, suffix);
  await rebuilt;
  await swapInPyramid(trx, suffix);
  onStep();
}

/**
 * Write the pyramid on a connection of its own into new tables named after the live ones plus `suffix`, with
 * the live tables' indexes, keys and settings, and analyzed; committed, but read by nobody until swapped in.
 * First drops staged tables left by a load that died before its cleanup: the caller's transaction holds the
 * assets table, so no other load is between staging and swapping.
 */
async function stagePyramid(db: Db, pyramid: CellPyramid, suffix: string): Promise<void> {
  await db.knex.transaction(async (trx) => {
    const { rows: orphans } = await trx.raw(`select relname from pg_class where relkind = 'r' and relname like any (?)`, [PYRAMID.map((t) => `${t.table}${STAGED}%`)]);
    for (const o of orphans as { relname: string }[]) await trx.raw(`drop table if exists ${ident(o.relname)}`);
    for (const t of PYRAMID) {
      const staged = `${t.table}${suffix}`;
      await trx.raw(`create table ${staged} (like ${t.table} including all)`);
      const { rows } = await trx.raw(`select coalesce(array_to_string(reloptions, ', '), '') as options from pg_class where oid = ?::regclass`, [t.table]);
      if (rows[0].options) await trx.raw(`alter table ${staged} set (${rows[0].options})`);
      // Their other indexes are partial (rows whose count fell to zero: none here), so cheap to keep.
      const keys = await suspendIndexes(trx, staged, true);
      await copyBinaryInto(db, trx, staged, t.columns, t.chunks(pyramid));
      await restoreIndexes(trx, keys);
      await trx.raw(`analyze ${staged}`);
    }
  });
}

/**
 * In the load's transaction: replace each live pyramid table by its staged one, and give the staged indexes
 * the live ones' names (paired by definition), so that the tables are as the migrations left them.
 */
async function swapInPyramid(trx: Knex.Transaction, suffix: string): Promise<void> {
  for (const t of PYRAMID) {
    const staged = `${t.table}${suffix}`;
    const { rows: names } = await sqlIndexPairs(trx, staged, t.table);
    await trx.raw(`drop table ${t.table}`);
    await trx.raw(`alter table ${staged} rename to ${t.table}`);
    for (const n of names as { staged: string; live: string }[]) await trx.raw(`alter index ${ident(n.staged)} rename to ${ident(n.live)}`);
  }
}

/** Drop a load's staged pyramid tables (after its transaction rolled back). */
async function dropStagedPyramid(knex: Knex, suffix: string): Promise<void> {
  await knex.raw(`drop table if exists ${PYRAMID.map((t) => `${t.table}${suffix}`).join(', ')}`);
}
