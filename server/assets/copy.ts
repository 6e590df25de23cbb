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

/**
 * Tuples in PostgreSQL's binary COPY format, written into one growing buffer: no string per value, and
 * nothing for the server to parse (numbers arrive as their bytes). Fields must match the columns' types.
 */
export class BinaryRows {
  private buf = Buffer.allocUnsafe(1 << 20);
  private at = 0;
  rows = 0;

  private room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  /** Start a tuple of `fields` fields. */
  tuple(fields: number): this {
    this.room(2);
    this.at = this.buf.writeInt16BE(fields, this.at);
    this.rows++;
    return this;
  }

  int2(v: number): this {
    this.room(6);
    this.at = this.buf.writeInt32BE(2, this.at);
    this.at = this.buf.writeInt16BE(v, this.at);
    return this;
  }

  int4(v: number): this {
    this.room(8);
    this.at = this.buf.writeInt32BE(4, this.at);
    this.at = this.buf.writeInt32BE(v, this.at);
    return this;
  }

  float8(v: number): this {
    this.room(12);
    this.at = this.buf.writeInt32BE(8, this.at);
    this.at = this.buf.writeDoubleBE(v, this.at);
    return this;
  }

  /** A NULL. */
  null(): this {
    this.room(4);
    this.at = this.buf.writeInt32BE(-1, this.at);
    return this;
  }

  /** A text value, as UTF-8. */
  text(v: string): this {
    this.room(4 + v.length * 3);
    const n = this.buf.write(v, this.at + 4);
    this.buf.writeInt32BE(n, this.at);
    this.at += 4 + n;
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
    this.buf.writeInt32BE(n + 1, this.at);
    this.buf.writeUInt8(1, this.at + 4);
    this.at += 5 + n;
    return this;
  }

  /** A PostGIS point with SRID 4326: its EWKB, which is the geometry type's binary input. */
  point4326(lon: number, lat: number): this {
    this.room(29);
    this.at = this.buf.writeInt32BE(25, this.at);
    this.at = this.buf.writeUInt8(1, this.at);
    this.at = this.buf.writeUInt32LE(0x20000001, this.at);
    this.at = this.buf.writeUInt32LE(4326, this.at);
    this.at = this.buf.writeDoubleLE(lon, this.at);
    this.at = this.buf.writeDoubleLE(lat, this.at);
    return this;
  }

  /** A text value as UTF-8 bytes, already encoded (for values repeated on many rows). */
  bytes(b: Buffer): this {
    this.room(4 + b.length);
    this.at = this.buf.writeInt32BE(b.length, this.at);
    this.at += b.copy(this.buf, this.at);
    return this;
  }

  /** The tuples so far as a chunk, and start again. */
  take(): { data: Buffer; rows: number } {
    const chunk = { data: this.buf.subarray(0, this.at), rows: this.rows };
    this.buf = Buffer.allocUnsafe(this.buf.length);
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

/** COPY chunks of BinaryRows tuples into a table, as copyInto does with text. */
export async function copyBinaryInto(
  db: Db,
  trx: Knex.Transaction,
  table: string,
  columns: string,
  chunks: Iterable<{ data: Buffer; rows: number }>,
  onRows: (rows: number) => void = () => undefined,
): Promise<void> {
  const conn = await trx.client.acquireConnection();
  const sql = `copy ${table} (${columns}) from ${db.kind === 'embedded' ? "'/dev/blob'" : 'stdin'} with (format binary)`;
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
  out.tuple(9).text(r.office).text(r.code).text(r.category).text(r.status);
  if (r.department === null) out.null();
  else out.text(r.department);
  out.text(r.grid).int4(r.version).jsonb(r.attrs).point4326(r.lon, r.lat);
}

/** COPY assets (their grid already known) in binary format: chunks of writeAssetTuple tuples. */
export function copyAssetTuples(db: Db, trx: Knex.Transaction, chunks: Iterable<{ data: Buffer; rows: number }>, onRows: (rows: number) => void): Promise<void> {
  return copyBinaryInto(db, trx, 'assets', ASSET_COPY_COLUMNS, chunks, onRows);
}

/** COPY assets (their grid already known) through the transaction's own connection. */
export function copyAssets(db: Db, trx: Knex.Transaction, chunks: Iterable<CopyChunk>, onRows: (rows: number) => void): Promise<void> {
  return copyInto(db, trx, 'assets', ASSET_COPY_COLUMNS, chunks, onRows);
}
