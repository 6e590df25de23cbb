import express from 'express';
import knexFactory, { type Knex } from 'knex';
import pino from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { testApp, useTestApp } from '../../test/app.js';
import type { Db } from '../db/connect.js';
import { ERROR_TABLE, type DomainError } from './errors.js';
import { DATABASE_RETRY_AFTER, describeError, handleErrors } from './problem.js';
import { PROBLEM_CODES, STATUS_TITLES, statusesOf, type ProblemCode } from './problem_codes.js';

const t = useTestApp({ bodyLimit: '1kb' });

/** An app whose one route throws what `make` returns, answered by the problem middleware. */
function throwing(make: () => unknown) {
  const app = express();
  app.use(express.json({ limit: '1kb' }));
  app.all('/boom', () => {
    throw make();
  });
  app.use(handleErrors(pino({ level: 'silent' })));
  return app;
}

/** A catalogue code that may be sent with this status. */
function codeWithStatus(status: number): ProblemCode {
  const found = (Object.keys(PROBLEM_CODES) as ProblemCode[]).find((c) => statusesOf(c).includes(status));
  if (!found) throw new Error(`no code has status ${status}`);
  return found;
}

/** Run a statement that must fail in a transaction that is always rolled back, and answer its error. */
async function failure(knex: Knex, statement: (trx: Knex.Transaction) => Promise<unknown>): Promise<unknown> {
  const rolledBack = new Error('rolled back');
  let failed: unknown = rolledBack;
  await knex
    .transaction(async (trx) => {
      try {
        await statement(trx);
      } catch (err) {
        failed = err;
      }
      throw rolledBack;
    })
    .catch((err) => {
      if (err !== rolledBack) throw err;
    });
  if (failed === rolledBack) throw new Error('the statement did not fail');
  return failed;
}

describe('the error table', () => {
  it.each(ERROR_TABLE.map(([cls, status]) => [cls.name, cls, status] as const))('%s answers its status, the title of that status, its code and params', async (_name, cls, status) => {
    const code = codeWithStatus(status);
    const make = () => new (cls as unknown as new (...args: unknown[]) => DomainError)(code, 'What to fix.', { params: { a: 1 }, extra: { report: { ok: false } } });
    const res = await request(throwing(make)).get('/boom');
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual({
      type: 'about:blank', title: STATUS_TITLES[status], status, code, params: { a: 1 }, detail: 'What to fix.', instance: '/boom', report: { ok: false },
    });
  });

  it('titles each status by its RFC 9110 reason phrase', () => {
    expect(STATUS_TITLES).toEqual({
      400: 'Bad request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 409: 'Conflict', 413: 'Content too large',
      415: 'Unsupported media type', 422: 'Unprocessable content', 429: 'Too many requests', 500: 'Internal server error', 503: 'Service unavailable',
    });
    for (const code of Object.keys(PROBLEM_CODES) as ProblemCode[]) {
      for (const s of statusesOf(code)) expect(STATUS_TITLES[s], code).toBeDefined();
    }
  });

  it('an extension member cannot replace a standard one', async () => {
    const cls = ERROR_TABLE[0][0] as unknown as new (...args: unknown[]) => DomainError;
    const res = await request(throwing(() => new cls('validation_failed', 'Bad.', { extra: { status: 200, code: 'x', errors: [] } }))).get('/boom');
    expect(res.body).toMatchObject({ status: 400, code: 'validation_failed', errors: [] });
  });

  it('anything else is a 500 internal_error that shows nothing of the error', async () => {
    const res = await request(throwing(() => new Error('select secret from users'))).get('/boom');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ title: 'Internal server error', code: 'internal_error', params: {} });
    expect(res.text).not.toMatch(/secret/);
  });
});

describe("express's body parser errors", () => {
  it('a body over the limit is 413 body_too_large with the limit', async () => {
    const res = await request(t.app).post('/api/auth/login').send({ username: 'x'.repeat(2000), password: 'y' });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ title: 'Content too large', code: 'body_too_large', params: { max_bytes: 1024 } });
  });

  it('a body that is not JSON is 400 body_not_json', async () => {
    const res = await request(t.app).post('/api/auth/login').set('content-type', 'application/json').send('{"username": ');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ title: 'Bad request', code: 'body_not_json' });
  });

  it('a charset other than UTF-8 is 415 titled "Unsupported media type"', async () => {
    const res = await request(t.app).post('/api/auth/login').set('content-type', 'application/json; charset=latin1').send('{}');
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ title: 'Unsupported media type', code: 'body_encoding_unsupported' });
  });

  it('an unknown content encoding is 415 body_encoding_unsupported', async () => {
    const res = await request(t.app).post('/api/auth/login').set('content-type', 'application/json').set('content-encoding', 'compress').send('{}');
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ title: 'Unsupported media type', code: 'body_encoding_unsupported' });
  });

  it('a broken percent-encoding in a path parameter is 400 bad_encoding', async () => {
    const res = await request(t.app).get('/api/areas/%E0%A4');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'bad_encoding' });
  });
});

describe('database errors, mapped in one place', () => {
  it('a NUL byte in a path parameter is 400 bad_encoding, not 500', async () => {
    const res = await request(t.app).get('/api/areas/%00');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ title: 'Bad request', code: 'bad_encoding', params: {} });
  });

  it('a NUL byte in a query parameter is 400 bad_encoding', async () => {
    const res = await request(t.app).get('/api/areas?parent=a%00b');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('bad_encoding');
  });

  it('\\u0000 in a jsonb value (22P05) is 400 bad_encoding', async () => {
    const err = await failure(t.db.knex, (trx) => trx.raw('select ?::jsonb', ['{"note": "a\\u0000b"}']));
    expect(describeError(err)).toMatchObject({ status: 400, code: 'bad_encoding' });
  });

  it('a unique violation (23505) is 409 already_exists naming the table and key, never the SQL', async () => {
    const err = await failure(t.db.knex, async (trx) => {
      const dept = await trx('departments').first();
      await trx('departments').insert(dept);
    });
    const d = describeError(err);
    expect(d).toMatchObject({ status: 409, code: 'already_exists', params: { table: 'departments', fields: ['code'], constraint: 'departments_pkey' } });
    expect(d!.detail).not.toMatch(/insert into|values/i);
  });

  it('a foreign key to nothing (23503) is 409 reference_missing naming the referenced table', async () => {
    const err = await failure(t.db.knex, (trx) => trx('users').update({ department_code: 'no-such-department' }));
    const d = describeError(err);
    expect(d).toMatchObject({ status: 409, code: 'reference_missing', params: { table: 'users', fields: ['department_code'], referenced_table: 'departments' } });
    expect(d!.detail).not.toMatch(/update|no-such-department/i);
  });

  it('deleting a row others refer to (23503) is 409 still_referenced', async () => {
    const err = await failure(t.db.knex, async (trx) => {
      const user = await trx('users').whereNotNull('department_code').first('department_code');
      await trx('departments').where({ code: user.department_code }).delete();
    });
    expect(describeError(err)).toMatchObject({ status: 409, code: 'still_referenced', params: { fields: ['code'], referencing_table: 'users' } });
  });

  it('a refused connection is 503 database_unavailable with Retry-After', async () => {
    const quiet = { warn() {}, error() {}, debug() {}, deprecate() {} };
    const refused = knexFactory({ client: 'pg', connection: 'postgres://gridwork@127.0.0.1:1/gridwork', pool: { min: 0, max: 1 }, log: quiet });
    try {
      const app = testApp({ ...t.db, knex: refused } as Db);
      const res = await request(app).get('/api/areas');
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['retry-after']).toBe(String(DATABASE_RETRY_AFTER));
      expect(res.body).toMatchObject({ title: 'Service unavailable', code: 'database_unavailable' });
    } finally {
      await refused.destroy();
    }
  });

  it.each([
    ['57P01', 'database_unavailable', 503],
    ['53300', 'database_unavailable', 503],
    ['08006', 'database_unavailable', 503],
    ['40P01', 'transaction_conflict', 409],
    ['40001', 'transaction_conflict', 409],
    ['22003', 'value_out_of_range', 400],
  ])('SQLSTATE %s (a server-side state the embedded database cannot reach) is %s', (code, expected, status) => {
    expect(describeError(Object.assign(new Error('x'), { code, severity: 'FATAL' }))).toMatchObject({ status, code: expected });
  });

  it('an error with an unknown SQLSTATE, or a code that is not one, is left for the 500', () => {
    expect(describeError(Object.assign(new Error('x'), { code: 'XX000', severity: 'ERROR' }))).toBeUndefined();
    expect(describeError(Object.assign(new Error('x'), { code: 'LIMIT_FILE_SIZE' }))).toBeUndefined();
  });
});
