/**
 * Icons of the asset categories (城市部件), drawn here: a disc in the category's colour with a white glyph.
 * The same path data draws the map's images (on a canvas, synchronously, added with map.addImage) and
 * the legend's inline SVG, so nothing is downloaded and the two always match.
 */
import type { ExpressionSpecification, Map as MapLibreMap } from 'maplibre-gl';

/** Colours of the component classes (first two digits of the category code). */
export const CLASS_COLOURS: Record<string, string> = {
  '01': '#1f77b4',
  '02': '#9467bd',
  '03': '#2ca02c',
  '04': '#17becf',
  '05': '#8c564b',
  '06': '#7f7f7f',
};

/** Side of an icon in CSS pixels. */
export const ICON_SIZE = 22;

/** Device pixels per CSS pixel of the map images (sharp on high-density screens, fine on others). */
const PIXEL_RATIO = 2;

/** Prefix of the map image ids: `asset-0101`; `asset-other` for a category without an icon of its own. */
export const ICON_PREFIX = 'asset-';
export const FALLBACK_ICON = `${ICON_PREFIX}other`;

/** A glyph in a 24×24 box: shapes filled white, lines stroked white. */
interface Glyph {
  fill?: string;
  stroke?: string;
  /** Disc colour; the class colour when absent. */
  colour?: string;
}

// Manhole covers share one glyph; the disc says which network, in the usual utility colours.
const MANHOLE = 'M17 12a5 5 0 1 1-10 0a5 5 0 1 1 10 0 M8.8 10h6.4 M7.8 12h8.4 M8.8 14h6.4';

/** Glyph of each category of the dictionary (migration 002), by code. */
export const GLYPHS: Record<string, Glyph> = {
  '0101': { stroke: MANHOLE, colour: '#1f77b4' }, // water supply
  '0102': { stroke: MANHOLE, colour: '#8c564b' }, // sewage
  '0103': { stroke: MANHOLE, colour: '#17a2b8' }, // storm water
  '0104': { stroke: 'M7 8h10v8H7z M9.5 8v8 M12 8v8 M14.5 8v8', colour: '#17a2b8' }, // storm drain grate
  '0105': { stroke: MANHOLE, colour: '#d62728' }, // power
  '0106': { stroke: MANHOLE, colour: '#a6a21a' }, // streetlight
  '0107': { stroke: MANHOLE, colour: '#9467bd' }, // telecom
  '0110': { stroke: MANHOLE, colour: '#ff7f0e' }, // heating
  '0111': { stroke: MANHOLE, colour: '#d4a000' }, // gas
  '0112': { stroke: MANHOLE, colour: '#1f3a93' }, // police
  '0116': { fill: 'M9 18.5V10h6v8.5z M8 10h8v-1a4 4 0 0 0-8 0z M6.8 12h2.4v2.2H6.8z M14.8 12h2.4v2.2h-2.4z', colour: '#c0392b' }, // fire hydrant
  '0120': { stroke: 'M10 19V6.5h5 M8 19h4', fill: 'M13.3 6.5h3.6l-.9 2.3h-1.8z' }, // streetlight
  '0121': { stroke: 'M12 5.5v13.5 M7 8h10 M8.5 10.8h7' }, // utility pole
  '0201': { stroke: 'M7 6.5h10v9.5H7z M7 12h10', fill: 'M8.2 17.2a1.3 1.3 0 1 0 2.6 0a1.3 1.3 0 1 0-2.6 0z M13.2 17.2a1.3 1.3 0 1 0 2.6 0a1.3 1.3 0 1 0-2.6 0z' }, // bus shelter
  '0206': { stroke: 'M9.3 5.3h5.4v13.4H9.3z', fill: 'M10.6 8.2a1.4 1.4 0 1 0 2.8 0a1.4 1.4 0 1 0-2.8 0z M10.6 12a1.4 1.4 0 1 0 2.8 0a1.4 1.4 0 1 0-2.8 0z M10.6 15.8a1.4 1.4 0 1 0 2.8 0a1.4 1.4 0 1 0-2.8 0z' }, // traffic light
  '0209': { stroke: 'M12 5.8l6.5 11.4h-13z', fill: 'M11.3 9.6h1.4v3.8h-1.4z M11.3 14.4h1.4v1.4h-1.4z' }, // traffic sign
  '0215': { stroke: 'M5.5 9.5h13 M5.5 13.5h13 M8 7.5v9.5 M12 7.5v9.5 M16 7.5v9.5' }, // guard rail
  '0301': { fill: 'M7.6 7.4a1.4 1.4 0 1 0 2.8 0a1.4 1.4 0 1 0-2.8 0z M13.6 7.4a1.4 1.4 0 1 0 2.8 0a1.4 1.4 0 1 0-2.8 0z M7.8 9.6h2.4v8H7.8z M15 9.4l2.6 5.4h-5.2z M14.2 14.5h1.6v3.1h-1.6z' }, // public toilet
  '0302': { stroke: 'M6 12l6-5 6 5 M7.5 11v7.5h9V11', fill: 'M10.4 13h3.2v4h-3.2z' }, // garbage gate
  '0304': { stroke: 'M7.5 9h9 M10.8 9V7.3h2.4V9 M8.8 9l.8 9.2h4.8l.8-9.2 M11 11.5v4.5 M13 11.5v4.5' }, // litter bin
  '0312': { stroke: 'M6 6.5h12v7.5H6z M9 14v5 M15 14v5 M8.3 9h7.4 M8.3 11.5h5' }, // grid notice board
  '0401': { fill: 'M7.5 10a4.5 4.5 0 1 0 9 0a4.5 4.5 0 1 0-9 0z M11.2 13h1.6v6h-1.6z' }, // heritage tree
  '0404': { stroke: 'M5.5 17.5h13 M5.5 14h13 M8 12v7 M12 12v7 M16 12v7', fill: 'M12 5c2.8 0 4 1.8 4 4-2.6 0-4-1.5-4-4z' }, // green space fence
  '0501': { stroke: 'M7 19V8.5l5-3.3 5 3.3V19z', fill: 'M9.2 10h1.8v1.8H9.2z M13 10h1.8v1.8H13z M9.2 13.5h1.8v1.8H9.2z M13 13.5h1.8v1.8H13z M11 16.5h2V19h-2z' }, // building
};

const FALLBACK: Glyph = { fill: 'M9 12a3 3 0 1 0 6 0a3 3 0 1 0-6 0z' };

/** The map image id of a category. */
export function iconId(code: string): string {
  return GLYPHS[code] ? `${ICON_PREFIX}${code}` : FALLBACK_ICON;
}

/** The style expression naming the image of a feature's category (the fallback for a code without one). */
export const iconImage: ExpressionSpecification = [
  'match', ['get', 'category_code'],
  ...Object.keys(GLYPHS).flatMap((code) => [code, `${ICON_PREFIX}${code}`]),
  FALLBACK_ICON,
] as unknown as ExpressionSpecification;

/** The disc colour of a category: its own, else its class's, else grey. */
function colourOf(code: string): string {
  return GLYPHS[code]?.colour ?? CLASS_COLOURS[code.slice(0, 2)] ?? '#7f7f7f';
}

/** Draw one icon on a canvas of `size`×`size` device pixels and answer its pixels. */
function drawIcon(code: string, size: number): ImageData {
  const glyph = GLYPHS[code] ?? FALLBACK;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext('2d')!;
  ctx.scale(size / 24, size / 24);
  ctx.beginPath();
  ctx.arc(12, 12, 11, 0, 2 * Math.PI);
  ctx.fillStyle = colourOf(code);
  ctx.fill();
  ctx.lineWidth = 1.2;
  ctx.strokeStyle = '#ffffff';
  ctx.stroke();
  ctx.fillStyle = '#ffffff';
  ctx.lineWidth = 1.5;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  if (glyph.fill) ctx.fill(new Path2D(glyph.fill));
  if (glyph.stroke) ctx.stroke(new Path2D(glyph.stroke));
  return ctx.getImageData(0, 0, size, size);
}

/**
 * Add every category icon and the fallback to a map as images (ids from `iconId`). Safe to call again
 * (after a style change): images already there are left alone.
 */
export function addAssetIcons(map: MapLibreMap): void {
  for (const code of [...Object.keys(GLYPHS), 'other']) {
    const id = code === 'other' ? FALLBACK_ICON : iconId(code);
    if (!map.hasImage(id)) map.addImage(id, drawIcon(code, ICON_SIZE * PIXEL_RATIO), { pixelRatio: PIXEL_RATIO });
  }
}

/** The icon of a category as an inline SVG element, for the legend. */
export function iconSvg(code: string, size = 18): SVGSVGElement {
  const glyph = GLYPHS[code] ?? FALLBACK;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('class', 'asset-icon');
  svg.setAttribute('data-icon', iconId(code));
  svg.setAttribute('aria-hidden', 'true');
  const el = (tag: string, attrs: Record<string, string>) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    svg.append(e);
  };
  el('circle', { cx: '12', cy: '12', r: '11', fill: colourOf(code), stroke: '#fff', 'stroke-width': '1.2' });
  if (glyph.fill) el('path', { d: glyph.fill, fill: '#fff' });
  if (glyph.stroke) el('path', { d: glyph.stroke, fill: 'none', stroke: '#fff', 'stroke-width': '1.5', 'stroke-linecap': 'round', 'stroke-linejoin': 'round' });
  return svg;
}
