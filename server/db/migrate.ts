import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './connect.js';

/** The folder of forward-only SQL migrations, applied in file-name order. */
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

// Any constant works; it only has to be the same for every instance migrating this database.
const MIGRATION_LOCK = 724_190_311;

/** Apply every migration not applied yet, each in its own transaction; returns the names applied. */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  await db.exec(`create table if not exists schema_migrations (
    name text primary key,
    applied_at timestamptz not null default now()
  )`);
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d+_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  const applied: string[] = [];
  // Several server instances may start at once against one database: serialise them.
  // The lock lives on one connection held for the whole run; the migrations use the others.
  const lockConn = db.kind === 'postgis' ? await db.knex.client.acquireConnection() : undefined;
  if (lockConn) await lockConn.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    const done = new Set<string>((await db.knex('schema_migrations').select('name')).map((r) => r.name));
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = fs.readFileSync(path.join(dir, file), 'utf8');
      const name = file.replace(/'/g, "''");
      await db.exec(`begin;\n${sql}\n;insert into schema_migrations (name) values ('${name}');\ncommit;`);
      applied.push(file);
    }
  } finally {
    if (lockConn) {
      await lockConn.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      await db.knex.client.releaseConnection(lockConn);
    }
  }
  return applied;
}
