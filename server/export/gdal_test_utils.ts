/** Helpers for the tests that use GDAL (ogrinfo, ogr2ogr) as the client of the exports and of /ogc. */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Whether the GDAL command-line tools are installed (Debian: gdal-bin). Under CI they must be: there the
 * tests run (and fail loudly) instead of skipping.
 */
export const HAS_GDAL = (() => {
  try {
    execFileSync('ogrinfo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return Boolean(process.env.CI);
  }
})();

/** What ogrinfo says about one layer: its feature count, geometry type and fields (name → type). */
export interface OgrLayerInfo {
  featureCount: number;
  geometry: string;
  fields: Record<string, string>;
}

/** Run ogrinfo in summary mode on a data source and parse its first layer (or the named one). */
export async function ogrLayerInfo(source: string, layer?: string, options: string[] = []): Promise<OgrLayerInfo> {
  const args = ['-ro', '-so', ...options, ...(layer ? [source, layer] : ['-al', source])];
  const { stdout } = await run('ogrinfo', args, { maxBuffer: 64 << 20 });
  const count = /^Feature Count: (-?\d+)$/m.exec(stdout);
  if (!count) throw new Error(`ogrinfo printed no feature count:\n${stdout}`);
  const fields: Record<string, string> = {};
  for (const m of stdout.matchAll(/^(\S+): (String|Integer64|Integer|Real|DateTime|Date|Time)(\([A-Za-z]+\))? \(\d+\.\d+\)$/gm)) {
    fields[m[1]] = m[2] + (m[3] ?? '');
  }
  return { featureCount: Number(count[1]), geometry: /^Geometry: (.+)$/m.exec(stdout)?.[1] ?? '', fields };
}

/** Run ogr2ogr with the arguments; answers its standard output. */
export async function ogr2ogr(args: string[]): Promise<string> {
  const { stdout } = await run('ogr2ogr', args, { maxBuffer: 256 << 20 });
  return stdout;
}

/** A GDAL PostgreSQL connection string from a postgres:// URL. */
export function pgSource(url: string): string {
  const u = new URL(url);
  const part = (k: string, v: string) => (v ? `${k}=${decodeURIComponent(v)} ` : '');
  return `PG:${part('host', u.hostname)}${part('port', u.port)}${part('dbname', u.pathname.slice(1))}${part('user', u.username)}${part('password', u.password)}`.trim();
}
