import { defineConfig } from 'vite';
import { precompress } from './web/vite/precompress.js';

// The web app lives in web/ and builds to web/dist, which the server serves at /: the app's files (hashed
// under assets/) and a brotli and a gzip copy beside each text file (server/http/web_static.ts picks one by
// Accept-Encoding).
export default defineConfig({
  root: 'web',
  base: '/',
  build: {
    outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500, sourcemap: false,
    // Brotli at its best takes a few seconds over the map's code: expected, not worth a warning on every build.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  plugins: [precompress()],
  server: { proxy: { '/api': 'http://localhost:3000', '/tiles': 'http://localhost:3000' } },
});
