import { h } from '../dom.js';
import { createMap, layerToggles, legend, searchBox, zoomToArea } from '../map/map_view.js';
import type { Page } from '../page.js';

/** The map viewer: every layer, search, toggles, legend, popups. */
export const viewerPage: Page = (root, { query }) => {
  const mapEl = h('div', { class: 'map', id: 'map' });
  const side = h('aside', { class: 'panel' });
  root.append(mapEl, side);
  const grid = query.get('grid');
  const map = createMap(mapEl, { fit: !grid });
  side.append(searchBox(map), layerToggles(map), legend());
  if (grid) void zoomToArea(map, grid);
  return () => map.remove();
};
