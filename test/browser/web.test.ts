import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { TEST_PASSWORD } from '../app.js';
import { ARTIFACTS, CHROMIUM, loginThroughForm, useBrowser, waitForMapIdle } from './browser.js';

const ctx = useBrowser();

/** A point well inside a grid (its point on surface), and the grid's code. */
async function insideGrid(code: string): Promise<[number, number]> {
  const { rows } = await ctx.test.db.knex.raw(`select ST_X(p) as lon, ST_Y(p) as lat from (select ST_PointOnSurface(geom) p from areas where code = ? and valid_to is null) x`, [code]);
  return [rows[0].lon, rows[0].lat];
}

async function gridOf(username: string): Promise<string> {
  const { rows } = await ctx.test.db.knex.raw(`select s.area_code from user_scopes s join users u on u.id = s.user_id where u.username = ? order by 1 limit 1`, [username]);
  return rows[0].area_code;
}

// .ci/run installs Debian's chromium; elsewhere set CHROMIUM_PATH or install it to run these.
describe.skipIf(!fs.existsSync(CHROMIUM) && !process.env.CI)('the web app in Chromium', () => {
  it('loads the map and renders grid tiles with no console errors and no request off localhost', async () => {
    const { page, errors, external } = await ctx.open('#/');
    const gridTile = page.waitForResponse((r) => /\/tiles\/grids\/\d+\/\d+\/\d+\.mvt/.test(r.url()) && r.status() === 200);
    await gridTile;
    await waitForMapIdle(page);
    await page.evaluate(() => (window as unknown as { gridworkMap: { setZoom(z: number): void } }).gridworkMap.setZoom(14));
    await waitForMapIdle(page);
    const grids = await page.evaluate(() => (window as unknown as { gridworkMap: { queryRenderedFeatures(o: object): unknown[] } }).gridworkMap.queryRenderedFeatures({ layers: ['grids-fill'] }).length);
    await page.screenshot({ path: path.join(ARTIFACTS, 'map.png') });
    expect(grids).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  });

  it('draws assets close in as the icons of their categories, the same icons as the legend', async () => {
    const { rows: cats } = await ctx.test.db.knex.raw(`select code from asset_categories order by code`);
    const { rows } = await ctx.test.db.knex.raw(`select category_code, ST_X(geom) as lon, ST_Y(geom) as lat from assets order by id limit 1`);
    const { page, errors } = await ctx.open('#/');
    const warnings: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'warning' && /image/i.test(m.text())) warnings.push(m.text());
    });
    await page.waitForSelector('.asset-legend li[data-category] svg');
    await waitForMapIdle(page);
    // Wait for the map's next 'idle' after the jump (tiles loaded and symbols placed): polling loaded() right
    // after jumpTo can see the old view's tiles before the new ones are even asked for.
    await page.evaluate(
      ([lon, lat]) =>
        new Promise<void>((resolve) => {
          const map = (window as unknown as { gridworkMap: { jumpTo(o: object): void; once(e: string, f: () => void): void } }).gridworkMap;
          map.once('idle', () => resolve());
          map.jumpTo({ center: [lon, lat], zoom: 17.5 });
        }),
      [rows[0].lon, rows[0].lat],
    );
    const drawn = await page.evaluate(() =>
      (window as unknown as { gridworkMap: { queryRenderedFeatures(o: object): { properties: { category_code: string } }[] } }).gridworkMap
        .queryRenderedFeatures({ layers: ['assets-icon'] })
        .map((f) => f.properties.category_code),
    );
    const images = await page.evaluate(
      (codes: string[]) => codes.map((c) => (window as unknown as { gridworkMap: { hasImage(id: string): boolean } }).gridworkMap.hasImage(`asset-${c}`)),
      cats.map((c: { code: string }) => c.code),
    );
    const legendIcons = await page.$$eval('.asset-legend li[data-category]', (lis) => lis.map((li) => [li.getAttribute('data-category'), li.querySelector('svg')?.getAttribute('data-icon')]));
    await page.screenshot({ path: path.join(ARTIFACTS, 'asset-icons.png') });
    expect(drawn).toContain(rows[0].category_code);
    expect(images.every(Boolean)).toBe(true);
    expect(legendIcons).toEqual(cats.map((c: { code: string }) => [c.code, `asset-${c.code}`]));
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    await page.close();
  });

  it('takes a resident report through the form and shows it on the command centre map', async () => {
    const grid = await gridOf('chief02');
    const { page, errors } = await ctx.open(`#/report?grid=${grid}`, { width: 390, height: 844 });
    await page.waitForFunction(() => !!document.querySelector('#report-map canvas'));
    await page.waitForTimeout(1500);
    const [lon, lat] = await insideGrid(grid);
    // The resident taps the map: centre it on a point inside the grid and tap the middle.
    await page.evaluate(([x, y]) => (window as unknown as { gridworkMap: { jumpTo(o: object): void } }).gridworkMap.jumpTo({ center: [x, y], zoom: 16 }), [lon, lat]);
    const box = (await page.locator('#report-map canvas').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForFunction(() => document.querySelector('.place-line')?.textContent?.startsWith('属于'));
    await page.click('section[data-screen=where] button.next');
    await page.click('.category-tile[data-category="0603"]');
    await page.waitForSelector('section[data-screen=photos]:not([hidden])');
    await page.fill('textarea[name=description]', '路灯不亮 browser test');
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-form.png'), fullPage: true });
    await page.click('section[data-screen=photos] button.next');
    await page.click('section[data-screen=send] button.send');
    await page.waitForSelector('.receipt .case-no');
    const caseNo = (await page.textContent('.receipt .case-no'))!.trim();
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-receipt.png'), fullPage: true });
    expect(caseNo).toMatch(/^\d{8,20}$/);
    expect(errors).toEqual([]);
    await page.close();

    const { rows } = await ctx.test.db.knex.raw(`select id, ST_X(geom) as lon, ST_Y(geom) as lat from incidents where case_no = ?`, [caseNo]);
    const incident = rows[0];
    const centre = await ctx.open('#/login?next=%23%2Fcentre');
    await loginThroughForm(centre.page, 'admin', TEST_PASSWORD);
    await centre.page.waitForSelector(`#queue li[data-case="${caseNo}"]`);
    await centre.page.click(`#queue li[data-case="${caseNo}"] > button`);
    await centre.page.waitForTimeout(1500);
    await waitForMapIdle(centre.page);
    const onMap = await centre.page.waitForFunction(
      (id) => {
        const m = (window as unknown as { gridworkMap: { queryRenderedFeatures(o: object): { id?: number }[] } }).gridworkMap;
        return m.queryRenderedFeatures({ layers: ['incidents-point'] }).some((f) => f.id === id);
      },
      incident.id,
      { timeout: 20_000, polling: 300 },
    );
    expect(await onMap.jsonValue()).toBe(true);
    await centre.page.screenshot({ path: path.join(ARTIFACTS, 'command-centre.png') });
    expect(centre.errors).toEqual([]);
    await centre.page.close();
  });

  it('shows a chief the incidents of their grid and not those of another grid', async () => {
    const mine = await gridOf('chief03');
    const other = await gridOf('chief04');
    const category = (await ctx.test.db.knex('incident_categories').first('code')).code;
    const report = async (code: string) => {
      const [lon, lat] = await insideGrid(code);
      const res = await request(ctx.test.app).post('/api/public/incidents').send({ category, description: `in ${code}`, lon, lat });
      expect(res.status).toBe(201);
      return res.body.case_no as string;
    };
    const myCase = await report(mine);
    const otherCase = await report(other);
    const { page, errors } = await ctx.open('#/login?next=%23%2Fchief');
    await loginThroughForm(page, 'chief03', TEST_PASSWORD);
    await page.waitForSelector(`#chief-incidents li[data-case="${myCase}"]`);
    const shown = await page.$$eval('#chief-incidents li[data-case]', (lis) => lis.map((li) => [li.getAttribute('data-case'), li.getAttribute('data-grid')]));
    // The grid's assets are listed with their status in the page's language (Chinese by default).
    await page.waitForSelector('.asset-list li button');
    const assetLabels = await page.$$eval('.asset-list li button', (bs) => bs.map((b) => b.textContent ?? ''));
    await page.screenshot({ path: path.join(ARTIFACTS, 'chief.png') });
    expect(assetLabels.length).toBeGreaterThan(0);
    expect(assetLabels.every((l) => /· (完好|损坏|丢失|维修中|已报废)$/.test(l))).toBe(true);
    expect(shown.map(([c]) => c)).not.toContain(otherCase);
    expect(shown.every(([, g]) => g === mine)).toBe(true);
    // A cover found gone on patrol: the chief opens the asset and marks it missing, with a note.
    const first = (await page.locator('.asset-list li').first().getAttribute('data-code'))!;
    const item = page.locator(`.asset-list li[data-code="${first}"]`);
    await item.locator('button.link').click();
    await item.locator('select[name=asset-status]').selectOption('missing');
    await item.locator('input[name=asset-note]').fill('巡查发现井盖丢失');
    await item.locator('button:has-text("保存")').click();
    await item.locator('.history li').waitFor();
    expect(await item.locator('button.link').textContent()).toMatch(/· 丢失$/);
    // In the chief's app, a problem found at the asset is their patrol report about it.
    expect(await item.locator(`a[href="#/chief/report?asset=${(await ctx.test.db.knex('assets').where({ code: first }).first('id')).id}"]`).count()).toBe(1);
    const asset = await ctx.test.db.knex('assets').where({ code: first }).first('id', 'status', 'grid_code');
    expect(asset).toMatchObject({ status: 'missing', grid_code: mine });
    expect(await ctx.test.db.knex('asset_events').where({ asset_id: asset.id }).orderBy('id', 'desc').first('to_status', 'note')).toEqual({ to_status: 'missing', note: '巡查发现井盖丢失' });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('prints a grid notice board with a QR code to the report form of that grid', async () => {
    const grid = await gridOf('chief05');
    const { page, errors } = await ctx.open(`#/board/${grid}`, { width: 390, height: 844 });
    await page.waitForSelector('img.qr');
    const src = await page.getAttribute('img.qr', 'src');
    const alt = await page.getAttribute('img.qr', 'alt');
    await page.screenshot({ path: path.join(ARTIFACTS, 'notice-board.png'), fullPage: true });
    expect(src).toMatch(/^data:image\/png;base64,/);
    expect(alt).toBe(`${ctx.base}/#/report?grid=${grid}`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lets a planner load the grids in force into the editor and check them as a plan', async () => {
    const { page } = await ctx.open('#/login?next=%23%2Fplanner');
    const jsErrors: string[] = [];
    page.on('pageerror', (e) => jsErrors.push(String(e)));
    await loginThroughForm(page, 'planner', TEST_PASSWORD);
    await page.waitForSelector('#planner-map canvas');
    await waitForMapIdle(page);
    await page.click('text=从现行网格开始编辑');
    await page.click('.panel button:has-text("校验")');
    // The grids in force, round-tripped through the editor, are a valid plan of 91 grids.
    await page.waitForSelector('.report h3, .panel p.error:not(:empty)', { timeout: 60_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'planner.png') });
    expect(await page.locator('.panel p.error').first().textContent()).toBe('');
    expect(await page.locator('.report h3').textContent()).toMatch(/^#\d+ · ✔ .* · 91 /);
    expect(jsErrors).toEqual([]);
    await page.close();
  }, 120_000);

  it('lets a planner repair a plan whose grid was drawn 40 cm off, which may then be published', async () => {
    const code = await gridOf('chief05');
    const { rows } = await ctx.test.db.knex.raw(
      `select parent_code, ST_AsGeoJSON(ST_Translate(geom, 0.4 / (111320 * cos(radians(41.8))), 0), 15)::json as g from areas where code = ? and valid_to is null`,
      [code],
    );
    const fc = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code, parent_code: rows[0].parent_code }, geometry: rows[0].g }] };
    const { page, errors } = await ctx.open('#/login?next=%23%2Fplanner');
    await loginThroughForm(page, 'planner', TEST_PASSWORD);
    await page.waitForSelector('#planner-map canvas');
    await page.setInputFiles('.panel input[type=file]', { name: 'off.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(fc)) });
    await page.waitForSelector('.report h3');
    expect(await page.locator('.report h3').textContent()).toMatch(/^#\d+ · ✖ /);
    expect(await page.locator('.report button:has-text("发布")').isDisabled()).toBe(true);
    await page.click('.repair button:has-text("修复")');
    await page.waitForFunction(() => document.querySelector('.report h3')?.textContent?.includes('✔'));
    expect(await page.locator('.report .problems li').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'planner-repaired.png') });
    expect(await page.locator('.report button:has-text("发布")').isDisabled()).toBe(false);
    // Snapped back: the plan's grid lies within a few centimetres of the grid in force (not published here:
    // on native PostGIS the test files share one database, whose demo grids other files expect as they are).
    const planId = Number((await page.locator('.report h3').textContent())!.match(/^#(\d+)/)![1]);
    const { rows: moved } = await ctx.test.db.knex.raw(
      `select ST_HausdorffDistance(p.geom, a.geom) * 111320 as m
         from plan_grids p join areas a on a.code = p.code and a.valid_to is null
        where p.plan_id = ? and p.code = ?`,
      [planId, code],
    );
    expect(Number(moved[0].m)).toBeLessThan(0.1);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('warns a planner of a grid drawn crossing itself before sending it, and sends it only when asked', async () => {
    const { page, errors } = await ctx.open('#/login?next=%23%2Fplanner');
    const prompts: string[] = [];
    page.on('dialog', (d) => {
      prompts.push(d.message());
      void d.accept('BOWTIE-1');
    });
    await loginThroughForm(page, 'planner', TEST_PASSWORD);
    await page.waitForSelector('#planner-map canvas');
    await waitForMapIdle(page);
    const plansBefore = Number((await ctx.test.db.knex('plans').count({ n: '*' }))[0].n);
    // A bow tie: four corners of a square, clicked crosswise, then the first one again to close it.
    await page.click('.panel button:has-text("画网格")');
    const box = (await page.locator('#planner-map canvas').boundingBox())!;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    for (const [dx, dy] of [[-80, -80], [80, 80], [80, -80], [-80, 80], [-80, -80]]) {
      await page.mouse.click(cx + dx, cy + dy);
      await page.waitForTimeout(300);
    }
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toMatch(/面积 [\d,.]+ (m²|km²)/);
    await page.click('.panel button:has-text("校验")');
    await page.waitForSelector('.report h3');
    expect(await page.locator('.report h3').textContent()).toMatch(/^✖ 图形有问题，尚未提交 · 1 个网格/);
    expect(await page.locator('.report .problems li').allTextContents()).toEqual(['BOWTIE-1: 自相交']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'planner-shape-problems.png') });
    expect(Number((await ctx.test.db.knex('plans').count({ n: '*' }))[0].n)).toBe(plansBefore);
    // Sent anyway: the server checks it and finds it invalid too.
    await page.click('.report button:has-text("仍然提交校验")');
    await page.waitForFunction(() => /^#\d+ · ✖/.test(document.querySelector('.report h3')?.textContent ?? ''));
    expect(Number((await ctx.test.db.knex('plans').count({ n: '*' }))[0].n)).toBe(plansBefore + 1);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('lets a planner check a file of assets, see its bad rows by line, import it once good, mark an asset damaged, and add one on the map', async () => {
    const grid = await gridOf('chief02');
    const [lon, lat] = await insideGrid(grid);
    const { page, errors } = await ctx.open('#/login?next=%23%2Fassets');
    await loginThroughForm(page, 'planner', TEST_PASSWORD);
    await page.waitForSelector('#assets-map canvas');
    // The ledger: every asset, then only the damaged ones.
    await page.waitForSelector('#ledger li');
    const all = Number((await page.locator('.total').textContent())!.split('/')[1]);
    expect(all).toBe(Number((await ctx.test.db.knex('assets').count({ n: '*' }))[0].n));
    await page.selectOption('select[name=status]', 'damaged');
    await page.waitForFunction((n) => !document.querySelector('.total')?.textContent?.endsWith(`/ ${n}`), all);
    const damaged = Number((await ctx.test.db.knex('assets').where({ status: 'damaged' }).count({ n: '*' }))[0].n);
    expect(await page.locator('.total').textContent()).toBe(damaged ? `1–${Math.min(20, damaged)} / ${damaged}` : '暂无');

    const code = `WEB-${Date.now()}`;
    await page.click('summary:has-text("导入部件")');
    const bad = ['code,category_code,status,lon,lat', `${code}-1,0101,normal,${lon},${lat}`, `${code}-2,9999,normal,${lon},${lat}`, `${code}-3,0101,normal,${lat},${lon}`].join('\n');
    await page.setInputFiles('input[name=file]', { name: 'assets.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await page.click('button:has-text("检查")');
    await page.waitForSelector('.bad-rows tbody tr');
    expect(await page.locator('.bad-rows tbody tr').allTextContents()).toEqual([
      expect.stringMatching(new RegExp(`^3${code}-2unknown category 9999`)),
      expect.stringMatching(new RegExp(`^4${code}-3bad coordinates: .*look swapped`)),
    ]);
    expect(await page.locator('button:has-text("导入")').isDisabled()).toBe(true);

    const good = ['code,category_code,status,lon,lat', `${code}-1,0101,normal,${lon},${lat}`, `${code}-2,0120,damaged,${lon},${lat}`].join('\n');
    await page.setInputFiles('input[name=file]', { name: 'assets.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await page.click('button:has-text("检查")');
    await page.waitForFunction(() => document.querySelector('.import-result p')?.textContent?.includes('错误: 0'));
    // A check writes nothing.
    expect(Number((await ctx.test.db.knex('assets').where('code', 'like', `${code}-%`).count({ n: '*' }))[0].n)).toBe(0);
    await page.click('button:has-text("导入")');
    await page.waitForFunction(() => document.querySelector('.import-result p')?.textContent?.startsWith('已导入: 2 / 2'));
    await page.screenshot({ path: path.join(ARTIFACTS, 'asset-import.png') });
    expect(await ctx.test.db.knex('assets').where('code', 'like', `${code}-%`).orderBy('code').pluck('grid_code')).toEqual([grid, grid]);

    // Find the new asset in the ledger, open it, and mark it damaged with a note: logged, and shown.
    await page.selectOption('select[name=status]', '');
    await page.fill('input[name=code]', `${code}-1`);
    await page.press('input[name=code]', 'Enter');
    await page.waitForSelector(`#ledger li[data-code="${code}-1"]`);
    await page.click(`#ledger li[data-code="${code}-1"] button.link`);
    await page.waitForSelector(`#ledger li[data-code="${code}-1"] select[name=asset-status]`);
    await page.selectOption(`#ledger li[data-code="${code}-1"] select[name=asset-status]`, 'damaged');
    await page.fill(`#ledger li[data-code="${code}-1"] input[name=asset-note]`, '井盖破损');
    await page.click(`#ledger li[data-code="${code}-1"] button:has-text("保存")`);
    await page.waitForSelector(`#ledger li[data-code="${code}-1"] .history li`);
    expect(await page.locator(`#ledger li[data-code="${code}-1"] .history li`).textContent()).toMatch(/完好 → 损坏 · 井盖破损$/);
    expect(await page.locator(`#ledger li[data-code="${code}-1"] > button`).textContent()).toContain('损坏');
    const asset = await ctx.test.db.knex('assets').where({ code: `${code}-1` }).first('id', 'status');
    expect(asset.status).toBe('damaged');
    expect(await ctx.test.db.knex('asset_events').where({ asset_id: asset.id }).select('from_status', 'to_status', 'note')).toEqual([{ from_status: 'normal', to_status: 'damaged', note: '井盖破损' }]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'asset-details.png') });

    // A new streetlight: its place clicked on the map, its code typed; it lands in the grid under the click.
    await page.click('summary:has-text("新增部件")');
    await page.evaluate(([x, y]) => (window as unknown as { gridworkMap: { jumpTo(o: object): void } }).gridworkMap.jumpTo({ center: [x, y], zoom: 17 }), [lon, lat]);
    await waitForMapIdle(page);
    const box = (await page.locator('#assets-map canvas').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.fill('input[name=new-code]', `${code}-NEW`);
    await page.selectOption('select[name=new-category]', '0120');
    await page.click('.add-asset button:has-text("新增部件")');
    await page.waitForSelector(`#ledger li[data-code="${code}-NEW"]`);
    const added = await ctx.test.db.knex('assets').where({ code: `${code}-NEW` }).first('category_code', 'grid_code', ctx.test.db.knex.raw('ST_X(geom) as x'), ctx.test.db.knex.raw('ST_Y(geom) as y'));
    expect(added).toMatchObject({ category_code: '0120', grid_code: grid });
    expect(Math.abs(added.x - lon) + Math.abs(added.y - lat)).toBeLessThan(1e-4);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
