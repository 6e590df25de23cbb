import fs from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildWeb } from '../../web/build.js';
import type { Config } from '../../server/config.js';
import { TEST_PASSWORD, useTestApp } from '../app.js';

/** Where screenshots go (gitignored). */
export const ARTIFACTS = path.resolve('test-artifacts');

/** Chromium from the system (Debian package `chromium`), overridable with CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for a quiet, offline, headless Chromium. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A page that records console errors, page errors and any request that leaves localhost. */
export interface WatchedPage {
  page: Page;
  errors: string[];
  external: string[];
}

/**
 * For a browser test file: build the web app if stale, start the app over this file's test database on
 * an ephemeral port, and launch Chromium with a fresh profile. Read `base`, `db`, `app` and `open()`;
 * `served` lists the requests the server got (`GET /api/me`), and `serverDown()`/`serverUp()` close and
 * reopen its port (no signal at all, the origin unchanged). `overrides` change the app's config (a data
 * directory of the file's own for the photos it stores).
 */
export function useBrowser(overrides: Partial<Config> = {}) {
  const ctx = {} as {
    base: string;
    browser: BrowserContext;
    open: (hash: string, viewport?: { width: number; height: number }) => Promise<WatchedPage>;
    /** Open a page signed in as a demo user through the login form, in a language (saved as the app saves it). */
    openSignedIn: (username: string, hash: string, viewport: { width: number; height: number }, lang?: 'zh' | 'en') => Promise<WatchedPage>;
    served: string[];
    serverDown: () => Promise<void>;
    serverUp: () => Promise<void>;
  };
  let server: Server;
  let profile: string;
  beforeAll(async () => {
    await buildWeb();
  }, 120_000);
  const test = useTestApp(overrides);
  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    ctx.served = [];
    server = http.createServer((req, res) => {
      ctx.served.push(`${req.method} ${req.url}`);
      test.app(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    ctx.base = `http://127.0.0.1:${port}`;
    ctx.serverDown = () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    ctx.serverUp = () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gridwork-chromium-'));
    ctx.browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, locale: 'zh-CN', viewport: { width: 1200, height: 800 } });
    ctx.open = async (hash, viewport) => {
      const page = await ctx.browser.newPage();
      if (viewport) await page.setViewportSize(viewport);
      const watched: WatchedPage = { page, errors: [], external: [] };
      page.on('console', (m) => {
        if (m.type() === 'error') watched.errors.push(m.text());
      });
      page.on('pageerror', (e) => watched.errors.push(String(e)));
      page.on('request', (r) => {
        const host = new URL(r.url()).hostname;
        if (!['127.0.0.1', 'localhost'].includes(host) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) watched.external.push(r.url());
      });
      await page.goto(`${ctx.base}/${hash}`);
      return watched;
    };
    ctx.openSignedIn = async (username, hash, viewport, lang = 'zh') => {
      const w = await ctx.open(`#/login?next=${encodeURIComponent(hash)}`, viewport);
      await w.page.evaluate((l) => localStorage.setItem('gridwork.lang', l), lang);
      await w.page.reload();
      await loginThroughForm(w.page, username, TEST_PASSWORD);
      await w.page.waitForURL((u) => u.hash === hash);
      return w;
    };
  }, 120_000);
  afterAll(async () => {
    await ctx.browser?.close();
    if (server?.listening) {
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
    }
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });
  return Object.assign(ctx, { test });
}

/**
 * Wait until the page's map (window.gridworkMap) has loaded every tile it wants and drawn them. A frame is
 * let pass first, so that a camera or style change made just before has asked for its tiles: until then
 * the map reports the previous view's tiles as loaded.
 */
export async function waitForMapIdle(page: Page, timeout = 30_000): Promise<void> {
  await page.waitForFunction(() => !!(window as unknown as { gridworkMap?: unknown }).gridworkMap, undefined, { timeout, polling: 100 });
  await page.evaluate(
    (ms) =>
      new Promise<void>((resolve, reject) => {
        type MapLike = { loaded(): boolean; areTilesLoaded(): boolean; isMoving(): boolean; once(e: string, f: () => void): void };
        const m = (window as unknown as { gridworkMap: MapLike }).gridworkMap;
        const timer = setTimeout(() => reject(new Error(`the map was not idle within ${ms} ms`)), ms);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        requestAnimationFrame(() =>
          requestAnimationFrame(() => {
            if (m.loaded() && m.areTilesLoaded() && !m.isMoving()) done();
            else m.once('idle', done);
          }),
        );
      }),
    timeout,
  );
}

/** Log in through the login form. */
export async function loginThroughForm(page: Page, username: string, password: string): Promise<void> {
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('form button[type=submit]');
}

/**
 * Save a screenshot of the page. Headless Chromium's software compositor now and then answers "Unable to
 * capture screenshot" for a frame it has not finished: that is the browser's, not the page's, so it is
 * tried once more after a moment; any other failure, or a second one, is thrown.
 */
export async function saveScreenshot(page: Page, file: string): Promise<void> {
  try {
    await page.screenshot({ path: file });
  } catch (err) {
    if (!/Unable to capture screenshot/.test(String(err))) throw err;
    await page.waitForTimeout(500);
    await page.screenshot({ path: file });
  }
}
