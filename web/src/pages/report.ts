import type { Map as MapLibreMap, Marker } from 'maplibre-gl';
import { loadMap } from '../map/lazy.js';
import { ApiError, getJson, type Schema } from '../api.js';
import { addSupporter, nearbyReports, type NearbyReport, type PublicReceipt } from '../api/public_contract.js';
import { categoriesForAsset, categoryIcon, categoryTiles, type IncidentCategory } from '../components/category_tiles.js';
import { photoPicker } from '../components/photo_strip.js';
import { fill, h } from '../dom.js';
import { errorText } from '../error_text.js';
import { whenShort } from '../format.js';
import { currentLang, nameOf, t, tf, word, type Key } from '../i18n.js';
import type { Page } from '../page.js';
import { send } from '../offline/outbox.js';
import { rememberReport, trackHref, updateMyReports, withReport, type ReportMeta } from './my_reports.js';
import './resident.css';

/** Most photos a resident sends with one report. */
const MAX_PHOTOS = 3;

/** The phone numbers the server takes (server/incidents/schema.ts contactSchema). */
const PHONE = /^[0-9+()\-\s]{5,20}$/;

/** The screens of the report, in order; `nearby` belongs to the second step. */
type Screen = 'where' | 'what' | 'nearby' | 'photos' | 'send';
const STEPS: [Screen, Key][] = [['where', 'stepWhere'], ['what', 'stepWhat'], ['photos', 'stepPhotos'], ['send', 'stepSend']];

/** How the pin got where it is, for what the page tells the resident. */
type PinSource = 'gps' | 'tap' | 'drag' | 'photo' | 'asset';

/** A phone number as a tap-to-call link. */
function telLink(phone: string, label: string = phone): HTMLElement {
  return h('a', { href: `tel:${phone.replace(/[^\d+]/g, '')}`, class: 'tel' }, label);
}

/**
 * The resident's report, FixMyStreet's flow on a phone: where (a pin placed by GPS, a tap, a drag or a
 * photo's EXIF position), what (category tiles; open reports of that kind nearby, to join instead),
 * photos and a few words, an optional call-back number, then the receipt with the check code. No account.
 * The form is in the page before the map library loads; the map follows.
 */
export const reportPage: Page = async (root, { query, rerender }) => {
  const grid = query.get('grid');
  const assetId = query.get('asset');
  let point: [number, number] | null = null;
  let located: Schema<'LocateResponse'> | null = null;
  let category: IncidentCategory | null = null;
  let categories: IncidentCategory[] = [];
  let suggested: IncidentCategory[] = [];
  let gone = false;
  /** The resident asked for the place of the next photo picked, whatever the pin says. */
  let placeFromNextPhoto = false;
  let map: MapLibreMap | null = null;
  let marker: Marker | null = null;

  // The steps, as a resident sees them on top.
  const stepper = h('ol', { class: 'stepper' }, ...STEPS.map(([screen, label], i) => h('li', { 'data-screen': screen }, h('b', {}, String(i + 1)), ' ', t(label))));
  const stepLabel = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });

  // 1. Where.
  const mapEl = h('div', { class: 'map report-map', id: 'report-map' }, h('p', { class: 'map-wait' }, t('mapLoading')));
  const where = h('p', { class: 'where', 'aria-live': 'polite' }, t('noPlaceYet'));
  const placeLine = h('p', { class: 'place-line' });
  const gpsButton = h('button', { type: 'button', class: 'secondary gps' }, t('useGps'));
  const photoPlaceButton = h('button', { type: 'button', class: 'secondary photo-place' }, t('usePhotoPlace'));
  const toWhat = h('button', { type: 'button', class: 'primary next', disabled: true }, t('nextWhat'));
  const whereScreen = h('section', { class: 'screen', 'data-screen': 'where' },
    h('h2', {}, t('whereTitle')), h('p', { class: 'hint' }, t('whereHint')),
    mapEl, h('div', { class: 'row' }, gpsButton, photoPlaceButton), where, placeLine,
    h('div', { class: 'nav-buttons' }, toWhat));

  // 2. What: the category tiles, then the open reports of that kind nearby.
  const aboutAsset = h('p', { class: 'about-asset' });
  const tilesBox = h('div', { class: 'tiles-box' }, h('p', { class: 'hint' }, t('categoriesLoading')));
  const whatMsg = h('p', { class: 'error', role: 'alert' });
  const toPhotosFromWhat = h('button', { type: 'button', class: 'primary next', disabled: true }, t('next'));
  const whatScreen = h('section', { class: 'screen', 'data-screen': 'what', hidden: true },
    h('h2', {}, t('whatTitle')), aboutAsset, tilesBox, whatMsg,
    h('div', { class: 'nav-buttons' }, h('button', { type: 'button', class: 'secondary back', onclick: () => show('where') }, t('back')), toPhotosFromWhat));
  const nearbyBox = h('div', { class: 'nearby', 'aria-live': 'polite' });
  const nearbyScreen = h('section', { class: 'screen', 'data-screen': 'nearby', hidden: true }, nearbyBox);

  // 3. Photos and a few words.
  const picker = photoPicker({
    max: MAX_PHOTOS,
    onPicked: (photo) => {
      // When the device gave no position, the photo's EXIF one is used, and shown so that it can be corrected.
      if (point && !placeFromNextPhoto) return;
      placeFromNextPhoto = false;
      if (photo.gps) void place(photo.gps[0], photo.gps[1], 'photo', { fly: true });
      else where.textContent = t('photoWithoutPlace');
    },
  });
  const description = h('textarea', { name: 'description', rows: 4, maxlength: 2000, placeholder: t('descriptionPlaceholder') });
  const photosScreen = h('section', { class: 'screen', 'data-screen': 'photos', hidden: true },
    h('h2', {}, t('photosTitle')), h('p', { class: 'hint' }, tf('photosHint', { max: MAX_PHOTOS })), picker.element,
    h('label', {}, t('descriptionOptional'), description),
    h('div', { class: 'nav-buttons' }, h('button', { type: 'button', class: 'secondary back', onclick: () => show('what') }, t('back')),
      h('button', { type: 'button', class: 'primary next', onclick: () => show('send') }, t('next'))));

  // 4. A call-back, if wanted, and send.
  const phone = h('input', { name: 'contact_phone', type: 'tel', autocomplete: 'tel', inputmode: 'tel', maxlength: 20 });
  const contactName = h('input', { name: 'contact_name', autocomplete: 'name', maxlength: 50 });
  const consent = h('input', { type: 'checkbox', name: 'callback_consent' });
  const summary = h('dl', { class: 'summary' });
  const sendMsg = h('p', { class: 'error', role: 'alert' });
  const sendStatus = h('p', { class: 'hint send-status', 'aria-live': 'polite' });
  const sendButton = h('button', { type: 'submit', class: 'primary send' }, t('send'));
  const sendScreen = h('section', { class: 'screen', 'data-screen': 'send', hidden: true },
    h('h2', {}, t('sendTitle')),
    h('label', {}, t('phoneOptional'), phone),
    h('label', { class: 'check' }, consent, h('span', {}, t('callbackConsent'))),
    h('label', {}, t('nameOptional'), contactName),
    summary, sendMsg, sendStatus,
    h('div', { class: 'nav-buttons' }, h('button', { type: 'button', class: 'secondary back', onclick: () => show('photos') }, t('back')), sendButton));

  // A message about what was entered goes once it is changed.
  for (const input of [phone, consent, contactName]) input.addEventListener('input', () => (sendMsg.textContent = ''));

  const screens = [whereScreen, whatScreen, nearbyScreen, photosScreen, sendScreen];
  const form = h('form', { class: 'card resident report-form', novalidate: true },
    h('h1', {}, t('reportTitle')), stepper, stepLabel, ...screens);
  root.append(form);

  /** Show one screen, mark its step, and put the focus on its heading. */
  function show(screen: Screen) {
    for (const s of screens) s.hidden = s.dataset.screen !== screen;
    const step = screen === 'nearby' ? 'what' : screen;
    const index = STEPS.findIndex(([s]) => s === step);
    stepper.querySelectorAll('li').forEach((li, i) => {
      li.classList.toggle('done', i < index);
      if (i === index) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    });
    stepLabel.textContent = tf('stepOf', { n: index + 1, total: STEPS.length });
    if (screen === 'send') fillSummary();
    if (screen === 'where') requestAnimationFrame(() => map?.resize());
    const heading = screens.find((s) => !s.hidden)?.querySelector('h2');
    heading?.setAttribute('tabindex', '-1');
    heading?.focus({ preventScroll: true });
    form.scrollIntoView({ block: 'start' });
  }

  /** Put the pin at a point, say how it got there and which grid it is in. */
  let locating = 0;
  async function place(lon: number, lat: number, source: PinSource, opts: { accuracy?: number; fly?: boolean } = {}) {
    point = [lon, lat];
    const messages: Record<PinSource, string> = {
      gps: tf('gpsFound', { m: Math.max(1, Math.round(opts.accuracy ?? 0)) }),
      tap: t('placeChosen'),
      drag: t('placeChosen'),
      photo: t('placeFromPhoto'),
      asset: t('placeFromAsset'),
    };
    where.textContent = messages[source];
    showPin(opts.fly ?? false);
    const mine = ++locating;
    located = null;
    fill(placeLine, t('locatingPlace'));
    try {
      const loc = await getJson('/api/locate', { query: { lon: String(lon), lat: String(lat) } });
      if (mine !== locating) return;
      located = loc;
      const gridName = nameOf(loc.grid);
      fill(placeLine, loc.chief
        ? tf('placeIn', { grid: gridName, chief: nameOf(loc.chief) })
        : tf('placeInNoChief', { grid: gridName }),
      loc.chief?.phone ? ' ' : null, loc.chief?.phone ? telLink(loc.chief.phone) : null);
      placeLine.classList.remove('error');
      toWhat.disabled = false;
    } catch (err) {
      if (mine !== locating) return;
      fill(placeLine, errorText(err));
      placeLine.classList.add('error');
      // Outside every grid the report would be refused: the pin has to move. Otherwise the server decides.
      toWhat.disabled = err instanceof ApiError && (err.code === 'point_outside_grids' || err.code === 'position_invalid');
    }
  }

  /** Show the pin at the point (once the map is there), flying to it when asked. */
  function showPin(fly: boolean) {
    if (!map || !marker || !point) return;
    marker.setLngLat(point).addTo(map);
    if (fly) map.flyTo({ center: point, zoom: Math.max(map.getZoom(), 17) });
  }

  gpsButton.addEventListener('click', () => {
    if (!navigator.geolocation) {
      where.textContent = t('gpsNoPosition');
      return;
    }
    where.textContent = t('locating');
    navigator.geolocation.getCurrentPosition(
      (p) => void place(p.coords.longitude, p.coords.latitude, 'gps', { accuracy: p.coords.accuracy, fly: true }),
      () => (where.textContent = t('gpsNoPosition')),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 },
    );
  });
  photoPlaceButton.addEventListener('click', () => {
    // The photo's position is taken even when a pin was placed: the resident asked for it.
    placeFromNextPhoto = true;
    picker.chooseFromGallery();
  });
  toWhat.addEventListener('click', () => show('what'));
  toPhotosFromWhat.addEventListener('click', () => category && void checkNearby(category));

  /** After a category is chosen: the open reports of that kind nearby, or straight on to the photos when there are none. */
  async function checkNearby(c: IncidentCategory) {
    category = c;
    toPhotosFromWhat.disabled = false;
    if (!point) {
      show('photos');
      return;
    }
    fill(nearbyBox, h('p', { class: 'hint' }, t('checkingNearby')));
    show('nearby');
    let items: NearbyReport[] | null = null;
    try {
      items = await nearbyReports({ lon: point[0], lat: point[1], category: c.code });
    } catch {
      // Not knowing what is nearby must not stop a report.
      items = null;
    }
    if (!items?.length) {
      show('photos');
      return;
    }
    const msg = h('p', { class: 'error', role: 'alert' });
    fill(nearbyBox,
      h('h2', {}, t('nearbyTitle')),
      h('p', {}, t('nearbyHint')),
      h('ul', { class: 'nearby-list' }, ...items.map((item) => nearbyItem(item, msg))),
      msg,
      h('div', { class: 'nav-buttons' },
        h('button', { type: 'button', class: 'secondary back', onclick: () => show('what') }, t('back')),
        h('button', { type: 'button', class: 'primary none-of-these', onclick: () => show('photos') }, t('noneOfThese'))));
    show('nearby');
  }

  /** One open report nearby, with the button that joins it. */
  function nearbyItem(item: NearbyReport, msg: HTMLElement): HTMLElement {
    const join = h('button', { type: 'button', class: 'primary me-too' }, t('meToo'));
    join.addEventListener('click', async () => {
      msg.textContent = '';
      join.disabled = true;
      join.textContent = t('joining');
      try {
        const res = await addSupporter(item.case_no, phone.value.trim() && consent.checked ? phone.value.trim() : undefined);
        if (!res) {
          msg.textContent = t('joinUnavailable');
          join.remove();
          return;
        }
        updateMyReports((list) => withReport(list, { case_no: item.case_no, category: item.category, reported_at: item.reported_at, status: item.status, joined: true }));
        form.replaceWith(joined(res.case_no, res.supporters, rerender));
      } catch (err) {
        msg.textContent = errorText(err);
        join.disabled = false;
        join.textContent = t('meToo');
      }
    });
    return h('li', { 'data-case': item.case_no },
      h('div', { class: 'nearby-head' }, categoryIcon(item.category.code, 28), h('b', {}, nameOf(item.category)), ' ', h('span', { class: `status status-${item.status}` }, word(item.status))),
      h('p', { class: 'hint' }, tf('nearbyItem', { m: Math.max(5, Math.round(item.distance_m / 5) * 5), when: whenShort(item.reported_at), n: item.supporters + 1 })),
      join);
  }

  /** What the resident is about to send, to check before sending. */
  function fillSummary() {
    fill(summary,
      h('dt', {}, t('summaryPlace')), h('dd', {}, located ? nameOf(located.grid) : point ? t('placeChosen') : t('noPlaceYet')),
      h('dt', {}, t('summaryProblem')), h('dd', {}, category ? nameOf(category) : '—'),
      h('dt', {}, t('summaryPhotos')), h('dd', {}, tf('photoCount', { n: picker.count() })));
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    sendMsg.textContent = '';
    if (!point) {
      sendMsg.textContent = t('pickPoint');
      return;
    }
    if (!category) {
      sendMsg.textContent = t('pickCategory');
      return;
    }
    const phoneValue = phone.value.trim();
    if (phoneValue && !PHONE.test(phoneValue)) {
      sendMsg.textContent = t('phoneInvalid');
      phone.focus();
      return;
    }
    if (phoneValue && !consent.checked) {
      sendMsg.textContent = t('needConsent');
      consent.focus();
      return;
    }
    sendButton.disabled = true;
    sendButton.textContent = t('sending');
    sendStatus.textContent = t('preparingPhotos');
    try {
      const photos = await picker.photos();
      const body = new FormData();
      body.set('category', category.code);
      body.set('description', description.value.trim());
      body.set('lon', String(point[0]));
      body.set('lat', String(point[1]));
      if (assetId) body.set('asset_id', assetId);
      if (phoneValue) body.set('contact_phone', phoneValue);
      if (phoneValue && contactName.value.trim()) body.set('contact_name', contactName.value.trim());
      for (const p of photos) body.append('photos', p.blob, p.name);
      const meta: ReportMeta = { category: { code: category.code, name: category.name, name_en: category.name_en }, reported_at: new Date().toISOString() };
      const onProgress = (sent: number) => (sendStatus.textContent = tf('uploading', { p: Math.round(sent * 100) }));
      // Without signal the outbox keeps the report on the device and sends it (with the same key) when there is.
      const result = await send('/api/public/incidents', body, { label: nameOf(category), meta: { ...meta }, onProgress });
      let card: HTMLElement;
      if (result.status === 'queued') card = keptCard(rerender);
      else {
        const receipt = result.body as PublicReceipt;
        rememberReport(receipt, meta);
        card = receiptCard(receipt, rerender);
      }
      form.replaceWith(card);
      card.querySelector('h2')?.focus();
    } catch (err) {
      // The server answered a problem: nothing was filed, so the next try is a new request with a new key.
      sendMsg.textContent = errorText(err);
      sendStatus.textContent = '';
      sendButton.disabled = false;
      sendButton.textContent = t('send');
    }
  });

  show('where');

  // The categories, and the asset the report is about (from its popup): its place, its categories first.
  const categoriesLoaded = getJson('/api/incident-categories').then((cats) => (categories = cats)).catch((err) => {
    fill(tilesBox, h('p', { class: 'error' }, errorText(err)));
    return null;
  });
  const asset = assetId
    ? getJson('/api/assets/{id}', { path: { id: Number(assetId) } }).catch(() => null)
    : Promise.resolve(null);
  void Promise.all([categoriesLoaded, asset]).then(([cats, a]) => {
    if (gone) return;
    if (a) {
      suggested = categoriesForAsset(categories, a.category_code);
      const assetName = nameOf({ name: a.category_name ?? '', name_en: a.category_name_en });
      if (assetName) aboutAsset.textContent = tf('aboutAsset', { asset: assetName });
      if (!point) void place(a.lon, a.lat, 'asset', { fly: true });
      if (suggested[0]) {
        category = suggested[0];
        toPhotosFromWhat.disabled = false;
      }
    }
    if (cats) fill(tilesBox, categoryTiles(categories, { suggested, selected: category?.code, onPick: (c) => void checkNearby(c) }));
  });

  // The map, once the form is in the page: MapLibre is loaded only now, off the form's critical path.
  void (async () => {
    try {
      const { createMap, zoomToArea, Marker } = await loadMap();
      if (gone) return;
      mapEl.replaceChildren();
      map = createMap(mapEl, { popups: false, fit: !grid && !assetId && !point });
      marker = new Marker({ color: '#d62728', draggable: true });
      marker.on('dragend', () => {
        const at = marker!.getLngLat();
        void place(at.lng, at.lat, 'drag');
      });
      map.on('click', (ev) => void place(ev.lngLat.lng, ev.lngLat.lat, 'tap'));
      // A resident reads the grid's name; its code is for staff.
      map.once('load', () => map?.getLayer('grids-label') && map.setLayoutProperty('grids-label', 'text-field', ['get', currentLang() === 'en' ? 'name_en' : 'name']));
      if (point) showPin(true);
      else if (grid) void zoomToArea(map, grid).catch(() => null);
    } catch {
      fill(mapEl, h('p', { class: 'map-wait error' }, t('mapFailed')));
    }
  })();

  return () => {
    gone = true;
    map?.remove();
  };
};

/** The answer to "me too": which case, how many have reported it, what happens next. */
function joined(caseNo: string, supporters: number, rerender: () => void): HTMLElement {
  return h('section', { class: 'card resident receipt joined' },
    h('h2', { tabindex: -1 }, t('joinedTitle')),
    // `supporters` counts those who joined; the one who reported it first makes one more.
    h('p', {}, tf('joinedText', { case_no: caseNo, n: supporters + 1 })),
    h('p', {}, t('joinedNext')),
    h('div', { class: 'nav-buttons stack' },
      h('a', { class: 'button primary track-link', href: trackHref(caseNo) }, t('trackLink')),
      h('button', { type: 'button', class: 'secondary report-another', onclick: rerender }, t('reportAnother')),
      h('a', { class: 'button secondary', href: '#/track' }, t('myReports'))));
}

/** The receipt: the case number and check code to keep, who has the case and by when, and where to follow it. */
/** A report kept on the device without signal: it goes by itself, and then appears in "My reports" with its receipt. */
function keptCard(rerender: () => void): HTMLElement {
  return h('section', { class: 'card resident receipt kept', role: 'status' },
    h('h2', { tabindex: -1 }, t('keptTitle')),
    h('p', {}, t('keptText')),
    h('div', { class: 'nav-buttons stack' },
      h('a', { class: 'button primary', href: '#/track' }, t('myReports')),
      h('button', { type: 'button', class: 'secondary report-another', onclick: rerender }, t('reportAnother'))));
}

function receiptCard(r: PublicReceipt, rerender: () => void): HTMLElement {
  const code = r.check_code ?? null;
  const gridName = r.grid?.name ?? '';
  const next = r.assignee
    ? tf('receiptNext', { grid: gridName, chief: r.assignee.name, due: whenShort(r.due_at) })
    : tf('receiptNextNoChief', { grid: gridName, due: whenShort(r.due_at) });
  return h('section', { class: 'card resident receipt' },
    h('h2', { tabindex: -1 }, t('sentTitle')),
    h('dl', { class: 'receipt-codes' },
      h('dt', {}, t('caseNo')), h('dd', { class: 'case-no' }, r.case_no),
      code ? h('dt', {}, t('checkCode')) : null, code ? h('dd', { class: 'check-code' }, code) : null),
    h('p', {}, t(code ? 'receiptKeep' : 'receiptKeepNoCode')),
    h('p', { class: 'next-step' }, next, r.assignee?.phone ? ' ' : null, r.assignee?.phone ? telLink(r.assignee.phone, `${t('callChief')} ${r.assignee.phone}`) : null),
    h('div', { class: 'nav-buttons stack' },
      h('a', { class: 'button primary track-link', href: trackHref(r.case_no, code) }, t('trackLink')),
      h('button', { type: 'button', class: 'secondary report-another', onclick: rerender }, t('reportAnother')),
      h('a', { class: 'button secondary', href: '#/track' }, t('myReports'))));
}
