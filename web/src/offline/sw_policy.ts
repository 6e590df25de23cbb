/** What the service worker does with each request: pure rules, shared by sw.ts and its tests. */

/** How a request is answered: from the shell, cache first, the kept copy refreshed behind it (dictionaries), network first into a cache (tiles), or left to the network. */
export type Route = 'shell' | 'asset' | 'dictionary' | 'tile' | 'network';

/** Prefix of the precache of each build (`gridwork-shell-<version>`); older ones are deleted when a new build takes over. */
export const SHELL_CACHE_PREFIX = 'gridwork-shell-';

/** Public dictionaries (the same for everyone, no personal data), kept for use without signal. */
export const DICTIONARY_CACHE = 'gridwork-dictionaries';

/** Vector tiles and the map's settings, kept for use without signal. */
export const TILE_CACHE = 'gridwork-tiles';

/** At most this many tiles are kept; the oldest go first. */
export const TILE_CACHE_LIMIT = 1500;

/** The URL the app shell (index.html) is kept under. */
export const SHELL_URL = '/';

/**
 * API answers that may be cached: public, and the same for every user. Everything else under /api/ (the
 * user, incidents, contacts, tokens) goes to the network and is never stored.
 */
export const DICTIONARIES = ['/api/incident-categories', '/api/asset-categories', '/api/departments', '/api/settings'];

/** How long a network-first request waits for the network before a kept copy is answered (a weak signal). */
export const NETWORK_TIMEOUT_MS = 4000;

/** Which way a request is answered, from its URL, method and mode. */
export function routeOf(url: URL, method: string, mode: string, origin: string): Route {
  if (method !== 'GET' || url.origin !== origin) return 'network';
  const p = url.pathname;
  if (mode === 'navigate') return p === '/' || p === '/index.html' ? 'shell' : 'network';
  if (p.startsWith('/assets/') || p.startsWith('/icons/') || p === '/manifest.webmanifest') return 'asset';
  if (DICTIONARIES.includes(p)) return 'dictionary';
  if (p.startsWith('/tiles/')) return 'tile';
  return 'network';
}

/** The key a tile is kept under: its URL without the `v` refresh counter, so a kept tile answers any refresh. */
export function tileKey(url: URL): string {
  const u = new URL(url);
  u.searchParams.delete('v');
  return u.toString();
}
