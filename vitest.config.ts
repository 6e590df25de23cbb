import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // web/**: the web app's pure modules (routing, formatting, i18n, geometry), in node: they touch no DOM.
    include: ['server/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts', 'web/**/*.test.ts'],
    // *.native.test.ts need what only native PostGIS has (ST_AsMVT): run with DATABASE_URL, as CI does.
    exclude: ['**/node_modules/**', ...(process.env.DATABASE_URL ? [] : ['**/*.native.test.ts'])],
    globalSetup: ['test/global_setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    // On native PostGIS every file shares one database: run files one at a time so that no file's counts
    // see another file's rows mid-test. Embedded, each file has its own in-memory copy and runs in parallel.
    fileParallelism: !process.env.DATABASE_URL,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    env: { NODE_ENV: 'test' },
  },
});
