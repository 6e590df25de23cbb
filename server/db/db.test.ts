import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb } from '../../test/app.js';
import { DatabaseSetupError, openDatabase, queryPrepared, type Db } from './connect.js';
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

describe('queryPrepared', () => {
  it('answers the rows of raw statements and query builders, with fresh values on every call', async () => {
    const square = (n: number) => db.knex.raw('select ?::int * ?::int as n, ?::text as tag', [n, n, `t${n}`]);
    for (const n of [2, 3, 4]) expect(await queryPrepared(db.knex, square(n))).toEqual([{ n: n * n, tag: `t${n}` }]);
    const code = await db.knex('areas').whereNull('valid_to').orderBy('code').first('code');
    expect(await queryPrepared(db.knex, db.knex('areas').where({ code: code.code }).whereNull('valid_to').first('code'))).toEqual([code]);
    expect(await queryPrepared(db.knex, db.knex('areas').where({ code: 'no such code' }).first('code'))).toEqual([]);
  });

  it('binds named values, repeated ones and casts alike, and leaves values knex must inline to knex', async () => {
    const named = (a: number, b: string) => db.knex.raw(`select :a::int + :a::int as twice, :b::text || ':' || :b::text as pair, :a::int as once`, { a, b });
    expect(await queryPrepared(db.knex, named(2, 'x'))).toEqual([{ twice: 4, pair: 'x:x', once: 2 }]);
    expect(await queryPrepared(db.knex, named(5, 'y'))).toEqual([{ twice: 10, pair: 'y:y', once: 5 }]);
    const inlined = db.knex.raw(`select :v as v, :n::int as n`, { v: db.knex.raw(`'inline'`), n: 7 });
    expect(await queryPrepared(db.knex, inlined)).toEqual([{ v: 'inline', n: 7 }]);
  });

  it('inside a transaction sees the transaction\'s own writes and rolls back with it', async () => {
    const name = `prepared-${Date.now()}`;
    await expect(
      db.knex.transaction(async (trx) => {
        await trx('departments').insert({ code: name, name, name_en: name });
        expect(await queryPrepared(trx, trx('departments').where({ code: name }).first('code'))).toEqual([{ code: name }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await queryPrepared(db.knex, db.knex('departments').where({ code: name }).first('code'))).toEqual([]);
  });
});
