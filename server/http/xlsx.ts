import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { XLSX_LIMITS, ZipArchive, ZipUnreadable } from './archive.js';
import { Invalid } from './errors.js';

/*
 * The first worksheet of an XLSX workbook (ECMA-376 Part 1, SpreadsheetML), read as it inflates: the zip
 * under XLSX_LIMITS (archive.ts), the XML through a streaming parser, each row handed on as soon as it is
 * complete. Only the shared strings are held whole, so the caller can stop after as many rows as it takes
 * and the memory a workbook costs is bounded by the limits, not by what it claims to hold. Each chunk is
 * parsed in one short turn of the event loop. Cells come as the text a spreadsheet shows for strings,
 * and as JavaScript writes them for numbers (`41.8`); date formats are not applied.
 */

/** One row of a sheet: its number (1-based, as the file gives it) and the text of its cells by column (0 is A). */
export interface SheetRow {
  row: number;
  cells: string[];
}

/** Most columns read: Excel's own limit (XFD); cells beyond it are skipped. */
const MAX_COLUMNS = 16_384;

const RELS_OFFICE_DOCUMENT = /\/officeDocument$/;
const RELS_SHARED_STRINGS = /\/sharedStrings$/;

/** The 400 for a workbook whose parts cannot be read. */
function unreadable(why: string): Invalid<'xlsx_unreadable'> {
  return new Invalid('xlsx_unreadable', `The XLSX file could not be read (${why}); save it again from a spreadsheet program as .xlsx.`);
}

/** A tag's name without its namespace prefix (`x:row` → `row`). */
const local = (name: string) => name.slice(name.indexOf(':') + 1);

/** A part's path inside the zip from a relationship target, relative to the folder of the part that names it. */
function resolveTarget(from: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const parts = from.split('/').slice(0, -1);
  for (const seg of target.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return parts.join('/');
}

/** The relationships file of a part (`xl/workbook.xml` → `xl/_rels/workbook.xml.rels`). */
function relsOf(part: string): string {
  const i = part.lastIndexOf('/');
  return `${part.slice(0, i + 1)}_rels/${part.slice(i + 1)}.rels`;
}

/** Parse one XML part as it inflates, calling `onChunk` after each chunk (to hand on what it completed). */
async function* parsePart(zip: ZipArchive, name: string, on: (parser: SaxesParser) => void): AsyncGenerator<void> {
  const parser = new SaxesParser({ xmlns: false, position: true });
  let failure: Error | undefined;
  parser.on('error', (err) => {
    failure ??= err;
  });
  on(parser);
  const decoder = new TextDecoder('utf-8');
  const check = () => {
    if (failure) throw unreadable(`${name}: ${failure.message.split('\n')[0]}`);
  };
  for await (const chunk of zip.stream(name)) {
    parser.write(decoder.decode(chunk, { stream: true }));
    check();
    yield;
  }
  parser.write(decoder.decode());
  parser.close();
  check();
}

/** The relationships of a part, by id: their type and the path they point to. */
async function readRels(zip: ZipArchive, part: string): Promise<Map<string, { type: string; path: string }>> {
  const rels = new Map<string, { type: string; path: string }>();
  const file = relsOf(part);
  if (!zip.entries.some((e) => e.name === file)) return rels;
  for await (const _ of parsePart(zip, file, (p) =>
    p.on('opentag', (tag: SaxesTagPlain) => {
      const a = tag.attributes as Record<string, string>;
      if (local(tag.name) === 'Relationship' && a.Id && a.Target && a.TargetMode !== 'External') {
        rels.set(a.Id, { type: a.Type ?? '', path: resolveTarget(part, a.Target) });
      }
    }),
  ));
  return rels;
}

/** The relationship id of the first sheet listed in a workbook part. */
async function firstSheetId(zip: ZipArchive, workbook: string): Promise<string | undefined> {
  let id: string | undefined;
  for await (const _ of parsePart(zip, workbook, (p) =>
    p.on('opentag', (tag: SaxesTagPlain) => {
      if (id !== undefined || local(tag.name) !== 'sheet') return;
      const attrs = tag.attributes as Record<string, string>;
      const key = Object.keys(attrs).find((k) => k === 'id' || k.endsWith(':id'));
      id = key ? attrs[key] : '';
    }),
  ));
  return id;
}

/** The shared string table: the text of each `si`, its runs joined, phonetic guides (`rPh`) left out. */
async function readSharedStrings(zip: ZipArchive, part: string): Promise<string[]> {
  const strings: string[] = [];
  let text = '';
  let inT = false;
  let phonetic = 0;
  for await (const _ of parsePart(zip, part, (p) => {
    p.on('opentag', (tag: SaxesTagPlain) => {
      const n = local(tag.name);
      if (n === 'si') text = '';
      else if (n === 'rPh') phonetic += 1;
      else if (n === 't' && phonetic === 0) inT = !tag.isSelfClosing;
    });
    p.on('closetag', (tag: SaxesTagPlain) => {
      const n = local(tag.name);
      if (n === 'si') strings.push(text);
      else if (n === 'rPh') phonetic -= 1;
      else if (n === 't') inT = false;
    });
    p.on('text', (t: string) => {
      if (inT) text += t;
    });
  }));
  return strings;
}

/** The column index of a cell reference (`AB12` → 27), or undefined when there is none. */
function columnOf(ref: string | undefined): number | undefined {
  const m = ref ? /^([A-Z]{1,3})/i.exec(ref) : null;
  if (!m) return undefined;
  let col = 0;
  for (const ch of m[1].toUpperCase()) col = col * 26 + (ch.charCodeAt(0) - 64);
  return col - 1;
}

/** The text of a cell from its type (`t`) and the text of its `v` (or inline string). */
function cellText(type: string | undefined, value: string, shared: string[]): string {
  switch (type) {
    case 's':
      return shared[Number(value)] ?? '';
    case 'b':
      return value === '1' ? 'true' : value === '0' ? 'false' : value;
    case 'inlineStr':
    case 'str':
    case 'e':
    case 'd':
      return value;
    default:
      return value === '' || !Number.isFinite(Number(value)) ? value : String(Number(value));
  }
}

/**
 * The rows of the first worksheet of an XLSX workbook, in file order, each as soon as it is parsed; stop
 * reading at any point and the rest is never inflated. Throws the archive problems of archive.ts and
 * xlsx_unreadable / xlsx_no_worksheet for workbooks without a readable first sheet.
 */
export async function* readFirstSheet(bytes: Buffer): AsyncGenerator<SheetRow> {
  let zip: ZipArchive;
  try {
    zip = await ZipArchive.open(bytes, XLSX_LIMITS);
  } catch (err) {
    if (err instanceof ZipUnreadable) throw unreadable(`not a zip: ${err.message}`);
    throw err;
  }
  try {
    const names = new Set(zip.entries.map((e) => e.name));
    const root = await readRels(zip, '');
    const workbook = [...root.values()].find((r) => RELS_OFFICE_DOCUMENT.test(r.type))?.path ?? 'xl/workbook.xml';
    if (!names.has(workbook)) throw unreadable(`it has no workbook part ${workbook}`);
    const rels = await readRels(zip, workbook);
    const sheetId = await firstSheetId(zip, workbook);
    if (sheetId === undefined) throw new Invalid('xlsx_no_worksheet', 'The XLSX file has no worksheet; put the table on its first sheet.');
    const sheet = rels.get(sheetId)?.path;
    if (!sheet || !names.has(sheet)) throw unreadable(`its first sheet (${sheetId}) has no part in the file`);
    const sharedPart = [...rels.values()].find((r) => RELS_SHARED_STRINGS.test(r.type))?.path;
    const shared = sharedPart && names.has(sharedPart) ? await readSharedStrings(zip, sharedPart) : [];

    const done: SheetRow[] = [];
    let row: SheetRow | undefined;
    let lastRow = 0;
    let col = -1;
    let type: string | undefined;
    let value = '';
    let capture = false;
    let phonetic = 0;
    const parse = parsePart(zip, sheet, (p) => {
      p.on('opentag', (tag: SaxesTagPlain) => {
        const a = tag.attributes as Record<string, string>;
        switch (local(tag.name)) {
          case 'row':
            lastRow = Number(a.r) > 0 ? Number(a.r) : lastRow + 1;
            row = { row: lastRow, cells: [] };
            col = -1;
            if (tag.isSelfClosing) done.push(row);
            break;
          case 'c':
            col = columnOf(a.r) ?? col + 1;
            type = a.t;
            value = '';
            break;
          case 'v':
            capture = !tag.isSelfClosing;
            break;
          case 'rPh':
            phonetic += 1;
            break;
          case 't':
            capture = type === 'inlineStr' && phonetic === 0 && !tag.isSelfClosing;
            break;
        }
      });
      p.on('closetag', (tag: SaxesTagPlain) => {
        switch (local(tag.name)) {
          case 'row':
            if (row && !tag.isSelfClosing) done.push(row);
            row = undefined;
            break;
          case 'c':
            if (row && col >= 0 && col < MAX_COLUMNS) row.cells[col] = cellText(type, value, shared);
            break;
          case 'v':
          case 't':
            capture = false;
            break;
          case 'rPh':
            phonetic -= 1;
            break;
        }
      });
      p.on('text', (t: string) => {
        if (capture) value += t;
      });
    });
    for await (const _ of parse) yield* done.splice(0);
    yield* done.splice(0);
  } finally {
    zip.close();
  }
}
