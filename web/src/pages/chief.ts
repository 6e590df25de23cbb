import type * as maplibregl from 'maplibre-gl';
import { loadMap } from '../map/lazy.js';
import { getJson, type Schema } from '../api.js';
import { assetListItem } from '../components/asset_details.js';
import { incidentCard } from '../components/incident_card.js';
import { patrolPanel } from '../components/patrol_panel.js';
import { cameraIcon, fill, h } from '../dom.js';
import { assetStatus, nameOf, t } from '../i18n.js';
import type { Page } from '../page.js';
import { requireRole } from '../page.js';
import { chiefCasePage } from './chief_case.js';
import { chiefReportPage } from './chief_report.js';

/** The sections of the chief's home that a phone shows one at a time (a desk shows them side by side). */
const TABS = ['list', 'map', 'assets'] as const;

/**
 * The grid chief's field app: `#/chief` is their grid (the big patrol-report button, the open cases,
 * overdue first, each with its photo, deadline and who has it; new ones arrive live with a badge; the map;
 * the assets), `#/chief/report` the patrol report, `#/chief/case/{id}` one case with its evidence and steps.
 */
export const chiefPage: Page = async (root, ctx) => {
  // The report and a case are pages of their own that scroll, not the panel-and-map home.
  if (ctx.arg) root.classList.replace('page-chief', 'page-chief-sub');
  if (ctx.arg === 'report') return chiefReportPage(root, ctx);
  if (ctx.arg.startsWith('case/')) return chiefCasePage(root, { ...ctx, arg: ctx.arg.slice('case/'.length) });
  const user = await requireRole(root, ['chief', 'community', 'admin']);
  if (!user) return;
  const grids = await gridsOf(user.scope);
  const gridQuery = `grid=${grids.map((g) => encodeURIComponent(g.code)).join(',')}`;

  const count = h('span', { class: 'count' });
  // The patrol panel (start/stop, today's track) takes its place once the map is there to draw on.
  const patrolSlot = h('div', { class: 'patrol-slot' });
  const fresh = h('span', { class: 'badge new', hidden: true });
  const list = h('ul', { class: 'incident-cards', id: 'chief-incidents', 'aria-live': 'polite' }, h('li', { class: 'hint' }, t('loading')));
  const assets = h('ul', { class: 'asset-list' });
  const mapEl = h('div', { class: 'map', id: 'chief-map' });
  const tabs = h('div', { class: 'tabs', role: 'tablist' }, ...TABS.map((tab) =>
    h('button', { type: 'button', role: 'tab', 'data-tab': tab, 'aria-selected': String(tab === 'list') },
      t(tab === 'list' ? 'showList' : tab === 'map' ? 'showMap' : 'showAssets'), tab === 'list' ? count : null)));
  const side = h('aside', { class: 'panel chief-panel' },
    h('a', { class: 'button big camera', href: '#/chief/report' }, cameraIcon(), t('patrolReport')),
    patrolSlot,
    h('p', { class: 'grids' }, t('myGrids'), '：', grids.map((g) => g.name).join('、') || t('none')),
    tabs,
    h('section', { class: 'tab-list', 'data-section': 'list' }, h('h2', {}, t('openIncidents'), ' ', fresh), list),
    h('section', { class: 'tab-assets', 'data-section': 'assets' }, h('h2', {}, t('assets')), assets));
  root.append(side, mapEl);
  root.dataset.tab = 'list';

  let map: maplibregl.Map | undefined;
  let refreshPoints: ((m: maplibregl.Map, layer: 'assets' | 'incidents', q: string) => void) | undefined;
  const seen = new Set<number>();
  let firstLoad = true;
  async function loadIncidents() {
    const pages = await Promise.all(grids.map((g) => getJson('/api/incidents', { query: { grid: g.code, status: 'open,handled', limit: 200 } })));
    const byId = new Map<number, Schema<'IncidentSummary'>>();
    for (const i of pages.flatMap((p) => p.items)) byId.set(i.id, i);
    // Overdue first, then what the chief must check (handled), then the nearest deadline.
    const items = [...byId.values()].sort((a, b) => Number(b.overdue) - Number(a.overdue) || Number(b.status === 'handled') - Number(a.status === 'handled') || (a.due_at ?? '').localeCompare(b.due_at ?? ''));
    const newOnes = firstLoad ? [] : items.filter((i) => !seen.has(i.id));
    for (const i of items) seen.add(i.id);
    firstLoad = false;
    count.textContent = ` ${items.length}`;
    fresh.hidden = newOnes.length === 0;
    fresh.textContent = `${newOnes.length} ${t('newCases')}`;
    const isNew = new Set(newOnes.map((i) => i.id));
    fill(list, ...(items.length ? items.map((i) => incidentCard(i, `#/chief/case/${i.id}`, { fresh: isNew.has(i.id) })) : [h('li', { class: 'hint' }, t('noOpenCases'))]));
    if (map && refreshPoints) refreshPoints(map, 'incidents', gridQuery);
  }
  await loadIncidents().catch((err) => fill(list, h('li', { class: 'error' }, String(err.message ?? err))));

  // The map loads after the list is on screen.
  const view = await loadMap();
  refreshPoints = view.refreshPoints;
  map = view.createMap(mapEl, { incidentQuery: gridQuery, assetQuery: gridQuery, fit: grids.length === 0 });
  map.once('load', () => {
    if (grids[0]) void view.zoomToArea(map!, grids[0].code);
  });
  if (user.role === 'chief') patrolSlot.replaceWith(patrolPanel({ map }));
  for (const b of tabs.querySelectorAll<HTMLButtonElement>('button')) {
    b.addEventListener('click', () => {
      root.dataset.tab = b.dataset.tab;
      for (const o of tabs.querySelectorAll('button')) o.setAttribute('aria-selected', String(o === b));
      if (b.dataset.tab === 'map') map?.resize();
    });
  }

  const assetPages = await Promise.all(grids.map((g) => getJson('/api/assets', { query: { grid: g.code, limit: 100 } }).catch(() => null)));
  if (assetPages.every((p) => p === null)) fill(assets, h('li', {}, t('unavailable')));
  else {
    const items = assetPages.flatMap((p) => p?.items ?? []);
    // The asset on the map, and its details: a chief marks a cover found broken, with a note, or reports a problem about it.
    fill(assets, ...items.map((a) => assetListItem(a,
      () => `${nameOf({ name: a.category_name ?? a.category_code, name_en: a.category_name_en })} ${a.code} · ${assetStatus(a.status)}`,
      map!, () => gridQuery)));
  }

  // New and changed cases in the chief's grids arrive live.
  const stream = new EventSource('/api/incidents/stream');
  let timer: number | undefined;
  stream.addEventListener('incident', () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => void loadIncidents().catch(() => undefined), 300);
  });
  return () => {
    stream.close();
    map?.remove();
  };
};

/** The grids under a scope, with their names (a chief's scope is their grids; a community's, its grids). */
async function gridsOf(scope: string[]): Promise<{ code: string; name: string }[]> {
  const out: { code: string; name: string }[] = [];
  for (const code of scope) {
    const area = await getJson('/api/areas/{code}', { path: { code } }).catch(() => null);
    if (area?.properties.level === 'grid') out.push({ code, name: nameOf(area.properties) });
    else {
      const children = await getJson('/api/areas', { query: { level: 'grid', parent: code } }).catch(() => ({ features: [] }));
      out.push(...children.features.map((f) => ({ code: f.properties.code, name: nameOf(f.properties) })));
    }
  }
  return out;
}
