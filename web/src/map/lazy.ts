/**
 * The map on demand: maplibre and the Gridwork layers are a chunk of their own (~230 KB in brotli, and a worker
 * of ~120 KB), so a page shows its form or list first and asks for the map with `await loadMap()`.
 */
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { loadMapConfig, loadOfficeBounds } from './config.js';

/** The map module: createMap, zoomToArea, refreshPoints, … and maplibre's Marker and Popup. */
export type MapModule = typeof import('./map_view.js');

let loading: Promise<MapModule> | undefined;

/**
 * Load the map module (once; again after a failure, e.g. without signal before the app was kept): its chunk,
 * the map settings, the first view (the offices' bounds) and MapLibre's worker script are fetched side by side,
 * so that the first map starts on its view, with its worker from the HTTP cache.
 */
export function loadMap(): Promise<MapModule> {
  if (!loading) {
    preloadWorker();
    loading = Promise.all([import('./map_view.js'), loadMapConfig(), loadOfficeBounds()]).then(([m]) => m);
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

/** Fetch MapLibre's worker script into the HTTP cache (it is hashed and cached for a year); failures are the map's to report. */
function preloadWorker(): void {
  fetch(workerUrl, { credentials: 'same-origin' }).then((r) => r.arrayBuffer()).catch(() => undefined);
}

let idle!: () => void;

/** Settles when the first map of this visit has drawn its tiles (or never, when no page showed a map). */
export const firstMapIdle = new Promise<void>((resolve) => (idle = resolve));

/** Called by createMap when a map is first idle. */
export function markMapIdle(): void {
  idle();
}
