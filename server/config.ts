import path from 'node:path';

/** Runtime settings, read once from the environment and the command line. */
export interface Config {
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  demo: boolean;
  demoPassword: string;
  sessionTtlSeconds: number;
  bodyLimit: string;
  logLevel: string;
  /** Failed logins allowed per client and username in 15 minutes. */
  loginAttempts: number;
  /** Distance in metres from a grid edge under which a point counts as near the edge. */
  nearEdgeMetres: number;
}

/** Parse the configuration from environment variables and argv flags (`--demo`). */
export function parseConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer between 0 and 65535, got "${env.PORT}"`);
  }
  const ttl = Number(env.SESSION_TTL_SECONDS ?? 12 * 3600);
  if (!Number.isFinite(ttl) || ttl <= 0) {
    throw new Error(`SESSION_TTL_SECONDS must be a positive number of seconds, got "${env.SESSION_TTL_SECONDS}"`);
  }
  const demoFlag = argv.includes('--demo') || /^(1|true|yes)$/i.test(env.DEMO ?? '');
  return {
    port,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.DATA_DIR ?? '.data'),
    demo: demoFlag,
    demoPassword: env.DEMO_PASSWORD || 'gridwork-demo',
    sessionTtlSeconds: ttl,
    bodyLimit: env.BODY_LIMIT ?? '10mb',
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    loginAttempts: Number(env.LOGIN_ATTEMPTS ?? 10),
    nearEdgeMetres: Number(env.NEAR_EDGE_METRES ?? 15),
  };
}
