import { parse as parseCsv } from 'csv-parse/sync';
import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import { checkLonLat, toWgs84, type InputCrs } from '../geo/crs.js';
import { Conflict, Invalid } from '../http/errors.js';
import { copyAssets, toAssetCopyLine, type AssetCopyRow, type CopyChunk } from './copy.js';
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
  onProgress?: (phase: ImportPhase, done: number, total: number) => void;
}

/** A row as read from the file, before checks. */
interface RawRow {
  line: number;
  props: Record<string, unknown>;
  /** Position when the file gave one ([lon, lat]); an Error when it gave a bad one. */
  position: [number, number] | Error | undefined;
}

/** A row that passed every check: what COPY writes, and the line it came from. */
type GoodRow = AssetCopyRow & { line: number };

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
 * Read a FeatureCollection. When it is written one feature per line (as ogr2ogr and most tools do),
 * each row gets its line number; otherwise the whole text is parsed and rows are numbered by feature.
 */
function* readCollection(text: string): Generator<RawRow> {
  const lines = text.split('\n');
  const rows: RawRow[] = [];
  let lineWise = lines.length > 2;
  for (let i = 0; i < lines.length && lineWise; i++) {
    const s = lines[i].trim().replace(/,$/, '');
    if (!s.startsWith('{') || !s.includes('"Feature"') || s.includes('"FeatureCollection"')) continue;
    try {
      rows.push(featureRow(i + 1, JSON.parse(s)));
    } catch {
      lineWise = false;
    }
  }
  let fc: { type?: string; features?: unknown[] } | undefined;
  if (!lineWise || rows.length === 0) {
    try {
      fc = JSON.parse(text);
    } catch (err) {
      throw new Invalid(`The file is not valid JSON (${(err as Error).message}); send a GeoJSON FeatureCollection, GeoJSONSeq or CSV.`);
    }
    if (!fc || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
      throw new Invalid('The JSON is not a GeoJSON FeatureCollection; send {"type":"FeatureCollection","features":[…]} of Points.');
    }
    for (let i = 0; i < fc.features.length; i++) yield featureRow(i + 1, fc.features[i]);
    return;
  }
  yield* rows;
}

/**
 * Records of a CSV without any quote character: split on newlines and commas, which is what csv-parse
 * would answer, an order of magnitude faster on a million rows. Answers undefined when the text has quotes.
 */
function splitPlainCsv(text: string): { record: Record<string, string>; info: { lines: number } }[] | undefined {
  if (text.includes('"')) return undefined;
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const header = lines[0].replace(/\r$/, '').split(',').map((c) => c.trim().toLowerCase());
  const out: { record: Record<string, string>; info: { lines: number } }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '') continue;
    const cells = line.split(',');
    if (cells.length !== header.length) return undefined;
    const record: Record<string, string> = {};
    for (let c = 0; c < header.length; c++) record[header[c]] = cells[c].trim();
    out.push({ record, info: { lines: i + 1 } });
  }
  return out;
}

/** Read a CSV with a header: lon/lat (or longitude/latitude, x/y) columns, or a WKT POINT column. */
function* readCsv(text: string): Generator<RawRow> {
  let records = splitPlainCsv(text);
  if (!records) {
    try {
      records = parseCsv(text, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), info: true, bom: true, skip_empty_lines: true, trim: true }) as {
        record: Record<string, string>;
        info: { lines: number };
      }[];
    } catch (err) {
      throw new Invalid(`The CSV could not be read: ${(err as Error).message}. Send a header row and one asset per line.`);
    }
  }
  for (const { record, info } of records) {
    const props: Record<string, unknown> = {};
    let lon: string | undefined;
    let lat: string | undefined;
    let wkt: string | undefined;
    for (const [k, v] of Object.entries(record)) {
      if (k === 'lon' || k === 'longitude' || k === 'x' || k === 'lng') lon = v;
      else if (k === 'lat' || k === 'latitude' || k === 'y') lat = v;
      else if (k === 'wkt' || k === 'geom' || k === 'geometry') wkt = v;
      else props[k] = v;
    }
    let position: [number, number] | Error | undefined;
    if (wkt) {
      const m = /^\s*(?:SRID=\d+;)?POINT\s*\(\s*([^\s()]+)\s+([^\s()]+)\s*\)\s*$/i.exec(wkt);
      position = m ? [Number(m[1]), Number(m[2])] : new Error(`WKT "${wkt.slice(0, 40)}" is not a POINT(lon lat)`);
    } else if (lon !== undefined || lat !== undefined) {
      position = lon && lat ? [Number(lon), Number(lat)] : new Error('lon and lat are both required');
    }
    yield { line: info.lines, props, position };
  }
}

/** Rows of a file in the given format. */
export function readRows(text: string, format: AssetFormat): Generator<RawRow> {
  if (format === 'csv') return readCsv(text);
  if (format === 'geojsonseq') return readSeq(text);
  return readCollection(text);
}

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v).trim());
const KNOWN = new Set(['code', 'category_code', 'category', 'status', 'department_code', 'attrs']);

/** Check one row; answers the good row or the reason it is bad. */
function checkRow(
  raw: RawRow,
  ctx: { categories: Map<string, string | null>; departments: Set<string>; index: GridIndex; crs: InputCrs; offices?: Set<string> },
): GoodRow | RowError {
  const code = str(raw.props.code);
  const bad = (reason: string): RowError => ({ line: raw.line, code: code || null, reason });
  if (raw.position instanceof Error) return bad(`bad coordinates: ${raw.position.message}`);
  if (!code) return bad('no code: every asset needs its code (unique in its office)');
  if (code.length > 64) return bad('code is longer than 64 characters');
  const category = str(raw.props.category_code ?? raw.props.category);
  if (!category) return bad('no category_code');
  if (!ctx.categories.has(category)) return bad(`unknown category ${category}; see GET /api/asset-categories`);
  const status = str(raw.props.status) || 'normal';
  if (!(ASSET_STATUSES as readonly string[]).includes(status)) return bad(`unknown status ${status}; use one of ${ASSET_STATUSES.join(', ')}`);
  const department = str(raw.props.department_code) || ctx.categories.get(category) || null;
  if (department && !ctx.departments.has(department)) return bad(`unknown department ${department}`);
  if (!raw.position) return bad('bad coordinates: no position (give lon and lat, a WKT POINT, or a Point geometry)');
  const [x, y] = raw.position;
  if (!Number.isFinite(x) || !Number.isFinite(y)) return bad('bad coordinates: lon and lat must be numbers');
  const problems: string[] = [];
  checkLonLat(x, y, (m) => problems.push(m));
  if (problems.length) return bad(`bad coordinates: ${problems.join('; ')}`);
  const [lon, lat] = toWgs84(x, y, ctx.crs);
  const grid = ctx.index.locate(lon, lat);
  if (!grid) return bad(`outside every grid: [${lon.toFixed(6)}, ${lat.toFixed(6)}] (WGS84) is in no grid in force`);
  if (ctx.offices && !ctx.offices.has(grid.office_code)) return bad(`outside your scope: the point is in office ${grid.office_code}`);
  let attrs: Record<string, unknown> = {};
  if (raw.props.attrs && typeof raw.props.attrs === 'object' && !Array.isArray(raw.props.attrs)) attrs = { ...(raw.props.attrs as Record<string, unknown>) };
  for (const [k, v] of Object.entries(raw.props)) if (!KNOWN.has(k) && v !== '' && v !== null && v !== undefined) attrs[k] = v;
  return { line: raw.line, office: grid.office_code, code, category, status, department, grid: grid.code, version: grid.id, attrs, lon, lat };
}

const COPY_CHUNK = 20_000;

/** The good rows as COPY text chunks. */
function* copyChunks(rows: GoodRow[]): Generator<CopyChunk> {
  for (let i = 0; i < rows.length; i += COPY_CHUNK) {
    const part = rows.slice(i, i + COPY_CHUNK);
    yield { text: `${part.map(toAssetCopyLine).join('\n')}\n`, rows: part.length };
  }
}

/**
 * Import assets from a file's text: read and check every row (category, status, coordinates, grid, scope,
 * duplicate codes in the file and in the database), then write them all in one transaction with their
 * grid, or nothing when any row is bad (unless skipInvalid).
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
  if (index.size === 0) throw new Invalid('There are no grids in force, so assets cannot be given a grid; load or publish the boundaries first.');

  progress('parse', 0, 1);
  const rawRows = [...readRows(text, options.format)];
  if (rawRows.length > MAX_IMPORT_ROWS) {
    throw new Invalid(`The file has ${rawRows.length.toLocaleString('en')} rows; one import takes at most ${MAX_IMPORT_ROWS.toLocaleString('en')}. Split it.`);
  }
  if (rawRows.length === 0) throw new Invalid('The file holds no rows; send at least one asset.');
  progress('parse', 1, 1);
  const t1 = performance.now();

  const ctx = { categories, departments, index, crs: options.crs ?? 'wgs84', offices: options.offices };
  const good: GoodRow[] = [];
  const errors: RowError[] = [];
  const firstLine = new Map<string, number>();
  for (let i = 0; i < rawRows.length; i++) {
    const r = checkRow(rawRows[i], ctx);
    if ('reason' in r) {
      errors.push(r);
    } else {
      const key = `${r.office}\u0000${r.code}`;
      const first = firstLine.get(key);
      if (first !== undefined) errors.push({ line: r.line, code: r.code, reason: `duplicate code ${r.code}: also on line ${first}` });
      else {
        firstLine.set(key, r.line);
        good.push(r);
      }
    }
    if (i % 50_000 === 0) progress('validate', i, rawRows.length);
  }
  // Codes already in the database. On the clean path the unique key finds them during the COPY (a
  // lookup of a million codes first would cost as much again); when the file has bad rows anyway, or
  // on a dry run, or when the COPY hits the key, look them up so that the report lists every one.
  let writable = good;
  const markExisting = async () => {
    const existing = await existingCodes(knex, good);
    if (existing.size === 0) return;
    writable = [];
    for (const r of good) {
      if (existing.has(`${r.office}\u0000${r.code}`)) errors.push({ line: r.line, code: r.code, reason: `duplicate code ${r.code}: already in the database for office ${r.office}` });
      else writable.push(r);
    }
  };
  if (errors.length || options.dryRun) await markExisting();
  errors.sort((a, b) => a.line - b.line);
  progress('validate', rawRows.length, rawRows.length);
  const t2 = performance.now();

  const result = (imported: number, t3: number): ImportResult => ({
    format: options.format,
    rows: rawRows.length,
    valid_rows: writable.length,
    imported,
    error_count: errors.length,
    errors: errors.slice(0, MAX_LISTED_ERRORS),
    grids: new Set(writable.map((r) => r.grid)).size,
    seconds: { parse: (t1 - t0) / 1000, validate: (t2 - t1) / 1000, write: (t3 - t2) / 1000, total: (t3 - t0) / 1000 },
  });
  if (options.dryRun || (errors.length && !options.skipInvalid)) return result(0, performance.now());

  let written = 0;
  const write = () =>
    knex.transaction(async (trx) => {
      written = 0;
      await copyAssets(db, trx, copyChunks(writable), (n) => {
        written += n;
        progress('write', written, writable.length);
      });
      const versions = [...new Set(writable.map((r) => r.version))];
      const stale = (await sqlStaleVersions(trx, versions)).rows[0] as { n: number };
      if (Number(stale.n) > 0) throw new Conflict('The grid boundaries changed while importing (a plan was published); nothing was imported. Run the import again.');
    });
  try {
    await write();
  } catch (err) {
    if ((err as { code?: string }).code !== '23505') throw err;
    // Some codes are already in the database: list them by line; import the rest only when asked to.
    const before = errors.length;
    await markExisting();
    if (errors.length === before) throw new Conflict('Another import wrote some of these asset codes meanwhile; nothing was imported. Run the import again.');
    errors.sort((a, b) => a.line - b.line);
    if (!options.skipInvalid) return result(0, performance.now());
    await write();
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
