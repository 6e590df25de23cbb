import fs from 'node:fs';
import pino from 'pino';
import { inject } from 'vitest';
import { createApp } from '../server/app.js';
import { parseConfig, type Config } from '../server/config.js';
import { openDatabase, type Db } from '../server/db/connect.js';

/** Password of every demo account in tests. */
export const TEST_PASSWORD = 'gridwork-demo';

/** Open this test file's database: its own in-memory copy (embedded) or the run's database (native). */
export async function openTestDb(): Promise<Db> {
  const target = inject('testDatabase');
  if (target.kind === 'postgis') return openDatabase({ url: target.url });
  const bytes = fs.readFileSync(target.tarball);
  return openDatabase({ memory: true, loadDataDir: new Blob([bytes]) });
}

/** The app over a test database, with config overrides; close the db when done. */
export function testApp(db: Db, overrides: Partial<Config> = {}) {
  const config = { ...parseConfig({ NODE_ENV: 'test' }, []), ...overrides };
  return createApp({ db, config, logger: pino({ level: 'silent' }) });
}
