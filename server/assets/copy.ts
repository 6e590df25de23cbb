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

/**
 * COPY assets through the transaction's own connection: a pg-copy-streams stream natively (keeping to
 * back-pressure and failing as soon as the server rejects a row), a blob per chunk on PGlite.
 */
export async function copyAssets(db: Db, trx: Knex.Transaction, chunks: Iterable<CopyChunk>, onRows: (rows: number) => void): Promise<void> {
  const conn = await trx.client.acquireConnection();
  if (db.kind === 'embedded') {
    for (const chunk of chunks) {
      await (conn as PGlite).query(`copy assets (${ASSET_COPY_COLUMNS}) from '/dev/blob'`, [], { blob: new Blob([chunk.text]) });
      onRows(chunk.rows);
    }
    return;
  }
  const stream = (conn as pg.Client).query(copyFrom(`copy assets (${ASSET_COPY_COLUMNS}) from stdin`));
  await pipeline(async function* () {
    for (const chunk of chunks) {
      yield chunk.text;
      onRows(chunk.rows);
    }
  }, stream);
}
