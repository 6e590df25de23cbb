import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import pg from 'pg';
import { detectCapabilities, type Capabilities } from './capabilities.js';

/** Which backend a database handle talks to. */
export type DatabaseKind = 'embedded' | 'postgis';

/** An open database: knex for queries, `exec` for multi-statement SQL, and what the backend can do. */
export interface Db {
  knex: Knex;
  kind: DatabaseKind;
  capabilities: Capabilities;
  /** Run a script of several statements (migrations, fixtures). */
  exec(sql: string): Promise<void>;
  /**
   * PostgreSQL LISTEN/NOTIFY: between the server processes sharing a native database; embedded, between
   * the apps of the one process that owns it.
   */
  relay: Relay;
  close(): Promise<void>;
}

/** Messages between server processes through the database. */
export interface Relay {
  /** Send each payload (under 8,000 bytes) to every process listening on `channel`, this one included. */
  notify(channel: string, payloads: string[]): Promise<void>;
  /** Receive the channel's messages until the database is closed; reconnects when the connection drops. */
  listen(channel: string, onMessage: (payload: string) => void, onError: (err: Error) => void): Promise<void>;
}

/** Where to open the database: a PostgreSQL URL, an embedded data directory, or embedded in memory. */
export type DbTarget = { url: string } | { dataDir: string } | { memory: true; loadDataDir?: Blob };

// int8 (count(*), bigint ids) as JS numbers: every count and id here is far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
// numeric (ST_Area sums and the like) as numbers too.
pg.types.setTypeParser(1700, (v) => Number(v));

/** Open the database named by the target, make sure PostGIS is there, and detect its capabilities. */
export async function openDatabase(target: DbTarget): Promise<Db> {
  if ('url' in target) return openPostgres(target.url);
  return openEmbedded(target);
}

async function openPostgres(url: string): Promise<Db> {
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 10 } });
  try {
    await knex.raw('select 1');
  } catch (err) {
    await knex.destroy();
    throw new DatabaseSetupError(`cannot connect to DATABASE_URL: ${(err as Error).message}`);
  }
  const available = await knex.raw(`select 1 from pg_available_extensions where name = 'postgis'`);
  if (available.rows.length === 0) {
    await knex.destroy();
    throw new DatabaseSetupError(
      'PostGIS is not installed on the PostgreSQL server at DATABASE_URL. ' +
        'Install it (Debian/Ubuntu: apt-get install postgresql-15-postgis-3, matching your PostgreSQL version) ' +
        'or unset DATABASE_URL to use the embedded database.',
    );
  }
  try {
    await knex.raw('create extension if not exists postgis');
  } catch (err) {
    await knex.destroy();
    throw new DatabaseSetupError(
      `PostGIS is installed but cannot be enabled: ${(err as Error).message}. ` +
        'Run "CREATE EXTENSION postgis" as a superuser in that database, or connect as its owner.',
    );
  }
  const relay = postgresRelay(knex, url);
  const db: Db = {
    knex,
    kind: 'postgis',
    capabilities: undefined as unknown as Capabilities,
    exec: async (sql) => {
      await knex.raw(sql);
    },
    relay,
    close: async () => {
      await relay.close();
      await knex.destroy();
    },
  };
  db.capabilities = await detectCapabilities(knex);
  return db;
}

/** LISTEN on dedicated connections (a pooled one would be handed to other queries), NOTIFY through the pool. */
function postgresRelay(knex: Knex, url: string): Relay & { close(): Promise<void> } {
  const clients = new Set<pg.Client>();
  let closed = false;
  const connect = async (channel: string, onMessage: (payload: string) => void, onError: (err: Error) => void): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    clients.add(client);
    const retry = (err: Error) => {
      if (!clients.delete(client) || closed) return;
      onError(err);
      client.end().catch(() => undefined);
      setTimeout(() => {
        if (!closed) connect(channel, onMessage, onError).catch(onError);
      }, 1000).unref();
    };
    client.on('error', retry);
    client.on('end', () => retry(new Error(`the LISTEN connection for ${channel} closed`)));
    client.on('notification', (m) => {
      if (m.channel === channel && m.payload !== undefined) onMessage(m.payload);
    });
    try {
      await client.connect();
      await client.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      retry(err as Error);
    }
  };
  return {
    notify: async (channel, payloads) => {
      await knex.raw('select pg_notify(?, p) from unnest(?::text[]) as p', [channel, payloads]);
    },
    listen: (channel, onMessage, onError) => connect(channel, onMessage, onError),
    close: async () => {
      closed = true;
      const all = [...clients];
      clients.clear();
      await Promise.all(all.map((c) => c.end().catch(() => undefined)));
    },
  };
}

/**
 * LISTEN and NOTIFY on the one embedded connection, both through knex so that neither lands inside another
 * caller's transaction (a rolled-back LISTEN would be forgotten); PGlite hands notifications to callbacks.
 */
function embeddedRelay(knex: Knex, pglite: PGlite): Relay {
  return {
    notify: async (channel, payloads) => {
      await knex.raw('select pg_notify(?, p) from unnest(?::text[]) as p', [channel, payloads]);
    },
    listen: async (channel, onMessage) => {
      pglite.onNotification((c, payload) => {
        if (c === channel) onMessage(payload);
      });
      await knex.raw(`listen ${pg.escapeIdentifier(channel)}`);
    },
  };
}

async function openEmbedded(target: { dataDir: string } | { memory: true; loadDataDir?: Blob }): Promise<Db> {
  let pglite: PGlite;
  if ('dataDir' in target) {
    fs.mkdirSync(path.dirname(target.dataDir), { recursive: true });
    pglite = await PGlite.create(target.dataDir, { extensions: { postgis } });
  } else {
    pglite = await PGlite.create({ extensions: { postgis }, loadDataDir: target.loadDataDir });
  }
  await pglite.exec('create extension if not exists postgis');
  const knex = knexFactory({
    client: ClientPgLite as unknown as typeof knexFactory.Client,
    dialect: 'postgres',
    connection: () => ({ pglite }) as object,
  } as Knex.Config);
  const db: Db = {
    knex,
    kind: 'embedded',
    capabilities: undefined as unknown as Capabilities,
    exec: async (sql) => {
      // The single connection is knex's: run the script through it so nothing interleaves.
      await knex.transaction(async () => {
        await pglite.exec(sql);
      });
    },
    relay: embeddedRelay(knex, pglite),
    close: async () => {
      await knex.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
  db.capabilities = await detectCapabilities(knex);
  return db;
}

/** Dump an embedded database to a tarball that `openDatabase({memory, loadDataDir})` can start from. */
export async function dumpEmbedded(db: Db): Promise<Blob> {
  if (db.kind !== 'embedded') throw new Error('only the embedded database can be dumped');
  const conn = (await db.knex.client.acquireConnection()) as PGlite;
  try {
    return (await conn.dumpDataDir('none')) as Blob;
  } finally {
    await db.knex.client.releaseConnection(conn);
  }
}

// Prepared statement names by statement text, shared by every pooled connection.
const preparedNames = new Map<string, string>();

/** A raw statement with `:name` bindings in PostgreSQL's `$n` form, and the name bound at each `$n`. */
interface NamedStatement {
  text: string;
  names: string[];
}

// Raw templates compiled to `$n` text (null: let knex compile it), so knex formats a template only once.
const namedStatements = new Map<string, NamedStatement | null>();

/**
 * Compile a raw statement's `:name` bindings to `$n` as knex does (one parameter per occurrence); null
 * unless the text and the values in each place are exactly those of knex's own compilation.
 */
function compileNamed(raw: Knex.Raw, values: Record<string, unknown>): NamedStatement | null {
  const template = (raw as unknown as { sql: string }).sql;
  // Templates with knex's escapes (a backslash before `:name`) are left to knex.
  if (template.includes('\\')) return null;
  const names: string[] = [];
  const text = template.replace(/(?<![:\w]):(\w+)/g, (_m, name: string) => `$${names.push(name)}`);
  const byKnex = raw.toSQL().toNative();
  const same = byKnex.sql === text && byKnex.bindings.length === names.length && names.every((name, i) => Object.is(values[name], byKnex.bindings[i]));
  return same ? { text, names } : null;
}

/** The `$n` text and values of a statement, compiling a raw template once. */
function nativeOf(statement: Knex.Raw | Knex.QueryBuilder): { sql: string; bindings: readonly unknown[] } {
  const raw = statement as unknown as { sql?: unknown; bindings?: unknown };
  const values = raw.bindings;
  if (typeof raw.sql === 'string' && values && typeof values === 'object' && !Array.isArray(values)) {
    const byName = values as Record<string, unknown>;
    // Values that knex would expand or inline (raws, builders, undefined) always go through knex.
    const plain = Object.values(byName).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v));
    if (plain) {
      let named = namedStatements.get(raw.sql);
      if (named === undefined) namedStatements.set(raw.sql, (named = compileNamed(statement as Knex.Raw, byName)));
      if (named) return { sql: named.text, bindings: named.names.map((n) => byName[n]) };
    }
  }
  return statement.toSQL().toNative();
}

/**
 * Run a statement and return its rows. On native PostgreSQL it runs as a named prepared statement, so each
 * pooled connection plans it once (planning a short statement costs as much as running it), in a
 * transaction too (on the transaction's connection: a prepared statement outlives the transaction, and is
 * not undone by a rollback); on the embedded database it runs as it is.
 */
export async function queryPrepared<R = Record<string, any>>(knex: Knex, statement: Knex.Raw | Knex.QueryBuilder): Promise<R[]> {
  if (knex.client.config.client !== 'pg') {
    const out = await statement;
    if (Array.isArray(out)) return out;
    if (out && Array.isArray(out.rows)) return out.rows;
    return out ? [out] : [];
  }
  const { sql, bindings } = nativeOf(statement);
  let name = preparedNames.get(sql);
  if (!name) preparedNames.set(sql, (name = `gw_${preparedNames.size + 1}`));
  const conn = (await knex.client.acquireConnection()) as pg.Client;
  try {
    return (await conn.query({ name, text: sql, values: bindings as unknown[] })).rows;
  } finally {
    await knex.client.releaseConnection(conn);
  }
}

/** The database could not be set up; the message says what to do. */
export class DatabaseSetupError extends Error {}
