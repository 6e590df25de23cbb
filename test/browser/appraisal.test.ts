import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { TEST_PASSWORD } from '../app.js';
import { ARTIFACTS, CHROMIUM, loginThroughForm, useBrowser, waitForMapIdle } from './browser.js';

const ctx = useBrowser();

type TestMap = { getLayer(id: string): unknown; getPaintProperty(layer: string, name: string): unknown; queryRenderedFeatures(o: object): unknown[] };

/** This month where the offices are (the appraisal's default time zone). */
function thisMonth(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
}

/** A resident report inside a grid (a missed discovery of that grid); answers its case number. */
async function residentReport(grid: string): Promise<string> {
  const { rows } = await ctx.test.db.knex.raw(`select ST_X(p) as lon, ST_Y(p) as lat from (select ST_PointOnSurface(geom) p from areas where code = ? and valid_to is null) x`, [grid]);
  const category = (await ctx.test.db.knex('incident_categories').first('code')).code;
  const res = await request(ctx.test.app).post('/api/public/incidents').send({ category, description: `appraisal browser test in ${grid}`, lon: rows[0].lon, lat: rows[0].lat });
  expect(res.status).toBe(201);
  return res.body.case_no;
}

// .ci/run installs Debian's chromium; elsewhere set CHROMIUM_PATH or install it to run these.
describe.skipIf(!fs.existsSync(CHROMIUM) && !process.env.CI)('the appraisal dashboard in Chromium', () => {
  it('shows the command centre a ranked table, charts and grids coloured by score, with no console errors', async () => {
    const { page, errors, external } = await ctx.open('#/login?next=%23%2Fappraisal');
    await loginThroughForm(page, 'admin', TEST_PASSWORD);
    await page.waitForSelector('#appraisal-table tbody tr[data-key]', { timeout: 30_000 });
    const rows = await page.locator('#appraisal-table tbody tr[data-key]').count();
    const month = await page.inputValue('input[name=month]');
    await page.waitForSelector('#appraisal-trend svg');
    await waitForMapIdle(page);
    await page.waitForFunction(() => !!(window as unknown as { gridworkMap: TestMap }).gridworkMap.getLayer('appraisal-fill'), undefined, { timeout: 20_000 });
    await waitForMapIdle(page);
    const grids = await page.evaluate(() => (window as unknown as { gridworkMap: TestMap }).gridworkMap.queryRenderedFeatures({ layers: ['grids-fill'] }).length);
    await page.screenshot({ path: path.join(ARTIFACTS, 'appraisal.png'), fullPage: true });
    expect(rows).toBeGreaterThan(0);
    expect(month).toMatch(/^\d{4}-\d{2}$/);
    expect(await page.locator('header nav a[href="#/appraisal"]').count()).toBe(1);
    expect(await page.getAttribute('a:has-text("CSV")', 'href')).toBe(`/api/appraisal/export.csv?month=${month}&by=chief`);
    expect(grids).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  }, 120_000);

  it('lists the incidents behind a figure, colours that grid, sorts, and stays usable at phone width', async () => {
    const grid = (await ctx.test.db.knex('areas').where({ level: 3 }).whereNull('valid_to').orderBy('code').first('code')).code as string;
    const caseNo = await residentReport(grid);
    const next = encodeURIComponent(`#/appraisal?month=${thisMonth()}&by=grid`);
    const { page, errors } = await ctx.open(`#/login?next=${next}`, { width: 390, height: 844 });
    await loginThroughForm(page, 'admin', TEST_PASSWORD);
    await page.waitForSelector(`#appraisal-table tbody tr[data-key="${grid}"]`, { timeout: 30_000 });
    expect(await page.inputValue('select[name=by]')).toBe('grid');
    // Sorting by missed discoveries puts the reported grid's count first, largest first.
    await page.click('#appraisal-table th button[data-sort="missed"]');
    const missed = await page.$$eval('#appraisal-table tbody tr[data-key] td:nth-of-type(8)', (tds) => tds.map((td) => Number(td.textContent)));
    expect(missed).toEqual([...missed].sort((a, b) => b - a));
    expect(missed[0]).toBeGreaterThan(0);
    // The map colours the grid by the chosen score.
    await page.selectOption('select[name=score]', 'missed');
    const paint = await page.waitForFunction(
      (code) => {
        const m = (window as unknown as { gridworkMap: TestMap }).gridworkMap;
        const colour = m.getLayer('appraisal-fill') ? JSON.stringify(m.getPaintProperty('appraisal-fill', 'fill-color')) : '';
        return colour.includes(`"${code}"`) ? colour : false;
      },
      grid,
      { timeout: 20_000 },
    );
    expect(await paint.jsonValue()).toContain('match');
    await page.click(`#appraisal-table tbody tr[data-key="${grid}"] button[data-figure="missed"]`);
    await page.waitForSelector(`#appraisal-items li[data-case="${caseNo}"]`);
    const heading = await page.textContent('#appraisal-items h3');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    await page.screenshot({ path: path.join(ARTIFACTS, 'appraisal-phone.png'), fullPage: true });
    await page.waitForSelector('#appraisal-trend svg');
    await page.locator('#appraisal-trend').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ARTIFACTS, 'appraisal-phone-charts.png') });
    expect(heading).toMatch(/\(\d+\)/);
    expect(width).toBeLessThanOrEqual(390);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
