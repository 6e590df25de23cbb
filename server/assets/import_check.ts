import { checkLonLat, toWgs84, type InputCrs } from '../geo/crs.js';
import { Invalid } from '../http/errors.js';
import type { AssetCopyRow } from './copy.js';
import type { GridIndex } from './grid_index.js';
import type { RawRow } from './import_read.js';
import { attrsProblem } from './schema.js';
import { ASSET_STATUSES } from './sql.js';

/**
 * Checking the rows of an asset file one by one, as they are read: code, category, status, department,
 * coordinates, the grid in force at the position and the user's scope. A good row is what COPY writes; a bad
 * one is its line and the reason, in words that say what to fix.
 */

/** Most rows one import may hold. */
export const MAX_IMPORT_ROWS = 1_000_000;

/** A bad row: where it is in the file, its code when it has one, and what is wrong. */
export interface RowError {
  line: number;
  code: string | null;
  reason: string;
}

/** A row that passed every check: what COPY writes, and the line it came from. */
export type GoodRow = AssetCopyRow & { line: number };

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : v === null || v === undefined ? '' : String(v).trim());
/** The attributes of every row that has none (one object for all of them: a million rows hold no garbage). */
const NO_ATTRS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
const KNOWN = new Set(['code', 'category_code', 'category', 'status', 'department_code', 'attrs']);

/** What checkRow needs besides the row: the dictionaries, the grids, the positions' system and the user's scope. */
export interface CheckContext {
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
  const tooMuch = attrsProblem(attrs);
  if (tooMuch) return { line: raw.line, code: f.code, reason: tooMuch };
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

/**
 * Rows checked one by one as they are read (category, status, coordinates, grid, scope), so that checking can
 * feed a COPY. Streaming, it keeps only the reasons of the bad rows and the grid versions of the good ones:
 * duplicate codes are left to the unique key, and a report that must list them checks the file again with
 * `keep` (see checkAll). Kept, the good rows are also checked for codes repeated in the file.
 */
export class RowChecker {
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
