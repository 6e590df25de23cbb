import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import type { InputCrs } from '../geo/crs.js';
import { Conflict, Invalid } from '../http/errors.js';
import { describeError } from '../http/problem.js';
import { finishBulkLoad, loadBeside, newCellPyramid, shouldLoadInBulk, startBulkLoad } from './bulk.js';
import type { CellPyramid } from './cell_pyramid.js';
import { BinaryRows, copyAssetTuples, writeAssetTuple } from './copy.js';
import { GridIndex } from './grid_index.js';
import { RowChecker, type GoodRow, type RowError } from './import_check.js';
import { countLines, readRows, type AssetFormat } from './import_read.js';
import { sqlExistingCodes, sqlStaleVersions } from './sql.js';

/**
 * Writing an asset file: its rows (read by import_read.ts, checked by import_check.ts) copied in one
 * transaction with their grid, all or nothing unless asked to skip the bad ones.
 */

/** Most row errors listed in a report (all are counted). */
export const MAX_LISTED_ERRORS = 1000;

/** What an import did (or would have done). */
export interface ImportResult {
  format: AssetFormat;
  rows: number;
  /** Rows that passed every check. */
  valid_rows: number;
  imported: number;
  error_count: number;
  errors: RowError[];
  grids: number;
  /** parse: setup and the first row; validate: checking, with the COPY running alongside; write: what follows it (indexes, pyramid, commit; or, when nothing is written, the file checked again in full for the report). */
  seconds: { parse: number; validate: number; write: number; total: number };
}

/** Phases reported to a progress callback. */
export type ImportPhase = 'parse' | 'validate' | 'write';

/** Options of one import. */
export interface ImportOptions {
  format: AssetFormat;
  /** Coordinate system of the positions (default WGS84). */
  crs?: InputCrs;
  /** Import the good rows and report the bad ones, instead of all-or-nothing. */
  skipInvalid?: boolean;
  /** Only check the rows. */
  dryRun?: boolean;
  /** Offices the importer may write to (the user's scope); all when absent. */
  offices?: Set<string>;
  /** Load in bulk (indexes rebuilt, pyramid summed in memory; see bulk.ts): by default when the file is large (shouldLoadInBulk). */
  bulk?: boolean;
  onProgress?: (phase: ImportPhase, done: number, total: number) => void;
}

const COPY_CHUNK = 20_000;

/** The good rows as binary COPY chunks, each row also added to the pyramid when one is given. */
function* copyChunks(rows: Iterable<GoodRow>, pyramid?: CellPyramid): Generator<{ data: Buffer; rows: number }> {
  const out = new BinaryRows();
  for (const r of rows) {
    writeAssetTuple(out, r);
    pyramid?.addPoint(r.lon, r.lat, r.category, r.status);
    if (out.rows === COPY_CHUNK) yield out.take();
  }
  if (out.rows) yield out.take();
}

/** Assets in the table, from the statistics when there are any (cheap), else counted. */
async function assetCount(knex: Knex): Promise<number> {
  const { rows } = await knex.raw(`select reltuples::float8 as n from pg_class where oid = 'assets'::regclass`);
  const n = Number(rows[0]?.n ?? -1);
  if (n >= 0) return n;
  return Number((await knex('assets').count({ n: '*' }))[0].n);
}

/** Thrown inside the import transaction to roll it back because some rows are bad. */
class RowsRejected extends Error {}

/**
 * Import assets from a file's text: read and check every row (category, status, coordinates, grid, scope,
 * duplicate codes in the file and in the database), then write them all in one transaction with their
 * grid, or nothing when any row is bad (unless skipInvalid). Rows are checked while the COPY runs, so the
 * database stores one chunk while the next is checked; a bad row stops the writing and the transaction is
 * rolled back. Duplicate codes show as the unique key failing; whenever the import fails, or on a dry run,
 * the file is checked again in full, so that the report lists every bad row, duplicates included.
 */
export async function importAssets(db: Db, text: string, options: ImportOptions): Promise<ImportResult> {
  const t0 = performance.now();
  const progress = options.onProgress ?? (() => undefined);
  const { knex } = db;
  const categories = new Map(
    ((await knex('asset_categories').select('code', 'department_code')) as { code: string; department_code: string | null }[]).map((c) => [c.code, c.department_code]),
  );
  const departments = new Set((await knex('departments').pluck('code')) as string[]);
  const index = await GridIndex.load(knex);
  if (index.size === 0) throw new Invalid('no_grids_in_force', 'There are no grids in force, so assets cannot be given a grid; load or publish the boundaries first.');

  progress('parse', 0, 1);
  const estimate = countLines(text);
  const raw = readRows(text, options.format);
  // The first row is read before anything is written: an unreadable file fails here, and so does an empty one.
  const head = raw.next();
  if (head.done) throw new Invalid('import_empty', 'The file holds no rows; send at least one asset.');
  progress('parse', 1, 1);
  const t1 = performance.now();

  const ctx = { categories, departments, index, crs: options.crs ?? 'wgs84', offices: options.offices };
  let total = estimate;
  const onChecked = (done: number) => progress('validate', done, Math.max(total, done));
  let check = new RowChecker(head.value, raw, ctx, onChecked);
  /** Rows that may be written after a full check: the good ones whose codes are new to the office. */
  let writable: GoodRow[] | undefined;
  /** Check the whole file again keeping the rows, and list codes repeated in it or already in the database. */
  const checkAll = async () => {
    check = new RowChecker(undefined, readRows(text, options.format), ctx, onChecked, true);
    check.drain();
    const existing = await existingCodes(knex, check.good);
    writable = [];
    for (const r of check.good) {
      if (existing.has(`${r.office}\u0000${r.code}`)) check.errors.push({ line: r.line, code: r.code, reason: `duplicate code ${r.code}: already in the database for office ${r.office}` });
      else writable.push(r);
    }
  };
  let t2 = t1;
  const result = (imported: number, t3: number): ImportResult => ({
    format: options.format,
    rows: check.rows,
    valid_rows: writable ? writable.length : check.goodRows,
    imported,
    error_count: check.errors.length,
    errors: check.errors.slice(0, MAX_LISTED_ERRORS),
    grids: writable ? new Set(writable.map((r) => r.grid)).size : check.versions.size,
    seconds: { parse: (t1 - t0) / 1000, validate: (t2 - t1) / 1000, write: (t3 - t2) / 1000, total: (t3 - t0) / 1000 },
  });
  const finishChecks = () => {
    check.errors.sort((a, b) => a.line - b.line);
    progress('validate', check.rows, check.rows);
  };

  if (options.dryRun) {
    await checkAll();
    finishChecks();
    t2 = performance.now();
    return result(0, t2);
  }

  const bulk = options.bulk ?? shouldLoadInBulk(estimate, await assetCount(knex));
  let written = 0;
  /** One attempt: COPY the rows (checked on the way on the first attempt), then finish in bulk or not. */
  const write = (source: Iterable<GoodRow>, versions: () => Iterable<number>) =>
    knex.transaction(async (trx) => {
      written = 0;
      // In bulk: beside the live table when it can be (readers go on), else in place.
      const beside = bulk ? await loadBeside(db, trx) : undefined;
      const load = typeof beside === 'object' ? beside : undefined;
      const suspended = bulk && !load ? await startBulkLoad(db, trx) : undefined;
      const pyramid = bulk ? await newCellPyramid(trx) : undefined;
      const onRows = (n: number) => {
        written += n;
      };
      if (load) await load.copy(copyChunks(source, pyramid), onRows);
      else await copyAssetTuples(db, trx, copyChunks(source, pyramid), onRows);
      finishChecks();
      t2 = performance.now();
      if (check.errors.length && !options.skipInvalid) throw new RowsRejected();
      const steps = load ? load.steps + 1 : suspended ? suspended.items.length + 2 : 1;
      let step = 0;
      const stepDone = () => progress('write', ++step, steps);
      progress('write', 0, steps);
      if (pyramid && load) await load.finish(pyramid, stepDone);
      else if (pyramid && suspended) await finishBulkLoad(db, trx, suspended, pyramid, stepDone);
      const stale = (await sqlStaleVersions(trx, [...versions()])).rows[0] as { n: number };
      if (Number(stale.n) > 0) throw new Conflict('import_boundaries_changed', 'The grid boundaries changed while importing (a plan was published); nothing was imported. Run the import again.');
      stepDone();
    });
  try {
    await write(check.writable(options.skipInvalid ?? false), () => check.versions);
  } catch (err) {
    if (err instanceof RowsRejected) {
      // Bad rows: nothing written. Report them all, duplicate codes included, as a dry run would.
      await checkAll();
      finishChecks();
      return result(0, performance.now());
    }
    // A category or department deleted meanwhile, or a deadlock with another change, answers as the error table
    // says (409 reference_missing, transaction_conflict). A repeated code is the one case handled here: the rows
    // are checked again to list each duplicate by its line, and the rest are imported when asked to.
    if (describeError(err)?.code !== 'already_exists') throw err;
    const before = check.errors.length;
    await checkAll();
    finishChecks();
    if (check.errors.length === before) {
      throw new Conflict('import_codes_taken', 'Another import wrote some of these asset codes meanwhile; nothing was imported. Run the import again.');
    }
    if (!options.skipInvalid) return result(0, performance.now());
    const rows = writable ?? [];
    total = rows.length;
    await write(rows, () => new Set(rows.map((r) => r.version)));
  }
  return result(written, performance.now());
}

/** The (office, code) keys of rows whose code the office already has. */
async function existingCodes(knex: Knex, rows: GoodRow[]): Promise<Set<string>> {
  const byOffice = new Map<string, string[]>();
  for (const r of rows) (byOffice.get(r.office) ?? byOffice.set(r.office, []).get(r.office)!).push(r.code);
  const existing = new Set<string>();
  for (const [office, codes] of byOffice) {
    for (let i = 0; i < codes.length; i += 100_000) {
      const { rows: found } = await sqlExistingCodes(knex, office, codes.slice(i, i + 100_000));
      for (const row of found as { code: string }[]) existing.add(`${office}\u0000${row.code}`);
    }
  }
  return existing;
}
