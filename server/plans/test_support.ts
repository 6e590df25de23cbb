import knexFactory from 'knex';
import { afterAll, beforeAll, inject } from 'vitest';
import { openDatabase, type Db } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import { loadDemoOffice } from '../demo/load.js';
import { openTestDb, testApp, TEST_PASSWORD } from '../../test/app.js';

/**
 * A test app over a database of its own. Publishing a plan changes the boundaries in force, which
 * other test files read: embedded, every file has its own copy anyway; native, the run's database is
 * shared, so this file gets a fresh one with the demo office, dropped afterwards.
 */
export function useOwnDatabaseApp(): { db: Db; app: ReturnType<typeof testApp> } {
  const ctx = {} as { db: Db; app: ReturnType<typeof testApp> };
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const target = inject('testDatabase');
    if (target.kind === 'embedded') {
      ctx.db = await openTestDb();
    } else {
      const name = `gridwork_plans_test_${process.pid}_${Date.now()}`;
      const admin = knexFactory({ client: 'pg', connection: target.url, pool: { min: 0, max: 1 } });
      await admin.raw(`create database ${name}`);
      const url = new URL(target.url);
      url.pathname = `/${name}`;
      ctx.db = await openDatabase({ url: url.toString() });
      await migrate(ctx.db);
      await loadDemoOffice(ctx.db, TEST_PASSWORD);
      drop = async () => {
        await admin.raw(`drop database if exists ${name} with (force)`);
        await admin.destroy();
      };
    }
    ctx.app = testApp(ctx.db);
  });
  afterAll(async () => {
    await ctx.db?.close();
    await drop?.();
  });
  return ctx;
}
