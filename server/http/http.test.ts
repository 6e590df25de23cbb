import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig } from '../config.js';
import { loginAs, testApp, useTestApp } from '../../test/app.js';
import { PROBLEM_CODES, isProblemCode } from './problem_codes.js';
import { RouteRegistry, type RouteSpec } from './route.js';

const t = useTestApp({ bodyLimit: '1kb' });

describe('errors', () => {
  it('an unknown route is 404 problem+json pointing at the API description', async () => {
    const res = await request(t.app).get('/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: 'about:blank', title: 'Not found', status: 404, code: 'route_not_found', params: { method: 'GET', path: '/api/nothing-here' }, instance: '/api/nothing-here',
    });
    expect(res.body.detail).toMatch(/openapi\.json/);
  });

  it('a body over the limit is 413 problem+json', async () => {
    const res = await request(t.app).post('/api/auth/login').send({ username: 'x'.repeat(2000), password: 'y' });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/larger than the limit/);
    expect(res.body).toMatchObject({ code: 'body_too_large', params: { max_bytes: 1024 } });
  });

  it('a request that fails its schema is 400 validation_failed listing each bad field', async () => {
    const res = await request(t.app).get('/api/locate?lon=east&lat=41.8');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'validation_failed', params: {} });
    expect(res.body.errors).toContainEqual(expect.objectContaining({ in: 'query', field: 'lon' }));
  });
});

type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

// Values tried for a path or query parameter: the first its schema takes is the route's sample, the first
// it refuses is the malformed value (a NUL byte when it refuses none: the database must refuse that). An
// empty value is tried in queries only: an empty path segment is another route.
const CANDIDATES = ['1', 'grids', 'geojson', 'csv', 'json', '2026-03', '2026-03-02', 'x', '-1', '99999999999', 'x'.repeat(3000), '\u0000'];
const QUERY_CANDIDATES = [...CANDIDATES.slice(0, -2), '', ...CANDIDATES.slice(-2)];
// Logging out without a session has nothing to end, so it answers 204 as it does with one.
const SESSION_OPTIONAL = new Set(['post /api/auth/logout']);
const BODIES: unknown[] = [[], {}, { zzz: 1 }];

/** The schema of one key of an object schema, if the schema is an object. */
const keyOf = (schema: z.ZodType | undefined, key: string): z.ZodType | undefined =>
  schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>)[key] : undefined;

/** The first candidate the schema takes (or refuses). */
const pick = (schema: z.ZodType | undefined, takes: boolean, candidates = CANDIDATES): string | undefined =>
  candidates.find((v) => (schema ? schema.safeParse(v).success === takes : takes));

/** The route's path with each parameter filled in: a sample value, a value its schema refuses, or a NUL byte where the schema takes one. */
function urlOf(route: AnyRoute, value: 'sample' | 'refused' | 'nul'): string {
  return route.path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
    const schema = keyOf(route.params, name);
    const nul = '\u0000';
    const v = value === 'refused' ? pick(schema, false) ?? nul : value === 'nul' && pick(schema, true, [nul]) ? nul : pick(schema, true);
    return encodeURIComponent(v ?? '1');
  });
}

/** A query that fails the route's query schema, or undefined when no value of CANDIDATES makes it fail. */
function malformedQuery(route: AnyRoute): Record<string, string> | undefined {
  if (!(route.query instanceof z.ZodObject)) return undefined;
  const bad = Object.keys(route.query.shape).flatMap((key) => {
    const v = pick(keyOf(route.query, key), false, QUERY_CANDIDATES);
    return v === undefined ? [] : [[key, v] as const];
  });
  return bad.length ? Object.fromEntries(bad) : undefined;
}

/** What is wrong with an error answer (undefined when it is a 4xx problem with a catalogue code, or Open311's list). */
function problemFault(res: request.Response, path: string): string | undefined {
  if (res.status < 400 || res.status >= 500) return `answered ${res.status}: ${res.text.slice(0, 200)}`;
  if (path.startsWith('/open311')) {
    return Array.isArray(res.body) && res.body[0]?.code === res.status ? undefined : `not an Open311 error list: ${res.text.slice(0, 200)}`;
  }
  if (!/^application\/problem\+json/.test(res.headers['content-type'] ?? '')) return `answered ${res.headers['content-type']}`;
  if (!isProblemCode(res.body.code) || res.body.status !== res.status) return `answered code ${res.body.code} status ${res.body.status}`;
  return undefined;
}

describe('every route', () => {
  const registry = new RouteRegistry();
  let app: ReturnType<typeof testApp>;
  let admin: string;
  beforeAll(async () => {
    app = testApp(t.db, { publicReportsPerHour: 10_000, loginAttempts: 10_000 }, { registry });
    admin = await loginAs(app, 'admin');
  });

  /** Send a request to a route, as admin when a token is given. */
  const send = (route: AnyRoute, url: string, token?: string, query: Record<string, string> = {}, body?: unknown) => {
    const req = request(app)[route.method](url).query(query);
    if (token) req.set('authorization', `Bearer ${token}`);
    return body === undefined ? req : req.send(body as object);
  };

  it('is registered (more than the eight the document test names)', () => {
    expect(registry.routes.length).toBeGreaterThan(60);
  });

  it('answers an unauthenticated request: public ones as they will, the rest 401, never 500', async () => {
    const faults: string[] = [];
    for (const route of registry.routes) {
      const url = urlOf(route, 'sample');
      const res = await send(route, url);
      const name = `${route.method.toUpperCase()} ${url}`;
      if (route.auth === 'public' || SESSION_OPTIONAL.has(`${route.method} ${route.path}`)) {
        if (res.status >= 400) {
          const fault = problemFault(res, route.path);
          if (fault) faults.push(`${name}: ${fault}`);
        } else if (res.status >= 300 && res.status !== 304) faults.push(`${name}: answered ${res.status}`);
      } else if (res.status !== 401 || problemFault(res, route.path)) {
        faults.push(`${name}: answered ${res.status} ${res.body?.code ?? ''}, not 401`);
      }
    }
    expect(faults).toEqual([]);
  });

  it('answers a malformed path, query or body with a 4xx problem that has a catalogue code, never a 500', async () => {
    const faults: string[] = [];
    let cases = 0;
    for (const route of registry.routes) {
      const tries: [string, () => request.Test][] = [];
      if (route.params instanceof z.ZodObject && Object.keys(route.params.shape).length) {
        tries.push(['path', () => send(route, urlOf(route, 'refused'), admin)]);
        // A NUL byte that the schema lets through must be refused by the database, as a 400.
        if (urlOf(route, 'nul') !== urlOf(route, 'sample')) tries.push(['path (NUL byte)', () => send(route, urlOf(route, 'nul'), admin)]);
      }
      const query = malformedQuery(route);
      if (query) tries.push(['query', () => send(route, urlOf(route, 'sample'), admin, query)]);
      const body = route.body && BODIES.find((b) => !route.body!.safeParse(b).success);
      if (body !== undefined) tries.push(['body', () => send(route, urlOf(route, 'sample'), admin, {}, body)]);
      for (const [part, run] of tries) {
        cases++;
        const res = await run();
        const fault = problemFault(res, route.path);
        if (fault) faults.push(`${route.method.toUpperCase()} ${route.path} (bad ${part}): ${fault}`);
      }
    }
    expect(faults).toEqual([]);
    expect(cases).toBeGreaterThan(60);
  });
});

describe('GET /api/health', () => {
  it('answers the database kind and the PostGIS version', async () => {
    const res = await request(t.app).get('/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', database: t.db.kind, postgis: expect.stringMatching(/^3\.\d+/) });
    expect(res.body.capabilities.st_asmvt).toBe(t.db.kind === 'postgis');
  });
});

describe('GET /api/settings', () => {
  it('answers the photo limits and no public address by default', async () => {
    const res = await request(t.app).get('/api/settings');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(res.body).toEqual({ public_url: null, photos: { max_files: 6, max_bytes: 8 * 1024 * 1024 } });
  });

  it('answers the configured public address and limits, and refuses a public address that is not one', async () => {
    const config = parseConfig({ PUBLIC_URL: 'https://wg.example.gov.cn/app/', PHOTO_MAX_FILES: '3', PHOTO_MAX_BYTES: '1000000' }, []);
    expect(config.publicUrl).toBe('https://wg.example.gov.cn/app');
    const res = await request(testApp(t.db, { publicUrl: config.publicUrl, photoMaxFiles: config.photoMaxFiles, photoMaxBytes: config.photoMaxBytes })).get('/api/settings');
    expect(res.body).toEqual({ public_url: 'https://wg.example.gov.cn/app', photos: { max_files: 3, max_bytes: 1000000 } });
    for (const bad of ['wg.example.gov.cn', 'ftp://wg.example.gov.cn', 'https://wg.example.gov.cn/?x=1']) {
      expect(() => parseConfig({ PUBLIC_URL: bad }, []), bad).toThrow(/PUBLIC_URL must be/);
    }
  });
});

describe('OpenAPI', () => {
  it('GET /api/openapi.json is an OpenAPI 3.1 document of every route, with its schemas', async () => {
    const res = await request(t.app).get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    for (const path of ['/api/health', '/api/auth/login', '/api/auth/logout', '/api/me', '/api/areas', '/api/areas/{code}', '/api/areas/{code}/history', '/api/locate']) {
      expect(Object.keys(res.body.paths)).toContain(path);
    }
    const registry = new RouteRegistry();
    testApp(t.db, {}, { registry });
    for (const route of registry.routes) {
      expect(res.body.paths[route.path.replace(/:([A-Za-z_]+)/g, '{$1}')]?.[route.method], `${route.method} ${route.path}`).toBeDefined();
    }
    const locate = res.body.paths['/api/locate'].get;
    expect(locate.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['crs', 'lat', 'lon']);
    expect(Object.keys(locate.responses).sort()).toEqual(['200', '400', '404']);
    const problem = res.body.components.schemas.Problem;
    expect(problem.required).toEqual(expect.arrayContaining(['code', 'params', 'detail']));
    expect(problem.properties.code.enum).toEqual(Object.keys(PROBLEM_CODES));
    expect(problem.properties.code.description).toMatch(/`point_outside_grids` \(404\/422: /);
  });

  it('GET /api/docs is a browsable page served from local files', async () => {
    const page = await request(t.app).get('/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).not.toMatch(/https?:\/\//);
    const bundle = await request(t.app).get('/api/docs/assets/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
  });
});
