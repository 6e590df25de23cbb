import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'vite';

/** What the service worker precaches: the app shell of one build, under a version that changes with any of its files. */
export interface Precache {
  version: string;
  urls: string[];
}

/** The file the build lists its precache in (for readers and tests; the service worker has it inlined). */
export const PRECACHE_MANIFEST = 'precache-manifest.json';

/** Files of the build that are not part of the shell: the service worker itself, the list, and source maps. */
function inShell(fileName: string): boolean {
  return fileName !== 'sw.js' && fileName !== PRECACHE_MANIFEST && !fileName.endsWith('.map') && !fileName.startsWith('.vite/');
}

/**
 * The precache of a build from its output files (name → content): every file of the shell, index.html as `/`
 * (the URL the app is opened at), and a version hashed from all of them, so that a new build is a new worker.
 */
export function precacheOf(files: Record<string, string | Uint8Array>): Precache {
  const names = Object.keys(files).filter(inShell).sort();
  const hash = crypto.createHash('sha256');
  for (const name of names) hash.update(name).update('\0').update(files[name]).update('\0');
  return { version: hash.digest('hex').slice(0, 12), urls: names.map((n) => (n === 'index.html' ? '/' : `/${n}`)) };
}

/**
 * Vite plugin: once the app is written, build `entry` (web/src/sw.ts) on its own into `sw.js` at the root of the
 * output, as a classic script (every browser runs those as service workers), with the precache of this build
 * inlined as `__PRECACHE__`, and write the list to precache-manifest.json.
 */
export function serviceWorker(entry: string): Plugin {
  return {
    name: 'gridwork:service-worker',
    apply: 'build',
    writeBundle: {
      sequential: true,
      order: 'post',
      async handler(options, bundle) {
        const outDir = options.dir!;
        const files = Object.fromEntries(Object.values(bundle).map((o) => [o.fileName, o.type === 'asset' ? o.source : o.code]));
        const precache = precacheOf(files);
        fs.writeFileSync(path.join(outDir, PRECACHE_MANIFEST), `${JSON.stringify(precache, null, 2)}\n`);
        await build({
          configFile: false,
          root: path.dirname(entry),
          publicDir: false,
          logLevel: 'warn',
          define: { __PRECACHE__: JSON.stringify(precache) },
          build: {
            outDir,
            emptyOutDir: false,
            copyPublicDir: false,
            sourcemap: false,
            lib: { entry, formats: ['iife'], name: 'gridworkServiceWorker', fileName: () => 'sw.js' },
          },
        });
      },
    },
  };
}
