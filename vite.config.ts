import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { appManifest } from './web/vite/app_manifest.js';
import { precompress } from './web/vite/precompress.js';
import { routePreload } from './web/vite/route_preload.js';
import { serviceWorker } from './web/vite/service_worker.js';

/** A path beside this file. */
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The web app lives in web/ and builds to web/dist, which the server serves at /: the app's files (hashed
// under assets/; index.html preloads the chunks of the page it opens on), the web app manifest and its icons, /sw.js with the precache of this build, and a brotli
// and a gzip copy beside each text file (server/http/web_static.ts picks one by Accept-Encoding).
export default defineConfig({
  root: 'web',
  base: '/',
  build: {
    outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500, sourcemap: false,
    // Brotli at its best takes a few seconds over the map's code: expected, not worth a warning on every build.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  plugins: [routePreload(here('web/src/pages')), appManifest(here('web/icon.svg')), serviceWorker(here('web/src/sw.ts')), precompress()],
  server: { proxy: { '/api': 'http://localhost:3000', '/tiles': 'http://localhost:3000' } },
});
