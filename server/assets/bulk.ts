import knexFactory, { type Knex } from 'knex';
import type pg from 'pg';
import type { Db } from '../db/connect.js';
import { CellPyramid } from './cell_pyramid.js';
import { copyAssetTuples, copyBinaryInto } from './copy.js';
import { ASSET_STATUSES, sqlAssetTableExtras, sqlRebuildableIndexes, sqlSwapBlockers, sqlTopAssetCells } from './sql.js';

/**
 * Bulk loads of assets: a COPY of a million rows costs about 2 s into a bare table, 25 s with the asset
 * indexes and foreign keys kept row by row, and 44 s more with the cell pyramid's statement trigger. So a
 * bulk load builds the indexes after the COPY in one sort each, checks each key with one query, and writes the
 * pyramid summed in memory. Two ways:
 *
 * - Beside (loadBeside; native PostgreSQL, the importer): the rows go into a new table like assets, on
 *   connections of their own, which then build its indexes and keys and the pyramid in parallel; the load's
 *   transaction swaps the new tables in before it commits. Readers of assets, the pyramid and the tables the
 *   asset keys point at (categories, departments) go on until the swap, which takes milliseconds; writers of
 *   assets, and edits locking a row of it first (SELECT … FOR UPDATE), wait from the start: the load takes
 *   at once every lock on assets that could keep its swap waiting on them (see loadBeside).
 *
 * Tables staged beside the live ones are named after them plus a suffix that the load's transaction claims
 * with an advisory lock (claimStaging): a staged table whose claim nobody holds belongs to a load that is
 * over, and dropDeadStagedTables drops it (at server start, and before each load stages).
 * - In place (startBulkLoad, finishBulkLoad; the embedded database, a table the swap cannot carry, and
 *   generate:city, which loads grids and assets in one transaction): the load's transaction drops the asset
 *   indexes and keys, COPYs, and builds them again. Dropping a key locks the table it points at: readers of
 *   assets, categories and departments wait for the whole load.
 */

/** Fewest rows for a bulk load; see shouldLoadInBulk. */
export const BULK_MIN_ROWS = 50_000;

/**
 * Whether a load of about `rows` assets into a table of about `existing` loads in bulk: when it is large and
 * at least half as large as the table, building the indexes and the pyramid again from everything is cheaper
 * than keeping them row by row. It blocks writers of assets for the whole load (and, loaded in place, readers).
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
/** Staged tables are named after the live ones with this and a suffix of their load. */
const STAGED = '_load_';
/** The live tables a load stages copies of. */
const STAGED_TABLES = ['assets', ...PYRAMID.map((t) => t.table)];
/** A LIKE pattern for the staged tables of `table`. */
const stagedPattern = (table: string) => `${`${table}${STAGED}`.replace(/_/g, '\\_')}%`;
/** The suffix of one load's staged tables. */
const stagedSuffix = () => `${STAGED}${process.pid}_${Date.now().toString(36)}`;
/** First key of the advisory locks by which loads claim their staged tables' suffix (the second is the suffix's hashtext). */
const STAGING_LOCK = 724190313;
/** How long a cleanup waits for a lock on a dead staged table, or on the tables its keys point at, before leaving it for the next. */
const CLEANUP_LOCK_TIMEOUT = '1s';
const noop = () => undefined;
/** The SQLSTATE of a database error, if it is one. */
const sqlState = (err: unknown) => (err as { code?: unknown }).code;

/**
 * Claim a new suffix for staged tables in the load's transaction `trx`, before anything is staged under it:
 * an advisory lock on it, held until the transaction ends, marks the tables as those of a live load.
 */
export async function claimStaging(trx: Knex.Transaction): Promise<string> {
  const suffix = stagedSuffix();
  await trx.raw('select pg_advisory_xact_lock(?, hashtext(?))', [STAGING_LOCK, suffix]);
  return suffix;
}

/** Staged tables dropped, and those kept (their load's claim still held, or a lock on them not free within CLEANUP_LOCK_TIMEOUT). */
export interface StagedCleanup {
  dropped: string[];
  kept: string[];
}

/**
 * Drop the staged tables of loads that are over: those whose suffix nobody claims (claimStaging). A load killed mid-way leaves them, committed on connections of its
 * own; a load still running in this or another server process holds its claim, and its tables are kept.
 * Run at server start and before each load stages. Embedded, nothing is ever staged.
 */
export async function dropDeadStagedTables(db: Db): Promise<StagedCleanup> {
  return db.kind === 'postgis' ? dropDead(db.knex, STAGED_TABLES) : { dropped: [], kept: [] };
}

/** Drop the staged tables of `tables` whose suffix nobody claims, through `knex` (see dropDeadStagedTables). */
async function dropDead(knex: Knex, tables: readonly string[]): Promise<StagedCleanup> {
  const out: StagedCleanup = { dropped: [], kept: [] };
  for (const table of tables) {
    const { rows } = await knex.raw(`select relname from pg_class where relkind = 'r' and relname like ? order by relname`, [stagedPattern(table)]);
    for (const { relname } of rows as { relname: string }[]) {
      (await dropIfUnclaimed(knex, relname, relname.slice(table.length)) ? out.dropped : out.kept).push(relname);
    }
  }
  return out;
}

/**
 * Drop one staged table if no load claims its suffix, holding the claim meanwhile. Emptied first, which frees
 * its space at once: dropping a staged assets table drops its keys, which locks the tables they point at, and
 * a live load reads those until it commits; then the empty table waits for the next cleanup.
 */
async function dropIfUnclaimed(knex: Knex, relname: string, suffix: string): Promise<boolean> {
  return knex.transaction(async (trx) => {
    const { rows } = await trx.raw('select pg_try_advisory_xact_lock(?, hashtext(?)) as free', [STAGING_LOCK, suffix]);
    if (!rows[0].free) return false;
    await trx.raw(`set local lock_timeout = '${CLEANUP_LOCK_TIMEOUT}'`);
    /** Run a statement in a savepoint: false when it timed out waiting for a lock, true when done (or the table already gone). */
    const step = async (sql: string) => {
      try {
        await trx.transaction((sp) => sp.raw(sql));
        return true;
      } catch (err) {
        if (sqlState(err) === '42P01') return true;
        if (sqlState(err) === '55P03') return false;
        throw err;
      }
    };
    return (await step(`truncate ${ident(relname)}`)) && (await step(`drop table if exists ${ident(relname)}`));
  });
}

/** How long the swap waits at a time for readers to let go of the tables it replaces, and how many times, before it waits in line. */
const SWAP_LOCK_WAIT_MS = 500;
const SWAP_LOCK_TRIES = 20;

/**
 * Lock `tables` in ACCESS EXCLUSIVE mode for the swap. A request waiting for that lock holds up every reader
 * that comes after it, so behind a long reader (an export) it gives up after SWAP_LOCK_WAIT_MS, in a savepoint
 * (the locks taken in it go with it), lets the readers in line through and asks again; after SWAP_LOCK_TRIES
 * it waits as long as it takes, and the load finishes.
 */
async function lockForSwap(trx: Knex.Transaction, tables: readonly string[]): Promise<void> {
  const sql = `lock table ${tables.join(', ')} in access exclusive mode`;
  for (let attempt = 1; attempt < SWAP_LOCK_TRIES; attempt++) {
    try {
      await trx.transaction(async (sp) => {
        const { rows } = await sp.raw(`select current_setting('lock_timeout') as was`);
        await sp.raw(`set local lock_timeout = ${SWAP_LOCK_WAIT_MS}`);
        await sp.raw(sql);
        await sp.raw(`select set_config('lock_timeout', ?, true)`, [rows[0].was]);
      });
      return;
    } catch (err) {
      if (sqlState(err) !== '55P03') throw err;
      await new Promise((resolve) => setTimeout(resolve, SWAP_LOCK_WAIT_MS / 5));
    }
  }
  await trx.raw(sql);
}

/** Most connections a load uses beside its transaction at once (its three lanes while finishing). */
const SIDE_CONNECTIONS = 3;

/**
 * Connections for a load beside its transaction `trx`, from a pool of their own: requests that wait for the
 * load (edits of assets, each holding one of the server's connections meanwhile) can fill the server's pool,
 * and the load must not wait for them in turn. Each checks every second, while a statement runs, that this
 * process is still there (PostgreSQL 14 and later), so that a killed load's index builds stop rather than
 * hold its staged tables against the cleanup. Once `trx` has ended, `after` runs (on commit or on rollback)
 * and the pool closes.
 */
function sideConnections(db: Db, trx: Knex.Transaction, after: { committed: (side: Knex) => Promise<unknown>; rolledBack: (side: Knex) => Promise<unknown> }): Knex {
  const afterCreate = (conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) =>
    conn.query(`select set_config(name, '1s', false) from pg_settings where name = 'client_connection_check_interval'`).then(() => done(null, conn), (err: Error) => done(err, conn));
  const side = knexFactory({ client: 'pg', connection: db.knex.client.config.connection, pool: { min: 0, max: SIDE_CONNECTIONS, afterCreate } });
  trx.executionPromise
    .then(
      () => after.committed(side),
      () => after.rolledBack(side),
    )
    .catch(noop)
    .then(() => side.destroy())
    .catch(noop);
  return side;
}

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
  const suffix = await claimStaging(trx);
  // Whatever becomes of this transaction, the staged tables go: renamed into place on commit, dropped on rollback.
  const side = sideConnections(db, trx, { committed: async () => undefined, rolledBack: (s) => dropStaged(s, suffix) });
  // Only the pyramid's: this transaction holds the tables a staged assets table's keys point at (it dropped the asset keys).
  await dropDead(side, PYRAMID.map((t) => t.table));
  const staged = await stagePyramid(db, side, pyramid, suffix);
  await rebuilt;
  await swapInPyramid(trx, suffix, staged);
  onStep();
}

/** An index or key of a live table, to build on its staged copy. */
type Item = SuspendedIndexes['items'][number];

/** The indexes and keys of a live table, to build on its staged copy. */
async function itemsOf(knex: Knex, table: string): Promise<Item[]> {
  return (await sqlRebuildableIndexes(knex, table)).rows as Item[];
}

/**
 * Create `table` + `suffix` like the live table, with its settings but none of its indexes (in the
 * transaction that fills it, so that its COPY may freeze the rows).
 */
async function createStaged(trx: Knex.Transaction, table: string, suffix: string): Promise<void> {
  await trx.raw(`create table ${table}${suffix} (like ${table} including all excluding indexes)`);
  const { rows } = await trx.raw(`select coalesce(array_to_string(reloptions, ', '), '') as options from pg_class where oid = ?::regclass`, [table]);
  if (rows[0].options) await trx.raw(`alter table ${table}${suffix} set (${rows[0].options})`);
}

/** Build `items` on a staged table, one statement each, in one transaction of their own. */
function buildStaged(knex: Knex, table: string, suffix: string, items: Item[], onStep: () => void = noop): Promise<void> {
  return knex.transaction(async (t) => {
    await t.raw(`set local maintenance_work_mem = '512MB'`);
    for (const i of items) {
      await t.raw(stagedDefinition(i, `${table}${suffix}`, suffix));
      onStep();
    }
  });
}

/**
 * Write the pyramid on a connection of `side` into new tables named after the live ones plus `suffix`, with
 * the live tables' indexes, keys and settings, its rows frozen; committed, but read by nobody until swapped
 * in. Answers the indexes and keys built, by table.
 */
async function stagePyramid(db: Db, side: Knex, pyramid: CellPyramid, suffix: string): Promise<Map<string, Item[]>> {
  const built = new Map<string, Item[]>();
  await side.transaction(async (trx) => {
    for (const t of PYRAMID) {
      const items = await itemsOf(trx, t.table);
      const unbuildable = items.find((i) => !rebuildable(i, suffix));
      if (unbuildable) throw new Error(`cell pyramid: cannot stage ${t.table}, whose index or key ${unbuildable.name} this load does not rebuild`);
      await createStaged(trx, t.table, suffix);
      await copyBinaryInto(db, trx, `${t.table}${suffix}`, t.columns, t.chunks(pyramid), undefined, true);
      built.set(t.table, items);
    }
  });
  for (const t of PYRAMID) await buildStaged(side, t.table, suffix, built.get(t.table)!);
  return built;
}

/** In the load's transaction: replace each live pyramid table by its staged one. */
async function swapInPyramid(trx: Knex.Transaction, suffix: string, built: Map<string, Item[]>): Promise<void> {
  await lockForSwap(trx, PYRAMID.map((t) => t.table));
  for (const t of PYRAMID) await swapIn(trx, t.table, suffix, built.get(t.table)!);
}

/**
 * In the load's transaction: drop a live table and put its staged copy in its place, with the live names of
 * its indexes and keys (keys other than foreign ones were built as unique indexes: they become keys here).
 */
async function swapIn(trx: Knex.Transaction, table: string, suffix: string, items: Item[]): Promise<void> {
  await trx.raw(`drop table ${table}`);
  await trx.raw(`alter table ${table}${suffix} rename to ${table}`);
  for (const i of items) {
    const name = ident(`${i.name}${suffix}`);
    if (i.kind === 'index') await trx.raw(`alter index ${name} rename to ${ident(i.name)}`);
    else if (i.type === 'f') await trx.raw(`alter table ${table} rename constraint ${name} to ${ident(i.name)}`);
    else await trx.raw(`alter table ${table} add constraint ${ident(i.name)} ${PLAIN_KEY.exec(i.def)![1]} using index ${name}`);
  }
}

/** Drop a load's staged tables (after its transaction rolled back). */
async function dropStaged(knex: Knex, suffix: string): Promise<void> {
  await knex.raw(`drop table if exists ${['assets', ...PYRAMID.map((t) => t.table)].map((t) => `${t}${suffix}`).join(', ')}`);
}

/** A bulk load written beside the live assets table; see loadBeside. */
export interface LoadBeside {
  /** Steps finish reports: one per index or key, one for the pyramid, one for the swap. */
  steps: number;
  /** COPY rows (writeAssetTuple tuples) into the table beside. */
  copy(chunks: Iterable<{ data: Buffer; rows: number }>, onRows: (rows: number) => void): Promise<void>;
  /** Build the table's indexes and keys and the pyramid beside, then put them in place of the live tables, in the load's transaction. */
  finish(pyramid: CellPyramid, onStep: () => void): Promise<void>;
}

/** The head of an index definition as the catalog prints it: kind, name, table. */
const INDEX_HEAD = /^(CREATE (?:UNIQUE )?INDEX) \S+ ON \S+/;
/** A primary-key or unique constraint as the catalog prints it, when it is plain columns (the beside load builds it as a unique index). */
const PLAIN_KEY = /^(PRIMARY KEY|UNIQUE) (\([^()]+\))$/;
/** What the catalog says of assets besides rows and indexes (sqlAssetTableExtras). */
interface TableExtras {
  triggers: string[];
  grants: string[];
  /** COMMENT ON statement, or null without a comment. */
  comment: string | null;
  sequence: string;
  /** Tables the foreign keys point at. */
  references: string[];
}

/**
 * Start a bulk load of assets beside the live table, in the load's transaction `trx` (see the top of this
 * file); or answer why it cannot be loaded beside, for the caller to load in place. From here writers of
 * assets wait until the load commits. Existing assets are copied first, with their ids; new ones take ids
 * after the live sequence's. Whatever becomes of `trx`, the tables beside go: swapped in on commit, dropped
 * on rollback (and any left by a load that died, at the next load or server start).
 */
export async function loadBeside(db: Db, trx: Knex.Transaction): Promise<LoadBeside | string> {
  if (db.kind !== 'postgis') return 'the embedded database has one connection';
  // EXCLUSIVE, the strongest lock readers pass: the swap needs ACCESS EXCLUSIVE, and a weaker lock here (SHARE
  // ROW EXCLUSIVE) would let an edit lock its row (SELECT … FOR UPDATE) and then wait for this load to let it
  // write, while the swap waited for it to let go of its row lock: a deadlock. So edits wait here, before
  // holding anything on assets (patchAsset locks assets first), and the swap waits only for readers.
  await trx.raw('lock table assets in exclusive mode');
  const blockers = (await sqlSwapBlockers(trx)).rows[0].blockers as string[];
  if (blockers.length) return `the assets table has ${blockers.join(', ')}`;
  const items = await itemsOf(trx, 'assets');
  const suffix = await claimStaging(trx);
  const unbuildable = items.find((i) => !rebuildable(i, suffix));
  if (unbuildable) return `its index or key ${unbuildable.name} is not one this load rebuilds`;
  const extras = (await sqlAssetTableExtras(trx)).rows[0] as TableExtras;
  const staged = `assets${suffix}`;
  let stage: Knex.Transaction | undefined;
  const side = sideConnections(db, trx, {
    // The new tables have no statistics yet: gather them now rather than when autovacuum comes round.
    committed: (s) => s.raw(`analyze assets, ${PYRAMID.map((t) => t.table).join(', ')}`),
    rolledBack: async (s) => {
      if (stage && !stage.isCompleted()) await stage.rollback().catch(noop);
      await dropStaged(s, suffix);
    },
  });
  // On connections of their own and committed at once: dropping a staged table drops its foreign keys, which
  // locks the tables they point at, and this transaction reads them later (a wait that would never end).
  await dropDead(side, STAGED_TABLES);
  stage = await side.transaction();
  await createStaged(stage, 'assets', suffix);
  const next = (await stage.raw(`select nextval(?::regclass) as n`, [extras.sequence])).rows[0].n;
  await stage.raw(`select setval(pg_get_serial_sequence(?, 'id'), ?, false)`, [staged, next]);
  await stage.raw(`insert into ${staged} overriding system value select * from assets`);
  return {
    steps: items.length + 2,
    copy: (chunks, onRows) => copyAssetTuples(db, stage, chunks, onRows, staged, true),
    finish: async (pyramid, onStep) => {
      await stage.commit();
      for (const r of (await sqlTopAssetCells(trx)).rows) pyramid.addCellRow(r);
      // Three connections: the one-process (GiST) indexes, then the foreign keys; the B-trees (unique keys
      // among them, as unique indexes: a key added by ALTER TABLE would lock the other connection's builds
      // out); the pyramid.
      const btree = (i: Item) => (i.kind === 'index' ? / USING btree /.test(i.def) : i.type !== 'f');
      // All three end before a failure is passed on: the cleanup must not run while one still creates tables.
      const lanes = await Promise.allSettled([
        buildStaged(side, 'assets', suffix, items.filter((i) => !btree(i)).sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'index' ? -1 : 1)), onStep),
        buildStaged(side, 'assets', suffix, items.filter(btree), onStep),
        stagePyramid(db, side, pyramid, suffix).then((built) => (onStep(), built)),
      ]);
      for (const lane of lanes) if (lane.status === 'rejected') throw lane.reason;
      await swapInAssets(trx, suffix, items, extras);
      await swapInPyramid(trx, suffix, (lanes[2] as PromiseFulfilledResult<Map<string, Item[]>>).value);
      onStep();
    },
  };
}

/** Whether stagedDefinition can build `i` under a name of `suffix` (a name of PostgreSQL's 63 bytes at most). */
function rebuildable(i: Item, suffix: string): boolean {
  const readable = i.kind === 'index' ? INDEX_HEAD.test(i.def) : i.type === 'f' || PLAIN_KEY.test(i.def);
  return readable && Buffer.byteLength(i.name + suffix) <= 63;
}

/** The statement that builds index or key `i` on the staged table (keys other than foreign ones as unique indexes, made keys on swap). */
function stagedDefinition(i: Item, staged: string, suffix: string): string {
  const name = ident(`${i.name}${suffix}`);
  if (i.kind === 'index') return i.def.replace(INDEX_HEAD, (_, head: string) => `${head} ${name} ON ${staged}`);
  if (i.type === 'f') return `alter table ${staged} add constraint ${name} ${i.def}`;
  return `create unique index ${name} on ${staged} ${PLAIN_KEY.exec(i.def)![2]}`;
}

/**
 * In the load's transaction: put the staged assets table in place of the live one (swapIn), with the live
 * name of its id sequence, and its triggers, privileges and comment (what the staged copy did not take with LIKE).
 */
async function swapInAssets(trx: Knex.Transaction, suffix: string, items: Item[], extras: TableExtras): Promise<void> {
  // Dropping assets drops its foreign keys, which locks the tables they point at: take every lock at once.
  await lockForSwap(trx, [...extras.references, 'assets', ...PYRAMID.map((t) => t.table)]);
  await swapIn(trx, 'assets', suffix, items);
  const { rows } = await trx.raw(`select pg_get_serial_sequence('assets', 'id') as s`);
  await trx.raw(`alter sequence ${rows[0].s} rename to ${extras.sequence.split('.').pop()!}`);
  for (const statement of [...extras.triggers, ...extras.grants, ...(extras.comment ? [extras.comment] : [])]) await trx.raw(statement);
}
