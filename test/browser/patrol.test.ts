import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellsInside, toUtm51 } from '../../server/patrols/test_helpers.js';
import { TEST_PASSWORD } from '../app.js';
import { ARTIFACTS, CHROMIUM, loginThroughForm, useBrowser } from './browser.js';

/*
 * A patrol on the chief's phone, its track simulated: the page's geolocation is replaced (before the app
 * loads) by one the test moves. chief09 walks the centre line of one row of the 50 m lattice of UTM zone
 * 51N (EPSG:32651, the demo office's zone), a fix at the centre of each of 9 cells, 20 s apart, with one
 * fix of 80 m accuracy among them (dropped). Worked out by hand: each fix is 0 m from its own cell's centre
 * and 50 m from the next (more than 30 m), so the walk covers exactly those 9 cells, out of the grid's cells,
 * which the test counts itself (the lattice squares whose centre lies in the grid: proj4 and turf).
 */

const ctx = useBrowser();
const PHONE = { width: 390, height: 844 };
const toUtm = toUtm51;


/** Runs in the page before the app: a geolocation that `window.gpsFix(lon, lat, accuracy, at)` moves. */
function fakeGeolocation(): void {
  type Watcher = (p: GeolocationPosition) => void;
  const watchers = new Map<number, Watcher>();
  let last: GeolocationPosition | null = null;
  let next = 1;
  const position = (lon: number, lat: number, accuracy: number, at: number) =>
    ({ coords: { longitude: lon, latitude: lat, accuracy, altitude: null, altitudeAccuracy: null, heading: null, speed: null }, timestamp: at }) as unknown as GeolocationPosition;
  const geolocation = {
    watchPosition: (ok: Watcher) => {
      watchers.set(next, ok);
      if (last) ok(last);
      return next++;
    },
    clearWatch: (id: number) => void watchers.delete(id),
    getCurrentPosition: (ok: Watcher, fail?: (e: unknown) => void) => (last ? ok(last) : fail?.({ code: 2, message: 'no fix yet', PERMISSION_DENIED: 1 })),
  };
  Object.defineProperty(navigator, 'geolocation', { value: geolocation, configurable: true });
  (window as unknown as { gpsFix: (lon: number, lat: number, accuracy: number, at: number) => void }).gpsFix = (lon, lat, accuracy, at) => {
    last = position(lon, lat, accuracy, at);
    for (const w of watchers.values()) w(last);
  };
}

describe.skipIf(!fs.existsSync(CHROMIUM) && !process.env.CI)("a chief's patrol", () => {
  it('records a simulated walk and shows its coverage, as worked out by hand, on the phone and in the appraisal', { timeout: 180_000 }, async () => {
    const k = ctx.test.db.knex;
    const { grid } = await k('staff as s').join('staff_assignments as sa', 'sa.staff_id', 's.id').where('s.code', 'chief09').whereNull('sa.valid_to').first('sa.area_code as grid');
    const row = await k('areas').where({ code: grid }).whereNull('valid_to').first(k.raw('ST_AsGeoJSON(geom)::json as g'));
    const inside = cellsInside(row.g);
    // A row of 11 cells inside the grid; the walk goes along the 9 in the middle.
    const keys = [...inside].map((s) => s.split(',').map(Number)).sort((p, q) => p[1] - q[1] || p[0] - q[0]);
    const found = keys.find(([a, r]) => [...Array(11).keys()].every((d) => inside.has(`${a + d},${r}`)));
    if (!found) throw new Error(`grid ${grid} has no row of 11 cells`);
    const [a, r] = [found[0] + 1, found[1]];
    const expected = Math.round((9 / inside.size) * 1e4) / 1e4;

    const w = await ctx.open(`#/login?next=${encodeURIComponent('#/chief')}`, PHONE);
    const { page } = w;
    await page.addInitScript(fakeGeolocation);
    await page.reload();
    await loginThroughForm(page, 'chief09', TEST_PASSWORD);
    await page.waitForURL((u) => u.hash === '#/chief');
    await page.waitForSelector('.patrol-toggle:enabled', { timeout: 30_000 });
    await page.click('.patrol-toggle');
    await page.waitForSelector('.patrol-toggle.recording');

    const t0 = Date.now();
    for (let i = 0; i < 9; i++) {
      const [lon, lat] = toUtm.inverse([(a + i) * 50 + 25, r * 50 + 25]);
      await page.evaluate(([lon, lat, at]) => (window as unknown as { gpsFix: (a: number, b: number, c: number, d: number) => void }).gpsFix(lon, lat, 6, at), [lon, lat, t0 + i * 20_000]);
      // Between two fixes, one too rough to count, on the row above.
      if (i === 4) {
        const [rlon, rlat] = toUtm.inverse([(a + i) * 50 + 25, (r + 1) * 50 + 25]);
        await page.evaluate(([lon, lat, at]) => (window as unknown as { gpsFix: (a: number, b: number, c: number, d: number) => void }).gpsFix(lon, lat, 80, at), [rlon, rlat, t0 + i * 20_000 + 16_000]);
      }
    }
    await page.waitForFunction(() => document.querySelector('.patrol-figures b')?.textContent === '9');
    await page.click('.patrol-toggle');
    await page.waitForSelector('.patrol-toggle:not(.recording)');
    // The panel asks the server again once the fixes and the end are sent (0.0% was today's figure before).
    const shown = `${(expected * 100).toFixed(1)}%`;
    await page.waitForFunction((text) => document.querySelector('.patrol-coverage:not([hidden]) b')?.textContent === text, shown, { timeout: 20_000 })
      .catch(async () => expect(await page.textContent('.patrol-coverage b')).toBe(shown));
    await page.screenshot({ path: path.join(ARTIFACTS, 'patrol-phone-zh.png') });

    // Stored: 9 fixes of one ended patrol, none of them the rough one.
    const patrols = await k('patrols as p').join('staff as s', 's.id', 'p.chief_staff_id').where('s.code', 'chief09').select('p.id', 'p.ended_at');
    expect(patrols).toHaveLength(1);
    expect(patrols[0].ended_at).not.toBeNull();
    expect(await k('patrol_fixes').where({ patrol_id: patrols[0].id }).count({ n: '*' })).toEqual([{ n: 9 }]);

    // The month's figure in the appraisal, on the chief's own row, beside the others.
    await page.goto(`${ctx.base}/#/appraisal`);
    await page.waitForSelector('th button[data-sort=patrol_coverage]', { timeout: 30_000 });
    const column = await page.locator('thead th').evaluateAll((ths) => ths.findIndex((th) => th.querySelector('[data-sort=patrol_coverage]')));
    const cell = page.locator(`tbody tr:has-text("chief09") > :nth-child(${column + 1})`);
    expect(await cell.textContent()).toBe(`${(expected * 100).toFixed(1)}%`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'patrol-appraisal-phone-zh.png') });
    expect(w.errors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
    await page.close();
  });
});
