import { constants, crc32, deflateRawSync } from 'node:zlib';

/*
 * Zip bombs for tests and drills, made in milliseconds without ever holding what they inflate to: a
 * deflate stream may be cut into byte-aligned pieces (Z_SYNC_FLUSH), each compressed from an empty window,
 * so one compressed megabyte of zeros (about 1 KB) repeated N times, closed by an empty final block, is a
 * valid stream of N MB.
 */

/** The empty final deflate block (fixed Huffman, end of block) that closes a stream of sync-flushed pieces. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

/** Content of a zip entry: `head`, then `chunk` `times` times, then `tail`. */
export interface Repeated {
  head?: string | Buffer;
  chunk: string | Buffer;
  times: number;
  tail?: string | Buffer;
}

/** One file of a zip made by `zipOf`. */
export interface ZipPart {
  name: string;
  /** The content, or a repeated content that is never held whole. */
  data: string | Buffer | Repeated;
  /** The uncompressed size the local and central headers declare instead of the real one: a zip that lies. */
  declaredSize?: number;
  /** Store the content instead of deflating it. */
  stored?: boolean;
}

const bytes = (b: string | Buffer | undefined) => (b === undefined ? Buffer.alloc(0) : Buffer.isBuffer(b) ? b : Buffer.from(b, 'utf8'));

/** The deflated bytes, CRC-32 and real size of a part's content. */
function compress(part: ZipPart): { data: Buffer; crc: number; size: number; method: number } {
  const r: Repeated = typeof part.data === 'string' || Buffer.isBuffer(part.data) ? { chunk: part.data, times: 1 } : part.data;
  const [head, chunk, tail] = [bytes(r.head), bytes(r.chunk), bytes(r.tail)];
  let crc = crc32(head);
  for (let i = 0; i < r.times; i++) crc = crc32(chunk, crc);
  crc = crc32(tail, crc);
  const size = head.length + chunk.length * r.times + tail.length;
  if (part.stored) {
    if (r.times !== 1) throw new Error('a stored part cannot repeat');
    return { data: Buffer.concat([head, chunk, tail]), crc, size, method: 0 };
  }
  const piece = (b: Buffer) => (b.length ? deflateRawSync(b, { finishFlush: constants.Z_SYNC_FLUSH }) : Buffer.alloc(0));
  const c = piece(chunk);
  return { data: Buffer.concat([piece(head), ...Array<Buffer>(r.times).fill(c), piece(tail), FINAL_BLOCK]), crc, size, method: 8 };
}

/** A zip archive (PKWARE APPNOTE 4.3: local headers, central directory, end record) of the parts, UTF-8 names. */
export function zipOf(parts: ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const part of parts) {
    const name = Buffer.from(part.name, 'utf8');
    const { data, crc, size, method } = compress(part);
    const declared = part.declaredSize ?? size;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(declared, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const MB = 1024 * 1024;

/** A WGS84 .prj, as GDAL writes it. */
const PRJ = 'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]';

/** A dBASE table with one field `code` and no records. */
const EMPTY_DBF = (() => {
  const b = Buffer.alloc(32 + 32 + 1);
  b[0] = 0x03;
  b.writeUInt16LE(65, 8);
  b.writeUInt16LE(1 + 16, 10);
  b.write('code', 32, 'latin1');
  b[32 + 11] = 'C'.charCodeAt(0);
  b[32 + 16] = 16;
  b[64] = 0x0d;
  return b;
})();

/** A zipped Shapefile whose .shp inflates to `mb` MB of zeros (about 1 KB per MB compressed); `declaredSize` makes the headers lie. */
export function shapefileBomb(mb: number, declaredSize?: number): Buffer {
  return zipOf([
    { name: 'grids.shp', data: { chunk: Buffer.alloc(MB), times: mb }, declaredSize },
    { name: 'grids.dbf', data: EMPTY_DBF },
    { name: 'grids.prj', data: PRJ },
  ]);
}

/** A zip of `count` tiny stored files. */
export function manyEntries(count: number): Buffer {
  return zipOf(Array.from({ length: count }, (_, i) => ({ name: `f${i}.txt`, data: 'x', stored: true })));
}

const SHEET_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';

/** An XLSX workbook (the parts a spreadsheet program needs) whose one sheet is `sheet`: its header row, then `rows` repeated. */
export function xlsxOf(sheet: { header: string[]; rows: Repeated }, declaredSize?: number): Buffer {
  const cells = sheet.header.map((h, i) => `<c r="${String.fromCharCode(65 + i)}1" t="inlineStr"><is><t>${h}</t></is></c>`).join('');
  return zipOf([
    {
      name: '[Content_Types].xml',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    },
    {
      name: '_rels/.rels',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    },
    { name: 'xl/workbook.xml', data: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook ${SHEET_NS}><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>` },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    },
    {
      name: 'xl/worksheets/sheet1.xml',
      data: {
        head: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet ${SHEET_NS}><sheetData><row r="1">${cells}</row>${bytes(sheet.rows.head).toString('utf8')}`,
        chunk: sheet.rows.chunk,
        times: sheet.rows.times,
        tail: `${bytes(sheet.rows.tail).toString('utf8')}</sheetData></worksheet>`,
      },
      declaredSize,
    },
  ]);
}

/** An XLSX bomb: a buildings sheet whose XML inflates to `mb` MB (blank rows), about 1 KB per MB compressed. */
export function xlsxBomb(mb: number, declaredSize?: number): Buffer {
  const row = '<row r="2"><c r="A2"><v>1</v></c></row>';
  const chunk = row.repeat(Math.floor(MB / row.length)).padEnd(MB, ' ');
  return xlsxOf({ header: ['address', 'lon', 'lat'], rows: { chunk, times: mb } }, declaredSize);
}

/** An XLSX workbook of `count` buildings rows, each with its own row number (about 100 bytes of XML each). */
export function xlsxRows(count: number): Buffer {
  const rows = Array.from({ length: count }, (_, i) => {
    const r = i + 2;
    return `<row r="${r}"><c r="A${r}" t="inlineStr"><is><t>x</t></is></c><c r="B${r}"><v>123.4</v></c><c r="C${r}"><v>41.8</v></c></row>`;
  });
  return xlsxOf({ header: ['address', 'lon', 'lat'], rows: { chunk: rows.join(''), times: 1 } });
}
