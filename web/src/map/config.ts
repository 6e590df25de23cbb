/**
 * What a map needs from the server before it is drawn: the map settings (the basemap) and the offices' bounds
 * (the first view). Each is asked once per page load, side by side with the map's chunk (map/lazy.ts), so that
 * the first map starts on the right view instead of loading the tiles of a default view first.
 */
import { getJson } from '../api.js';
import { tileJsonBounds, type Bounds } from './bounds.js';

/** A raster basemap under the vector layers, as the server's BASEMAP_URL sets it. */
export interface Basemap {
  tiles: string[];
  tile_size: number;
  attribution: string;
}

let basemap: Basemap | null = null;
let configLoading: Promise<Basemap | null> | undefined;
let configLoaded = false;

/**
 * Load the map settings from the server (once; the same promise to every caller): the basemap, or null when
 * there is none or the settings cannot be had (the map needs a basemap least of all).
 */
export function loadMapConfig(): Promise<Basemap | null> {
  configLoading ??= fetch('/tiles/map-config.json', { headers: { accept: 'application/json' } })
    .then(async (res) => (res.ok ? ((await res.json()) as { basemap: Basemap | null }).basemap : null))
    .catch(() => null)
    .then((b) => {
      basemap = b;
      configLoaded = true;
      return b;
    });
  return configLoading;
}

/** Whether the map settings have arrived (a map made before then adds the basemap when they do). */
export function mapConfigLoaded(): boolean {
  return configLoaded;
}

/** The server's basemap, once the settings have arrived (null before, and when there is none). */
export function configuredBasemap(): Basemap | null {
  return basemap;
}

let officeBounds: Bounds | null | undefined;
let boundsLoading: Promise<Bounds | null> | undefined;

/** Load the bounds of the offices' layer (its TileJSON), once; null when they cannot be had. */
export function loadOfficeBounds(): Promise<Bounds | null> {
  boundsLoading ??= getJson('/tiles/{layer}.json', { path: { layer: 'offices' } })
    .then((tj) => tileJsonBounds(tj.bounds))
    .catch(() => null)
    .then((b) => (officeBounds = b));
  return boundsLoading;
}

/** The offices' bounds if they have arrived; undefined while they have not (or were never asked for). */
export function officeBoundsNow(): Bounds | null | undefined {
  return officeBounds;
}
