import { parse as parseCsv } from 'csv-parse/sync';
import { Invalid, UnsupportedMedia } from '../http/errors.js';
import { decodeText } from '../http/text.js';

/**
 * Reading an asset file: its bytes as text (UTF-8, UTF-16 or GB18030; workbooks and images refused), its
 * format guessed, and its rows as they come (GeoJSON, GeoJSONSeq, CSV), each with its line and its position
 * as the file gave it. Nothing here knows the database; import_check.ts checks the rows, importer.ts writes them.
 */

/** Formats the importer reads. */
export const ASSET_FORMATS = ['geojson', 'geojsonseq', 'csv'] as const;
export type AssetFormat = (typeof ASSET_FORMATS)[number];

/** A row as read from the file, before checks. */
export interface RawRow {
  line: number;
  props: Record<string, unknown>;
  /** Position when the file gave one ([lon, lat]); an Error when it gave a bad one. */
  position: [number, number] | Error | undefined;
  /** What makes the line unreadable as a row (a CSV line with too few or too many cells). */
  problem?: string;
}


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
 * The text of an uploaded or read asset file, decoded as every upload is (decodeText: UTF-8, UTF-16 by its
 * byte-order mark, else GB18030). A workbook, an image or any file with NUL bytes is refused, saying what it
 * looks like, instead of being read as rows of garbage.
 */
export function decodeImportFile(bytes: Buffer): string {
  const head = bytes.subarray(0, 16).toString('hex');
  if (head.startsWith('fffe') || head.startsWith('feff')) return decodeText(bytes);
  const known = NOT_TEXT.find(([magic]) => head.startsWith(magic));
  const params = { accepted: ['CSV', 'GeoJSON', 'GeoJSONSeq'] };
  if (known) throw new UnsupportedMedia('file_type_unsupported', `The file is ${known[1]}; assets are imported from CSV, GeoJSON or GeoJSONSeq text.`, { params });
  if (bytes.subarray(0, 65_536).includes(0)) {
    throw new UnsupportedMedia('file_type_unsupported', 'The file is not text (it holds NUL bytes); assets are imported from CSV, GeoJSON or GeoJSONSeq text.', { params });
  }
  return decodeText(bytes);
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

/** Lines of a text: about its rows in CSV, GeoJSONSeq and a FeatureCollection written one feature per line. */
export function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
