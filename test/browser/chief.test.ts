import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_PASSWORD } from '../app.js';
import request from 'supertest';
import { jpeg } from '../../server/incidents/test_helpers.js';
import { loginAs } from '../app.js';
import { ARTIFACTS, CHROMIUM, loginThroughForm, useBrowser, waitForMapIdle, type WatchedPage } from './browser.js';

const ctx = useBrowser();
const PHONE = { width: 390, height: 844 };
const DESK = { width: 1440, height: 900 };

/** The first grid of a user's scope and a point well inside it. */
async function gridOf(username: string): Promise<{ code: string; lon: number; lat: number }> {
  const { rows } = await ctx.test.db.knex.raw(
    `select a.code, ST_X(ST_PointOnSurface(a.geom)) as lon, ST_Y(ST_PointOnSurface(a.geom)) as lat
       from user_scopes s join users u on u.id = s.user_id join areas a on a.code = s.area_code and a.valid_to is null
      where u.username = ? order by 1 limit 1`,
    [username],
  );
  return rows[0];
}

/** Open a page as a logged-in user, in a language, at a size. */
async function openAs(username: string, hash: string, viewport: { width: number; height: number }, lang: 'zh' | 'en' = 'zh'): Promise<WatchedPage> {
  const w = await ctx.open(`#/login?next=${encodeURIComponent(hash)}`, viewport);
  await w.page.evaluate((l) => localStorage.setItem('gridwork.lang', l), lang);
  await w.page.reload();
  await loginThroughForm(w.page, username, TEST_PASSWORD);
  await w.page.waitForURL((u) => u.hash === hash);
  return w;
}

/** The smallest box of the page's interactive elements that are shown, for the 44 px rule. */
async function smallTargets(w: WatchedPage): Promise<string[]> {
  return w.page.$$eval('header a, header button, main a.button, main button, main input:not([type=file]):not(.visually-hidden), main select, main label.button', (els) =>
    els
      .filter((e) => (e as HTMLElement).offsetParent !== null)
      .map((e) => ({ e, r: e.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && (r.height < 44 || r.width < 44))
      .map(({ e, r }) => `${e.tagName.toLowerCase()} "${(e.textContent ?? '').trim().slice(0, 20)}" ${Math.round(r.width)}×${Math.round(r.height)}`),
  );
}

/** Text on a Chinese page that is English or a raw value: runs of three or more Latin letters outside codes. */
async function latinOnPage(w: WatchedPage): Promise<string[]> {
  const text = await w.page.evaluate(() => document.body.innerText);
  return (text.match(/[A-Za-z_]{3,}/g) ?? []).filter((s) => !['Gridwork', 'GPS', 'MapLibre'].includes(s));
}

describe.skipIf(!fs.existsSync(CHROMIUM) && !process.env.CI)("the grid chief's field app", () => {
  it('takes a patrol report with a photo and the GPS position, then lists it with its thumbnail', async () => {
    const grid = await gridOf('chief06');
    await ctx.browser.grantPermissions(['geolocation']);
    await ctx.browser.setGeolocation({ longitude: grid.lon, latitude: grid.lat, accuracy: 12 });
    const w = await openAs('chief06', '#/chief/report', PHONE);
    const { page, errors } = w;
    await page.setInputFiles('#patrol-photos', { name: 'find.jpg', mimeType: 'image/jpeg', buffer: await jpeg({ width: 800, height: 600 }) });
    await page.waitForSelector('.shots img');
    await page.waitForSelector('.where:has-text("±12 m")');
    await page.locator('.category-tiles button').first().click();
    await page.fill('textarea[name=description]', '巡查发现垃圾堆放');
    await page.screenshot({ path: path.join(ARTIFACTS, 'chief-report-phone-zh.png'), fullPage: true });
    expect(await smallTargets(w)).toEqual([]);
    expect(await latinOnPage(w)).toEqual([]);
    await page.click('button[type=submit]');
    await page.waitForSelector('.receipt');
    const caseNo = (await page.locator('.receipt .case-no').textContent())!;
    await page.screenshot({ path: path.join(ARTIFACTS, 'chief-report-sent-phone-zh.png'), fullPage: true });
    // Stored as the chief's own find, in their grid, with its photo.
    const row = await ctx.test.db.knex('incidents').where({ case_no: caseNo }).first('id', 'source', 'grid_code', 'description');
    expect(row).toMatchObject({ source: 'patrol', grid_code: grid.code, description: '巡查发现垃圾堆放' });
    expect(await ctx.test.db.knex('incident_photos').where({ incident_id: row.id }).count({ n: '*' })).toEqual([{ n: 1 }]);
    // In My grid, with the photo's thumbnail.
    await page.goto(`${ctx.base}/#/chief`);
    const card = page.locator(`#chief-incidents li[data-case="${caseNo}"]`);
    await card.locator('img.thumb').waitFor();
    expect(await card.locator('img.thumb').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'chief-home-phone-zh.png') });
    expect(await smallTargets(w)).toEqual([]);
    expect(await latinOnPage(w)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the chief the after-photo beside the first one when they confirm a handled case', { timeout: 180_000 }, async () => {
    const grid = await gridOf('chief07');
    const chief = await loginAs(ctx.test.app, 'chief07');
    const made = await request(ctx.test.app).post('/api/incidents').set('Authorization', `Bearer ${chief}`)
      .field('category', '0101').field('description', '暴露垃圾').field('lon', String(grid.lon)).field('lat', String(grid.lat))
      .attach('photos', await jpeg({ width: 400, height: 300 }), { filename: 'before.jpg', contentType: 'image/jpeg' });
    expect(made.status).toBe(201);
    const handled = await request(ctx.test.app).post(`/api/incidents/${made.body.id}/actions`).set('Authorization', `Bearer ${chief}`)
      .field('action', 'handle').field('version', '1').field('note', '已清运')
      .attach('photos', await jpeg({ width: 300, height: 400 }), { filename: 'after.jpg', contentType: 'image/jpeg' });
    expect(handled.status).toBe(200);
    for (const [lang, viewport, name] of [['zh', PHONE, 'phone-zh'], ['en', PHONE, 'phone-en'], ['zh', DESK, 'desk-zh'], ['en', DESK, 'desk-en']] as const) {
      const w = await openAs('chief07', `#/chief/case/${made.body.id}`, viewport, lang);
      await w.page.waitForSelector('.before-after img');
      expect(await w.page.locator('.before-after figure img').count()).toBe(2);
      await w.page.screenshot({ path: path.join(ARTIFACTS, `chief-confirm-${name}.png`), fullPage: true });
      if (lang === 'zh') expect(await latinOnPage(w)).toEqual([]);
      if (viewport === PHONE) expect(await smallTargets(w)).toEqual([]);
      expect(w.errors).toEqual([]);
      if (name === 'desk-en') {
        await w.page.click('button[data-action=confirm]');
        await w.page.waitForSelector('.ok:has-text("Confirmed")');
        expect((await ctx.test.db.knex('incidents').where({ id: made.body.id }).first('status')).status).toBe('closed');
      }
      await w.page.close();
    }
  });

  it('shows the chief their grid on a desk screen and in English', { timeout: 180_000 }, async () => {
    for (const [lang, viewport, name] of [['en', PHONE, 'phone-en'], ['zh', DESK, 'desk-zh'], ['en', DESK, 'desk-en']] as const) {
      const w = await openAs('chief06', '#/chief', viewport, lang);
      await w.page.waitForSelector('#chief-incidents li');
      await waitForMapIdle(w.page);
      await w.page.screenshot({ path: path.join(ARTIFACTS, `chief-home-${name}.png`) });
      if (lang === 'zh') expect(await latinOnPage(w)).toEqual([]);
      expect(w.errors).toEqual([]);
      await w.page.close();
    }
  });
});
