import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb } from '../../test/app.js';
import { DatabaseSetupError, openDatabase, queryPrepared, type Db } from './connect.js';
import { migrate, MIGRATIONS_DIR } from './migrate.js';

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

describe('migration 013 (check codes)', () => {
  const CHECK_CODE = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/;

  it('gives every incident already there its own check code', async () => {
    // The migration's own statement, run on a copy of the incidents table as it was before (no check_code).
    const sql = fs.readFileSync(path.join(MIGRATIONS_DIR, '013_evidence.sql'), 'utf8');
    const statement = /alter table incidents\s+add column check_code[^;]*;/.exec(sql)?.[0];
    expect(statement).toBeDefined();
    await db.knex.transaction(async (trx) => {
      await trx.raw(`create temp table incidents_before_013 on commit drop as select * from incidents limit 0`);
      await trx.raw(`alter table incidents_before_013 drop column check_code, drop column supporters`);
      await trx.raw(`insert into incidents_before_013 (id, office_code, case_no, category_code, source, status, level, geom)
                     select n, 'X', 'C' || n, '0101', 'patrol', 'open', 'grid', ST_SetSRID(ST_MakePoint(123.4, 41.8), 4326) from generate_series(1, 200) n`);
      await trx.raw(statement!.replace('alter table incidents', 'alter table incidents_before_013'));
      const codes = (await trx('incidents_before_013').select('check_code')).map((r: { check_code: string }) => r.check_code);
      expect(codes).toHaveLength(200);
      for (const c of codes) expect(c).toMatch(CHECK_CODE);
      expect(new Set(codes).size).toBeGreaterThan(195);
    });
  });

  it('draws codes from all 31 characters of the alphabet', async () => {
    const { rows } = await db.knex.raw(`select new_check_code() as c from generate_series(1, 500)`);
    const codes = rows.map((r: { c: string }) => r.c);
    for (const c of codes) expect(c).toMatch(CHECK_CODE);
    expect(new Set(codes.join('')).size).toBe(31);
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
