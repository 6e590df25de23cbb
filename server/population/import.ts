import { parse } from 'csv-parse/sync';
import type { Knex } from 'knex';
import type { SessionUser } from '../auth/store.js';
import { Invalid, Unprocessable, UnsupportedMedia } from '../http/errors.js';
import { decodeText } from '../http/text.js';
import { readFirstSheet } from '../http/xlsx.js';
import { storedIdNumber } from './pii.js';
import { IMPORT_COLUMNS, IMPORT_ROWS, type ImportKind } from './schema.js';
import { populationGrids } from './access.js';
import { sqlGridsAtPoints, sqlLogAccess, sqlWhereGrid } from './sql.js';

/** Most rows one import may hold. */
export const MAX_IMPORT_ROWS = 50_000;

/** A problem with one cell (or one row, column '') of an import; row 2 is the first under the header. */
export interface RowError {
  row: number;
  column: string;
  message: string;
}

/** Read the rows of an uploaded CSV (decoded as every upload is: UTF-8, UTF-16 or GB18030) or XLSX (first sheet) as header → text. */
export async function readTable(file: { buffer: Buffer; originalname: string; mimetype: string }): Promise<Record<string, string>[]> {
  const name = file.originalname.toLowerCase();
  const isXlsx = name.endsWith('.xlsx') || file.mimetype.includes('spreadsheetml') || file.buffer.subarray(0, 2).toString('latin1') === 'PK';
  if (isXlsx) return readXlsx(file.buffer);
  if (name.endsWith('.csv') || file.mimetype.startsWith('text/') || file.mimetype === 'application/octet-stream') return readCsv(file.buffer);
  throw new UnsupportedMedia('file_type_unsupported', 'Upload a .csv (UTF-8) or .xlsx file in the form field "file".', { params: { accepted: ['.csv', '.xlsx'] } });
}

function readCsv(buffer: Buffer): Record<string, string>[] {
  try {
    return parse(decodeText(buffer), { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), bom: true, skip_empty_lines: true, trim: true, relax_column_count: false });
  } catch (err) {
    throw new Invalid('csv_unreadable', `The CSV could not be read: ${(err as Error).message.split('\n')[0]}. Save it as CSV with a header row.`);
  }
}

/** The 400 for a file of more rows than one import takes. */
function tooManyRows(detail: string): Invalid<'import_too_many_rows'> {
  return new Invalid('import_too_many_rows', `${detail}; split it into files of at most ${MAX_IMPORT_ROWS}.`, { params: { max_rows: MAX_IMPORT_ROWS } });
}

/**
 * The rows of the first sheet under its header (row 1), empty rows skipped, read as the sheet inflates
 * and stopped at the first row past MAX_IMPORT_ROWS, so that a workbook costs what one import may hold.
 */
async function readXlsx(buffer: Buffer): Promise<Record<string, string>[]> {
  const header: string[] = [];
  const rows: Record<string, string>[] = [];
  for await (const { row, cells } of readFirstSheet(buffer)) {
    if (row === 1) {
      cells.forEach((c, col) => {
        header[col] = c.trim().toLowerCase();
      });
      continue;
    }
    if (!cells.some((c) => c !== '')) continue;
    if (rows.length === MAX_IMPORT_ROWS) throw tooManyRows(`The sheet has more than ${MAX_IMPORT_ROWS} rows`);
    const rec: Record<string, string> = {};
    header.forEach((h, col) => {
      if (h) rec[h] = (cells[col] ?? '').trim();
    });
    rows.push(rec);
  }
  return rows;
}

/** Validate rows against the kind's schema; messages name the column and what is expected, never echo personal values. */
export function validateRows(kind: ImportKind, rows: Record<string, string>[]) {
  const schema = IMPORT_ROWS[kind];
  const errors: RowError[] = [];
  const parsed: { row: number; value: Record<string, unknown> }[] = [];
  rows.forEach((raw, i) => {
    const r = schema.safeParse(raw);
    if (r.success) parsed.push({ row: i + 2, value: r.data as Record<string, unknown> });
    else for (const issue of r.error.issues) errors.push({ row: i + 2, column: issue.path.join('.'), message: issue.message });
  });
  return { parsed, errors };
}

/** What an import wrote (or, with dry_run, would write). */
export interface ImportReport {
  kind: ImportKind;
  rows: number;
  valid: number;
  inserted: number;
  dry_run: boolean;
  errors: RowError[];
  ids: number[];
}

/**
 * Import buildings, households or residents from a table: every row is checked (cells, then grid,
 * building or household in the viewer's scope); any error rejects the whole file with the report (422)
 * and nothing is written; otherwise every row is inserted in one transaction.
 */
export async function importRows(
  knex: Knex,
  user: SessionUser,
  idKey: string,
  kind: ImportKind,
  table: Record<string, string>[],
  dryRun: boolean,
): Promise<ImportReport> {
  if (table.length === 0) throw new Invalid('import_empty', 'The file has no data rows under its header.');
  if (table.length > MAX_IMPORT_ROWS) {
    throw tooManyRows(`The file has ${table.length} rows`);
  }
  const scope = await populationGrids(knex, user);
  const { required, optional } = IMPORT_COLUMNS[kind];
  const missing = required.filter((c) => !(c in table[0]));
  if (missing.length) {
    throw new Invalid('import_columns_missing', `The header lacks the column(s) ${missing.join(', ')}; ${kind} need ${required.join(', ')} and may have ${optional.join(', ')}.`, {
      params: { missing, required },
    });
  }
  const { parsed, errors } = validateRows(kind, table);

  const records: Record<string, unknown>[] = [];
  if (kind === 'buildings') {
    const { rows } = await sqlGridsAtPoints(knex, parsed.map((p) => ({ i: p.row, lon: p.value.lon as number, lat: p.value.lat as number })));
    const at = new Map<number, { area_version_id: number; grid_code: string; office_code: string }>(rows.map((r: { i: number }) => [r.i, r]));
    for (const p of parsed) {
      const place = at.get(p.row);
      if (!place) errors.push({ row: p.row, column: 'lon', message: 'the point lies outside every grid; check lon/lat (WGS84)' });
      else if (!scope.grids.includes(place.grid_code)) errors.push({ row: p.row, column: 'lon', message: `the point lies in grid ${place.grid_code}, outside your scope` });
      else {
        const v = p.value;
        records.push({
          office_code: place.office_code,
          address: v.address,
          use: v.use ?? 'residential',
          floors: v.floors ?? null,
          grid_code: place.grid_code,
          area_version_id: place.area_version_id,
          geom: knex.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)', [v.lon as number, v.lat as number]),
        });
      }
    }
  } else {
    const refColumn = kind === 'households' ? 'building_id' : 'household_id';
    const ids = [...new Set(parsed.map((p) => p.value[refColumn] as number))];
    const owners =
      kind === 'households'
        ? await sqlWhereGrid(knex('buildings as b').select('b.id', 'b.office_code'), scope).whereIn('b.id', ids)
        : await sqlWhereGrid(knex('households as h').join('buildings as b', 'b.id', 'h.building_id').select('h.id', 'h.office_code'), scope).whereIn('h.id', ids);
    const office = new Map<number, string>(owners.map((o: { id: number; office_code: string }) => [o.id, o.office_code]));
    const seen = new Map<string, number>();
    for (const p of parsed) {
      const ref = p.value[refColumn] as number;
      const officeCode = office.get(ref);
      if (!officeCode) {
        errors.push({ row: p.row, column: refColumn, message: `${refColumn} ${ref} is not a ${kind === 'households' ? 'building' : 'household'} in your scope` });
        continue;
      }
      if (kind === 'households') {
        records.push({ office_code: officeCode, building_id: ref, unit: p.value.unit ?? '', size: p.value.size ?? 1 });
        continue;
      }
      const { id_number, ...v } = p.value as { id_number?: string } & Record<string, unknown>;
      const stored = storedIdNumber(id_number, idKey);
      if (stored.id_number_hmac) {
        const key = `${officeCode}|${stored.id_number_hmac}`;
        if (seen.has(key)) errors.push({ row: p.row, column: 'id_number', message: `the same ID number is on row ${seen.get(key)}` });
        seen.set(key, p.row);
      }
      records.push({ ...v, note: v.note ?? '', gender: v.gender ?? null, birth_year: v.birth_year ?? null, phone: v.phone ?? null, ...stored, office_code: officeCode, _row: p.row });
    }
    if (kind === 'residents') {
      const hashes = records.map((r) => r.id_number_hmac).filter(Boolean) as string[];
      if (hashes.length) {
        const taken = new Set((await knex('residents').whereIn('id_number_hmac', hashes).select('office_code', 'id_number_hmac')).map((r: { office_code: string; id_number_hmac: string }) => `${r.office_code}|${r.id_number_hmac}`));
        for (const r of records) {
          if (r.id_number_hmac && taken.has(`${r.office_code}|${r.id_number_hmac}`)) errors.push({ row: r._row as number, column: 'id_number', message: 'a resident with this ID number is already registered' });
        }
      }
    }
  }

  errors.sort((a, b) => a.row - b.row || a.column.localeCompare(b.column));
  const report: ImportReport = { kind, rows: table.length, valid: table.length - new Set(errors.map((e) => e.row)).size, inserted: 0, dry_run: dryRun, errors, ids: [] };
  if (errors.length) {
    const bad = new Set(errors.map((e) => e.row)).size;
    throw new Unprocessable('import_rows_invalid', `${bad} of ${table.length} rows have errors; nothing was imported. Fix the rows listed in "errors" and upload the whole file again.`, {
      params: { bad, rows: table.length },
      extra: { report },
    });
  }
  if (dryRun) return report;

  const ids = await knex.transaction(async (trx) => {
    const out: number[] = [];
    for (let i = 0; i < records.length; i += 1000) {
      const batch = records.slice(i, i + 1000).map(({ _row, ...r }) => r);
      const rows = await trx(kind).insert(batch).returning('id');
      out.push(...rows.map((r: { id: number }) => r.id));
    }
    if (kind === 'residents') for (let i = 0; i < out.length; i += 1000) await sqlLogAccess(trx, user, 'import', out.slice(i, i + 1000));
    return out;
  });
  return { ...report, inserted: ids.length, ids };
}
