import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from './db/connect.js';

/** What every domain gets from the app: the database, the configuration and the logger. */
export interface AppContext {
  db: Db;
  config: Config;
  logger: Logger;
}
