import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/app.js';
import { PROBLEM_CODES } from './problem_codes.js';

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

describe('GET /api/health', () => {
  it('answers the database kind and the PostGIS version', async () => {
    const res = await request(t.app).get('/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', database: t.db.kind, postgis: expect.stringMatching(/^3\.\d+/) });
    expect(res.body.capabilities.st_asmvt).toBe(t.db.kind === 'postgis');
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
