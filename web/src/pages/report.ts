import { ApiError, getJson, postJson, type Schema } from '../api.js';
import { fill, h } from '../dom.js';
import { when } from '../format.js';
import { nameOf, t } from '../i18n.js';
import { loadMap } from '../map/lazy.js';
import type { Page } from '../page.js';

/** The resident's report form: place (GPS or tap), category, photo, description; no account needed. */
export const reportPage: Page = async (root, { query }) => {
  const mapEl = h('div', { class: 'map map-small', id: 'report-map' });
  const where = h('p', { class: 'where', 'aria-live': 'polite' }, t('tapMap'));
  const gps = h('button', { type: 'button' }, t('useGps'));
  const category = h('select', { name: 'category', required: true }, h('option', { value: '' }, t('pickCategory')));
  const photo = h('input', { type: 'file', name: 'photos', accept: 'image/*', capture: 'environment' });
  const description = h('textarea', { name: 'description', rows: 3, maxlength: 2000 });
  const contactName = h('input', { name: 'contact_name', autocomplete: 'name' });
  const contactPhone = h('input', { name: 'contact_phone', type: 'tel', autocomplete: 'tel' });
  const msg = h('p', { class: 'error', role: 'alert' });
  const send = h('button', { type: 'submit' }, t('send'));
  const form = h('form', { class: 'card report-form' },
    h('h2', {}, t('report')),
    mapEl, h('div', { class: 'row' }, gps), where,
    h('label', {}, t('category'), category),
    h('label', {}, t('photo'), photo),
    h('label', {}, t('description'), description),
    h('fieldset', {}, h('legend', {}, t('contactOptional')), h('label', {}, t('name'), contactName), h('label', {}, t('phone'), contactPhone)),
    msg, send);
  root.append(form);

  let point: [number, number] | null = null;
  const assetId = query.get('asset');
  getJson('/api/incident-categories')
    .then((cats) => category.append(...cats.map((c) => h('option', { value: c.code }, `${nameOf({ name: c.class_name, name_en: c.class_name_en })} · ${nameOf(c)}`))))
    .catch(() => (msg.textContent = t('unavailable')));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.textContent = '';
    if (!point) {
      msg.textContent = t('pickPoint');
      return;
    }
    const body = new FormData();
    body.set('category', category.value);
    body.set('description', description.value);
    body.set('lon', String(point[0]));
    body.set('lat', String(point[1]));
    if (contactName.value) body.set('contact_name', contactName.value);
    if (contactPhone.value) body.set('contact_phone', contactPhone.value);
    if (photo.files?.[0]) body.set('photos', photo.files[0]);
    if (assetId) body.set('asset_id', assetId);
    send.disabled = true;
    send.textContent = t('sending');
    try {
      const r = await postJson('/api/public/incidents', { body });
      form.replaceWith(receipt(r));
    } catch (err) {
      msg.textContent = err instanceof ApiError ? err.message : String(err);
      send.disabled = false;
      send.textContent = t('send');
    }
  });

  // The form is usable before the map is there: maplibre comes in its own chunk (map/lazy.ts).
  const { createMap, zoomToArea, Marker } = await loadMap();
  const grid = query.get('grid');
  const map = createMap(mapEl, { popups: false, fit: !grid });
  if (grid) void zoomToArea(map, grid);
  const marker = new Marker({ color: '#d62728' });

  async function place(lon: number, lat: number) {
    point = [lon, lat];
    marker.setLngLat(point).addTo(map);
    try {
      const loc = await getJson('/api/locate', { query: { lon: String(lon), lat: String(lat) } });
      fill(where, `${t('inGrid')}: ${nameOf(loc.grid)} (${loc.grid.code})`, loc.chief ? ` · ${t('chiefName')}: ${nameOf(loc.chief)} ${loc.chief.phone ?? ''}` : '');
    } catch (err) {
      fill(where, err instanceof ApiError ? err.message : String(err));
    }
  }
  map.on('click', (e) => void place(e.lngLat.lng, e.lngLat.lat));
  // From an asset's popup: the report is about that asset, at its position.
  if (assetId) {
    getJson('/api/assets/{id}', { path: { id: Number(assetId) } })
      .then((a) => {
        map.jumpTo({ center: [a.lon, a.lat], zoom: 17 });
        void place(a.lon, a.lat);
      })
      .catch(() => undefined);
  }
  gps.addEventListener('click', () => {
    where.textContent = t('locating');
    navigator.geolocation?.getCurrentPosition(
      (p) => {
        map.flyTo({ center: [p.coords.longitude, p.coords.latitude], zoom: 17 });
        void place(p.coords.longitude, p.coords.latitude);
      },
      () => (where.textContent = t('gpsFailed')),
      { enableHighAccuracy: true, timeout: 15000 },
    );
  });
  return () => map.remove();
};

function receipt(r: Schema<'IncidentReceipt'>): HTMLElement {
  return h('section', { class: 'card receipt' },
    h('h2', {}, t('sent'), ' ✔'),
    h('dl', {},
      h('dt', {}, t('caseNo')), h('dd', { class: 'case-no' }, r.case_no),
      h('dt', {}, t('inGrid')), h('dd', {}, r.grid ? `${r.grid.name} (${r.grid.code})` : '—'),
      h('dt', {}, t('assignedTo')), h('dd', {}, r.assignee ? `${r.assignee.name} ${r.assignee.phone ?? ''}` : '—'),
      h('dt', {}, t('dueAt')), h('dd', {}, when(r.due_at))),
    h('a', { class: 'button', href: `#/track/${r.case_no}` }, t('trackLink')));
}
