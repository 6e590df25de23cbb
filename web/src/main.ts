import './styles.css';
import { currentUser, logout } from './api.js';
import { h } from './dom.js';
import { currentLang, setLang, t, type Key } from './i18n.js';
import type { Page } from './page.js';
import { isCurrent, parseRoute } from './route.js';
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

const NAV: [string, Key][] = [['#/', 'map'], ['#/report', 'report'], ['#/track', 'track'], ['#/chief', 'chief'], ['#/centre', 'centre'], ['#/planner', 'planner'], ['#/assets', 'assetLedger']];

let cleanup: (() => void) | void;

async function header(): Promise<HTMLElement> {
  const user = await currentUser();
  const lang = h('button', { type: 'button', class: 'lang', title: 'Language / 语言' }, currentLang() === 'zh' ? 'EN' : '中文');
  lang.addEventListener('click', () => {
    setLang(currentLang() === 'zh' ? 'en' : 'zh');
    void render();
  });
  const account = user
    ? h('button', { type: 'button', class: 'link', onclick: async () => { await logout(); location.hash = '#/'; void render(); } }, `${user.display_name} · ${t('logout')}`)
    : h('a', { href: `#/login?next=${encodeURIComponent(location.hash || '#/')}` }, t('login'));
  // The appraisal is linked for the command centre and communities (the page itself also admits chiefs and departments).
  const links: [string, Key][] = user && ['admin', 'community'].includes(user.role) ? [...NAV, ['#/appraisal', 'appraisal']] : NAV;
  const nav = h('nav', {}, ...links.map(([href, key]) => h('a', { href, class: isCurrent(location.hash, href) ? 'active' : undefined }, t(key))));
  return h('header', { class: 'top' }, h('a', { href: '#/', class: 'brand' }, 'Gridwork ', h('span', {}, t('app'))), nav, h('div', { class: 'account' }, account, lang));
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
