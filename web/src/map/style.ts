import type { ExpressionSpecification, RasterLayerSpecification, RasterSourceSpecification, StyleSpecification } from 'maplibre-gl';
import { currentLang } from '../i18n.js';
import { configuredBasemap, type Basemap } from './config.js';
import { CLASS_COLOURS, ICON_SIZE, iconImage } from './icons.js';

/** Colours of incident statuses; overdue wins over status. */
export const STATUS_COLOURS: Record<string, string> = { open: '#e67e22', handled: '#3498db', closed: '#27ae60', cancelled: '#95a5a6', merged: '#95a5a6', overdue: '#d62728' };

const classColour: ExpressionSpecification = [
  'match', ['slice', ['get', 'category_code'], 0, 2],
  ...Object.entries(CLASS_COLOURS).flat(),
  '#7f7f7f',
] as unknown as ExpressionSpecification;

const incidentColour: ExpressionSpecification = [
  'case',
  ['all', ['!', ['has', 'cluster']], ['==', ['get', 'overdue'], true]], STATUS_COLOURS.overdue,
  ['all', ['has', 'cluster'], ['>', ['get', 'overdue'], 0]], STATUS_COLOURS.overdue,
  ['match', ['get', 'status'], ...Object.entries(STATUS_COLOURS).filter(([k]) => k !== 'overdue').flat(), '#e67e22'],
] as unknown as ExpressionSpecification;

/** From this zoom on, assets are drawn as their category's icon instead of a dot. */
export const ICON_MIN_ZOOM = 16;

/** Where the tiles of each layer come from: same origin, so no request leaves the server. */
export function tileUrl(layer: string, query = ''): string {
  return `${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt${query ? `?${query}` : ''}`;
}

/** The raster source of a basemap. */
export function basemapSource(basemap: Basemap): RasterSourceSpecification {
  return { type: 'raster', tiles: basemap.tiles, tileSize: basemap.tile_size, attribution: basemap.attribution };
}

/** The basemap's layer, drawn under every vector layer (before BASEMAP_BEFORE). */
export const BASEMAP_LAYER: RasterLayerSpecification = { id: 'basemap', type: 'raster', source: 'basemap' };

/** The first layer above the basemap. */
export const BASEMAP_BEFORE = 'offices-fill';

/** Options of the base style. */
export interface StyleOptions {
  /** A raster basemap; the server's setting when absent. */
  basemap?: Basemap | null;
  /** Query string added to incident tile URLs (filters, a refresh counter). */
  incidentQuery?: string;
  /** Query string added to asset tile URLs. */
  assetQuery?: string;
}

/**
 * The map style: no external basemap by default, no glyph URL (labels are drawn from the system's
 * fonts, so Chinese names need no font download) and no sprite: the asset icons are drawn in the page
 * and added with map.addImage (icons.ts).
 */
export function baseStyle(opts: StyleOptions = {}): StyleSpecification {
  const name = currentLang() === 'en' ? 'name_en' : 'name';
  const basemap = opts.basemap === undefined ? configuredBasemap() : opts.basemap;
  const vector = (layer: string, query?: string) => ({ type: 'vector' as const, tiles: [tileUrl(layer, query)], minzoom: 0, maxzoom: 16 });
  return {
    version: 8,
    sources: {
      ...(basemap ? { basemap: basemapSource(basemap) } : {}),
      offices: vector('offices'),
      communities: vector('communities'),
      grids: vector('grids'),
      assets: vector('assets', opts.assetQuery),
      incidents: vector('incidents', opts.incidentQuery),
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#f3f1ec' } },
      ...(basemap ? [BASEMAP_LAYER] : []),
      { id: 'offices-fill', type: 'fill', source: 'offices', 'source-layer': 'offices', paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.6 } },
      { id: 'grids-fill', type: 'fill', source: 'grids', 'source-layer': 'grids', paint: { 'fill-color': '#4a90d9', 'fill-opacity': ['case', ['boolean', ['feature-state', 'selected'], false], 0.25, 0.04] } },
      { id: 'grids-line', type: 'line', source: 'grids', 'source-layer': 'grids', paint: { 'line-color': '#4a90d9', 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.5, 15, 1.5] } },
      { id: 'communities-line', type: 'line', source: 'communities', 'source-layer': 'communities', paint: { 'line-color': '#c0392b', 'line-width': 2, 'line-dasharray': [3, 2] } },
      { id: 'offices-line', type: 'line', source: 'offices', 'source-layer': 'offices', paint: { 'line-color': '#2c3e50', 'line-width': 3 } },
      {
        id: 'assets-cluster', type: 'circle', source: 'assets', 'source-layer': 'assets', filter: ['has', 'cluster'], minzoom: 11,
        paint: { 'circle-color': classColour, 'circle-opacity': 0.5, 'circle-radius': ['interpolate', ['linear'], ['get', 'count'], 1, 3, 50, 8, 500, 14] },
      },
      {
        id: 'assets-point', type: 'circle', source: 'assets', 'source-layer': 'assets', filter: ['!', ['has', 'cluster']], minzoom: 13, maxzoom: ICON_MIN_ZOOM,
        paint: { 'circle-color': classColour, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 13, 2, 16, 4], 'circle-stroke-color': '#fff', 'circle-stroke-width': 0.5 },
      },
      {
        // Close in, each asset shows its category's icon; all of them, since an asset hidden by a neighbour would look absent.
        id: 'assets-icon', type: 'symbol', source: 'assets', 'source-layer': 'assets', filter: ['!', ['has', 'cluster']], minzoom: ICON_MIN_ZOOM,
        layout: {
          'icon-image': iconImage,
          'icon-size': ['interpolate', ['linear'], ['zoom'], ICON_MIN_ZOOM, 14 / ICON_SIZE, 19, 1],
          'icon-allow-overlap': true,
          'icon-ignore-placement': true,
        },
      },
      {
        id: 'incidents-point', type: 'circle', source: 'incidents', 'source-layer': 'incidents',
        paint: {
          'circle-color': incidentColour,
          'circle-radius': ['case', ['has', 'cluster'], ['interpolate', ['linear'], ['get', 'count'], 1, 6, 100, 16], 7],
          'circle-stroke-color': '#fff', 'circle-stroke-width': 2,
        },
      },
      {
        id: 'incidents-count', type: 'symbol', source: 'incidents', 'source-layer': 'incidents', filter: ['has', 'cluster'],
        layout: { 'text-field': ['to-string', ['get', 'count']], 'text-size': 11, 'text-font': ['sans-serif'], 'text-allow-overlap': true },
        paint: { 'text-color': '#fff' },
      },
      {
        id: 'communities-label', type: 'symbol', source: 'communities', 'source-layer': 'communities_label', minzoom: 11, maxzoom: 14,
        layout: { 'text-field': ['get', name], 'text-size': 14, 'text-font': ['sans-serif'] },
        paint: { 'text-color': '#922b21', 'text-halo-color': '#fff', 'text-halo-width': 1.5 },
      },
      {
        id: 'grids-label', type: 'symbol', source: 'grids', 'source-layer': 'grids_label', minzoom: 14,
        layout: { 'text-field': ['format', ['get', name], {}, '\n', {}, ['get', 'code'], { 'font-scale': 0.75 }], 'text-size': 12, 'text-font': ['sans-serif'] },
        paint: { 'text-color': '#1f4e79', 'text-halo-color': '#fff', 'text-halo-width': 1.5 },
      },
    ],
  };
}

/** Layer ids switched together by each toggle. */
export const TOGGLES: Record<'offices' | 'communities' | 'grids' | 'assets' | 'incidents', string[]> = {
  offices: ['offices-fill', 'offices-line'],
  communities: ['communities-line', 'communities-label'],
  grids: ['grids-fill', 'grids-line', 'grids-label'],
  assets: ['assets-cluster', 'assets-point', 'assets-icon'],
  incidents: ['incidents-point', 'incidents-count'],
};
