/** A server in a child process for the drills: on a fresh native database of its own, with the demo office. */
import { spawn, type ChildProcess } from 'node:child_process';
import knexFactory from 'knex';

const ADMIN_URL = 'postgres://gridwork:gridwork@localhost:5432/postgres';

/** A started server: its base URL, its database URL and process, and how to stop it and drop its database. */
export interface ChildServer {
  base: string;
  databaseUrl: string;
  process: ChildProcess;
  /** Stop the server and drop its database. */
  close: () => Promise<void>;
}

/** Wait until a server answers its health check, or throw after `timeoutMs`. */
export async function waitUp(base: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(`${base}/api/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the server at ${base} did not come up in ${timeoutMs / 1000} s`);
}

/**
 * Make a database `gridwork_drill_<pid>` (native PostGIS, role gridwork/gridwork), start `server/main.ts
 * --demo` on it at `port` with `env` added, and wait for it to answer.
 */
export async function startChildServer(port: number, env: Record<string, string> = {}): Promise<ChildServer> {
  const name = `gridwork_drill_${process.pid}`;
  const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
  await admin.raw(`drop database if exists ${name} with (force)`);
  await admin.raw(`create database ${name}`);
  await admin.destroy();
  const databaseUrl = ADMIN_URL.replace(/\/postgres$/, `/${name}`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--demo'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), LOG_LEVEL: 'warn', PUBLIC_REPORTS_PER_HOUR: '1000000', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const kill = () => child.kill('SIGTERM');
  process.on('exit', kill);
  const base = `http://127.0.0.1:${port}`;
  await waitUp(base, 180_000);
  return {
    base,
    databaseUrl,
    process: child,
    close: async () => {
      kill();
      await new Promise((r) => child.once('exit', r));
      const drop = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
      await drop.raw(`drop database if exists ${name} with (force)`);
      await drop.destroy();
    },
  };
}
