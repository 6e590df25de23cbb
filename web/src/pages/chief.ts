import { getJson } from '../api.js';
import { assetListItem } from '../components/asset_details.js';
import { incidentListItem } from '../components/incident_actions.js';
import { fill, h } from '../dom.js';
import { when } from '../format.js';
import { assetStatus, nameOf, t } from '../i18n.js';
import { createMap, refreshPoints, zoomToArea } from '../map/map_view.js';
import type { Page } from '../page.js';
import { requireRole } from '../page.js';

/** The grid chief's view: their grid(s) on the map, their assets, their open incidents and the steps to take. */
export const chiefPage: Page = async (root) => {
  const user = await requireRole(root, ['chief', 'community', 'admin']);
  if (!user) return;
  const rows = await gridsOf(user.scope);
  const gridQuery = `grid=${rows.map(encodeURIComponent).join(',')}`;
  const mapEl = h('div', { class: 'map', id: 'chief-map' });
  const list = h('ul', { class: 'incident-list', id: 'chief-incidents' });
  const assets = h('ul', { class: 'asset-list' });
  const side = h('aside', { class: 'panel' },
    h('h2', {}, t('myGrids'), ': ', rows.join(', ')),
    h('h3', {}, t('openIncidents')), list,
    h('h3', {}, t('assets')), assets);
  root.append(mapEl, side);
  const map = createMap(mapEl, { incidentQuery: gridQuery, assetQuery: gridQuery, fit: rows.length === 0 });
  map.once('load', () => {
    if (rows[0]) void zoomToArea(map, rows[0]);
  });
  const departments = await getJson('/api/departments').catch(() => []);

  async function loadIncidents() {
    const pages = await Promise.all(rows.map((grid) => getJson('/api/incidents', { query: { grid, status: 'open,handled', limit: 200 } })));
    const items = pages.flatMap((p) => p.items).sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.reported_at.localeCompare(b.reported_at));
    const onDone = () => {
      void loadIncidents();
      refreshPoints(map, 'incidents', gridQuery);
    };
    fill(list, ...(items.length ? items.map((i) => incidentListItem(i, `${i.grid?.code ?? ''} · ${when(i.reported_at)}`, map, departments, onDone)) : [h('li', {}, t('none'))]));
  }
  await loadIncidents().catch((err) => fill(list, h('li', { class: 'error' }, String(err.message ?? err))));
  const assetPages = await Promise.all(rows.map((grid) => getJson('/api/assets', { query: { grid, limit: 100 } }).catch(() => null)));
  if (assetPages.every((p) => p === null)) fill(assets, h('li', {}, t('unavailable')));
  else {
    const items = assetPages.flatMap((p) => p?.items ?? []);
    // The asset on the map, and its details: a chief marks a cover found broken, with a note, or reports a problem about it.
    fill(assets, ...items.map((a) => assetListItem(a,
      () => `${a.code} · ${nameOf({ name: a.category_name ?? a.category_code, name_en: a.category_name_en })} · ${assetStatus(a.status)}`,
      map, () => gridQuery)));
  }
  return () => map.remove();
};

/** The grid codes under a scope (a chief's scope is their grids; a community's, its grids). */
async function gridsOf(scope: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const code of scope) {
    const area = await getJson('/api/areas/{code}', { path: { code } }).catch(() => null);
    if (area?.properties.level === 'grid') out.push(code);
    else {
      const children = await getJson('/api/areas', { query: { level: 'grid', parent: code } }).catch(() => ({ features: [] }));
      out.push(...children.features.map((f) => f.properties.code));
    }
  }
  return out;
}
