import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
import type { TileService } from './tiles/service.js';

/** What every domain gets from the app: the database, the configuration, the logger and the app's tiles. */
export interface AppContext {
  db: Db;
  config: Config;
  logger: Logger;
  /** This app's tile sources and cache; services that write call `tiles.invalidate`. */
  tiles: TileService;
}
