/** A server in a child process for the drills: on a fresh native database of its own, with the demo office; or started and killed by a drill as it likes. */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';

/** The native cluster's maintenance database, where drills make and drop theirs. */
export const ADMIN_URL = 'postgres://gridwork:gridwork@localhost:5432/postgres';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP port free just now. */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server process a drill started, the lines it logged, and when it exited. */
export interface ServerProcess {
  child: ChildProcess;
  lines: string[];
  exited: Promise<void>;
}

/** Start server/main.ts (with `args`, e.g. --demo) as a child process with `env` added to this one's, logging to `lines`. */
export function spawnServer(env: Record<string, string>, args: string[] = []): ServerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, lines, exited };
}

/** Wait until GET /api/health answers 200; how long it took since `t0` (performance.now()), in ms. */
export async function untilHealthy(base: string, server: ServerProcess, t0: number, timeoutMs = 120_000): Promise<number> {
  for (;;) {
    if (server.child.exitCode !== null) throw new Error(`the server exited (${server.child.exitCode}):\n${server.lines.join('\n')}`);
    const ok = await fetch(`${base}/api/health`).then((r) => r.status === 200, () => false);
    if (ok) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`the server did not answer within ${timeoutMs / 1000} s:\n${server.lines.join('\n')}`);
    await sleep(50);
  }
}

/** Stop a server with SIGTERM (it closes its database) and wait for it to exit; nothing when it has already. */
export async function stopServer(server: ServerProcess): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM');
  await server.exited;
}

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
