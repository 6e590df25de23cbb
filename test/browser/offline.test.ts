import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { AREA_LEVELS } from '../../server/areas/levels.js';
import { jpeg } from '../../server/incidents/test_helpers.js';
import { ARTIFACTS, CHROMIUM, useBrowser, waitForMapIdle, type WatchedPage } from './browser.js';

const ctx = useBrowser();
const DIST = path.resolve('web/dist');

/** The built chunk of a module of the web app (by its file name), as the page imports it. */
function chunkOf(name: string): string {
  const file = fs.readdirSync(path.join(DIST, 'assets')).find((f) => f.startsWith(`${name}-`) && f.endsWith('.js'));
  if (!file) throw new Error(`no chunk for ${name} in web/dist/assets: build the web app (npm run build:web)`);
  return `/assets/${file}`;
}

/**
 * Open a page, wait until the service worker (registered once the page is settled) has its shell and is
 * activated, and open the page again in a new tab, so that all of it, from its navigation on, goes through
 * the worker.
 */
async function openControlled(hash: string): Promise<WatchedPage> {
  const first = await ctx.open(hash, { width: 390, height: 844 });
  await first.page.evaluate(() =>
    navigator.serviceWorker.ready.then((reg) => {
      const sw = reg.active!;
      if (sw.state !== 'activated') return new Promise<void>((resolve) => sw.addEventListener('statechange', () => sw.state === 'activated' && resolve()));
    }));
  await first.page.close();
  const watched = await ctx.open(hash, { width: 390, height: 844 });
  expect(await watched.page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  return watched;
}

// .ci/run installs Debian's chromium; elsewhere set CHROMIUM_PATH or install it to run these.
describe.skipIf(!fs.existsSync(CHROMIUM) && !process.env.CI)('the web app without signal', () => {
  it('serves the built app compressed, hashed files for good, and lists every file of the shell in the precache', async () => {
    const precache = JSON.parse(fs.readFileSync(path.join(DIST, 'precache-manifest.json'), 'utf8')) as { version: string; urls: string[] };
    const entry = /src="(\/assets\/index-[^"]+\.js)"/.exec(fs.readFileSync(path.join(DIST, 'index.html'), 'utf8'))![1];
    expect(precache.urls).toEqual(expect.arrayContaining(['/', '/manifest.webmanifest', entry, chunkOf('report'), chunkOf('map_view')]));
    for (const url of precache.urls) expect((await request(ctx.test.app).get(url)).status, url).toBe(200);
    const js = await request(ctx.test.app).get(entry).set('accept-encoding', 'br').buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(js.headers['content-encoding']).toBe('br');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((js.body as Buffer).equals(fs.readFileSync(path.join(DIST, entry)))).toBe(true);
    expect(zlib.brotliDecompressSync(fs.readFileSync(path.join(DIST, `${entry}.br`))).equals(js.body as Buffer)).toBe(true);
    const sw = await request(ctx.test.app).get('/sw.js');
    expect(sw.headers['cache-control']).toBe('no-cache');
    expect(sw.text).toContain(precache.version);
    const manifest = await request(ctx.test.app).get('/manifest.webmanifest');
    expect(manifest.headers['content-type']).toMatch(/^application\/manifest\+json/);
    expect(JSON.parse(manifest.text)).toMatchObject({ start_url: '/#/chief', display: 'standalone', short_name: '网格通' });
  });

  it('opens the report form and its map without signal after one visit', { timeout: 150_000 }, async () => {
    const first = await openControlled('#/report');
    await first.page.waitForSelector('.category-tile', { state: 'attached' });
    await waitForMapIdle(first.page);
    await first.page.close();

    await ctx.serverDown();
    await ctx.browser.setOffline(true);
    try {
      const served = ctx.served.length;
      const { page, external } = await ctx.open('#/report', { width: 390, height: 844 });
      await page.waitForSelector('section[data-screen=where] h2');
      // The categories come from the service worker's copy, the map's code and tiles too.
      await page.waitForSelector('.category-tile', { state: 'attached' });
      await waitForMapIdle(page);
      await page.screenshot({ path: path.join(ARTIFACTS, 'report-offline.png'), fullPage: true });
      expect(await page.evaluate(() => navigator.onLine)).toBe(false);
      expect(ctx.served.length).toBe(served);
      expect(external).toEqual([]);
      await page.close();
    } finally {
      await ctx.browser.setOffline(false);
      await ctx.serverUp();
    }
  });

  it('keeps a resident\'s report made without signal through the screens, and sends it once, with its key, when the signal is back; it then shows in My reports', { timeout: 150_000 }, async () => {
    const { rows } = await ctx.test.db.knex.raw(`select code, ST_X(p) as lon, ST_Y(p) as lat from (select code, ST_PointOnSurface(geom) p from areas where level = ? and valid_to is null order by code limit 1) x`, [AREA_LEVELS.grid]);
    const [{ code: grid, lon, lat }] = rows;
    await ctx.browser.grantPermissions(['geolocation'], { origin: ctx.base });
    await ctx.browser.setGeolocation({ longitude: lon, latitude: lat, accuracy: 10 });
    const { page, errors } = await openControlled(`#/report?grid=${grid}`);
    await page.evaluate(() => localStorage.removeItem('gridwork.myReports'));
    const description = `offline outbox ${Date.now()}`;
    const posts = () => ctx.served.filter((r) => r === 'POST /api/public/incidents').length;
    const before = posts();

    // The signal goes before the resident starts: GPS still works, the grid's name cannot be asked.
    await ctx.serverDown();
    await ctx.browser.setOffline(true);
    try {
      await page.click('section[data-screen=where] button.gps');
      await page.waitForSelector('section[data-screen=where] button.next:enabled');
      await page.click('section[data-screen=where] button.next');
      await page.click('.category-tile[data-category="0101"]');
      await page.waitForSelector('section[data-screen=photos]:not([hidden])');
      await page.setInputFiles('section[data-screen=photos] input[name=photos]', { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await jpeg({ width: 800, height: 600 }) });
      await page.waitForSelector('.photo-picked li img');
      await page.fill('textarea[name=description]', description);
      await page.click('section[data-screen=photos] button.next');
      await page.click('section[data-screen=send] button.send');
      await page.waitForSelector('.receipt.kept');
      expect(await page.textContent('.receipt.kept h2')).toBe('暂无网络，已保存在本机');
      await page.waitForSelector('.outbox-badge:not([hidden])');
      expect(await page.textContent('.outbox-badge')).toBe('待发送 (1)');
      await page.screenshot({ path: path.join(ARTIFACTS, 'report-kept-offline.png'), fullPage: true });
    } finally {
      await ctx.serverUp();
      await ctx.browser.setOffline(false);
      await ctx.browser.clearPermissions();
    }

    // Back online: the app sends it on the `online` event, and the badge goes.
    await page.waitForSelector('.outbox-badge[hidden]', { state: 'attached', timeout: 30_000 });
    const incidents = await ctx.test.db.knex('incidents').where({ description }).select('id', 'case_no', 'source', 'grid_code');
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ source: 'resident', grid_code: grid });
    expect(posts() - before).toBe(1);
    const [{ n: photos }] = await ctx.test.db.knex('incident_photos').where({ incident_id: incidents[0].id }).count({ n: '*' });
    expect(Number(photos)).toBe(1);

    // My reports has it, with its check code (from the answer the outbox got), and opening the app again sends nothing more.
    await page.goto(`${ctx.base}/#/track`);
    await page.waitForSelector(`.my-reports a[href*="${incidents[0].case_no}"]`);
    expect(await page.getAttribute(`.my-reports a[href*="${incidents[0].case_no}"]`, 'href')).toMatch(/\?k=[A-Z0-9]+$/);
    await page.waitForTimeout(1000);
    await page.close();
    const [{ n: after }] = await ctx.test.db.knex('incidents').where({ description }).count({ n: '*' });
    expect(Number(after)).toBe(1);
    expect(posts() - before).toBe(1);
    // The errors allowed: the browser's notes of the requests that found no network while it was away.
    expect(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e))).toEqual([]);
  });
});
