import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb } from '../../test/app.js';
import { DatabaseSetupError, openDatabase, type Db } from './connect.js';
import { migrate } from './migrate.js';

let db: Db;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db.close();
});

describe('migrations', () => {
  it('are all applied, and a second run applies nothing', async () => {
    expect(await migrate(db)).toEqual([]);
    const rows = await db.knex('schema_migrations').select('name').orderBy('name');
    expect(rows.map((r) => r.name)).toContain('001_foundation.sql');
  });
});

describe('capabilities', () => {
  it('knows whether ST_AsMVT works: native PostGIS has it, the embedded build does not', () => {
    expect(db.capabilities.asMvt).toBe(db.kind === 'postgis');
    expect(db.capabilities.postgisVersion).toMatch(/^3\./);
  });
});

describe('openDatabase', () => {
  it('says what is wrong when DATABASE_URL cannot be reached', async () => {
    await expect(openDatabase({ url: 'postgres://nobody:nothing@127.0.0.1:1/none' })).rejects.toBeInstanceOf(DatabaseSetupError);
  });
});
