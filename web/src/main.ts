import './styles.css';
import { currentUser, logout } from './api.js';
import { h } from './dom.js';
import { currentLang, setLang, t, type Key } from './i18n.js';
import type { Page } from './page.js';
import { isCurrent, navFor, parseRoute } from './route.js';
import { appraisalPage } from './pages/appraisal.js';
import { assetsPage } from './pages/assets.js';
import { boardPage } from './pages/board.js';
import { centrePage } from './pages/centre.js';
import { chiefPage } from './pages/chief.js';
import { loginPage } from './pages/login.js';
import { plannerPage } from './pages/planner.js';
import { reportPage } from './pages/report.js';
import { trackPage } from './pages/track.js';
import { viewerPage } from './pages/viewer.js';
import { loadMapConfig } from './map/style.js';

/** Pages by the first segment of the hash route (`#/report?grid=…`, `#/track/2026…`). */
const PAGES: Record<string, Page> = {
  '': viewerPage,
  report: reportPage,
  track: trackPage,
  board: boardPage,
  chief: chiefPage,
  centre: centrePage,
  planner: plannerPage,
  assets: assetsPage,
  appraisal: appraisalPage,
  login: loginPage,
};

let cleanup: (() => void) | void;

/**
 * The header: the brand, the links of the signed-in role only (a resident sees the public pages, and a
 * small staff login), the account and the language, in one compact bar (on a phone the links scroll
 * sideways instead of wrapping).
 */
async function header(): Promise<HTMLElement> {
  const user = await currentUser();
  const lang = h('button', { type: 'button', class: 'lang', lang: currentLang() === 'zh' ? 'en' : 'zh', title: currentLang() === 'zh' ? 'English' : '中文' }, currentLang() === 'zh' ? 'EN' : '中文');
  lang.addEventListener('click', () => {
    setLang(currentLang() === 'zh' ? 'en' : 'zh');
    void render();
  });
  const account = user
    ? h('button', { type: 'button', class: 'account-button', title: t('logout'), onclick: async () => { await logout(); location.hash = '#/'; void render(); } }, h('span', { class: 'who' }, user.display_name), h('span', { class: 'sep' }, ' · '), t('logout'))
    : h('a', { class: 'staff-login', href: `#/login?next=${encodeURIComponent(location.hash || '#/')}` }, t('staffLogin'));
  const nav = h('nav', { 'aria-label': t('app') }, ...navFor(user?.role).map(([href, key]) => h('a', { href, class: isCurrent(location.hash, href) ? 'active' : undefined, 'aria-current': isCurrent(location.hash, href) ? 'page' : undefined }, t(key as Key))));
  return h('header', { class: 'top' }, h('a', { href: user ? navFor(user.role)[0][0] : '#/report', class: 'brand' }, h('b', {}, 'Gridwork'), h('span', {}, t('app'))), nav, h('div', { class: 'account' }, account, lang));
}

/** Render the page of the current route. */
async function render(): Promise<void> {
  setLang(currentLang());
  document.title = `Gridwork ${t('app')}`;
  if (typeof cleanup === 'function') cleanup();
  const app = document.getElementById('app')!;
  const { name, arg, query } = parseRoute(location.hash);
  const page = PAGES[name] ?? viewerPage;
  const main = h('main', { class: `page page-${name || 'map'}` });
  app.replaceChildren(await header(), main);
  try {
    cleanup = await page(main, { arg, query, rerender: () => void render() });
  } catch (err) {
    main.replaceChildren(h('p', { class: 'error' }, `${t('error')}: ${(err as Error).message}`));
  }
}

window.addEventListener('hashchange', () => void render());
void loadMapConfig().then(render);
