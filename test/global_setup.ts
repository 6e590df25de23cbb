import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import knexFactory from 'knex';
import { dumpEmbedded, openDatabase } from '../server/db/connect.js';
import { migrate } from '../server/db/migrate.js';
import { loadDemoOffice } from '../server/demo/load.js';
import { buildWeb } from '../web/build.js';
import { TEST_PASSWORD } from './app.js';


declare module 'vitest' {
  export interface ProvidedContext {
    /** Native: URL of the database made for this run. Embedded: path of a data-dir tarball to start from. */
    testDatabase: { kind: 'postgis'; url: string } | { kind: 'embedded'; tarball: string };
  }
}

/**
 * Prepare one database for the whole run, migrated and holding the demo office: on native PostGIS a
 * fresh database beside the one in DATABASE_URL (dropped afterwards, so DATABASE_URL's own data is never
 * touched); embedded, a dump every test file starts its own in-memory copy from.
 */
export default async function setup(project: TestProject) {
  // The web app is built once, before any file runs: browser test files running side by side would otherwise
  // each find web/dist stale and rebuild it under the other's server (its service worker's precache then
  // meets files that are gone). Each file's own buildWeb() then finds it fresh.
  await buildWeb();
  const url = process.env.DATABASE_URL;
  if (url) {
    const name = `gridwork_test_${process.pid}_${Date.now()}`;
    const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    await admin.raw(`create database ${name}`);
    const testUrl = new URL(url);
    testUrl.pathname = `/${name}`;
    const db = await openDatabase({ url: testUrl.toString() });
    await migrate(db);
    await loadDemoOffice(db, TEST_PASSWORD);
    await db.close();
    project.provide('testDatabase', { kind: 'postgis', url: testUrl.toString() });
    return async () => {
      await admin.raw(`drop database if exists ${name} with (force)`);
      await admin.destroy();
    };
  }
  const db = await openDatabase({ memory: true });
  await migrate(db);
  await loadDemoOffice(db, TEST_PASSWORD);
  const blob = await dumpEmbedded(db);
  await db.close();
  const tarball = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gridwork-test-')), 'demo.tar');
  fs.writeFileSync(tarball, Buffer.from(await blob.arrayBuffer()));
  project.provide('testDatabase', { kind: 'embedded', tarball });
  return () => fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
}
