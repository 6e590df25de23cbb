import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { jpeg } from '../../server/incidents/test_helpers.js';
import { ARTIFACTS, CHROMIUM, useBrowser } from './browser.js';

// Photos go to a data directory of this file's own.
const ctx = useBrowser({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'gridwork-story-')), publicReportsPerHour: 1000 });
const PHONE = { width: 390, height: 844 };

/** The words of each language the test reads on the screens. */
const WORDS = {
  zh: { escalated: '已上报上级', dispatched: '已派遣', handled: '已处置', confirmed: '已核查结案', before: '上报时', after: '处置后', closed: '已办结' },
  en: { escalated: 'Escalated', dispatched: 'Dispatched', handled: 'Handled', confirmed: 'Confirmed and closed', before: 'Before', after: 'After', closed: 'Closed' },
} as const;

/** A grid of a chief and a point inside it, away from the points other reports of this file use. */
async function placeIn(username: string, shift: number): Promise<{ code: string; lon: number; lat: number }> {
  const { rows } = await ctx.test.db.knex.raw(
    `select a.code, ST_X(p) as lon, ST_Y(p) as lat from user_scopes s join users u on u.id = s.user_id
       join areas a on a.code = s.area_code and a.valid_to is null, ST_PointOnSurface(a.geom) p
      where u.username = ? order by 1 limit 1`,
    [username],
  );
  // Shifted by about 0 or 60 m west, so that the English run's report is not offered the Chinese one's as nearby.
  return { code: rows[0].code, lon: rows[0].lon - shift * 0.0007, lat: rows[0].lat };
}

/** A page signed in as a user, in a language, on the phone. */
const signedIn = (username: string, hash: string, lang: 'zh' | 'en') => ctx.openSignedIn(username, hash, PHONE, lang);

/** A screenshot of what the phone shows, named by the step. */
const shot = (page: Page, step: string, lang: string) => page.screenshot({ path: path.join(ARTIFACTS, `story-${step}-${lang}.png`), fullPage: true });

/** The console errors that mean something (a 404 of a resource the page asked for on purpose is not one). */
const real = (errors: string[]) => errors.filter((e) => !e.startsWith('Failed to load resource'));

/** In the desk queue (centre page, also the community's and the department's): open a case's steps and take one. */
async function stepInQueue(page: Page, caseNo: string, action: string, opts: { note?: string; department?: string; photo?: Buffer } = {}): Promise<void> {
  const row = page.locator(`#queue li[data-case="${caseNo}"]`);
  await row.waitFor({ timeout: 20_000 });
  await row.locator('button.link').click();
  await row.locator(`button[data-action=${action}]`).waitFor();
  if (opts.note) await row.locator('textarea[name=note]').fill(opts.note);
  if (opts.department) await row.locator('select[name=department]').selectOption(opts.department);
  if (opts.photo) {
    await row.locator('input[name=photos]').setInputFiles({ name: 'after.jpg', mimeType: 'image/jpeg', buffer: opts.photo });
    await row.locator('.photo-picked li img').waitFor();
  }
  await row.locator(`button[data-action=${action}]`).click();
  // The panel says it worked; the queue, drawn again when the change comes back live, says it on the row.
  await row.locator('.ok', { hasText: '✔' }).first().waitFor();
}

// .ci/run installs Debian's chromium; elsewhere set CHROMIUM_PATH or install it to run these.
describe.skipIf(!fs.existsSync(CHROMIUM) && !process.env.CI)('the garbage story, through the screens, on a phone', () => {
  for (const [lang, shift] of [['zh', 0], ['en', 1]] as const) {
    it(`(${lang}) a resident reports garbage with a photo; it climbs grid → community → centre → 环卫中心, is handled with a photo, confirmed by the chief beside it, and the resident sees both photos and the closure`, { timeout: 300_000 }, async () => {
      const w = WORDS[lang];
      const place = await placeIn('chief11', shift);
      const description = `${lang} 小区东门垃圾堆放三天`;

      // 1. The resident, from the notice board's link, reports it with a photo.
      await ctx.browser.grantPermissions(['geolocation'], { origin: ctx.base });
      await ctx.browser.setGeolocation({ longitude: place.lon, latitude: place.lat, accuracy: 10 });
      const resident = await ctx.open(`#/report?grid=${place.code}`, PHONE);
      await resident.page.evaluate((l) => localStorage.setItem('gridwork.lang', l), lang);
      await resident.page.reload();
      const r = resident.page;
      await r.click('section[data-screen=where] button.gps');
      await r.waitForSelector('section[data-screen=where] button.next:enabled');
      await r.click('section[data-screen=where] button.next');
      await r.click('.category-tile[data-category="0101"]');
      await r.waitForSelector('section[data-screen=photos]:not([hidden])');
      await r.setInputFiles('section[data-screen=photos] input[name=photos]', { name: 'before.jpg', mimeType: 'image/jpeg', buffer: await jpeg({ width: 1200, height: 900 }) });
      await r.waitForSelector('.photo-picked li img');
      await r.fill('textarea[name=description]', description);
      await r.click('section[data-screen=photos] button.next');
      await r.click('section[data-screen=send] button.send');
      await r.waitForSelector('.receipt .case-no');
      const caseNo = (await r.textContent('.receipt .case-no'))!.trim();
      const trackHref = (await r.getAttribute('.receipt a.track-link', 'href'))!;
      expect(trackHref).toMatch(/\?k=[A-Z0-9]+$/);
      await ctx.browser.clearPermissions();
      const incident = await ctx.test.db.knex('incidents').where({ case_no: caseNo }).first('id', 'grid_code', 'level', 'source');
      expect(incident).toMatchObject({ grid_code: place.code, level: 'grid', source: 'resident' });

      // 2. The grid chief sees it in My grid with its photo, and escalates it to the community.
      const chief = await signedIn('chief11', '#/chief', lang);
      const card = chief.page.locator(`#chief-incidents li[data-case="${caseNo}"]`);
      await card.locator('img.thumb').waitFor();
      await card.locator('a').first().click();
      await chief.page.waitForSelector('.photo-strip li[data-step=report] img');
      await chief.page.fill('textarea[name=note]', lang === 'zh' ? '需社区协调物业' : 'Needs the community to call the property manager');
      await chief.page.click('button[data-action=escalate]');
      await chief.page.waitForSelector(`.ok:has-text("${w.escalated}")`);
      await shot(chief.page, 'chief-escalated', lang);
      expect(real(chief.errors)).toEqual([]);
      await chief.page.close();

      // 3. Its community (chief11's grid is in the second) escalates it to the command centre.
      const community = await signedIn('community02', '#/centre', lang);
      await stepInQueue(community.page, caseNo, 'escalate');
      expect(real(community.errors)).toEqual([]);
      await community.page.close();

      // 4. The command centre dispatches it to 环卫中心, having seen the resident's photo.
      const centre = await signedIn('admin', '#/centre', lang);
      const row = centre.page.locator(`#queue li[data-case="${caseNo}"]`);
      await row.waitFor({ timeout: 20_000 });
      await row.locator('button.link').click();
      await row.locator('.photo-strip li[data-step=report] img').waitFor();
      await row.locator('select[name=department]').selectOption('sanitation');
      await row.locator('button[data-action=dispatch]').click();
      await row.locator('.ok', { hasText: w.dispatched }).first().waitFor();
      await shot(centre.page, 'centre-dispatched', lang);
      expect(real(centre.errors)).toEqual([]);
      await centre.page.close();
      expect(await ctx.test.db.knex('incidents').where({ id: incident.id }).first('level', 'department_code')).toEqual({ level: 'department', department_code: 'sanitation' });

      // 5. 环卫中心 handles it: a note and the photo of the result (garbage needs one to be handled).
      const department = await signedIn('sanitation', '#/centre', lang);
      await stepInQueue(department.page, caseNo, 'handle', { note: lang === 'zh' ? '已清运完毕' : 'Cleared away', photo: await jpeg({ width: 900, height: 1200 }) });
      await shot(department.page, 'department-handled', lang);
      expect(real(department.errors)).toEqual([]);
      await department.page.close();

      // 6. The chief confirms it, the department's after-photo beside the resident's.
      const confirm = await signedIn('chief11', `#/chief/case/${incident.id}`, lang);
      await confirm.page.waitForSelector('.before-after figure img');
      expect(await confirm.page.locator('.before-after figcaption').allTextContents()).toEqual([expect.stringContaining(w.before), expect.stringContaining(w.after)]);
      const [beforeSrc, afterSrc] = await confirm.page.locator('.before-after figure img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).getAttribute('src')));
      expect(beforeSrc).toBe(`/api/incidents/${incident.id}/photos/1`);
      expect(afterSrc).toBe(`/api/incidents/${incident.id}/photos/2`);
      await shot(confirm.page, 'chief-confirm', lang);
      await confirm.page.click('button[data-action=confirm]');
      await confirm.page.waitForSelector(`.ok:has-text("${w.confirmed}")`);
      expect(real(confirm.errors)).toEqual([]);
      await confirm.page.close();
      expect((await ctx.test.db.knex('incidents').where({ id: incident.id }).first('status')).status).toBe('closed');

      // 7. The resident's track page: every level in plain words, both photos by step, the closure note and time.
      await r.goto(`${ctx.base}/${trackHref}`);
      await r.waitForSelector('.track .closure-note');
      expect(await r.locator('.track .photo-strip li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.step))).toEqual(['report', 'handling']);
      expect(await r.textContent('.track .closure-note')).toBe(lang === 'zh' ? '已清运完毕' : 'Cleared away');
      expect(await r.locator('.track .case-facts dd').allTextContents()).toHaveLength(4);
      const whos = await r.locator('.track .timeline li .who').allTextContents();
      expect(whos.some((s) => s.includes('环卫中心') || s.includes('Sanitation'))).toBe(true);
      expect(await r.locator('.track .timeline li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.action))).toEqual(['report', 'escalate', 'escalate', 'dispatch', 'handle', 'confirm']);
      expect(await r.textContent('.track .status-line')).toContain(w.closed);
      await shot(r, 'track-closed', lang);
      expect(real(resident.errors)).toEqual([]);
      expect(resident.external).toEqual([]);
      await r.close();
    });
  }
});
