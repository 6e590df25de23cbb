import { isUtf8 } from 'node:buffer';
import { parse as parseCsv } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { checkLonLat, toWgs84, type InputCrs } from '../geo/crs.js';
import { Conflict, Invalid, UnsupportedMedia } from '../http/errors.js';
import { describeError } from '../http/problem.js';
import { finishBulkLoad, loadBeside, newCellPyramid, shouldLoadInBulk, startBulkLoad } from './bulk.js';
import type { CellPyramid } from './cell_pyramid.js';
import { BinaryRows, copyAssetTuples, writeAssetTuple, type AssetCopyRow } from './copy.js';
import { GridIndex } from './grid_index.js';
import { ASSET_STATUSES, sqlExistingCodes, sqlStaleVersions } from './sql.js';

/** Formats the importer reads. */
export const ASSET_FORMATS = ['geojson', 'geojsonseq', 'csv'] as const;
export type AssetFormat = (typeof ASSET_FORMATS)[number];

/** Most rows one import may hold. */
export const MAX_IMPORT_ROWS = 1_000_000;
/** Most row errors listed in a report (all are counted). */
export const MAX_LISTED_ERRORS = 1000;

/** A bad row: where it is in the file, its code when it has one, and what is wrong. */
export interface RowError {
  line: number;
  code: string | null;
  reason: string;
}

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

/** A row as read from the file, before checks. */
interface RawRow {
  line: number;
  props: Record<string, unknown>;
  /** Position when the file gave one ([lon, lat]); an Error when it gave a bad one. */
  position: [number, number] | Error | undefined;
  /** What makes the line unreadable as a row (a CSV line with too few or too many cells). */
  problem?: string;
}

/** A row that passed every check: what COPY writes, and the line it came from. */
type GoodRow = AssetCopyRow & { line: number };

/** Files people send instead of their text, by their first bytes: what it is and what to send instead. */
const NOT_TEXT: [magic: string, what: string][] = [
  ['504b0304', 'a zip file (an Excel .xlsx workbook or a zipped Shapefile): save the sheet as CSV (UTF-8) and send that'],
  ['d0cf11e0', 'an Excel .xls workbook: save the sheet as CSV (UTF-8) and send that'],
  ['53514c69746520666f726d61742033', 'an SQLite database (a GeoPackage?): export the layer as GeoJSON or CSV and send that'],
  ['25504446', 'a PDF'],
  ['89504e47', 'a PNG image'],
  ['ffd8ff', 'a JPEG image'],
];

/**
 * The text of an uploaded or read asset file: UTF-8 (a byte-order mark is left for the readers to skip),
 * UTF-16 with its byte-order mark (Excel's "Unicode text"), else GB18030, which is what Excel and most
 * Chinese tools write a CSV in when not told UTF-8 (GBK is a subset). A workbook, an image or any file with
 * NUL bytes is refused, saying what it looks like, instead of being read as rows of garbage.
 */
export function decodeImportFile(bytes: Buffer): string {
  const head = bytes.subarray(0, 16).toString('hex');
  if (head.startsWith('fffe')) return iconv.decode(bytes, 'utf-16le');
  if (head.startsWith('feff')) return iconv.decode(bytes, 'utf-16be');
  const known = NOT_TEXT.find(([magic]) => head.startsWith(magic));
  const params = { accepted: ['CSV', 'GeoJSON', 'GeoJSONSeq'] };
  if (known) throw new UnsupportedMedia('file_type_unsupported', `The file is ${known[1]}; assets are imported from CSV, GeoJSON or GeoJSONSeq text.`, { params });
  if (bytes.subarray(0, 65_536).includes(0)) {
    throw new UnsupportedMedia('file_type_unsupported', 'The file is not text (it holds NUL bytes); assets are imported from CSV, GeoJSON or GeoJSONSeq text.', { params });
  }
  return isUtf8(bytes) ? bytes.toString('utf8') : iconv.decode(bytes, 'gb18030');
}

/** Guess the format from a file name, a media type and the first bytes. */
export function detectFormat(name: string | undefined, mediaType: string | undefined, head: string): AssetFormat {
  const n = (name ?? '').toLowerCase();
  const t = (mediaType ?? '').toLowerCase();
  if (n.endsWith('.csv') || t.includes('csv')) return 'csv';
  if (n.endsWith('.geojsonl') || n.endsWith('.geojsons') || n.endsWith('.ndjson') || n.endsWith('.jsonl') || t.includes('geo+json-seq') || t.includes('ndjson')) return 'geojsonseq';
  const s = head.replace(/^\uFEFF/, '').trimStart();
  if (s.startsWith('\u001e')) return 'geojsonseq';
  if (s.startsWith('{')) {
    const firstLine = s.split('\n', 1)[0].trim();
    if (/"type"\s*:\s*"Feature"/.test(firstLine) && !/"FeatureCollection"/.test(firstLine) && firstLine.endsWith('}')) return 'geojsonseq';
    return 'geojson';
  }
  if (n.endsWith('.geojson') || n.endsWith('.json') || t.includes('json')) return 'geojson';
  return 'csv';
}

/** A GeoJSON Point geometry as [lon, lat], or an Error saying what is wrong. */
function pointOf(geometry: unknown): [number, number] | Error {
  const g = geometry as { type?: string; coordinates?: unknown } | null;
  if (!g || g.type !== 'Point' || !Array.isArray(g.coordinates)) return new Error(`geometry must be a GeoJSON Point, got ${g?.type ?? 'none'}`);
  const [x, y] = g.coordinates as unknown[];
  if (typeof x !== 'number' || typeof y !== 'number') return new Error('the Point needs numeric [lon, lat] coordinates');
  return [x, y];
}

/** Rows of a GeoJSON Feature, or an error row. */
function featureRow(line: number, value: unknown): RawRow {
  const f = value as { type?: string; properties?: Record<string, unknown> | null; geometry?: unknown } | null;
  if (!f || f.type !== 'Feature') return { line, props: {}, position: new Error('not a GeoJSON Feature') };
  return { line, props: f.properties ?? {}, position: pointOf(f.geometry) };
}

/** Read GeoJSONSeq (RFC 8142) or newline-delimited features: one Feature per line. */
function* readSeq(text: string): Generator<RawRow> {
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const s = text.slice(start, end).replace(/^[\u001e\uFEFF]+/, '').trim();
    start = end + 1;
    if (s === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch {
      yield { line, props: {}, position: new Error('the line is not valid JSON') };
      continue;
    }
    yield featureRow(line, value);
  }
}

/**
 * Read a FeatureCollection. When it is written one feature per line (as ogr2ogr and most tools do), it is
 * read line by line as it goes (the rows feed the COPY while the rest is read), each row numbered by its
 * line; a feature line that is not whole JSON is then a bad row. That is decided by the first line that
 * looks like a feature: when it does not parse on its own, the file is parsed whole and rows are numbered
 * by feature.
 */
function* readCollection(text: string): Generator<RawRow> {
  let lineWise: boolean | undefined;
  for (let start = 0, line = 1; start < text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const s = text.slice(start, end).trim().replace(/,$/, '');
    start = end + 1;
    if (!s.startsWith('{') || !s.includes('"Feature"') || s.includes('"FeatureCollection"')) continue;
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch {
      if (lineWise === undefined) {
        lineWise = false;
        break;
      }
      yield { line, props: {}, position: undefined, problem: 'the line is not a whole GeoJSON Feature (this file has one feature per line: each must be complete JSON on its line)' };
      continue;
    }
    lineWise = true;
    yield featureRow(line, value);
  }
  if (lineWise) return;
  let fc: { type?: string; features?: unknown[] } | undefined;
  try {
    fc = JSON.parse(text);
  } catch (err) {
    throw new Invalid('file_not_json', `The file is not valid JSON (${(err as Error).message}); send a GeoJSON FeatureCollection, GeoJSONSeq or CSV.`);
  }
  if (!fc || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    throw new Invalid('not_feature_collection', 'The JSON is not a GeoJSON FeatureCollection; send {"type":"FeatureCollection","features":[…]} of Points.');
  }
  for (let i = 0; i < fc.features.length; i++) yield featureRow(i + 1, fc.features[i]);
}

/** Where a CSV column goes: the position's parts, or a property under its (lower-case) name. */
type CsvRole = 'lon' | 'lat' | 'wkt' | string;

const csvRole = (column: string): CsvRole => {
  if (column === 'lon' || column === 'longitude' || column === 'x' || column === 'lng') return 'lon';
  if (column === 'lat' || column === 'latitude' || column === 'y') return 'lat';
  if (column === 'wkt' || column === 'geom' || column === 'geometry') return 'wkt';
  return column;
};

/** A CSV record (cells by column) as a row: lon/lat or WKT into the position, the rest into properties. */
function csvRow(line: number, header: string[], roles: CsvRole[], cells: string[]): RawRow {
  const props: Record<string, unknown> = {};
  let lon: string | undefined;
  let lat: string | undefined;
  let wkt: string | undefined;
  for (let c = 0; c < roles.length; c++) {
    const role = roles[c];
    const v = cells[c];
    if (role === 'lon') lon = v;
    else if (role === 'lat') lat = v;
    else if (role === 'wkt') wkt = v;
    else props[header[c]] = v;
  }
  let position: [number, number] | Error | undefined;
  if (wkt) {
    const m = /^\s*(?:SRID=\d+;)?POINT\s*\(\s*([^\s()]+)\s+([^\s()]+)\s*\)\s*$/i.exec(wkt);
    position = m ? [Number(m[1]), Number(m[2])] : new Error(`WKT "${wkt.slice(0, 40)}" is not a POINT(lon lat)`);
  } else if (lon !== undefined || lat !== undefined) {
    position = lon && lat ? [Number(lon), Number(lat)] : new Error('lon and lat are both required');
  }
  return { line, props, position };
}

/**
 * Rows of a CSV without any quote character: split on newlines and commas as they are read, which is what
 * csv-parse would answer, an order of magnitude faster on a million rows; a line with another number of cells
 * than the header is a bad row. Answers undefined when the text has quotes (csv-parse then reads it).
 */
function plainCsvRows(text: string): Generator<RawRow> | undefined {
  if (text.includes('"')) return undefined;
  const body = text.replace(/^\uFEFF/, '');
  let end = body.indexOf('\n');
  if (end < 0) end = body.length;
  const header = body.slice(0, end).replace(/\r$/, '').split(',').map((c) => c.trim().toLowerCase());
  const width = header.length;
  const roles = header.map(csvRole);
  const codeColumn = header.indexOf('code');
  return (function* () {
    for (let start = end + 1, line = 2; start < body.length; line++) {
      let e = body.indexOf('\n', start);
      if (e < 0) e = body.length;
      const s = body.slice(start, body.charCodeAt(e - 1) === 13 ? e - 1 : e);
      start = e + 1;
      if (s.trim() === '') continue;
      const cells = s.split(',');
      if (cells.length !== width) {
        // Its code, when it has one where the header says, so that the report names the asset.
        const props = codeColumn >= 0 && codeColumn < cells.length ? { code: cells[codeColumn] } : {};
        yield { line, props, position: undefined, problem: `the line has ${cells.length} cells and the header ${width}: ${header.join(',')}` };
        continue;
      }
      for (let c = 0; c < width; c++) cells[c] = cells[c].trim();
      yield csvRow(line, header, roles, cells);
    }
  })();
}

/** Read a CSV with a header: lon/lat (or longitude/latitude, x/y) columns, or a WKT POINT column. */
function* readCsv(text: string): Generator<RawRow> {
  const plain = plainCsvRows(text);
  if (plain) {
    yield* plain;
    return;
  }
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parseCsv(text, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), info: true, bom: true, skip_empty_lines: true, trim: true }) as {
      record: Record<string, string>;
      info: { lines: number };
    }[];
  } catch (err) {
    throw new Invalid('csv_unreadable', `The CSV could not be read: ${(err as Error).message}. Send a header row and one asset per line.`);
  }
  if (records.length === 0) return;
  const header = Object.keys(records[0].record);
  const roles = header.map(csvRole);
  for (const { record, info } of records) yield csvRow(info.lines, header, roles, header.map((h) => record[h]));
}

/** Rows of a file in the given format. */
export function readRows(text: string, format: AssetFormat): Generator<RawRow> {
  if (format === 'csv') return readCsv(text);
  if (format === 'geojsonseq') return readSeq(text);
  return readCollection(text);
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : v === null || v === undefined ? '' : String(v).trim());
/** The attributes of every row that has none (one object for all of them: a million rows hold no garbage). */
const NO_ATTRS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
const KNOWN = new Set(['code', 'category_code', 'category', 'status', 'department_code', 'attrs']);

/** What checkRow needs besides the row: the dictionaries, the grids, the positions' system and the user's scope. */
interface CheckContext {
  categories: Map<string, string | null>;
  departments: Set<string>;
  index: GridIndex;
  crs: InputCrs;
  offices?: Set<string>;
}

/** A row's fields as text, trimmed, with the defaults applied (status normal, the category's department). */
interface RowFields {
  code: string;
  category: string;
  status: string;
  department: string | null;
}

/** Check one row; answers the good row or the reason it is bad. */
function checkRow(raw: RawRow, ctx: CheckContext): GoodRow | RowError {
  const props = raw.props;
  const category = str(props.category_code ?? props.category);
  const f: RowFields = { code: str(props.code), category, status: str(props.status) || 'normal', department: str(props.department_code) || ctx.categories.get(category) || null };
  const reason = badReason(raw, f, ctx);
  if (reason !== undefined) return { line: raw.line, code: f.code || null, reason };
  const [x, y] = raw.position as [number, number];
  const [lon, lat] = ctx.crs === 'wgs84' || ctx.crs === 'cgcs2000' ? [x, y] : toWgs84(x, y, ctx.crs);
  const grid = ctx.index.locate(lon, lat);
  if (!grid) return { line: raw.line, code: f.code, reason: `outside every grid: [${lon.toFixed(6)}, ${lat.toFixed(6)}] (WGS84) is in no grid in force` };
  if (ctx.offices && !ctx.offices.has(grid.office_code)) return { line: raw.line, code: f.code, reason: `outside your scope: the point is in office ${grid.office_code}` };
  let attrs = NO_ATTRS;
  if (props.attrs && typeof props.attrs === 'object' && !Array.isArray(props.attrs)) attrs = { ...(props.attrs as Record<string, unknown>) };
  for (const k in props) {
    const v = props[k];
    if (KNOWN.has(k) || v === '' || v === null || v === undefined) continue;
    if (attrs === NO_ATTRS) attrs = {};
    attrs[k] = v;
  }
  return { line: raw.line, office: grid.office_code, code: f.code, category, status: f.status, department: f.department, grid: grid.code, version: grid.id, attrs, lon, lat };
}

/** What is wrong with a row before its grid is looked up, or undefined. */
function badReason(raw: RawRow, f: RowFields, ctx: CheckContext): string | undefined {
  if (raw.problem) return raw.problem;
  if (raw.position instanceof Error) return `bad coordinates: ${raw.position.message}`;
  if (!f.code) return 'no code: every asset needs its code (unique in its office)';
  if (f.code.length > 64) return 'code is longer than 64 characters';
  if (!f.category) return 'no category_code';
  if (!ctx.categories.has(f.category)) return `unknown category ${f.category}; see GET /api/asset-categories`;
  if (!(ASSET_STATUSES as readonly string[]).includes(f.status)) return `unknown status ${f.status}; use one of ${ASSET_STATUSES.join(', ')}`;
  if (f.department && !ctx.departments.has(f.department)) return `unknown department ${f.department}`;
  if (!raw.position) return 'bad coordinates: no position (give lon and lat, a WKT POINT, or a Point geometry)';
  const [x, y] = raw.position;
  if (!Number.isFinite(x) || !Number.isFinite(y)) return 'bad coordinates: lon and lat must be numbers';
  if (x >= -180 && x <= 180 && y >= -90 && y <= 90) return undefined;
  const problems: string[] = [];
  checkLonLat(x, y, (m) => problems.push(m));
  return problems.length ? `bad coordinates: ${problems.join('; ')}` : undefined;
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

/** Lines of a text: about its rows in CSV, GeoJSONSeq and a FeatureCollection written one feature per line. */
function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Assets in the table, from the statistics when there are any (cheap), else counted. */
async function assetCount(knex: Knex): Promise<number> {
  const { rows } = await knex.raw(`select reltuples::float8 as n from pg_class where oid = 'assets'::regclass`);
  const n = Number(rows[0]?.n ?? -1);
  if (n >= 0) return n;
  return Number((await knex('assets').count({ n: '*' }))[0].n);
}

/**
 * Rows checked one by one as they are read (category, status, coordinates, grid, scope), so that checking can
 * feed a COPY. Streaming, it keeps only the reasons of the bad rows and the grid versions of the good ones:
 * duplicate codes are left to the unique key, and a report that must list them checks the file again with
 * `keep` (see checkAll). Kept, the good rows are also checked for codes repeated in the file.
 */
class RowChecker {
  rows = 0;
  goodRows = 0;
  readonly good: GoodRow[] = [];
  readonly errors: RowError[] = [];
  /** Grid versions of the good rows (one per grid). */
  readonly versions = new Set<number>();
  /** Line of each code by office, for duplicates in the file (when keeping rows). */
  private readonly firstLine = new Map<string, Map<string, number>>();

  constructor(
    private head: RawRow | undefined,
    private readonly raw: Iterator<RawRow>,
    private readonly ctx: CheckContext,
    private readonly progress: (done: number) => void,
    private readonly keep = false,
  ) {}

  /** Check the next row; answers it when it is good, undefined when it is bad, null after the last row. */
  private next(): GoodRow | undefined | null {
    let row = this.head;
    this.head = undefined;
    if (!row) {
      const it = this.raw.next();
      if (it.done) return null;
      row = it.value;
    }
    if (++this.rows > MAX_IMPORT_ROWS) {
      const max = MAX_IMPORT_ROWS.toLocaleString('en');
      throw new Invalid('import_too_many_rows', `The file has more than ${max} rows; one import takes at most ${max}. Split it.`, { params: { max_rows: MAX_IMPORT_ROWS } });
    }
    if (this.rows % 50_000 === 0) this.progress(this.rows);
    const r = checkRow(row, this.ctx);
    if ('reason' in r) {
      this.errors.push(r);
      return undefined;
    }
    if (this.keep) {
      let lines = this.firstLine.get(r.office);
      if (!lines) this.firstLine.set(r.office, (lines = new Map()));
      const first = lines.get(r.code);
      if (first !== undefined) {
        this.errors.push({ line: r.line, code: r.code, reason: `duplicate code ${r.code}: also on line ${first}` });
        return undefined;
      }
      lines.set(r.code, r.line);
      this.good.push(r);
    }
    this.goodRows++;
    this.versions.add(r.version);
    return r;
  }

  /** Check every row; yields the good ones while they may be written: all of them, or until the first bad row. */
  *writable(allGood: boolean): Generator<GoodRow> {
    for (let r = this.next(); r !== null; r = this.next()) if (r && (allGood || this.errors.length === 0)) yield r;
  }

  /** Check the rows not checked yet. */
  drain(): void {
    while (this.next() !== null);
  }
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
