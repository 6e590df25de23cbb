import type * as maplibregl from 'maplibre-gl';
import { loadMap } from '../map/lazy.js';
import { errorText } from '../error_text.js';
import { getJson, postJson, type Schema } from '../api.js';
import { categoryUses, rankCategories, recordCategoryUse } from '../categories.js';
import { cameraIcon, fill, h } from '../dom.js';
import { when } from '../format.js';
import { nameOf, t } from '../i18n.js';
import type { Page } from '../page.js';
import { requireRole } from '../page.js';

/** How many categories are offered as big buttons; the rest are in the grouped list under them. */
const QUICK_CATEGORIES = 6;

/** Fixes less precise than this are shown as rough and the chief is asked to place the pin. */
const ROUGH_FIX_M = 50;

/**
 * 巡查上报, the chief's own find, in one hand: the camera first, the position from GPS with its accuracy
 * (the pin can be dragged to correct it), the category (the tapped asset's first, then the chief's most
 * used), a short description; sent as source `patrol`, so that the appraisal counts it as found.
 */
export const chiefReportPage: Page = async (root, { query, rerender }) => {
  const user = await requireRole(root, ['chief', 'community', 'admin']);
  if (!user) return;
  const assetId = query.get('asset');

  const shots = h('div', { class: 'shots', 'aria-live': 'polite' });
  const camera = h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, class: 'visually-hidden', id: 'patrol-photos' });
  const cameraButton = h('label', { for: 'patrol-photos', class: 'button big camera' }, cameraIcon(), t('takePhotos'));
  const where = h('p', { class: 'where', 'aria-live': 'polite' }, t('locating'));
  const relocate = h('button', { type: 'button', class: 'secondary' }, t('useGps'));
  const mapEl = h('div', { class: 'map map-small', id: 'patrol-map' });
  const quick = h('div', { class: 'category-tiles', role: 'radiogroup', 'aria-label': t('category') });
  const more = h('select', { name: 'category', 'aria-label': t('otherCategories') }, h('option', { value: '' }, t('otherCategories')));
  const description = h('textarea', { name: 'description', rows: 2, maxlength: 2000, placeholder: t('describeBriefly') });
  const assetNote = h('p', { class: 'hint' });
  const msg = h('p', { class: 'error', role: 'alert' });
  const send = h('button', { type: 'submit', class: 'big' }, t('sendReport'));
  const form = h('form', { class: 'card report-form patrol-form' },
    h('h2', {}, t('patrolReport')),
    h('div', { class: 'row' }, cameraButton, camera), shots,
    h('h3', {}, t('position')), where, mapEl, h('div', { class: 'row' }, relocate),
    h('h3', {}, t('category')), assetNote, quick, more,
    h('label', {}, t('description'), description),
    msg, send,
    h('p', {}, h('a', { href: '#/chief', class: 'button secondary' }, t('backToMyGrid'))));
  root.append(form);

  // Photos: kept in the order taken, each removable.
  const photos: File[] = [];
  const showShots = () =>
    fill(shots, ...photos.map((f, i) => {
      const url = URL.createObjectURL(f);
      const remove = h('button', { type: 'button', class: 'remove', 'aria-label': t('removePhoto') }, '×');
      remove.addEventListener('click', () => {
        photos.splice(i, 1);
        showShots();
      });
      return h('figure', { class: 'shot' }, h('img', { src: url, alt: t('photo'), onload: () => URL.revokeObjectURL(url) }), remove);
    }));
  camera.addEventListener('change', () => {
    photos.push(...Array.from(camera.files ?? []));
    camera.value = '';
    showShots();
  });

  // The category: one chosen, from a tile or the list.
  let category = '';
  const choose = (code: string) => {
    category = code;
    for (const b of quick.querySelectorAll('button')) b.setAttribute('aria-checked', String(b.dataset.code === code));
    more.value = quick.querySelector(`[data-code="${code}"]`) ? '' : code;
  };
  more.addEventListener('change', () => more.value && choose(more.value));

  // The position: GPS first; the pin can be dragged; a tap on the map moves it too.
  let point: [number, number] | null = null;
  let accuracy: number | null = null;
  let map: maplibregl.Map | undefined;
  let marker: maplibregl.Marker | undefined;
  const describePlace = async () => {
    if (!point) return;
    const acc = accuracy === null ? t('pinPlaced') : `${t('gpsAccuracy')} ±${Math.round(accuracy)} m${accuracy > ROUGH_FIX_M ? ` · ${t('roughFix')}` : ''}`;
    try {
      const loc = await getJson('/api/locate', { query: { lon: String(point[0]), lat: String(point[1]) } });
      fill(where, `${acc} · ${nameOf(loc.grid)}`);
    } catch (err) {
      fill(where, h('span', { class: 'error' }, errorText(err)));
    }
  };
  const place = (lon: number, lat: number, acc: number | null) => {
    point = [lon, lat];
    accuracy = acc;
    if (map && marker) {
      marker.setLngLat(point).addTo(map);
      map.easeTo({ center: point, zoom: Math.max(map.getZoom(), 17) });
    }
    void describePlace();
  };
  const locate = () => {
    where.textContent = t('locating');
    if (!navigator.geolocation) {
      where.textContent = t('gpsFailed');
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => place(p.coords.longitude, p.coords.latitude, p.coords.accuracy),
      () => (where.textContent = point ? where.textContent : t('gpsFailed')),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 10_000 },
    );
  };
  relocate.addEventListener('click', locate);

  // The form is usable at once; the map and the dictionaries arrive when they can.
  const [cats, asset] = await Promise.all([
    getJson('/api/incident-categories').catch(() => [] as Schema<'IncidentCategory'>[]),
    assetId ? getJson('/api/assets/{id}', { path: { id: Number(assetId) } }).catch(() => null) : Promise.resolve(null),
  ]);
  const ranked = rankCategories(cats, categoryUses(), asset?.category_code);
  fill(quick, ...ranked.slice(0, QUICK_CATEGORIES).map((c) =>
    h('button', { type: 'button', role: 'radio', 'aria-checked': 'false', 'data-code': c.code, onclick: () => choose(c.code) }, nameOf(c))));
  const groups = new Map<string, HTMLOptGroupElement>();
  for (const c of cats) {
    const label = nameOf({ name: c.class_name, name_en: c.class_name_en });
    if (!groups.has(label)) groups.set(label, h('optgroup', { label }));
    groups.get(label)!.append(h('option', { value: c.code }, nameOf(c)));
  }
  more.append(...groups.values());
  if (asset) {
    assetNote.textContent = `${t('aboutThisAsset')}: ${nameOf({ name: asset.category_name ?? '', name_en: asset.category_name_en })} ${asset.code}`;
    const fits = ranked.filter((c) => c.asset_category_code === asset.category_code);
    if (fits.length === 1) choose(fits[0].code);
  }

  const { createMap, Marker } = await loadMap();
  map = createMap(mapEl, { popups: false, fit: !asset });
  marker = new Marker({ color: '#d62728', draggable: true });
  marker.on('dragend', () => {
    const p = marker!.getLngLat();
    place(p.lng, p.lat, null);
  });
  map.on('click', (e) => place(e.lngLat.lng, e.lngLat.lat, null));
  if (asset) place(asset.lon, asset.lat, null);
  else locate();
  if (point) marker.setLngLat(point).addTo(map);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.textContent = '';
    if (!category) return void (msg.textContent = t('pickCategory'));
    if (!point && !photos.length) return void (msg.textContent = t('pickPoint'));
    const body = new FormData();
    body.set('source', 'patrol');
    body.set('category', category);
    body.set('description', description.value.trim());
    if (point) {
      body.set('lon', String(point[0]));
      body.set('lat', String(point[1]));
    }
    if (asset) body.set('asset_id', String(asset.id));
    for (const p of photos) body.append('photos', p, p.name);
    send.disabled = true;
    send.textContent = t('sending');
    try {
      const r = await postJson('/api/incidents', { body });
      recordCategoryUse(category);
      form.replaceWith(sentCard(r, rerender));
    } catch (err) {
      msg.textContent = errorText(err);
      send.disabled = false;
      send.textContent = t('sendReport');
    }
  });
  return () => map?.remove();
};

/** What the chief sees after sending: the case, who has it, the deadline, and what to do next. */
function sentCard(r: Schema<'IncidentReceipt'>, again: () => void): HTMLElement {
  return h('section', { class: 'card receipt', role: 'status' },
    h('h2', {}, '✔ ', t('reported')),
    h('dl', {},
      h('dt', {}, t('caseNo')), h('dd', { class: 'case-no' }, r.case_no),
      h('dt', {}, t('inGrid')), h('dd', {}, r.grid ? r.grid.name : '—'),
      h('dt', {}, t('assignedTo')), h('dd', {}, r.assignee ? r.assignee.name : '—'),
      h('dt', {}, t('dueAt')), h('dd', {}, when(r.due_at)),
      h('dt', {}, t('photo')), h('dd', {}, String(r.photos))),
    r.possible_duplicates.length ? h('p', { class: 'hint' }, t('similarNearby'), ' ', ...r.possible_duplicates.map((d) => h('a', { href: `#/chief/case/${d.id}` }, d.case_no, ' '))) : null,
    h('p', {}, t('nextStepChief')),
    h('div', { class: 'row' },
      h('a', { class: 'button big', href: `#/chief/case/${r.id}` }, t('openCase')),
      h('button', { type: 'button', class: 'secondary big', onclick: () => (location.hash === '#/chief/report' ? again() : (location.hash = '#/chief/report')) }, t('reportAnother'))));
}
