import fs from 'node:fs';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, inject } from 'vitest';
import { createApp } from '../server/app.js';
import { parseConfig, type Config } from '../server/config.js';
import { openDatabase, type Db } from '../server/db/connect.js';
import { TileService } from '../server/tiles/service.js';
import { RouteRegistry } from '../server/http/route.js';

/** Password of every demo account in tests. */
export const TEST_PASSWORD = 'gridwork-demo';

/** Open this test file's database: its own in-memory copy (embedded) or the run's database (native). */
export async function openTestDb(): Promise<Db> {
  const target = inject('testDatabase');
  if (target.kind === 'postgis') return openDatabase({ url: target.url });
  const bytes = fs.readFileSync(target.tarball);
  return openDatabase({ memory: true, loadDataDir: new Blob([bytes]) });
}

/** The app over a test database, with config overrides, optionally tiles to watch and a registry to list its routes in; close the db when done. */
export function testApp(db: Db, overrides: Partial<Config> = {}, with_: { tiles?: TileService; registry?: RouteRegistry } = {}) {
  const config = { ...parseConfig({ NODE_ENV: 'test' }, []), ...overrides };
  return createApp({ db, config, logger: pino({ level: 'silent' }), ...with_ });
}

/**
 * Open a test database and an app over it for the whole file (beforeAll/afterAll), with the app's tiles and
 * the registry of its routes (for `expectAsDeclared` in test/response_check.ts); read them from the result.
 */
export function useTestApp(overrides: Partial<Config> = {}): { db: Db; app: ReturnType<typeof testApp>; tiles: TileService; registry: RouteRegistry } {
  const ctx = {} as { db: Db; app: ReturnType<typeof testApp>; tiles: TileService; registry: RouteRegistry };
  beforeAll(async () => {
    ctx.db = await openTestDb();
    ctx.tiles = new TileService(ctx.db);
    ctx.registry = new RouteRegistry();
    ctx.app = testApp(ctx.db, overrides, { tiles: ctx.tiles, registry: ctx.registry });
  });
  afterAll(async () => {
    await ctx.db?.close();
  });
  return ctx;
}

/** Log a demo account in and answer its bearer token. */
export async function loginAs(app: ReturnType<typeof testApp>, username: string): Promise<string> {
  const res = await request(app).post('/api/auth/login').send({ username, password: TEST_PASSWORD });
  if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${res.text}`);
  return res.body.token;
}
