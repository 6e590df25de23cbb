import request from 'supertest';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type Db } from '../../server/db/connect.js';
import { isProblemCode } from '../../server/http/problem_codes.js';
import { pointIn } from '../../server/incidents/test_helpers.js';
import { loginAs, openTestDb, testApp } from '../app.js';
import { mulberry32 } from '../../server/demo/synthetic.js';
import { fieldPaths, hostileBodyValues, hostileParamValues, pickSome, resolve, sampleOf, withField, type JsonSchema } from './openapi_values.js';

/**
 * The fuzz test: every operation of /api/openapi.json, every parameter and body field the document names,
 * given hostile values (wrong types, NUL bytes, very long text, unicode edge cases, injection-shaped strings,
 * boundary numbers), one field at a time on an otherwise plausible request, as the admin. Asserted: no 5xx;
 * every 4xx a problem document with a catalogue code (Open311 answers its own error list); and a rejected
 * write leaves every table as it was. Seeded and bounded: FUZZ_SEED and FUZZ_PER_FIELD pick another run.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
// Hostile values per field besides the NUL byte, which every field gets.
const PER_FIELD = Number(process.env.FUZZ_PER_FIELD ?? 5);
const NUL = 'a\u0000b';

// Not fuzzed: ending the admin's own session would make every later case a 401; the event stream never ends.
const SKIPPED = new Set(['post /api/auth/logout', 'get /api/incidents/stream']);
// Tables that a rejected request may write, and why: sessions note their last use; reading personal data is
// logged even when the read is refused halfway; an Idempotency-Key keeps the answer it was given.
const UNWATCHED_TABLES = new Set(['sessions', 'login_devices', 'resident_access_log', 'idempotency_keys', 'knex_migrations', 'knex_migrations_lock', 'spatial_ref_sys']);

interface Operation {
  method: string;
  path: string;
  parameters?: { in: 'path' | 'query' | 'header'; name: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
}

type Doc = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, JsonSchema> } };

/** Percent-encode a value for a URL, lone surrogates as their three bytes (which no UTF-8 decoder takes). */
function encodePart(v: string): string {
  let out = '';
  for (const ch of v) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    else out += encodeURIComponent(ch);
  }
  return out;
}

/** A request of the fuzz: its URL parts and body. */
interface Case {
  what: string;
  path: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
  bodyType?: string;
}

/** Cases of one operation: for each parameter and body field, the NUL byte and PER_FIELD hostile values in its place. */
function casesOf(op: Operation, doc: Doc, samples: Record<string, string>, random: () => number): Case[] {
  const params = op.parameters ?? [];
  const sample = (p: (typeof params)[number]): string => samples[p.name] ?? String(sampleOf(p.schema, doc));
  const base: Case = {
    what: 'sample',
    path: Object.fromEntries(params.filter((p) => p.in === 'path').map((p) => [p.name, sample(p)])),
    query: Object.fromEntries(params.filter((p) => p.in === 'query' && p.required).map((p) => [p.name, sample(p)])),
    headers: {},
  };
  const [bodyType, media] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
  if (media) Object.assign(base, { body: sampleOf(media.schema, doc), bodyType });
  const cases: Case[] = [base];
  const hostile = hostileParamValues();
  for (const p of params) {
    const values = [NUL, ...pickSome(hostile.filter((v) => v !== NUL), PER_FIELD, random)];
    for (const v of values) {
      // Node refuses to send a header with control characters, so such values cannot reach the server.
      if (p.in === 'header' && !/^[\t\x20-\x7e]{1,4096}$/.test(v)) continue;
      const c: Case = { ...base, what: `${p.in} ${p.name}=${JSON.stringify(v.slice(0, 40))}`, path: { ...base.path }, query: { ...base.query }, headers: {} };
      if (p.in === 'path') c.path[p.name] = v;
      else if (p.in === 'query') c.query[p.name] = v;
      else c.headers[p.name] = v;
      cases.push(c);
    }
  }
  if (media) {
    const bodyValues = (s: JsonSchema | undefined) => {
      const all = hostileBodyValues(s, doc);
      return [NUL, ...pickSome(all.filter((v) => v !== NUL), PER_FIELD, random)];
    };
    for (const v of pickSome(bodyValues(media.schema), PER_FIELD + 1, random)) cases.push({ ...base, what: `body=${JSON.stringify(v)?.slice(0, 40)}`, body: v });
    for (const field of fieldPaths(media.schema, doc)) {
      const schema = field.reduce<JsonSchema | undefined>((s, k) => {
        const r = resolve(s, doc);
        return (r.properties ?? resolve((r.anyOf ?? r.oneOf)?.find((b) => resolve(b, doc).properties), doc).properties)?.[k];
      }, media.schema);
      for (const v of bodyValues(schema)) {
        cases.push({ ...base, what: `body.${field.join('.')}=${JSON.stringify(v)?.slice(0, 40)}`, body: withField(base.body, field, v) });
      }
    }
  }
  return cases;
}

/** A fingerprint of every watched table (row count and a sum of row hashes), to tell whether a request changed any row. */
async function fingerprint(db: Db): Promise<Map<string, string>> {
  const tables: { table_name: string }[] = (
    await db.knex.raw(`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`)
  ).rows.filter((r: { table_name: string }) => !UNWATCHED_TABLES.has(r.table_name));
  const sql = tables.map((t) => `select '${t.table_name}' as t, count(*)::text || ':' || coalesce(sum(hashtext(x::text)::bigint), 0)::text as h from "${t.table_name}" x`).join(' union all ');
  const rows: { t: string; h: string }[] = (await db.knex.raw(sql)).rows;
  return new Map(rows.map((r) => [r.t, r.h]));
}

/** The tables whose fingerprint differs. */
const changedTables = (a: Map<string, string>, b: Map<string, string>) => [...a.keys()].filter((t) => a.get(t) !== b.get(t));

/** What is wrong with an answer: a 5xx, or a 4xx that is not a problem with a catalogue code (Open311: its error list). */
function fault(res: request.Response, path: string): string | undefined {
  if (res.status >= 500) return `answered ${res.status}: ${res.text.slice(0, 160)}`;
  if (res.status < 400) return undefined;
  if (path.startsWith('/open311')) return Array.isArray(res.body) && res.body[0]?.code === res.status ? undefined : `not an Open311 error list: ${res.text.slice(0, 160)}`;
  if (!/^application\/problem\+json/.test(res.headers['content-type'] ?? '')) return `${res.status} as ${res.headers['content-type']}: ${res.text.slice(0, 120)}`;
  if (!isProblemCode(res.body.code) || res.body.status !== res.status) return `${res.status} with code ${res.body.code}, status ${res.body.status}`;
  return undefined;
}

/** A database of its own for this file: embedded, its in-memory copy; native, a copy of the run's database (the fuzz's writes must not reach the files after it). */
async function ownDatabase(): Promise<{ db: Db; drop: () => Promise<void> }> {
  const target = inject('testDatabase');
  if (target.kind !== 'postgis') {
    const db = await openTestDb();
    return { db, drop: () => db.close() };
  }
  const url = new URL(target.url);
  const template = url.pathname.slice(1);
  const name = `${template}_fuzz`;
  const admin = knexFactory({ client: 'pg', connection: target.url.replace(/\/[^/]+$/, '/postgres'), pool: { min: 0, max: 1 } });
  await admin.raw(`drop database if exists ${name}`);
  await admin.raw(`create database ${name} template ${template}`);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString() });
  return {
    db,
    drop: async () => {
      await db.close();
      await admin.raw(`drop database if exists ${name} with (force)`);
      await admin.destroy();
    },
  };
}

describe('fuzzing every operation of the OpenAPI document', () => {
  let own: Awaited<ReturnType<typeof ownDatabase>>;
  let app: ReturnType<typeof testApp>;
  let token: string;
  let doc: Doc;
  const samples: Record<string, string> = {};

  beforeAll(async () => {
    own = await ownDatabase();
    app = testApp(own.db, { publicReportsPerHour: 1_000_000, loginAttempts: 1_000_000 });
    token = await loginAs(app, 'admin');
    doc = (await request(app).get('/api/openapi.json')).body;
    // Path values that the routes' patterns take, from the demo office, so that a case reaches the field it fuzzes.
    const grid = (await request(app).get('/api/areas?level=grid').set('authorization', `Bearer ${token}`)).body.features[0].properties.code;
    const at = await pointIn(own.db, grid);
    const reported = await request(app).post('/api/incidents').set('authorization', `Bearer ${token}`).send({ category: '0603', description: 'Streetlight out', ...at });
    expect(reported.status).toBe(201);
    const incident = await own.db.knex('incidents').where({ id: reported.body.id }).first('id', 'case_no');
    Object.assign(samples, { code: grid, grid, case_no: incident.case_no, id: String(incident.id), day: '2026-03-02', month: '2026-03', to: '2026-03', collectionId: 'grids', featureId: grid });
  });
  afterAll(async () => {
    await own?.drop();
  });

  it('answers no 5xx, a problem with a code for every 4xx, and changes no row for a rejected write', async () => {
    const random = mulberry32(SEED);
    const faults: string[] = [];
    let cases = 0;
    let before = await fingerprint(own.db);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (SKIPPED.has(`${method} ${path}`)) continue;
        for (const c of casesOf(op, doc, samples, random)) {
          cases++;
          const url = path.replace(/\{([A-Za-z_]+)\}/g, (_m, name: string) => encodePart(c.path[name] ?? '1'));
          const query = Object.entries(c.query).map(([k, v]) => `${k}=${encodePart(v)}`).join('&');
          const req = request(app)[method as 'get'](query ? `${url}?${query}` : url).set('authorization', `Bearer ${token}`).set(c.headers);
          if (c.body !== undefined) {
            if (c.bodyType === 'application/x-www-form-urlencoded') req.type('form').send(new URLSearchParams(Object.entries((c.body ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)])).toString());
            else req.type('json').send(JSON.stringify(c.body) ?? 'null');
          }
          const res = await req;
          const name = `${method.toUpperCase()} ${path} [${c.what}]`;
          const f = fault(res, path);
          if (f) faults.push(`${name}: ${f}`);
          if (method === 'get') continue;
          const after = await fingerprint(own.db);
          if (res.status >= 400) {
            const changed = changedTables(before, after);
            if (changed.length) faults.push(`${name}: rejected with ${res.status} but changed ${changed.join(', ')}`);
          }
          before = after;
        }
      }
    }
    expect(faults, `${faults.length} faults in ${cases} cases`).toEqual([]);
    expect(cases, `${cases} cases`).toBeGreaterThan(1500);
  }, 600_000);
});
