/** Build the web app into web/dist when it is missing or older than its sources (`--force` always builds). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST_INDEX = path.join(ROOT, 'web', 'dist', 'index.html');
const SOURCES = ['web/src', 'web/vite', 'web/index.html', 'web/icon.svg', 'vite.config.ts', 'package-lock.json'].map((p) => path.join(ROOT, p));

/** Newest modification time under a file or folder. */
function newest(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...fs.readdirSync(p).map((n) => newest(path.join(p, n))));
}

/** Whether web/dist is missing or older than a source file. */
export function webIsStale(): boolean {
  if (!fs.existsSync(DIST_INDEX)) return true;
  const built = fs.statSync(DIST_INDEX).mtimeMs;
  return SOURCES.some((s) => newest(s) > built);
}

/** Build web/dist if stale (or always with force); answers whether it built. */
export async function buildWeb(force = false): Promise<boolean> {
  if (!force && !webIsStale()) return false;
  // Always a production build: under the tests NODE_ENV is `test`, and Vite would then build with
  // import.meta.env.PROD false (no service worker registered, so no offline app).
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: path.join(ROOT, 'vite.config.ts'), mode: 'production', logLevel: 'warn' });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  const t = Date.now();
  buildWeb(force).then(
    (built) => console.log(built ? `web app built into web/dist in ${((Date.now() - t) / 1000).toFixed(1)} s` : 'web app is up to date (web/dist)'),
    (err) => {
      console.error('web build failed:', err);
      process.exit(1);
    },
  );
}
