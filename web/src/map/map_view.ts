import * as maplibregl from 'maplibre-gl';
import type { MapGeoJSONFeature } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import type { MultiPolygon } from 'geojson';
import { ApiError, getJson, type Schema } from '../api.js';
import { h } from '../dom.js';
import { assetStatus, nameOf, t, word, type Key } from '../i18n.js';
import { boundsOf } from './bounds.js';
import { CLASS_COLOURS, ICON_PREFIX, addAssetIcons, iconSvg } from './icons.js';
import { markMapIdle } from './lazy.js';
import { loadMapConfig, loadOfficeBounds, mapConfigLoaded, officeBoundsNow, type Basemap } from './config.js';
import { BASEMAP_BEFORE, BASEMAP_LAYER, STATUS_COLOURS, TOGGLES, basemapSource, baseStyle, tileUrl, type StyleOptions } from './style.js';

/** MapLibre's marker and popup, for pages that load the map with loadMap() (map/lazy.ts) and so cannot import maplibre-gl themselves. */
export { Marker, Popup } from 'maplibre-gl';

// The bundler moves files around: tell MapLibre where its (self-contained) worker script ended up.
maplibregl.setWorkerUrl(workerUrl);

/** The demo office's neighbourhood, used until the TileJSON bounds arrive. */
const DEFAULT_CENTRE: [number, number] = [123.45, 41.8];

/** Create a map in a container with the Gridwork layers; unless `fit` is false it zooms to the offices' bounds. */
export function createMap(container: HTMLElement, opts: StyleOptions & { popups?: boolean; fit?: boolean } = {}): maplibregl.Map {
  const fit = opts.fit !== false;
  // Bounds already loaded (by loadMap) give the first view, so no tile of the default view is loaded for nothing.
  const bounds = fit ? officeBoundsNow() : undefined;
  const map = new maplibregl.Map({
    container,
    style: baseStyle(opts),
    ...(bounds ? { bounds, fitBoundsOptions: { padding: 20 } } : { center: DEFAULT_CENTRE, zoom: 11 }),
    attributionControl: false,
    // Labels in Chinese come from the system's fonts, so no glyph file is ever downloaded.
    localIdeographFontFamily: "'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif",
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  // Pages that zoom somewhere else (a grid, the chief's grids) pass fit: false.
  if (fit && !bounds) void loadOfficeBounds().then((b) => b && map.fitBounds(b, { padding: 20, duration: 0 }));
  // The asset icons are drawn in the page: added once the style is there, and again whenever the style asks.
  map.on('load', () => addAssetIcons(map));
  map.on('styleimagemissing', (e: { id: string }) => {
    if (e.id.startsWith(ICON_PREFIX)) addAssetIcons(map);
  });
  if (opts.popups !== false) attachPopups(map);
  // A map made before the map settings arrived gets the server's basemap (if any) when they do.
  if (opts.basemap === undefined && !mapConfigLoaded()) void loadMapConfig().then((basemap) => basemap && addBasemap(map, basemap));
  map.once('idle', markMapIdle);
  // Tiles that cannot be fetched without signal (and not kept by the service worker) leave the map blank there,
  // which is all that can be done; anything else is still reported, as MapLibre does without a listener.
  map.on('error', (ev) => {
    const e = ev as unknown as { error?: Error & { status?: number } };
    if (!navigator.onLine || e.error?.status === 0 || e.error?.name === 'AbortError') return;
    console.error(e.error);
  });
  // The page's map, for the browser tests and the console.
  (window as unknown as { gridworkMap: maplibregl.Map }).gridworkMap = map;
  return map;
}

/** Add a raster basemap under the vector layers of a map, once its style is there. */
function addBasemap(map: maplibregl.Map, basemap: Basemap): void {
  const add = () => {
    if (map.getSource('basemap')) return;
    map.addSource('basemap', basemapSource(basemap));
    map.addLayer(BASEMAP_LAYER, map.getLayer(BASEMAP_BEFORE) ? BASEMAP_BEFORE : undefined);
  };
  try {
    add();
  } catch {
    // "Style is not done loading": add it as soon as it is.
    map.once('style.load', add);
  }
}

/** Reload a point layer's tiles (after a change) with filters: a tile query such as `category=0101&status=damaged`. */
export function refreshPoints(map: maplibregl.Map, layer: 'assets' | 'incidents', query: string): void {
  const src = map.getSource(layer) as maplibregl.VectorTileSource | undefined;
  src?.setTiles([tileUrl(layer, `${query}${query ? '&' : ''}v=${Date.now()}`)]);
}

/** Reload every boundary layer (after a plan was published). */
export function refreshBoundaries(map: maplibregl.Map): void {
  for (const layer of ['offices', 'communities', 'grids']) {
    (map.getSource(layer) as maplibregl.VectorTileSource | undefined)?.setTiles([tileUrl(layer, `v=${Date.now()}`)]);
  }
}

/** Zoom to an area by code; false when there is no such area. */
export async function zoomToArea(map: maplibregl.Map, code: string): Promise<Schema<'AreaFeature'> | null> {
  try {
    const area = await getJson('/api/areas/{code}', { path: { code } });
    // The document types an area's coordinates loosely (unknown[]); they are a MultiPolygon's.
    map.fitBounds(boundsOf(area.geometry as MultiPolygon), { padding: 30, duration: 300 });
    return area;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

function row(label: Key, value: unknown): HTMLElement {
  return h('div', { class: 'kv' }, h('span', {}, t(label)), h('b', {}, value === undefined || value === null ? '—' : String(value)));
}

/** The dictionaries a popup names things from, asked once per page load: category codes → names. */
let names: Promise<Map<string, { name: string; name_en: string }>> | undefined;
function dictionaryNames(): Promise<Map<string, { name: string; name_en: string }>> {
  names ??= Promise.all([getJson('/api/incident-categories').catch(() => []), getJson('/api/asset-categories').catch(() => [])]).then(
    ([incident, asset]) => new Map([...asset.map((c) => [`asset:${c.code}`, c] as const), ...incident.map((c) => [`incident:${c.code}`, c] as const)]),
  );
  return names;
}

/** A category's name in the page's language (its code only when the dictionary does not have it). */
async function categoryName(kind: 'asset' | 'incident', code: string): Promise<string> {
  const c = (await dictionaryNames()).get(`${kind}:${code}`);
  return c ? nameOf(c) : code;
}

/** A grid's name by its code. */
async function gridName(code: string | null | undefined): Promise<string | null> {
  if (!code) return null;
  const area = await getJson('/api/areas/{code}', { path: { code } }).catch(() => null);
  return area ? nameOf(area.properties) : code;
}

/** Popup content of a clicked feature. */
async function popupContent(f: MapGeoJSONFeature): Promise<HTMLElement> {
  const p = f.properties;
  if (f.sourceLayer === 'grids') {
    const area = await getJson('/api/areas/{code}', { path: { code: p.code } }).catch(() => null);
    const chief = area?.properties.chief;
    return h('div', { class: 'popup' },
      h('h3', {}, nameOf({ name: p.name, name_en: p.name_en }), ' ', h('small', {}, p.code)),
      row('chiefName', chief ? nameOf(chief) : null),
      row('phone', chief?.phone),
      h('p', {}, h('a', { href: `#/board/${p.code}` }, t('noticeBoard')), ' · ', h('a', { href: `#/report?grid=${p.code}` }, t('reportHere'))));
  }
  if (f.sourceLayer === 'assets') {
    if (p.cluster) return h('div', { class: 'popup' }, row('cluster', p.count), row('category', await categoryName('asset', p.category_code)));
    const a = await getJson('/api/assets/{id}', { path: { id: Number(f.id) } }).catch(() => null);
    return h('div', { class: 'popup' },
      h('h3', {}, await categoryName('asset', p.category_code), ' ', h('small', {}, a?.code ?? '')),
      row('status', assetStatus(p.status)), row('grids', await gridName(a?.grid_code)),
      h('p', {}, h('a', { href: `#/report?asset=${f.id}${a?.grid_code ? `&grid=${a.grid_code}` : ''}` }, t('reportHere'))));
  }
  if (f.sourceLayer === 'incidents') {
    if (p.cluster) return h('div', { class: 'popup' }, row('cluster', p.count), row('overdue', p.overdue));
    return h('div', { class: 'popup', 'data-incident': String(f.id) },
      h('h3', {}, await categoryName('incident', p.category_code)),
      row('status', word(p.status)), row('level', word(p.level)),
      row('overdue', p.overdue ? '✔' : '—'), row('ageHours', p.age_hours), row('grids', await gridName(p.grid_code)));
  }
  return h('div', { class: 'popup' }, h('h3', {}, nameOf({ name: p.name, name_en: p.name_en })), h('small', {}, p.code));
}

/** Click a feature: a popup with its details and links. */
function attachPopups(map: maplibregl.Map): void {
  const clickable = ['incidents-point', 'assets-icon', 'assets-point', 'assets-cluster', 'grids-fill'];
  map.on('click', async (e) => {
    const layers = clickable.filter((l) => map.getLayer(l) && map.getLayoutProperty(l, 'visibility') !== 'none');
    const [f] = map.queryRenderedFeatures(e.point, { layers });
    if (!f) return;
    new maplibregl.Popup({ maxWidth: '280px' }).setLngLat(e.lngLat).setDOMContent(await popupContent(f)).addTo(map);
  });
  for (const l of clickable) {
    map.on('mouseenter', l, () => (map.getCanvas().style.cursor = 'pointer'));
    map.on('mouseleave', l, () => (map.getCanvas().style.cursor = ''));
  }
}

/** Check boxes that show and hide the layers. */
export function layerToggles(map: maplibregl.Map): HTMLElement {
  const box = h('fieldset', { class: 'toggles' }, h('legend', {}, t('layers')));
  for (const [name, ids] of Object.entries(TOGGLES)) {
    const input = h('input', { type: 'checkbox', checked: true, 'data-layer': name });
    input.addEventListener('change', () => {
      for (const id of ids) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', input.checked ? 'visible' : 'none');
    });
    box.append(h('label', {}, input, ' ', t(name as Key)));
  }
  return box;
}

/** The legend: component classes, the icon of every asset category (from the dictionary) and incident statuses. */
export function legend(): HTMLElement {
  const swatch = (colour: string, label: string) => h('li', {}, h('i', { style: `background:${colour}` }), label);
  const classes = [['01', '公用设施', 'Utilities'], ['02', '道路交通', 'Road traffic'], ['03', '市容环境', 'City appearance'], ['04', '园林绿化', 'Landscaping'], ['05', '房屋土地', 'Housing']];
  const icons = h('ul', { class: 'asset-icons' });
  getJson('/api/asset-categories')
    .then((cats) => icons.append(...cats.map((c) => h('li', { 'data-category': c.code }, iconSvg(c.code), nameOf(c)))))
    .catch(() => undefined);
  return h('div', { class: 'legend' },
    h('strong', {}, t('legend')),
    h('ul', {},
      swatch('#4a90d9', t('grids')), swatch('#c0392b', t('communities')),
      ...classes.map(([c, zh, en]) => swatch(CLASS_COLOURS[c], `${t('assets')}: ${nameOf({ name: zh, name_en: en })}`)),
      swatch(STATUS_COLOURS.open, `${t('incidents')}: ${t('open')}`),
      swatch(STATUS_COLOURS.handled, `${t('incidents')}: ${t('handled')}`),
      swatch(STATUS_COLOURS.overdue, `${t('incidents')}: ${t('overdue')}`)),
    h('details', { class: 'asset-legend', open: true }, h('summary', {}, t('assetIcons')), icons));
}

/** A search box: a grid code zooms to the grid; otherwise an asset code is looked up. */
export function searchBox(map: maplibregl.Map): HTMLElement {
  const input = h('input', { type: 'search', placeholder: t('search'), 'aria-label': t('search') });
  const msg = h('span', { class: 'msg' });
  const form = h('form', { class: 'search' }, input, msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const code = input.value.trim();
    msg.textContent = '';
    if (!code) return;
    if (await zoomToArea(map, code).catch(() => null)) return;
    const asset = await findAsset(code);
    if (asset) {
      map.flyTo({ center: asset, zoom: 18 });
      return;
    }
    msg.textContent = t('notFound');
  });
  return form;
}

/** The position of an asset by its code (exact, as on its plate). */
async function findAsset(code: string): Promise<[number, number] | null> {
  try {
    const res = await getJson('/api/assets', { query: { code, limit: 5 } });
    const a = res.items.find((x) => x.code === code);
    return a ? [a.lon, a.lat] : null;
  } catch {
    return null;
  }
}
