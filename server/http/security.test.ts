import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { loginAs, testApp, useTestApp } from '../../test/app.js';
import { pointIn } from '../incidents/test_helpers.js';

const t = useTestApp();

/** The directives of a Content-Security-Policy header, by name. */
const directives = (csp: string) => Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));

describe('security headers', () => {
  it('every answer (page, API, problem, tile) carries a strict CSP, nosniff, no framing and no referrer', async () => {
    for (const url of ['/', '/api/health', '/api/nothing-here', '/api/docs', '/tiles/grids.json']) {
      const res = await request(t.app).get(url);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      const csp = directives(res.headers['content-security-policy'] ?? '');
      expect(csp['script-src'][0], url).toBe("'self'");
      for (const source of csp['script-src'].slice(1)) expect(source, url).toMatch(/^'sha256-[A-Za-z0-9+/]+=*'$/);
      expect(csp['frame-ancestors'], url).toEqual(["'none'"]);
      expect(csp['object-src'], url).toEqual(["'none'"]);
      expect(csp['default-src'], url).toEqual(["'self'"]);
      // Plain http (no https PUBLIC_URL): no HSTS, and subresources are not sent to an https that may not exist.
      expect(res.headers['strict-transport-security'], url).toBeUndefined();
      expect(csp['upgrade-insecure-requests'], url).toBeUndefined();
    }
  });

  it('lets other sites load tiles, exports, OGC API and Open311, and keeps the rest same-origin', async () => {
    const policy = async (url: string) => (await request(t.app).get(url)).headers['cross-origin-resource-policy'];
    expect(await policy('/tiles/grids.json')).toBe('cross-origin');
    expect(await policy('/ogc')).toBe('cross-origin');
    expect(await policy('/open311/v2/services.json')).toBe('cross-origin');
    expect(await policy('/export/grids.geojson')).toBe('cross-origin');
    expect(await policy('/api/me')).toBe('same-origin');
    expect(await policy('/')).toBe('same-origin');
  });

  it('with an https public address, sends HSTS and upgrades insecure subresources', async () => {
    const res = await request(testApp(t.db, { publicUrl: 'https://wg.example.gov.cn' })).get('/api/health');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expect(directives(res.headers['content-security-policy'])).toHaveProperty('upgrade-insecure-requests');
  });
});

describe('writes signed in by the session cookie', () => {
  /** The session cookie of a demo user. */
  async function cookieOf(username: string): Promise<string> {
    return `gridwork_session=${await loginAs(t.app, username)}`;
  }
  const countIncidents = async () => Number((await t.db.knex('incidents').count({ n: '*' }).first())!.n);

  it('are refused from another site (Sec-Fetch-Site or Origin), with nothing written', async () => {
    const cookie = await cookieOf('chief01');
    const at = await pointIn(t.db, '210103007001001');
    const before = await countIncidents();
    const cases = [
      { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      { 'sec-fetch-site': 'same-site', origin: 'https://other.gridwork.example' },
      { origin: 'https://evil.example' },
      { origin: 'null' },
    ];
    for (const headers of cases) {
      const res = await request(t.app).post('/api/incidents').set('cookie', cookie).set(headers).field('category', '0603').field('lon', at.lon).field('lat', at.lat);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'cross_site_request' });
    }
    // The public report, sent from another site with a staff cookie, is not filed as that staff member either.
    const pub = await request(t.app).post('/api/public/incidents').set('cookie', cookie).set({ 'sec-fetch-site': 'cross-site' }).send({ category: '0603', ...at });
    expect(pub.status).toBe(403);
    expect(await countIncidents()).toBe(before);
  });

  it('pass from the app’s own pages, and reads from anywhere; a bearer token needs no origin', async () => {
    const cookie = await cookieOf('chief01');
    const at = await pointIn(t.db, '210103007001001');
    const own = await request(t.app).post('/api/incidents').set('cookie', cookie).set({ 'sec-fetch-site': 'same-origin' }).send({ category: '0603', ...at });
    expect(own.status).toBe(201);
    const host = await request(t.app).post('/api/incidents').set('cookie', cookie).set('host', 'gw.local:3000').set('origin', 'http://gw.local:3000').send({ category: '0603', ...at });
    expect(host.status).toBe(201);
    const read = await request(t.app).get('/api/me').set('cookie', cookie).set({ 'sec-fetch-site': 'cross-site' });
    expect(read.status).toBe(200);
    const token = await loginAs(t.app, 'chief01');
    const bearer = await request(t.app).post('/api/incidents').set('authorization', `Bearer ${token}`).set({ 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }).send({ category: '0603', ...at });
    expect(bearer.status).toBe(201);
  });

  it('pass from the configured public address (behind a proxy that rewrites Host)', async () => {
    const app = testApp(t.db, { publicUrl: 'https://wg.example.gov.cn' });
    const cookie = await cookieOf('chief01');
    const at = await pointIn(t.db, '210103007001001');
    const res = await request(app).post('/api/incidents').set('cookie', cookie).set('origin', 'https://wg.example.gov.cn').send({ category: '0603', ...at });
    expect(res.status).toBe(201);
  });
});

describe('inline scripts', () => {
  it('are allowed by the hash of each one, and the web app’s page allows exactly its own', async () => {
    const { inlineScriptHashes } = await import('./security.js');
    expect(inlineScriptHashes('<script>a()</script><script type="module" src="/x.js"></script><script> </script>')).toEqual([
      `'sha256-${(await import('node:crypto')).createHash('sha256').update('a()').digest('base64')}'`,
    ]);
    const page = await request(t.app).get('/');
    const csp = directives(page.headers['content-security-policy']);
    expect(csp['script-src'].slice(1)).toEqual(inlineScriptHashes(page.text));
  });
});
