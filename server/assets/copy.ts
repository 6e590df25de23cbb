import { pipeline } from 'node:stream/promises';
import type { PGlite } from '@electric-sql/pglite';
import type { Knex } from 'knex';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Db } from '../db/connect.js';

/** One asset row as COPY writes it, its grid already known. */
export interface AssetCopyRow {
  office: string;
  code: string;
  category: string;
  status: string;
  department: string | null;
  grid: string;
  version: number;
  attrs: Record<string, unknown>;
  lon: number;
  lat: number;
}

/** A chunk of COPY text and the rows in it. */
export interface CopyChunk {
  text: string;
  rows: number;
}

const ASSET_COPY_COLUMNS = 'office_code, code, category_code, status, department_code, grid_code, area_version_id, attrs, geom';

/** Escape a value for COPY text format. */
function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : value;
}

/** A point as hex EWKB with SRID 4326, the cheapest geometry input for COPY. */
function pointEwkbHex(lon: number, lat: number): string {
  const buf = Buffer.allocUnsafe(25);
  buf.writeUInt8(1, 0);
  buf.writeUInt32LE(0x20000001, 1);
  buf.writeUInt32LE(4326, 5);
  buf.writeDoubleLE(lon, 9);
  buf.writeDoubleLE(lat, 17);
  return buf.toString('hex');
}

/** One asset as a line of COPY text (no newline). */
export function toAssetCopyLine(r: AssetCopyRow): string {
  return [
    copyText(r.office),
    copyText(r.code),
    copyText(r.category),
    copyText(r.status),
    r.department === null ? '\\N' : copyText(r.department),
    copyText(r.grid),
    String(r.version),
    copyText(JSON.stringify(r.attrs)),
    pointEwkbHex(r.lon, r.lat),
  ].join('\t');
}

/** Start of every COPY in binary format: signature, flags, header extension length. */
const BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** End of a COPY in binary format: a tuple of -1 fields. */
const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/** Most distinct values BinaryRows keeps encoded (codes of grids, offices, categories, statuses, departments). */
const MAX_CACHED_VALUES = 65_536;

/**
 * Tuples in PostgreSQL's binary COPY format, written into one growing buffer: no string per value, and
 * nothing for the server to parse (numbers arrive as their bytes). Fields must match the columns' types.
 * Bytes go in through a DataView and short ASCII text by hand: a million rows of nine fields spend more in
 * the calls into Buffer's native writers than in the bytes.
 */
export class BinaryRows {
  private buf: Buffer = Buffer.allocUnsafe(1 << 20);
  private view: DataView = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private at = 0;
  /** Encoded fields (length and UTF-8 bytes) of values that repeat on many rows. */
  private readonly encoded = new Map<string, Uint8Array>();
  rows = 0;

  private room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(next, 0, 0, this.at);
    this.use(next);
  }

  private use(buf: Buffer): void {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Start a tuple of `fields` fields. */
  tuple(fields: number): this {
    this.room(2);
    this.view.setInt16(this.at, fields);
    this.at += 2;
    this.rows++;
    return this;
  }

  int2(v: number): this {
    this.room(6);
    this.view.setInt32(this.at, 2);
    this.view.setInt16(this.at + 4, v);
    this.at += 6;
    return this;
  }

  int4(v: number): this {
    this.room(8);
    this.view.setInt32(this.at, 4);
    this.view.setInt32(this.at + 4, v);
    this.at += 8;
    return this;
  }

  float8(v: number): this {
    this.room(12);
    this.view.setInt32(this.at, 8);
    this.view.setFloat64(this.at + 4, v);
    this.at += 12;
    return this;
  }

  /** A NULL. */
  null(): this {
    this.room(4);
    this.view.setInt32(this.at, -1);
    this.at += 4;
    return this;
  }

  /** A text value, as UTF-8. */
  text(v: string): this {
    const len = v.length;
    this.room(4 + len * 3);
    const buf = this.buf;
    const at = this.at + 4;
    let i = 0;
    if (len <= 64) for (; i < len && v.charCodeAt(i) < 0x80; i++) buf[at + i] = v.charCodeAt(i);
    const n = i === len ? len : buf.write(v, at);
    this.view.setInt32(this.at, n);
    this.at = at + n;
    return this;
  }

  /** A text value that repeats on many rows (a grid's or a category's code): encoded once, then copied. */
  repeated(v: string): this {
    const field = this.encoded.get(v);
    if (field === undefined) {
      if (this.encoded.size < MAX_CACHED_VALUES) {
        const bytes = Buffer.from(v, 'utf8');
        const f = new Uint8Array(4 + bytes.length);
        new DataView(f.buffer).setInt32(0, bytes.length);
        f.set(bytes, 4);
        this.encoded.set(v, f);
      }
      return this.text(v);
    }
    this.room(field.length);
    this.buf.set(field, this.at);
    this.at += field.length;
    return this;
  }

  /** A jsonb value: format version 1, then the JSON text. */
  jsonb(v: Record<string, unknown>): this {
    let empty = true;
    for (const _ in v) {
      empty = false;
      break;
    }
    const json = empty ? '{}' : JSON.stringify(v);
    this.room(5 + json.length * 3);
    const n = this.buf.write(json, this.at + 5);
    this.view.setInt32(this.at, n + 1);
    this.buf[this.at + 4] = 1;
    this.at += 5 + n;
    return this;
  }

  /** A PostGIS point with SRID 4326: its EWKB, which is the geometry type's binary input. */
  point4326(lon: number, lat: number): this {
    this.room(29);
    const d = this.view;
    const at = this.at;
    d.setInt32(at, 25);
    d.setUint8(at + 4, 1);
    d.setUint32(at + 5, 0x20000001, true);
    d.setUint32(at + 9, 4326, true);
    d.setFloat64(at + 13, lon, true);
    d.setFloat64(at + 21, lat, true);
    this.at = at + 29;
    return this;
  }

  /** The tuples so far as a chunk, and start again. */
  take(): { data: Buffer; rows: number } {
    const chunk = { data: this.buf.subarray(0, this.at), rows: this.rows };
    this.use(Buffer.allocUnsafe(this.buf.length));
    this.at = 0;
    this.rows = 0;
    return chunk;
  }
}

/**
 * COPY text chunks into a table through the transaction's own connection: a pg-copy-streams stream natively
 * (keeping to back-pressure, so the chunks are made while the server reads the ones before, and failing as
 * soon as the server rejects a row), a blob per chunk on PGlite. Table and columns come from code, never input.
 */
export async function copyInto(db: Db, trx: Knex.Transaction, table: string, columns: string, chunks: Iterable<CopyChunk>, onRows: (rows: number) => void = () => undefined): Promise<void> {
  const conn = await trx.client.acquireConnection();
  if (db.kind === 'embedded') {
    for (const chunk of chunks) {
      await (conn as PGlite).query(`copy ${table} (${columns}) from '/dev/blob'`, [], { blob: new Blob([chunk.text]) });
      onRows(chunk.rows);
    }
    return;
  }
  const stream = (conn as pg.Client).query(copyFrom(`copy ${table} (${columns}) from stdin`));
  await pipeline(async function* () {
    for (const chunk of chunks) {
      yield chunk.text;
      onRows(chunk.rows);
    }
  }, stream);
}

/**
 * COPY chunks of BinaryRows tuples into a table, as copyInto does with text. With `freeze`, the rows are
 * written frozen and their pages marked all-visible (COPY FREEZE: only into a table created in this
 * transaction), so that no vacuum or first reader has to come back to them.
 */
export async function copyBinaryInto(
  db: Db,
  trx: Knex.Transaction,
  table: string,
  columns: string,
  chunks: Iterable<{ data: Buffer; rows: number }>,
  onRows: (rows: number) => void = () => undefined,
  freeze = false,
): Promise<void> {
  const conn = await trx.client.acquireConnection();
  const sql = `copy ${table} (${columns}) from ${db.kind === 'embedded' ? "'/dev/blob'" : 'stdin'} with (format binary${freeze ? ', freeze' : ''})`;
  if (db.kind === 'embedded') {
    for (const chunk of chunks) {
      await (conn as PGlite).query(sql, [], { blob: new Blob([new Uint8Array(Buffer.concat([BINARY_HEADER, chunk.data, BINARY_TRAILER]))]) });
      onRows(chunk.rows);
    }
    return;
  }
  const stream = (conn as pg.Client).query(copyFrom(sql));
  await pipeline(async function* () {
    yield BINARY_HEADER;
    for (const chunk of chunks) {
      yield chunk.data;
      onRows(chunk.rows);
    }
    yield BINARY_TRAILER;
  }, stream);
}

/** One asset as a binary COPY tuple (the columns of copyAssetTuples). */
export function writeAssetTuple(out: BinaryRows, r: AssetCopyRow): void {
  out.tuple(9).repeated(r.office).text(r.code).repeated(r.category).repeated(r.status);
  if (r.department === null) out.null();
  else out.repeated(r.department);
  out.repeated(r.grid).int4(r.version).jsonb(r.attrs).point4326(r.lon, r.lat);
}

/** COPY assets (their grid already known) in binary format: chunks of writeAssetTuple tuples, into assets or a table like it. */
export function copyAssetTuples(db: Db, trx: Knex.Transaction, chunks: Iterable<{ data: Buffer; rows: number }>, onRows: (rows: number) => void, table = 'assets', freeze = false): Promise<void> {
  return copyBinaryInto(db, trx, table, ASSET_COPY_COLUMNS, chunks, onRows, freeze);
}

/** COPY assets (their grid already known) through the transaction's own connection. */
export function copyAssets(db: Db, trx: Knex.Transaction, chunks: Iterable<CopyChunk>, onRows: (rows: number) => void): Promise<void> {
  return copyInto(db, trx, 'assets', ASSET_COPY_COLUMNS, chunks, onRows);
}
