import type * as maplibregl from 'maplibre-gl';
import { loadMap } from '../map/lazy.js';
import { errorText } from '../error_text.js';
import { getJson, type Schema } from '../api.js';
import { categoryUses, rankCategories, recordCategoryUse } from '../categories.js';
import { photoPicker } from '../components/photo_strip.js';
import { fill, h } from '../dom.js';
import { when } from '../format.js';
import { nameOf, t, tf } from '../i18n.js';
import { send as sendThroughOutbox } from '../offline/outbox.js';
import { loadSettings } from '../settings.js';
import type { Page } from '../page.js';
import { requireRole } from '../page.js';

/** How many categories are offered as big buttons; the rest are in the grouped list under them. */
const QUICK_CATEGORIES = 6;

/** Fixes less precise than this are shown as rough and the chief is asked to place the pin. */
const ROUGH_FIX_M = 50;

/**
 * 巡查上报, the chief's own find, in one hand: the camera first, the position from GPS with its accuracy
 * (the pin can be dragged to correct it), the category (the tapped asset's first, then the chief's most
 * used), a short description; sent as source `patrol`, so that the appraisal counts it as found. Photos
 * are shrunk on the phone (photos/shrink.ts); without a device position the first photo's EXIF one is used.
 * Without signal the report is kept on the phone and sent when there is (offline/outbox.ts).
 */
export const chiefReportPage: Page = async (root, { query, rerender }) => {
  const user = await requireRole(root, ['chief', 'community', 'admin']);
  if (!user) return;
  const assetId = query.get('asset');

  const settings = await loadSettings();
  // How the pin got where it is: a GPS fix (with its accuracy), a photo's EXIF position, or the chief's hand.
  let placedBy: 'gps' | 'photo' | 'hand' | null = null;
  const picker = photoPicker({
    max: settings.photos.max_files,
    onPicked: (photo) => {
      // The device's own fix, or a pin placed by hand, wins over a photo's position.
      if (photo.gps && placedBy === null) place(photo.gps[0], photo.gps[1], null, 'photo');
    },
  });
  const where = h('p', { class: 'where', 'aria-live': 'polite' }, t('locating'));
  const relocate = h('button', { type: 'button', class: 'secondary' }, t('useGps'));
  const mapEl = h('div', { class: 'map map-small', id: 'patrol-map' });
  const quick = h('div', { class: 'category-tiles', role: 'radiogroup', 'aria-label': t('category') });
  const more = h('select', { name: 'category', 'aria-label': t('otherCategories') }, h('option', { value: '' }, t('otherCategories')));
  const description = h('textarea', { name: 'description', rows: 2, maxlength: 2000, placeholder: t('describeBriefly') });
  const assetNote = h('p', { class: 'hint' });
  const msg = h('p', { class: 'error', role: 'alert' });
  const status = h('p', { class: 'hint send-status', 'aria-live': 'polite' });
  const send = h('button', { type: 'submit', class: 'big' }, t('sendReport'));
  const form = h('form', { class: 'card report-form patrol-form' },
    h('h2', {}, t('patrolReport')),
    picker.element,
    h('h3', {}, t('position')), where, mapEl, h('div', { class: 'row' }, relocate),
    h('h3', {}, t('category')), assetNote, quick, more,
    h('label', {}, t('description'), description),
    msg, status, send,
    h('p', {}, h('a', { href: '#/chief', class: 'button secondary' }, t('backToMyGrid'))));
  root.append(form);

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
    const how = placedBy === 'gps' && accuracy !== null
      ? `${t('gpsAccuracy')} ±${Math.round(accuracy)} m${accuracy > ROUGH_FIX_M ? ` · ${t('roughFix')}` : ''}`
      : t(placedBy === 'photo' ? 'photoPlaceUsed' : 'pinPlaced');
    try {
      const loc = await getJson('/api/locate', { query: { lon: String(point[0]), lat: String(point[1]) } });
      fill(where, `${how} · ${nameOf(loc.grid)}`);
    } catch (err) {
      fill(where, how, ' · ', h('span', { class: 'error' }, errorText(err)));
    }
  };
  const showPin = () => {
    if (!map || !marker || !point) return;
    marker.setLngLat(point).addTo(map);
    map.easeTo({ center: point, zoom: Math.max(map.getZoom(), 17) });
  };
  const place = (lon: number, lat: number, acc: number | null, by: 'gps' | 'photo' | 'hand') => {
    point = [lon, lat];
    accuracy = acc;
    placedBy = by;
    showPin();
    void describePlace();
  };
  const locate = () => {
    where.textContent = t('locating');
    if (!navigator.geolocation) {
      where.textContent = t('gpsFailed');
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => {
        // A pin the chief placed stays where they put it.
        if (placedBy !== 'hand') place(p.coords.longitude, p.coords.latitude, p.coords.accuracy, 'gps');
      },
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

  if (asset) place(asset.lon, asset.lat, null, 'hand');
  else locate();

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.textContent = '';
    if (!category) return void (msg.textContent = t('pickCategory'));
    if (!point) return void (msg.textContent = t('pickPoint'));
    send.disabled = true;
    send.textContent = t('sending');
    status.textContent = t('preparingPhotos');
    try {
      const photos = await picker.photos();
      const body = new FormData();
      body.set('source', 'patrol');
      body.set('category', category);
      body.set('description', description.value.trim());
      body.set('lon', String(point[0]));
      body.set('lat', String(point[1]));
      if (asset) body.set('asset_id', String(asset.id));
      for (const p of photos) body.append('photos', p.blob, p.name);
      const label = nameOf(cats.find((c) => c.code === category) ?? { name: category });
      const r = await sendThroughOutbox('/api/incidents', body, { label, onProgress: (sent) => (status.textContent = tf('uploading', { p: Math.round(sent * 100) })) });
      recordCategoryUse(category);
      form.replaceWith(r.status === 'queued' ? keptCard(rerender) : sentCard(r.body as Schema<'IncidentReceipt'>, rerender));
    } catch (err) {
      msg.textContent = errorText(err);
      status.textContent = '';
      send.disabled = false;
      send.textContent = t('sendReport');
    }
  });

  // The map comes last: the form works without it (GPS, a photo's position), and the pin shows once it is there.
  let gone = false;
  void loadMap().then(({ createMap, Marker }) => {
    if (gone) return;
    map = createMap(mapEl, { popups: false, fit: !point });
    marker = new Marker({ color: '#d62728', draggable: true });
    marker.on('dragend', () => {
      const p = marker!.getLngLat();
      place(p.lng, p.lat, null, 'hand');
    });
    map.on('click', (ev) => place(ev.lngLat.lng, ev.lngLat.lat, null, 'hand'));
    showPin();
  }).catch(() => fill(mapEl, h('p', { class: 'map-wait error' }, t('mapFailed'))));
  return () => {
    gone = true;
    map?.remove();
  };
};

/** A patrol report kept on the phone without signal: it goes by itself and then shows in My grid. */
function keptCard(again: () => void): HTMLElement {
  return h('section', { class: 'card receipt kept', role: 'status' },
    h('h2', {}, t('keptTitle')),
    h('p', {}, t('keptTextChief')),
    h('div', { class: 'row' },
      h('a', { class: 'button big', href: '#/chief' }, t('backToMyGrid')),
      h('button', { type: 'button', class: 'secondary big', onclick: () => (location.hash === '#/chief/report' ? again() : (location.hash = '#/chief/report')) }, t('reportAnother'))));
}

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
