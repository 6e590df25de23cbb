import './styles.css';
import { currentUser, logout, type Me } from './api.js';
import { fill, h } from './dom.js';
import { currentLang, setLang, t, type Key } from './i18n.js';
import { firstMapIdle } from './map/lazy.js';
import { registerServiceWorker } from './offline/register.js';
import { asReportMeta, rememberReport } from './pages/my_reports.js';
import type { Page } from './page.js';
import { isCurrent, navFor, parseRoute, type NavLink } from './route.js';

/**
 * Pages by the first segment of the hash route (`#/report?grid=…`, `#/track/2026…`), each its own chunk loaded
 * when first shown: the report form does not wait for the map pages (nor, once it loads the map itself with
 * map/lazy.ts, for maplibre).
 */
const PAGES: Record<string, () => Promise<Page>> = {
  '': () => import('./pages/viewer.js').then((m) => m.viewerPage),
  report: () => import('./pages/report.js').then((m) => m.reportPage),
  track: () => import('./pages/track.js').then((m) => m.trackPage),
  board: () => import('./pages/board.js').then((m) => m.boardPage),
  chief: () => import('./pages/chief.js').then((m) => m.chiefPage),
  centre: () => import('./pages/centre.js').then((m) => m.centrePage),
  planner: () => import('./pages/planner.js').then((m) => m.plannerPage),
  assets: () => import('./pages/assets.js').then((m) => m.assetsPage),
  appraisal: () => import('./pages/appraisal.js').then((m) => m.appraisalPage),
  login: () => import('./pages/login.js').then((m) => m.loginPage),
};

let cleanup: (() => void) | void;
/** Counts renders, so that a page still loading when the route changes is dropped (and cleaned up) instead of shown. */
let rendering = 0;

/**
 * The header: the brand, the links of the signed-in role only (a resident sees the public pages, and a
 * small staff login), the account, the outbox and the language, in one compact bar (on a phone the links
 * scroll sideways instead of wrapping). Drawn at once; the links and the account are filled in when /api/me
 * answers (at once without a session), so that no page waits for it.
 */
function header(): HTMLElement {
  const lang = h('button', { type: 'button', class: 'lang', lang: currentLang() === 'zh' ? 'en' : 'zh', title: currentLang() === 'zh' ? 'English' : '中文' }, currentLang() === 'zh' ? 'EN' : '中文');
  lang.addEventListener('click', () => {
    setLang(currentLang() === 'zh' ? 'en' : 'zh');
    void render();
  });
  const link = ([href, key]: NavLink) => h('a', { href, class: isCurrent(location.hash, href) ? 'active' : undefined, 'aria-current': isCurrent(location.hash, href) ? 'page' : undefined }, t(key as Key));
  const nav = h('nav', { 'aria-label': t('app') });
  const account = h('span', { class: 'account-slot' });
  const brand = h('a', { href: '#/report', class: 'brand' }, h('b', {}, 'Gridwork'), h('span', {}, t('app')));
  void currentUser().then((user) => {
    fill(nav, ...navFor(user?.role).map(link));
    fill(account, accountLink(user));
    if (user) brand.setAttribute('href', navFor(user.role)[0][0]);
  });
  return h('header', { class: 'top' }, brand, nav, h('div', { class: 'account' }, account, outboxBadge, lang));
}

function accountLink(user: Me | null): HTMLElement {
  return user
    ? h('button', { type: 'button', class: 'account-button', title: t('logout'), onclick: async () => { await logout(); location.hash = '#/'; void render(); } }, h('span', { class: 'who' }, user.display_name), h('span', { class: 'sep' }, ' · '), t('logout'))
    : h('a', { class: 'staff-login', href: `#/login?next=${encodeURIComponent(location.hash || '#/')}` }, t('staffLogin'));
}

/** "Waiting to send (n)": reports kept on the device until there is signal (offline/outbox.ts); hidden when none. */
const outboxBadge = h('span', { class: 'outbox-badge', hidden: true, role: 'status' });

/** Render the page of the current route. */
async function render(): Promise<void> {
  const ticket = ++rendering;
  setLang(currentLang());
  document.title = `Gridwork ${t('app')}`;
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  const app = document.getElementById('app')!;
  const { name, arg, query } = parseRoute(location.hash);
  const main = h('main', { class: `page page-${name || 'map'}` });
  app.replaceChildren(header(), main);
  try {
    const page = await (PAGES[name] ?? PAGES[''])();
    if (ticket !== rendering) return;
    const done = await page(main, { arg, query, rerender: () => void render() });
    if (ticket === rendering) cleanup = done;
    else if (typeof done === 'function') done();
  } catch (err) {
    // A page that failed after drawing (its map could not load, without signal) keeps what it drew: the error goes above it.
    if (ticket === rendering) main.prepend(h('p', { class: 'error' }, `${t('error')}: ${(err as Error).message}`));
  }
}

/** Resolves after `ms` milliseconds. */
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * After the first page: the outbox sends what it kept, and the service worker is registered once the page has
 * what it needs (its map idle, at most 15 s), so that its precache does not share a slow link with the page.
 */
async function afterFirstPage(): Promise<void> {
  void import('./offline/outbox.js').then((outbox) => {
    outbox.onChange((items) => {
      outboxBadge.hidden = items.length === 0;
      outboxBadge.textContent = `${t('waitingToSend')} (${items.length})`;
    });
    // A resident's report sent later goes into "My reports" with its receipt (its check code is only in the answer).
    outbox.onSent((entry, body) => {
      const meta = asReportMeta(entry.meta);
      if (entry.url === '/api/public/incidents' && meta) rememberReport(body as { case_no: string; check_code?: string | null }, meta);
    });
    outbox.startOutbox();
  });
  const hasMap = !!(window as unknown as { gridworkMap?: unknown }).gridworkMap;
  await Promise.race([firstMapIdle, delay(hasMap ? 15_000 : 0)]);
  if (document.readyState !== 'complete') await new Promise((resolve) => window.addEventListener('load', resolve, { once: true }));
  registerServiceWorker();
}

window.addEventListener('hashchange', () => void render());
void render().then(afterFirstPage);
