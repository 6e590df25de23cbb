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
  /** Incidents: an open incident of the same category within this many metres is a possible duplicate. */
  duplicateRadiusMetres: number;
  /** Incidents: … and reported within this many hours. */
  duplicateWindowHours: number;
  /** Incidents: a report outside every grid is refused (`reject`, 422) or goes to the command centre (`centre`). */
  outsideGrid: 'reject' | 'centre';
  /** Incidents: public (resident) reports allowed per client per hour. */
  publicReportsPerHour: number;
  /** Photos: largest accepted file, in bytes, and most files per request. */
  photoMaxBytes: number;
  photoMaxFiles: number;
  /**
   * The address residents and chiefs reach the web app at (PUBLIC_URL, e.g. https://wg.example.gov.cn), for
   * what is printed or sent to be opened elsewhere: the notice board's QR code. Null: the address in use.
   */
  publicUrl: string | null;
  /**
   * Origins whose pages may read the public GIS and citizen endpoints (tiles, styles, OGC API, exports,
   * Open311) by script (CORS_ORIGINS): `*` (the default: any page) or a list of origins. Never with credentials.
   */
  corsOrigins: '*' | string[];
  /** Map: an optional raster basemap under the vector layers (a URL template with {z}, {x}, {y}) and its credit. */
  basemap: { url: string; attribution: string } | null;
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
    duplicateRadiusMetres: Number(env.DUPLICATE_RADIUS_METRES ?? 50),
    duplicateWindowHours: Number(env.DUPLICATE_WINDOW_HOURS ?? 72),
    outsideGrid: env.OUTSIDE_GRID === 'centre' ? 'centre' : 'reject',
    publicReportsPerHour: Number(env.PUBLIC_REPORTS_PER_HOUR ?? 20),
    photoMaxBytes: Number(env.PHOTO_MAX_BYTES ?? 8 * 1024 * 1024),
    photoMaxFiles: Number(env.PHOTO_MAX_FILES ?? 6),
    publicUrl: parsePublicUrl(env.PUBLIC_URL),
    corsOrigins: parseCorsOrigins(env.CORS_ORIGINS),
    basemap: parseBasemap(env.BASEMAP_URL, env.BASEMAP_ATTRIBUTION),
  };
}

/** The public address: absent, or an http(s) URL with no query or fragment (kept without its trailing slash). */
function parsePublicUrl(url: string | undefined): string | null {
  if (!url) return null;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.search || parsed.hash || parsed.username) {
    throw new Error(`PUBLIC_URL must be the http(s) address the web app is reached at, such as https://wg.example.gov.cn or https://example.gov.cn/wg, without a query; got "${url}"`);
  }
  return parsed.toString().replace(/\/+$/, '');
}

/** The CORS origins: absent, empty or `*` for any, else a comma list of origins (scheme, host, optional port; no path). */
export function parseCorsOrigins(value: string | undefined): '*' | string[] {
  const items = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0 || (items.length === 1 && items[0] === '*')) return '*';
  return items.map((item) => {
    let origin: string | undefined;
    try {
      const url = new URL(item);
      if (/^https?:$/.test(url.protocol) && url.origin === item.replace(/\/$/, '').toLowerCase()) origin = url.origin;
    } catch {
      origin = undefined;
    }
    if (!origin) {
      throw new Error(`CORS_ORIGINS must be * or a comma-separated list of origins such as https://gis.example.gov.cn,http://localhost:8080 (scheme, host and port only, no path); "${item}" is not one`);
    }
    return origin;
  });
}

/** The basemap setting: absent, or an http(s) tile URL template naming {z}, {x} and {y}. */
function parseBasemap(url: string | undefined, attribution: string | undefined): Config['basemap'] {
  if (!url) return null;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url.replaceAll('{', '%7B').replaceAll('}', '%7D'));
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || !['{z}', '{x}', '{y}'].every((k) => url.includes(k))) {
    throw new Error(`BASEMAP_URL must be an http(s) raster tile URL template with {z}, {x} and {y}, e.g. https://tiles.example.gov.cn/{z}/{x}/{y}.png; got "${url}"`);
  }
  return { url, attribution: attribution ?? '' };
}
