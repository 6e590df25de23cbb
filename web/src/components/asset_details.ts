import type { Map as MapLibreMap } from 'maplibre-gl';
import { errorText } from '../error_text.js';
import { getJson, patchJson, type Answer } from '../api.js';
import { fill, h } from '../dom.js';
import { when } from '../format.js';
import { ASSET_STATUSES, assetStatus, t } from '../i18n.js';
import { loadMap } from '../map/lazy.js';

/** One asset as GET /api/assets/{id} answers: its fields and its change log. */
type AssetDetail = Answer<'/api/assets/{id}', 'get'>;

/**
 * A panel that loads one asset: its attributes, its change log (status changes, moves between grids) and a
 * status change with a note (for the logged-in user; the server says when the asset is outside their scope).
 */
export function assetDetails(id: number, onChanged: (status: string) => void): HTMLElement {
  const box = h('div', { class: 'actions asset-details' }, '…');
  const show = async () => {
    let a: AssetDetail;
    try {
      a = await getJson('/api/assets/{id}', { path: { id } });
    } catch (err) {
      fill(box, h('p', { class: 'error' }, errorText(err)));
      return;
    }
    const attrs = Object.entries(a.attrs);
    const history = h('ul', { class: 'history' }, ...a.history.map((e) => h('li', {},
      `${when(e.created_at)} · `,
      e.action === 'status' ? `${assetStatus(e.from_status)} → ${assetStatus(e.to_status)}` : `${t('grids')} ${e.from_grid ?? '—'} → ${e.to_grid ?? '—'}`,
      e.note ? ` · ${e.note}` : '')));
    fill(box,
      h('dl', { class: 'kv-list' },
        h('dt', {}, t('position')), h('dd', {}, `${a.lon}, ${a.lat}`),
        h('dt', {}, t('grids')), h('dd', {}, a.grid_code ?? '—'),
        ...attrs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, typeof v === 'string' ? v : JSON.stringify(v))])),
      a.history.length ? history : null,
      statusForm(a),
      // In the chief's app a find about the asset is their patrol report; elsewhere, the public form.
      location.hash.startsWith('#/chief')
        ? h('p', {}, h('a', { class: 'button', href: `#/chief/report?asset=${a.id}` }, t('patrolReport')))
        : h('p', {}, h('a', { href: `#/report?asset=${a.id}${a.grid_code ? `&grid=${a.grid_code}` : ''}` }, t('reportHere'))));
  };
  function statusForm(a: AssetDetail): HTMLElement {
    const status = h('select', { name: 'asset-status', 'aria-label': t('status') }, ...ASSET_STATUSES.map((s) => h('option', { value: s, selected: s === a.status }, assetStatus(s))));
    const note = h('input', { name: 'asset-note', placeholder: t('note'), 'aria-label': t('note') });
    const msg = h('p', { class: 'error', role: 'alert' });
    const save = h('button', { type: 'button' }, t('save'));
    save.addEventListener('click', async () => {
      msg.textContent = '';
      if (status.value === a.status) {
        msg.textContent = t('statusUnchanged');
        return;
      }
      try {
        await patchJson('/api/assets/{id}', { path: { id: a.id }, body: { status: status.value as AssetDetail['status'], ...(note.value.trim() ? { note: note.value.trim() } : {}) } });
        onChanged(status.value);
        await show();
      } catch (err) {
        msg.textContent = errorText(err);
      }
    });
    return h('div', {}, h('div', { class: 'row' }, status, note, save), msg);
  }
  void show();
  return box;
}

/**
 * A row of an asset list: a tap shows the asset on the map and opens (or closes) its details; a status
 * change there relabels the row (`label` reads the asset, whose status is updated) and redraws the asset tiles.
 */
export function assetListItem(
  a: { id: number; code: string; status: string; lon: number; lat: number },
  label: () => string,
  map: MapLibreMap,
  tileQuery: () => string,
  ...extra: Node[]
): HTMLElement {
  const button = h('button', { type: 'button', class: 'link' }, label());
  const li = h('li', { 'data-code': a.code }, button, ...extra);
  button.addEventListener('click', () => {
    map.flyTo({ center: [a.lon, a.lat], zoom: 18 });
    const open = li.querySelector('.asset-details');
    if (open) open.remove();
    else {
      li.append(assetDetails(a.id, (status) => {
        a.status = status;
        button.textContent = label();
        // The map is on the page already, so its module is loaded: this only takes it from loadMap's cache.
        void loadMap().then((m) => m.refreshPoints(map, 'assets', tileQuery()));
      }));
    }
  });
  return li;
}
