/**
 * The incident categories as a resident picks them: tiles with an icon, grouped by class (市容环境,
 * 突发事件, 部件损坏…), the ones suggested by the asset reported about first. Icons are drawn here as
 * inline SVG (white lines on the class colour), so nothing is downloaded and no emoji font is needed.
 */
import type { Schema } from '../api.js';
import { h } from '../dom.js';
import { nameOf, t } from '../i18n.js';

/** An incident category as GET /api/incident-categories answers it. */
export type IncidentCategory = Schema<'IncidentCategory'>;

/** Colour of each class of incident category (the first two digits of its code). */
export const CATEGORY_CLASS_COLOURS: Record<string, string> = {
  '01': '#2e8b57',
  '02': '#8e44ad',
  '03': '#d35400',
  '04': '#c0392b',
  '05': '#1f6fb2',
  '06': '#7a5c2e',
};

/** The glyph of each category (migration 002), as path data in a 24×24 box, stroked white. */
export const CATEGORY_GLYPHS: Record<string, string> = {
  '0101': 'M7.5 9.5h9l-1 9.5h-7z M10 9.5l2-3 2 3 M10.5 13v3 M13.5 13v3', // exposed garbage: a bag
  '0102': 'M4 18.5h16 M5.5 18.5l4.5-7 3 3.5 2-2.5 3.5 6', // accumulated waste: a heap
  '0103': 'M15 4.5l-3.5 8 M7.5 12.5h7.5l1.5 7H6z M9.5 15.5v4 M12.5 15.5v4', // dirty road: a broom
  '0104': 'M9 10h6v10H9z M10 10V7.5h4V10 M11 5.5h2 M16.5 6l2-1 M16.5 8h2.5 M16.5 10l2 1', // graffiti: a spray can
  '0201': 'M7 4.5h10v15H7z M9.5 8.5h5 M9.5 11.5h5 M9.5 14.5h3', // flyers: a notice
  '0202': 'M4 5.5h16v8.5H4z M9 14v6 M15 14v6 M7 9.5h10', // outdoor advertising: a billboard
  '0301': 'M4 9.5h16v4H4z M8 9.5l-2 4 M13 9.5l-2 4 M18 9.5l-2 4 M6 13.5v6 M18 13.5v6', // construction blocking the road: a barrier
  '0302': 'M3 8h10v7H3z M13 10.5h4l3 3V15h-7 M6.5 17.5a1.5 1.5 0 1 0 .01 0 M16 17.5a1.5 1.5 0 1 0 .01 0 M9 18.5v1 M11 18v1.5', // spillage: a truck
  '0303': 'M4.5 10h3l4-3v10l-4-3h-3z M14.5 9a4 4 0 0 1 0 6 M17 6.5a7.5 7.5 0 0 1 0 11', // construction noise: a loudspeaker
  '0401': 'M5 19.5L9 4.5 M19 19.5L15 4.5 M12 5v2 M12 9.5v2 M9 15h6l-1.2 3h-3.6z', // road collapse: a hole in the road
  '0402': 'M3 8h7.5v4H3z M13.5 8H21v4h-7.5z M12 14c-1.6 2.2-1.6 3.6 0 4 1.6-.4 1.6-1.8 0-4z', // burst water main: a pipe and a drop
  '0403': 'M12 4c3 3.5 5 6 5 9.5a5 5 0 0 1-10 0c0-2 1-3.5 2.2-4.5 0 2 .8 3 1.8 3.2C11 9 10.8 6.5 12 4z', // gas leak: a flame
  '0404': 'M4 14.5c2-1.5 4-1.5 6 0s4 1.5 6 0 3-1 4-.5 M4 18.5c2-1.5 4-1.5 6 0s4 1.5 6 0 3-1 4-.5 M12 4.5v6 M9.5 8l2.5 2.5L14.5 8', // flooded road: water rising
  '0501': 'M3.5 6.5h3l2 8.5h8.5l2-6.5H7.5 M10 18.5a1.2 1.2 0 1 0 .01 0 M16 18.5a1.2 1.2 0 1 0 .01 0', // street vending: a cart
  '0502': 'M4 9.5l2-4.5h12l2 4.5z M5 9.5v10h14v-10 M10 19.5v-5h4v5', // trading on the pavement: a shopfront
  '0503': 'M4 12.5h7v7H4z M13 12.5h7v7h-7z M8.5 5.5h7v7h-7z', // materials piled: boxes
  '0504': 'M5.5 14l1.5-5h10l1.5 5z M4 14h16v4H4z M7 18v1.5 M17 18v1.5 M7.5 16h.01 M16.5 16h.01', // illegal parking: a car
  '0601': 'M5 12a7 7 0 1 0 14 0a7 7 0 1 0-14 0 M11 5.5l1.5 4-2.5 3 3 2.5-1 3', // manhole cover damaged: a cracked cover
  '0602': 'M4.5 15a7.5 3 0 1 0 15 0a7.5 3 0 1 0-15 0 M12 4v7 M9.5 8.5l2.5 2.5 2.5-2.5', // manhole cover missing: an open hole
  '0603': 'M9 20V6.5h5.5 M7 20h4 M13 6.5h4.5l-1 2.5h-2.5z M16 12l3 3 M19 12l-3 3', // streetlight out
  '0604': 'M6.5 8h11 M10 8V6h4v2 M8 8l1 11.5h6L16 8 M12 11l-1 2.5 1.5 1.5-1 2', // litter bin damaged
  '0605': 'M4.5 5h15v9h-15z M8 14v6 M16 14v6 M11 6.5l1.5 3-2 2 1.5 2', // notice board damaged
  '0606': 'M3 9h7 M14 9h7 M3 14h18 M6 7v12 M18 7v12 M10 9l1.5 2.5 M14 9l-1.5 2.5', // guard rail damaged
};

/** A fallback glyph: a dot in a ring. */
const FALLBACK_GLYPH = 'M7 12a5 5 0 1 0 10 0a5 5 0 1 0-10 0 M11 12h2';

/** The icon of a category as an inline SVG: its glyph in white on a disc of its class colour. */
export function categoryIcon(code: string, size = 36): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [k, v] of Object.entries({ viewBox: '0 0 24 24', width: String(size), height: String(size), class: 'category-icon', 'aria-hidden': 'true', 'data-icon': code })) svg.setAttribute(k, v);
  const disc = document.createElementNS(ns, 'circle');
  for (const [k, v] of Object.entries({ cx: '12', cy: '12', r: '12', fill: CATEGORY_CLASS_COLOURS[code.slice(0, 2)] ?? '#5a6a7a' })) disc.setAttribute(k, v);
  const path = document.createElementNS(ns, 'path');
  const d = CATEGORY_GLYPHS[code] ?? FALLBACK_GLYPH;
  for (const [k, v] of Object.entries({ d, fill: 'none', stroke: '#fff', 'stroke-width': '1.6', 'stroke-linecap': 'round', 'stroke-linejoin': 'round', transform: 'translate(2.4 2.4) scale(.8)' })) path.setAttribute(k, v);
  svg.append(disc, path);
  return svg;
}

/** The categories grouped by class, in code order: [class name, categories][]. */
export function groupByClass(categories: IncidentCategory[]): [IncidentCategory, IncidentCategory[]][] {
  const groups = new Map<string, IncidentCategory[]>();
  for (const c of [...categories].sort((a, b) => a.code.localeCompare(b.code))) {
    const g = groups.get(c.class_code) ?? [];
    g.push(c);
    groups.set(c.class_code, g);
  }
  return [...groups.values()].map((g) => [g[0], g]);
}

/** The categories an asset's problems are filed under (a streetlight → 路灯不亮), by the asset's category code. */
export function categoriesForAsset(categories: IncidentCategory[], assetCategory: string | null | undefined): IncidentCategory[] {
  return assetCategory ? categories.filter((c) => c.asset_category_code === assetCategory) : [];
}

/**
 * The category tiles, grouped by class, with the suggested ones (from an asset) first; a tap picks one
 * (marked pressed) and calls `onPick`. The emergencies group carries the phone numbers to call first.
 */
export function categoryTiles(categories: IncidentCategory[], opts: { suggested?: IncidentCategory[]; selected?: string | null; onPick: (c: IncidentCategory) => void }): HTMLElement {
  const root = h('div', { class: 'category-groups' });
  const tile = (c: IncidentCategory) => {
    const b = h('button', { type: 'button', class: 'category-tile', 'data-category': c.code, 'aria-pressed': String(c.code === opts.selected) }, categoryIcon(c.code), h('span', {}, nameOf(c)));
    b.addEventListener('click', () => {
      for (const other of root.querySelectorAll('.category-tile')) other.setAttribute('aria-pressed', String(other.getAttribute('data-category') === c.code));
      opts.onPick(c);
    });
    return b;
  };
  const group = (title: string, cats: IncidentCategory[], extra?: Node) =>
    h('section', { class: 'category-group' }, h('h3', {}, title), extra ?? null, h('div', { class: 'category-tiles' }, ...cats.map(tile)));
  if (opts.suggested?.length) root.append(group(t('suggested'), opts.suggested));
  for (const [first, cats] of groupByClass(categories)) {
    const title = nameOf({ name: first.class_name, name_en: first.class_name_en });
    root.append(group(title, cats, first.class_code === '04' ? emergencyPhones() : undefined));
  }
  return root;
}

/** The emergency numbers as tel: links, for dangers that should not wait for a report. */
export function emergencyPhones(): HTMLElement {
  return h('div', { class: 'emergency' }, h('p', {}, t('emergencyNote')),
    h('div', { class: 'tel-row' },
      h('a', { href: 'tel:110', class: 'tel' }, t('police110')),
      h('a', { href: 'tel:119', class: 'tel' }, t('fire119')),
      h('a', { href: 'tel:120', class: 'tel' }, t('ambulance120'))));
}
