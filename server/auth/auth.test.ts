import request from 'supertest';
import { describe, expect, inject, it } from 'vitest';
import { loginAs as login, openTestDb, testApp, TEST_PASSWORD, useTestApp } from '../../test/app.js';
import { gridsInScope, isAreaInScope } from './scope.js';
import { hashToken, sessionUser } from './service.js';
import { SESSION_CACHE_MS, SessionCache, sessionCacheOf } from './session_cache.js';

const t = useTestApp();

const loginAs = (username: string) => login(t.app, username);

describe('POST /api/auth/login', () => {
  it('starts a session: a bearer token and an httpOnly cookie, stored only as a hash', async () => {
    const res = await request(t.app).post('/api/auth/login').send({ username: 'chief01', password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body.user).toMatchObject({ username: 'chief01', role: 'chief' });
    expect(res.body.user.scope).toHaveLength(1);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/gridwork_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const stored = await t.db.knex('sessions').where({ token_hash: res.body.token }).first();
    expect(stored).toBeUndefined();
    const user = await t.db.knex('users').where({ username: 'chief01' }).first('password_hash');
    expect(user.password_hash).toMatch(/^\$argon2id\$/);
    expect(user.password_hash).not.toContain(TEST_PASSWORD);
  });

  it('refuses a wrong password and an unknown user alike, with 401 problem', async () => {
    for (const body of [{ username: 'chief01', password: 'wrong' }, { username: 'nobody', password: TEST_PASSWORD }]) {
      const res = await request(t.app).post('/api/auth/login').send(body);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.detail).toBe('Wrong username or password.');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('refuses a missing field or a body that is not JSON with 400 problem', async () => {
    const missing = await request(t.app).post('/api/auth/login').send({ username: 'chief01' });
    expect(missing.status).toBe(400);
    expect(missing.body.detail).toMatch(/password is required/);
    const broken = await request(t.app).post('/api/auth/login').set('content-type', 'application/json').send('{"username": ');
    expect(broken.status).toBe(400);
    expect(broken.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(broken.body.detail).toMatch(/not valid JSON/);
  });
});

describe('sessions', () => {
  it('GET /api/me answers the user by bearer token and by cookie', async () => {
    const token = await loginAs('community01');
    const byBearer = await request(t.app).get('/api/me').set('authorization', `Bearer ${token}`);
    expect(byBearer.status).toBe(200);
    expect(byBearer.body).toMatchObject({ username: 'community01', role: 'community' });
    expect(Date.parse(byBearer.body.expires_at)).toBeGreaterThan(Date.now());
    const byCookie = await request(t.app).get('/api/me').set('cookie', `gridwork_session=${token}`);
    expect(byCookie.status).toBe(200);
    expect(byCookie.body.username).toBe('community01');
  });

  it('GET /api/me without a session is 401 problem that says how to log in', async () => {
    const res = await request(t.app).get('/api/me');
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/POST \/api\/auth\/login/);
  });

  it('logout ends the session', async () => {
    const token = await loginAs('planner');
    const out = await request(t.app).post('/api/auth/logout').set('authorization', `Bearer ${token}`);
    expect(out.status).toBe(204);
    const me = await request(t.app).get('/api/me').set('authorization', `Bearer ${token}`);
    expect(me.status).toBe(401);
    expect(me.body.detail).toMatch(/expired or was ended/);
  });

  it('a session expires after its time to live', async () => {
    const shortApp = testApp(t.db, { sessionTtlSeconds: 1 });
    const res = await request(shortApp).post('/api/auth/login').send({ username: 'municipal', password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    const token = res.body.token;
    expect((await request(shortApp).get('/api/me').set('authorization', `Bearer ${token}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    const late = await request(shortApp).get('/api/me').set('authorization', `Bearer ${token}`);
    expect(late.status).toBe(401);
    expect(await sessionUser(t.db.knex, token)).toBeUndefined();
  });

  it('a session moved into the past in the database no longer counts, at the latest once the cache has let it go', async () => {
    const token = await loginAs('admin');
    expect((await request(t.app).get('/api/me').set('authorization', `Bearer ${token}`)).status).toBe(200);
    const sessions = await t.db.knex('sessions').update({ expires_at: new Date(Date.now() - 1000) }).where('expires_at', '>', new Date()).returning('token_hash');
    expect(sessions.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, SESSION_CACHE_MS + 100));
    expect((await request(t.app).get('/api/me').set('authorization', `Bearer ${token}`)).status).toBe(401);
  });

  it('a logout in one app is seen at once by another app over the same database', async () => {
    const other = testApp(t.db);
    const token = await loginAs('community02');
    expect((await request(other).get('/api/me').set('authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await request(t.app).post('/api/auth/logout').set('authorization', `Bearer ${token}`)).status).toBe(204);
    const me = await request(other).get('/api/me').set('authorization', `Bearer ${token}`);
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('session_expired');
  });

  it('a session is answered from memory only while it lives: a cached one expires on the dot', async () => {
    const cache = new SessionCache(t.db.knex, undefined, 60_000);
    const token = await loginAs('community03');
    await t.db.knex('sessions').where({ token_hash: hashToken(token) }).update({ expires_at: new Date(Date.now() + 400) });
    expect((await cache.user(token))?.username).toBe('community03');
    await new Promise((r) => setTimeout(r, 500));
    expect(await cache.user(token)).toBeUndefined();
  });
});

describe('scope', () => {
  it('a chief sees their grid, a community its grids, the command centre every grid', async () => {
    const chief = (await sessionUser(t.db.knex, await loginAs('chief01')))!;
    const community = (await sessionUser(t.db.knex, await loginAs('community01')))!;
    const admin = (await sessionUser(t.db.knex, await loginAs('admin')))!;
    const chiefGrids = await gridsInScope(t.db.knex, chief);
    const communityGrids = await gridsInScope(t.db.knex, community);
    expect(chiefGrids).toHaveLength(1);
    expect(communityGrids.length).toBeGreaterThan(1);
    expect(communityGrids).toContain(chiefGrids[0]);
    expect(await gridsInScope(t.db.knex, admin)).toHaveLength(91);
    expect(await isAreaInScope(t.db.knex, community, chiefGrids[0])).toBe(true);
    expect(await isAreaInScope(t.db.knex, chief, community.scope[0])).toBe(false);
    const other = (await t.db.knex('areas').where({ level: 3 }).whereNotIn('code', communityGrids).first('code')).code;
    expect(await isAreaInScope(t.db.knex, chief, other)).toBe(false);
    expect(await isAreaInScope(t.db.knex, admin, other)).toBe(true);
  });
});

describe('password guessing', () => {
  it('is slowed: after the allowed failures the next attempt is 429 problem, even with the right password', async () => {
    const limited = testApp(t.db, { loginAttempts: 3 });
    for (let i = 0; i < 3; i++) {
      expect((await request(limited).post('/api/auth/login').send({ username: 'chief02', password: 'guess' + i })).status).toBe(401);
    }
    const res = await request(limited).post('/api/auth/login').send({ username: 'chief02', password: TEST_PASSWORD });
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/Too many failed logins/);
    const other = await request(limited).post('/api/auth/login').send({ username: 'chief03', password: TEST_PASSWORD });
    expect(other.status).toBe(200);
  });

  it('counts a username the same however it is padded or written: white space, case, full-width letters', async () => {
    const limited = testApp(t.db, { loginAttempts: 3 });
    const spellings = [' chief04', 'chief04\t', 'CHIEF04 ', 'ｃｈｉｅｆ04', '\u00a0chief04'];
    const statuses = [];
    for (const username of spellings) statuses.push((await request(limited).post('/api/auth/login').send({ username, password: 'guess' })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect((await request(limited).post('/api/auth/login').send({ username: 'chief04', password: TEST_PASSWORD })).status).toBe(429);
  });

  /** Log in through an app; answers the device cookie the browser was given. */
  const deviceCookieOf = (res: request.Response) => {
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('gridwork_device='));
    return cookie?.split(';')[0];
  };

  it('does not lock a user out of the browser they logged in from, while someone guesses from the same address', async () => {
    const limited = testApp(t.db, { loginAttempts: 3 });
    const first = await request(limited).post('/api/auth/login').send({ username: 'chief06', password: TEST_PASSWORD });
    expect(first.status).toBe(200);
    const device = deviceCookieOf(first)!;
    expect(String(first.headers['set-cookie'])).toMatch(/gridwork_device=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/api\/auth\/login; Expires=[^;]+; HttpOnly; SameSite=Strict/);
    expect(await t.db.knex('login_devices').where({ token_hash: device.split('=')[1] }).first()).toBeUndefined();
    // The guesser, from the same address: without the cookie, or with a made-up one.
    const madeUp = `gridwork_device=${'x'.repeat(43)}`;
    const guesses = [];
    for (const cookie of [undefined, madeUp, undefined, madeUp]) {
      const r = request(limited).post('/api/auth/login');
      if (cookie) r.set('cookie', cookie);
      guesses.push((await r.send({ username: 'chief06', password: 'guess' })).status);
    }
    expect(guesses).toEqual([401, 401, 401, 429]);
    // The user, in their browser: let in, and still so after the guesser is refused.
    const back = await request(limited).post('/api/auth/login').set('cookie', device).send({ username: 'chief06', password: TEST_PASSWORD });
    expect(back.status).toBe(200);
    expect(deviceCookieOf(back)).toBe(device);
    expect((await request(limited).post('/api/auth/login').send({ username: 'chief06', password: TEST_PASSWORD })).status).toBe(429);
  });

  it("counts a browser's cookie only for the user it was given to, and limits that browser's own failures", async () => {
    const limited = testApp(t.db, { loginAttempts: 3 });
    const own = deviceCookieOf(await request(limited).post('/api/auth/login').send({ username: 'chief07', password: TEST_PASSWORD }))!;
    // chief07's browser guessing chief08: counted by address, as any stranger.
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(limited).post('/api/auth/login').set('cookie', own).send({ username: 'chief08', password: 'guess' })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    // Failures on its own user are limited per browser too.
    const ownGuesses = [];
    for (let i = 0; i < 4; i++) ownGuesses.push((await request(limited).post('/api/auth/login').set('cookie', own).send({ username: 'chief07', password: 'guess' })).status);
    expect(ownGuesses).toEqual([401, 401, 401, 429]);
  });

  it('logs in with the username padded or full-width, as the same user', async () => {
    const res = await request(t.app).post('/api/auth/login').send({ username: ' ｃｈｉｅｆ05\t', password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.user.username).toBe('chief05');
  });
});

describe.runIf(inject('testDatabase').kind === 'postgis')('sessions across server processes', () => {
  it('a logout through one process is forgotten by the cache of another within a moment (NOTIFY)', async () => {
    const second = await openTestDb();
    try {
      const elsewhere = testApp(second);
      const token = await loginAs('community04');
      expect((await request(elsewhere).get('/api/me').set('authorization', `Bearer ${token}`)).status).toBe(200);
      await sessionCacheOf(second).ready();
      expect((await request(t.app).post('/api/auth/logout').set('authorization', `Bearer ${token}`)).status).toBe(204);
      const started = Date.now();
      let status = 200;
      while (status === 200 && Date.now() - started < SESSION_CACHE_MS) {
        status = (await request(elsewhere).get('/api/me').set('authorization', `Bearer ${token}`)).status;
        if (status === 200) await new Promise((r) => setTimeout(r, 20));
      }
      expect(status).toBe(401);
      // Well before the cache would have let it go by itself.
      expect(Date.now() - started).toBeLessThan(SESSION_CACHE_MS / 2);
    } finally {
      await second.close();
    }
  });
});
