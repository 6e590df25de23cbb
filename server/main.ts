import pino from 'pino';
import { createApp } from './app.js';
import { dropDeadStagedTables } from './assets/bulk.js';
import { parseConfig } from './config.js';
import { DatabaseSetupError, openDatabase, type Db } from './db/connect.js';
import { migrate } from './db/migrate.js';
import { demoAccounts, hasAreas, loadDemoOffice } from './demo/load.js';

/** Start the server: read the config, open and migrate the database, drop what unfinished bulk imports staged, load the demo office when asked, listen. */
async function main(): Promise<void> {
  const started = Date.now();
  const config = parseConfig();
  // Readable lines on a terminal, JSON lines (for log collectors) otherwise.
  const logger = pino({
    level: config.logLevel,
    ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' } } } : {}),
  });
  let db: Db;
  try {
    db = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir });
  } catch (err) {
    if (err instanceof DatabaseSetupError) {
      console.error(`gridwork: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const where = db.kind === 'embedded' ? `embedded PGlite + PostGIS ${db.capabilities.postgisVersion} in ${config.dataDir}` : `PostgreSQL + PostGIS ${db.capabilities.postgisVersion}`;
  logger.info({ database: db.kind }, `database: ${where}`);
  const applied = await migrate(db);
  if (applied.length) logger.info({ applied }, `applied ${applied.length} migration(s)`);
  // Tables staged by bulk imports that did not finish (a process killed mid-import): a failure here is logged, not fatal.
  await dropDeadStagedTables(db).then(
    ({ dropped, kept }) => {
      if (dropped.length) logger.info({ dropped }, `dropped ${dropped.length} table(s) staged by bulk imports that did not finish`);
      if (kept.length) logger.info({ kept }, `kept ${kept.length} staged table(s) of imports still running (or locked just now; the next start or bulk import drops them once dead)`);
    },
    (err: Error) => logger.warn({ err }, `could not drop the tables staged by unfinished bulk imports: ${err.message}`),
  );

  if (config.demo && !(await hasAreas(db.knex))) {
    const t = Date.now();
    const loaded = await loadDemoOffice(db, config.demoPassword);
    logger.info(loaded, `loaded the demo office in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }

  const app = createApp({ db, config, logger });
  const server = app.listen(config.port, () => {
    const url = `http://localhost:${config.port}/`;
    const lines = [`Gridwork is up at ${url} (started in ${((Date.now() - started) / 1000).toFixed(1)} s, ${db.kind} database)`, `API docs: ${url}api/docs`];
    if (config.demo) {
      const users = demoAccounts();
      const shown = ['admin', 'planner', 'community01', 'chief01', 'municipal'];
      lines.push(
        `Demo accounts (password "${config.demoPassword === 'gridwork-demo' ? 'gridwork-demo' : 'from DEMO_PASSWORD'}"): ` +
          shown.filter((u) => users.some((d) => d.username === u)).join(', ') +
          ` (every grid chief is chief01..chief${String(users.filter((u) => u.role === 'chief').length).padStart(2, '0')})`,
      );
    }
    console.log(lines.join('\n'));
  });

  const stop = (signal: string) => {
    logger.info(`${signal}: shutting down`);
    server.close();
    server.closeAllConnections();
    db.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  console.error('gridwork: failed to start:', err);
  process.exit(1);
});
