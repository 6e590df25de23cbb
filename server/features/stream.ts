/**
 * Read the rows of a feature query in batches, in constant memory, whichever the backend:
 * native PostgreSQL through a server-side cursor (pg-query-stream: one statement, one snapshot);
 * embedded PGlite (one connection, no cursor through knex) by keyset pagination on `id`.
 * Stopping the iteration (the client went away) closes the cursor and frees the connection.
 */
import type { Knex } from 'knex';
import type pg from 'pg';
import QueryStream from 'pg-query-stream';
import type { Db } from '../db/connect.js';
import type { FeatureLayer } from './catalogue.js';
import { sqlFeatures, toRaw, type FeatureQuery } from './sql.js';

/** Rows per batch: large enough to amortise round trips, small enough to keep memory flat. */
export const BATCH_SIZE = 1000;

/** A row of the feature query: the keyset id, then the feature text or the CSV line. */
export type Row = [number, string];

/** Batches of rows of a feature query, in id order. */
export function rowBatches(db: Db, layer: FeatureLayer, query: FeatureQuery, batchSize = BATCH_SIZE): AsyncGenerator<Row[]> {
  return db.kind === 'postgis' ? cursorBatches(db.knex, layer, query, batchSize) : keysetBatches(db.knex, layer, query, batchSize);
}

/** Native: one statement read through a cursor; closing the generator closes the cursor. */
async function* cursorBatches(knex: Knex, layer: FeatureLayer, query: FeatureQuery, batchSize: number): AsyncGenerator<Row[]> {
  const native = toRaw(knex, sqlFeatures(layer, query)).toSQL().toNative();
  const conn = (await knex.client.acquireConnection()) as pg.PoolClient;
  const stream = new QueryStream(native.sql, native.bindings as unknown[], { batchSize, highWaterMark: batchSize, rowMode: 'array' });
  let failed: unknown;
  try {
    conn.query(stream);
    let batch: Row[] = [];
    for await (const row of stream) {
      batch.push(row as Row);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  } catch (err) {
    failed = err;
    throw err;
  } finally {
    if (!stream.destroyed) await new Promise<void>((resolve) => stream.destroy().once('close', () => resolve()));
    // A connection that failed mid-protocol is not trusted again: knex's pool discards disposed ones.
    if (failed) (conn as unknown as { __knex__disposed?: unknown }).__knex__disposed = failed;
    await knex.client.releaseConnection(conn);
  }
}

/** Embedded: one short statement per batch, each starting after the last id seen. */
async function* keysetBatches(knex: Knex, layer: FeatureLayer, query: FeatureQuery, batchSize: number): AsyncGenerator<Row[]> {
  let after = query.after;
  let remaining = query.limit ?? Infinity;
  let offset = query.offset;
  while (remaining > 0) {
    const limit = Math.min(batchSize, remaining);
    const { rows } = await toRaw(knex, sqlFeatures(layer, { ...query, after, limit, offset }));
    if (rows.length === 0) return;
    const batch = rows.map((r: { k: number; f: string }): Row => [r.k, r.f]);
    yield batch;
    if (rows.length < limit) return;
    after = batch[batch.length - 1][0];
    offset = undefined;
    remaining -= rows.length;
  }
}
