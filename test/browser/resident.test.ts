import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { act } from '../../server/incidents/test_helpers.js';
import { loginAs } from '../app.js';
import { ARTIFACTS, CHROMIUM, saveScreenshot, useBrowser, waitForMapIdle } from './browser.js';

// Photos go to a data directory of this file's own; the public rate limit is raised for the reports made here; the
// public address is one the tests never open, so that a QR code made from the browser's own address would show.
const PUBLIC_URL = 'https://wg.example.gov.cn';
const ctx = useBrowser({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'gridwork-resident-')), publicReportsPerHour: 1000, publicUrl: PUBLIC_URL });

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };

/** The server's photo limit (config PHOTO_MAX_BYTES default). */
const PHOTO_LIMIT = 8 * 1024 * 1024;

/** A point well inside a grid (its point on surface). */
async function insideGrid(code: string): Promise<[number, number]> {
  const { rows } = await ctx.test.db.knex.raw(`select ST_X(p) as lon, ST_Y(p) as lat from (select ST_PointOnSurface(geom) p from areas where code = ? and valid_to is null) x`, [code]);
  return [rows[0].lon, rows[0].lat];
}

/** The first grid of a demo account, and its name. */
async function gridOf(username: string): Promise<{ code: string; name: string }> {
  const { rows } = await ctx.test.db.knex.raw(
    `select s.area_code as code, a.name from user_scopes s join users u on u.id = s.user_id join areas a on a.code = s.area_code and a.valid_to is null where u.username = ? order by 1 limit 1`,
    [username],
  );
  return rows[0];
}

/** Degrees as EXIF rational degrees, minutes, seconds. */
function dms(deg: number): string {
  const d = Math.floor(deg);
  const m = Math.floor((deg - d) * 60);
  const s = Math.round(((deg - d) * 60 - m) * 60 * 1e6);
  return `${d}/1 ${m}/1 ${s}/1000000`;
}

/**
 * A phone photo: `width`×`height` of noise (which JPEG cannot squeeze, so a 12-megapixel one at quality 90
 * is over 9 MB, like a real one of a busy street), optionally with an EXIF GPS position.
 */
async function phonePhoto(opts: { width: number; height: number; quality?: number; gps?: [number, number] }): Promise<Buffer> {
  let img = sharp(crypto.randomBytes(opts.width * opts.height * 3), { raw: { width: opts.width, height: opts.height, channels: 3 } }).jpeg({ quality: opts.quality ?? 90 });
  if (opts.gps) {
    const [lon, lat] = opts.gps;
    img = img.withExif({ IFD0: { Make: 'Gridwork test phone' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: dms(lat), GPSLongitudeRef: 'E', GPSLongitude: dms(lon) } });
  }
  return img.toBuffer();
}

/** Open a page at a phone's size in a language (saved as the app saves it, then loaded again). */
async function openIn(lang: 'zh' | 'en', hash: string) {
  const watched = await ctx.open(hash, PHONE);
  await watched.page.evaluate((l) => localStorage.setItem('gridwork.lang', l), lang);
  await watched.page.reload();
  return watched;
}

/**
 * Screenshots of what the resident sees: the phone's screen (390×844), the whole screen's length at that
 * width, and a desktop (1440×900).
 */
async function shots(page: Page, name: string, lang: 'zh' | 'en'): Promise<void> {
  const file = (suffix: string) => path.join(ARTIFACTS, `resident-${name}-${lang}-${suffix}.png`);
  await saveScreenshot(page, file('390'));
  const tall = await page.evaluate(() => (document.querySelector('header')?.getBoundingClientRect().height ?? 0) + (document.querySelector('main')?.scrollHeight ?? 0));
  if (tall > PHONE.height + 20) {
    await page.setViewportSize({ width: PHONE.width, height: Math.ceil(tall) });
    await page.waitForTimeout(300);
    await saveScreenshot(page, file('390-full'));
  }
  await page.setViewportSize(DESKTOP);
  await page.waitForTimeout(400);
  await saveScreenshot(page, file('1440'));
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(300);
}

/** The visible controls of the page smaller than 44×44 px (buttons, inputs, tiles, tap-to-call links, the check box's label, the map's buttons). */
async function smallTargets(page: Page): Promise<string[]> {
  return page.$$eval(
    'main button, main input:not([type=checkbox]):not([type=file]), main select, main textarea, main a.button, main a.tel, main label.check, main a.my-report, body > dialog button',
    (els) => els.flatMap((el) => {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return [];
      return r.width < 44 || r.height < 43.5 ? [`${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? '').trim().slice(0, 16)}" ${Math.round(r.width)}×${Math.round(r.height)}`] : [];
    }),
  );
}

/** Latin words in the visible text of the page's main part (the map, the check code and print-only text aside): none should be on a Chinese page. */
async function latinWords(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const main = document.querySelector('main')!.cloneNode(true) as HTMLElement;
    main.querySelectorAll('.map, .check-code, .print-only, [hidden]').forEach((e) => e.remove());
    return ((main.textContent ?? '').match(/[A-Za-z]{2,}/g) ?? []).filter((w) => !['MB', 'KB'].includes(w));
  });
}

/** Console errors of the page (the browser logs a failed resource as one; a test that expects a 4xx filters it itself). */
const jsErrors = (errors: string[]) => errors;

describe.skipIf(!fs.existsSync(CHROMIUM) && !process.env.CI)("the resident's side on a phone", () => {
  it('takes a resident from the notice board QR link through where, what, photos and send to the receipt and the track page (zh, GPS, a 9 MB photo shrunk below the limit)', async () => {
    const grid = await gridOf('chief02');
    const [lon, lat] = await insideGrid(grid.code);
    await ctx.browser.grantPermissions(['geolocation'], { origin: ctx.base });
    await ctx.browser.setGeolocation({ longitude: lon, latitude: lat, accuracy: 12 });
    const { page, errors, external } = await openIn('zh', `#/board/${grid.code}`);
    await page.evaluate(() => localStorage.removeItem('gridwork.myReports'));

    // The notice board: the big button, and the chief's number to tap.
    await page.waitForSelector('img.qr');
    // The printed code points at the server's public address, with the grid preset.
    expect(await page.getAttribute('img.qr', 'alt')).toBe(`${PUBLIC_URL}/#/report?grid=${encodeURIComponent(grid.code)}`);
    expect(await page.getAttribute('.board .contacts a.tel', 'href')).toBe('tel:13900241002');
    expect(await page.locator('.board a.tel[href="tel:110"]').count()).toBe(1);
    await shots(page, 'board', 'zh');
    expect(await smallTargets(page)).toEqual([]);
    expect(await latinWords(page)).toEqual([]);
    await page.click('.board .report-button');

    // 1. Where: the form is there before the map; GPS places the pin and names the grid and its chief.
    await page.waitForSelector('section[data-screen=where] h2');
    expect(await page.locator('.stepper li[aria-current=step]').textContent()).toBe('1 位置');
    await page.waitForSelector('#report-map canvas');
    await page.click('section[data-screen=where] button.gps');
    await page.waitForFunction(() => document.querySelector('.where')?.textContent?.startsWith('已定位到您的位置（精度约 12 米）'));
    await page.waitForFunction((name) => document.querySelector('.place-line')?.textContent?.includes(name), grid.name);
    expect(await page.locator('.place-line').textContent()).toMatch(/网格长：刘敏明/);
    await waitForMapIdle(page);
    await shots(page, 'where', 'zh');
    expect(await smallTargets(page)).toEqual([]);
    expect(await latinWords(page)).toEqual([]);
    await page.click('section[data-screen=where] button.next');

    // 2. What: tiles with icons, grouped by class.
    await page.waitForSelector('section[data-screen=what]:not([hidden]) .category-tile[data-category="0101"] svg');
    expect(await page.locator('section[data-screen=what] .category-group h3').allTextContents()).toEqual(['市容环境', '宣传广告', '施工管理', '突发事件', '街面秩序', '部件损坏']);
    await shots(page, 'categories', 'zh');
    expect(await smallTargets(page)).toEqual([]);
    expect(await latinWords(page)).toEqual([]);
    await page.click('.category-tile[data-category="0101"]');

    // 3. Photos: a 12-megapixel photo of 9 MB, over the server's limit as it is, is shrunk on the phone.
    await page.waitForSelector('section[data-screen=photos]:not([hidden])');
    const big = await phonePhoto({ width: 4000, height: 3000 });
    expect(big.length).toBeGreaterThan(PHOTO_LIMIT);
    await page.setInputFiles('section[data-screen=photos] input[name=photos]', { name: 'IMG_20260105_0930.jpg', mimeType: 'image/jpeg', buffer: big });
    await page.waitForSelector('.photo-picked li img', { timeout: 30_000 });
    expect(await page.locator('.photo-status').textContent()).toMatch(/^已添加照片（[\d.]+ (MB|KB)）$/);
    await page.fill('textarea[name=description]', '东门口垃圾堆了三天没人清');
    await shots(page, 'photos', 'zh');
    expect(await smallTargets(page)).toEqual([]);
    expect(await latinWords(page)).toEqual([]);
    await page.click('section[data-screen=photos] button.next');

    // 4. A call-back number with the consent, a summary, and send.
    await page.fill('input[name=contact_phone]', '13800009999');
    await page.click('section[data-screen=send] button.send');
    expect(await page.locator('section[data-screen=send] .error').textContent()).toBe('请勾选同意回电，或清空电话号码');
    await page.click('label.check');
    expect(await page.locator('section[data-screen=send] .summary').textContent()).toContain('暴露垃圾');
    await shots(page, 'send', 'zh');
    expect(await smallTargets(page)).toEqual([]);
    expect(await latinWords(page)).toEqual([]);
    const posted = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/public/incidents');
    await page.click('section[data-screen=send] button.send');
    const req = await posted;
    expect(req.headers()['idempotency-key']).toMatch(/^[0-9a-f-]{32,36}$/);

    // The receipt: the case number, who has it and by when, what to do next.
    await page.waitForSelector('.receipt .case-no');
    expect((await req.sizes()).requestBodySize).toBeLessThan(PHOTO_LIMIT);
    const caseNo = (await page.textContent('.receipt .case-no'))!.trim();
    expect(caseNo).toMatch(/^\d{8,20}$/);
    expect(await page.locator('.receipt .next-step').textContent()).toMatch(/^已交给.+的网格长刘敏明处理，处理时限：\d{4}\/\d{1,2}\/\d{1,2} \d{2}:\d{2}。/);
    await shots(page, 'receipt', 'zh');
    expect(await smallTargets(page)).toEqual([]);
    expect(await latinWords(page)).toEqual([]);

    // What was filed: the place, the words, the call-back number, and one photo at 2048 px (the server alone would keep 2560).
    const incident = await ctx.test.db.knex('incidents').where({ case_no: caseNo }).first('id', 'category_code', 'description', 'grid_code', 'source', 'reporter_contact', ctx.test.db.knex.raw('ST_X(geom) as lon'), ctx.test.db.knex.raw('ST_Y(geom) as lat'));
    expect(incident).toMatchObject({ category_code: '0101', description: '东门口垃圾堆了三天没人清', grid_code: grid.code, source: 'resident', reporter_contact: { phone: '13800009999' } });
    expect(Math.abs(incident.lon - lon) + Math.abs(incident.lat - lat)).toBeLessThan(1e-6);
    expect(await ctx.test.db.knex('incident_photos').where({ incident_id: incident.id }).select('width', 'height', 'media_type')).toEqual([{ width: 2048, height: 1536, media_type: 'image/jpeg' }]);

    // Kept on the phone under "my reports".
    const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('gridwork.myReports') ?? '[]'));
    expect(kept).toEqual([expect.objectContaining({ case_no: caseNo, category: { code: '0101', name: '暴露垃圾', name_en: 'Exposed garbage' }, status: 'open', level: 'grid' })]);

    // The track page: where it stands and the timeline in plain words.
    await page.click('.receipt a.track-link');
    await page.waitForSelector('.track .status-line');
    expect(await page.locator('.track .status-line').textContent()).toBe(`处理中：${grid.name}的网格长正在处理`);
    expect(await page.locator('.track .timeline li .what').allTextContents()).toEqual(['已上报']);
    expect(await page.locator('.track .timeline li .who').allTextContents()).toEqual([`交给${grid.name}的网格长`]);
    await shots(page, 'track', 'zh');
    expect(await smallTargets(page)).toEqual([]);
    expect(await latinWords(page)).toEqual([]);
    expect(jsErrors(errors)).toEqual([]);
    expect(external).toEqual([]);
    await ctx.browser.clearPermissions();
    await page.close();
  }, 180_000);

  it("in English, places the pin from the photo's EXIF GPS when the device gives no position, and the resident drags it to correct it", async () => {
    const grid = await gridOf('chief03');
    const [lon, lat] = await insideGrid(grid.code);
    await ctx.browser.clearPermissions();
    const { page, errors, external } = await openIn('en', `#/report?grid=${grid.code}`);
    await page.waitForSelector('#report-map canvas');
    await waitForMapIdle(page);
    await page.click('section[data-screen=where] button.gps');
    await page.waitForFunction(() => document.querySelector('.where')?.textContent === 'Your position is not available. Tap the map, or use a photo that has a location.');

    // "Use a photo's location": the gallery opens; the photo's EXIF position places the pin.
    const photo = await phonePhoto({ width: 1600, height: 1200, quality: 80, gps: [lon, lat] });
    const chooser = page.waitForEvent('filechooser');
    await page.click('section[data-screen=where] button.photo-place');
    await (await chooser).setFiles({ name: 'IMG_0042.JPG', mimeType: 'image/jpeg', buffer: photo });
    await page.waitForFunction(() => document.querySelector('.where')?.textContent?.startsWith("The photo's location is used"));
    await page.waitForFunction(() => document.querySelector('.place-line')?.textContent?.startsWith('In '));
    await waitForMapIdle(page);
    await shots(page, 'where-from-photo', 'en');
    expect(await smallTargets(page)).toEqual([]);

    // The resident drags the pin a little to where the problem really is.
    const pin = (await page.locator('#report-map .maplibregl-marker').boundingBox())!;
    await page.mouse.move(pin.x + pin.width / 2, pin.y + pin.height - 4);
    await page.mouse.down();
    await page.mouse.move(pin.x + pin.width / 2 + 30, pin.y + pin.height + 20, { steps: 6 });
    await page.mouse.up();
    await page.waitForFunction(() => document.querySelector('.where')?.textContent === 'Place chosen. Drag the pin to adjust it.');
    await page.waitForFunction(() => document.querySelector('.place-line')?.textContent?.startsWith('In '));
    await page.click('section[data-screen=where] button.next');
    await page.click('.category-tile[data-category="0103"]');
    await page.waitForSelector('section[data-screen=photos]:not([hidden])');
    // The photo picked for its place is one of the report's photos.
    expect(await page.locator('.photo-picked li img').count()).toBe(1);
    await shots(page, 'photos', 'en');
    await page.click('section[data-screen=photos] button.next');
    await shots(page, 'send', 'en');
    expect(await smallTargets(page)).toEqual([]);
    await page.click('section[data-screen=send] button.send');
    await page.waitForSelector('.receipt .case-no');
    const caseNo = (await page.textContent('.receipt .case-no'))!.trim();
    expect(await page.locator('.receipt h2').textContent()).toBe('Sent — thank you!');
    await shots(page, 'receipt', 'en');
    const incident = await ctx.test.db.knex('incidents').where({ case_no: caseNo }).first('category_code', ctx.test.db.knex.raw('ST_X(geom) as lon'), ctx.test.db.knex.raw('ST_Y(geom) as lat'));
    expect(incident.category_code).toBe('0103');
    // Moved from the photo's place by the drag: some metres, not hundreds.
    const moved = Math.hypot((incident.lon - lon) * 111_320 * Math.cos((lat * Math.PI) / 180), (incident.lat - lat) * 110_540);
    expect(moved).toBeGreaterThan(2);
    expect(moved).toBeLessThan(300);

    await page.click('.receipt a.track-link');
    await page.waitForSelector('.track .status-line');
    expect(await page.locator('.track .status-line').textContent()).toMatch(/^Being dealt with by the grid chief of .+/);
    expect(await page.locator('.track .timeline li .what').allTextContents()).toEqual(['Reported']);
    await shots(page, 'track', 'en');
    expect(await smallTargets(page)).toEqual([]);
    expect(jsErrors(errors)).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  }, 180_000);

  it("reports about an asset from its popup: the asset's place, its category (a streetlight → 路灯不亮) preselected, asset_id sent", async () => {
    const asset = await ctx.test.db.knex('assets').where({ category_code: '0120' }).whereNotNull('grid_code').orderBy('id').first('id', 'grid_code');
    const { page, errors } = await openIn('zh', `#/report?asset=${asset.id}&grid=${asset.grid_code}`);
    await page.waitForFunction(() => document.querySelector('.where')?.textContent?.startsWith('已使用所选部件的位置'));
    await page.waitForFunction(() => document.querySelector('.place-line')?.textContent?.startsWith('属于'));
    await page.click('section[data-screen=where] button.next');
    await page.waitForSelector('section[data-screen=what]:not([hidden]) .category-tile');
    expect(await page.locator('.about-asset').textContent()).toBe('关于您在地图上选中的路灯');
    expect(await page.locator('.category-group').first().locator('h3').textContent()).toBe('推荐');
    expect(await page.locator('.category-group').first().locator('.category-tile').allTextContents()).toEqual(['路灯不亮']);
    expect(await page.locator('.category-tile[aria-pressed=true]').first().getAttribute('data-category')).toBe('0603');
    await shots(page, 'asset-category', 'zh');
    expect(await smallTargets(page)).toEqual([]);
    expect(await latinWords(page)).toEqual([]);
    await page.click('section[data-screen=what] button.next');
    await page.waitForSelector('section[data-screen=photos]:not([hidden])');
    await page.click('section[data-screen=photos] button.next');
    await page.click('section[data-screen=send] button.send');
    await page.waitForSelector('.receipt .case-no');
    const caseNo = (await page.textContent('.receipt .case-no'))!.trim();
    expect(await ctx.test.db.knex('incidents').where({ case_no: caseNo }).first('asset_id', 'category_code')).toEqual({ asset_id: asset.id, category_code: '0603' });
    expect(jsErrors(errors)).toEqual([]);
    await page.close();
  }, 120_000);

  it('lists "my reports" kept on the phone with their statuses as the server has them now', async () => {
    const grid = await gridOf('chief04');
    const [lon, lat] = await insideGrid(grid.code);
    const made = await request(ctx.test.app).post('/api/public/incidents').send({ category: '0604', description: '垃圾箱盖子坏了', lon, lat });
    expect(made.status).toBe(201);
    const chief = await loginAs(ctx.test.app, 'chief04');
    expect((await act(ctx.test.app, chief, made.body.id, { action: 'handle', note: '已更换' })).status).toBe(200);
    const { page, errors } = await openIn('zh', '#/track');
    // Kept when it was reported, as still open.
    await page.evaluate((r) => localStorage.setItem('gridwork.myReports', JSON.stringify([r])), {
      case_no: made.body.case_no, category: { code: '0604', name: '垃圾箱破损', name_en: 'Litter bin damaged' }, reported_at: new Date().toISOString(), status: 'open', level: 'grid',
    });
    await page.reload();
    await page.waitForFunction((no) => document.querySelector(`.my-reports li[data-case="${no}"] .status-line`)?.textContent === '已处置，等待网格长核查', made.body.case_no);
    expect(await page.getAttribute(`.my-reports li[data-case="${made.body.case_no}"] a`, 'href')).toBe(`#/track/${made.body.case_no}`);
    const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('gridwork.myReports') ?? '[]'));
    expect(kept[0]).toMatchObject({ status: 'handled' });
    await shots(page, 'my-reports', 'zh');
    expect(await smallTargets(page)).toEqual([]);
    expect(await latinWords(page)).toEqual([]);
    expect(jsErrors(errors)).toEqual([]);
    await page.close();
  });

  it('tells the way of a closed case in plain words: reported → grid chief → community → command centre → department → handled → confirmed', async () => {
    const grid = await gridOf('chief01');
    const [lon, lat] = await insideGrid(grid.code);
    const made = await request(ctx.test.app).post('/api/public/incidents').send({ category: '0103', lon, lat });
    const id = made.body.id as number;
    const [chief, community, admin, sanitation] = await Promise.all(['chief01', 'community01', 'admin', 'sanitation'].map((u) => loginAs(ctx.test.app, u)));
    for (const [token, body] of [
      [chief, { action: 'escalate', note: '需要社区协调' }],
      [community, { action: 'escalate', note: '需要环卫' }],
      [admin, { action: 'dispatch', department: 'sanitation' }],
    ] as const) {
      const res = await act(ctx.test.app, token, id, body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    // A street-cleaning case is handled with a photo of the result (the category says so).
    const handled = await request(ctx.test.app).post(`/api/incidents/${id}/actions`).set('Authorization', `Bearer ${sanitation}`)
      .field('action', 'handle').field('note', '已清扫').attach('photos', await phonePhoto({ width: 400, height: 300 }), { filename: 'after.jpg', contentType: 'image/jpeg' });
    expect(handled.status, JSON.stringify(handled.body)).toBe(200);
    expect((await act(ctx.test.app, chief, id, { action: 'confirm' })).status).toBe(200);
    const communityName = (await ctx.test.db.knex('areas').where({ code: grid.code }).whereNull('valid_to').first('parent_code')).parent_code as string;
    const communityRow = await ctx.test.db.knex('areas').where({ code: communityName }).whereNull('valid_to').first('name');
    const department = await ctx.test.db.knex('departments').where({ code: 'sanitation' }).first('name');
    const { page, errors } = await openIn('zh', `#/track/${made.body.case_no}`);
    await page.waitForSelector('.track .timeline li');
    expect(await page.locator('.track .status-line').textContent()).toBe('已办结');
    const steps = await page.$$eval('.track .timeline li', (lis) => lis.map((li) => [li.querySelector('.what')?.textContent, li.querySelector('.who')?.textContent ?? null]));
    expect(steps).toEqual([
      ['已上报', `交给${grid.name}的网格长`],
      ['转交上级', `交给${communityRow.name}`],
      ['转交上级', '交给指挥中心'],
      ['派给处置部门', `交给${department.name}`],
      ['已处置，等待网格长核查', `交给${grid.name}的网格长`],
      ['核查通过，已办结', null],
    ]);
    // Without the check code: only the status, and a way to give the code.
    expect(await page.locator('.track .code-form input[name=k]').count()).toBe(1);
    await shots(page, 'track-closed', 'zh');
    expect(await smallTargets(page)).toEqual([]);
    expect(await latinWords(page)).toEqual([]);
    expect(jsErrors(errors)).toEqual([]);
    await page.close();
  });


  // The routes of the resident's case: the check code, nearby reports and "me too", details, photos, rating.

  it('gives the check code on the receipt, the track link carries it and my reports keep it (POST /api/public/incidents: check_code, track_url)', async () => {
    const grid = await gridOf('chief05');
    const [lon, lat] = await insideGrid(grid.code);
    const { page } = await openIn('zh', `#/report?grid=${grid.code}`);
    await page.waitForSelector('#report-map canvas');
    await page.evaluate(([x, y]) => (window as unknown as { gridworkMap: { jumpTo(o: object): void } }).gridworkMap.jumpTo({ center: [x, y], zoom: 17 }), [lon, lat]);
    await waitForMapIdle(page);
    const box = (await page.locator('#report-map canvas').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForFunction(() => document.querySelector('.place-line')?.textContent?.startsWith('属于'));
    await page.click('section[data-screen=where] button.next');
    await page.click('.category-tile[data-category="0104"]');
    await page.waitForSelector('section[data-screen=photos]:not([hidden])');
    await page.click('section[data-screen=photos] button.next');
    await page.click('section[data-screen=send] button.send');
    await page.waitForSelector('.receipt .check-code');
    const caseNo = (await page.textContent('.receipt .case-no'))!.trim();
    const code = (await page.textContent('.receipt .check-code'))!.trim();
    expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/);
    expect(await page.getAttribute('.receipt a.track-link', 'href')).toBe(`#/track/${caseNo}?k=${code}`);
    const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('gridwork.myReports') ?? '[]'));
    expect(kept[0]).toMatchObject({ case_no: caseNo, check_code: code });
    await shots(page, 'receipt-code', 'zh');
    await page.close();
  });

  it('shows the open reports of the same category nearby before sending, and lets the resident join one instead (GET /api/public/incidents/nearby, POST /api/public/incidents/{case_no}/supporters)', async () => {
    const grid = await gridOf('chief06');
    const [lon, lat] = await insideGrid(grid.code);
    const first = await request(ctx.test.app).post('/api/public/incidents').send({ category: '0101', description: '路口垃圾', lon, lat });
    await ctx.browser.grantPermissions(['geolocation'], { origin: ctx.base });
    await ctx.browser.setGeolocation({ longitude: lon, latitude: lat, accuracy: 8 });
    const { page, errors } = await openIn('zh', `#/report?grid=${grid.code}`);
    await page.click('section[data-screen=where] button.gps');
    await page.waitForFunction(() => document.querySelector('.place-line')?.textContent?.startsWith('属于'));
    await page.click('section[data-screen=where] button.next');
    await page.click('.category-tile[data-category="0101"]');
    await page.waitForSelector(`.nearby-list li[data-case="${first.body.case_no}"]`);
    expect(await page.locator('.nearby h2').textContent()).toBe('附近已有人上报了同类问题');
    await shots(page, 'nearby', 'zh');
    expect(await smallTargets(page)).toEqual([]);
    await page.click(`.nearby-list li[data-case="${first.body.case_no}"] button.me-too`);
    await page.waitForSelector('.receipt.joined');
    expect(await page.locator('.receipt.joined p').first().textContent()).toBe(`您已加入案卷 ${first.body.case_no}，现在共有 2 人反映了这个问题。`);
    const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('gridwork.myReports') ?? '[]'));
    expect(kept[0]).toMatchObject({ case_no: first.body.case_no, joined: true });
    expect(await ctx.test.db.knex('incidents').where({ case_no: first.body.case_no }).count({ n: '*' })).toEqual([{ n: 1 }]);
    await shots(page, 'joined', 'zh');
    expect(jsErrors(errors)).toEqual([]);
    await ctx.browser.clearPermissions();
    await page.close();
  });

  it('with the check code shows the resident their photos, the after-photo, the closure note, and takes a rating once (GET /api/public/incidents/{case_no}?k=, GET /api/public/incidents/{case_no}/photos/{n}, POST /api/public/incidents/{case_no}/rating, holder on the timeline steps)', async () => {
    const grid = await gridOf('chief07');
    const [lon, lat] = await insideGrid(grid.code);
    const photo = await phonePhoto({ width: 800, height: 600, quality: 80 });
    const made = await request(ctx.test.app).post('/api/public/incidents').field('category', '0101').field('lon', String(lon)).field('lat', String(lat)).field('description', '垃圾堆')
      .attach('photos', photo, { filename: 'before.jpg', contentType: 'image/jpeg' });
    const chief = await loginAs(ctx.test.app, 'chief07');
    await request(ctx.test.app).post(`/api/incidents/${made.body.id}/actions`).set('Authorization', `Bearer ${chief}`).field('action', 'handle').field('note', '已清理干净')
      .attach('photos', photo, { filename: 'after.jpg', contentType: 'image/jpeg' });
    await act(ctx.test.app, chief, made.body.id, { action: 'confirm' });
    const { page, errors } = await openIn('zh', `#/track/${made.body.case_no}?k=${made.body.check_code}`);
    await page.waitForSelector('.track .photo-strip li');
    expect(await page.locator('.track .photo-strip .photo-step').allTextContents()).toEqual(['上报', '处置']);
    expect(await page.locator('.track .timeline li .who').first().textContent()).toBe(`交给${grid.name}的网格长`);
    expect(await page.locator('.track .closure-note').textContent()).toBe('已清理干净');
    // The full photo opens over the page and closes by keyboard.
    await page.locator('.track .photo-thumb').first().focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog.photo-viewer[open] img');
    await shots(page, 'photo-viewer', 'zh');
    expect(await smallTargets(page)).toEqual([]);
    await page.keyboard.press('Escape');
    expect(await page.locator('dialog.photo-viewer').count()).toBe(0);
    // The rating: one of three, once.
    await page.click('.rating button[data-rating=basically_satisfied]');
    await page.click('.rating button[type=submit]');
    await page.waitForSelector('.rated[role=status]');
    expect(await page.locator('.rated[role=status]').textContent()).toContain('您的评价：基本满意');
    await shots(page, 'rated', 'zh');
    expect(await smallTargets(page)).toEqual([]);
    expect(await latinWords(page)).toEqual([]);
    expect(jsErrors(errors)).toEqual([]);
    await page.close();
  });

  it('with a wrong check code shows the status only and says so (GET /api/public/incidents/{case_no}?k= → 403 check_code_wrong)', async () => {
    const grid = await gridOf('chief08');
    const [lon, lat] = await insideGrid(grid.code);
    const made = await request(ctx.test.app).post('/api/public/incidents').send({ category: '0101', lon, lat });
    const { page } = await openIn('zh', `#/track/${made.body.case_no}?k=AAAAAA`);
    await page.waitForSelector('.track .status-line');
    expect(await page.locator('.track [role=alert]').textContent()).toBe('查询码不正确，下面只显示处理状态');
    expect(await page.locator('.track .photo-strip').count()).toBe(0);
    await page.close();
  });
});
