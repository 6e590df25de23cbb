/**
 * The service worker (/sw.js, scope /): the app shell of this build precached so that the app opens without
 * signal, the public dictionaries answered from their kept copy (refreshed behind it), the tiles kept network
 * first, every other API request left to the
 * network and never stored. Built on its own by web/vite/service_worker.ts, which inlines `__PRECACHE__`.
 */
import {
  DICTIONARY_CACHE, NETWORK_TIMEOUT_MS, SHELL_CACHE_PREFIX, SHELL_URL, TILE_CACHE, TILE_CACHE_LIMIT, routeOf, tileKey,
} from './offline/sw_policy.js';

declare const self: ServiceWorkerGlobalScope;
declare const __PRECACHE__: { version: string; urls: string[] };

const SHELL = `${SHELL_CACHE_PREFIX}${__PRECACHE__.version}`;

self.addEventListener('install', (event) => {
  event.waitUntil(precache());
});

self.addEventListener('activate', (event) => {
  event.waitUntil(dropOldShells().then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  switch (routeOf(url, req.method, req.mode, self.location.origin)) {
    case 'shell':
      event.respondWith(cacheFirst(new Request(SHELL_URL), req));
      break;
    case 'asset':
      event.respondWith(cacheFirst(req, req));
      break;
    case 'dictionary':
      event.respondWith(keptThenRefreshed(event, DICTIONARY_CACHE, req.url));
      break;
    case 'tile':
      event.respondWith(networkFirst(event, TILE_CACHE, tileKey(url), TILE_CACHE_LIMIT));
      break;
    case 'network':
      // Not answered here: the browser asks the network as if there were no worker.
      break;
  }
});

/** Store the shell: hashed files may come from the HTTP cache (the page has just loaded most of them), the rest is asked again. */
async function precache(): Promise<void> {
  const cache = await caches.open(SHELL);
  await cache.addAll(__PRECACHE__.urls.map((u) => new Request(u, { cache: u.startsWith('/assets/') ? 'default' : 'no-cache' })));
}

/** Delete the shells of earlier builds (this one takes over only once no page of theirs is open). */
async function dropOldShells(): Promise<void> {
  for (const name of await caches.keys()) if (name.startsWith(SHELL_CACHE_PREFIX) && name !== SHELL) await caches.delete(name);
}

/** The kept copy (this build's shell first, then any cache), else the network. */
async function cacheFirst(key: Request, req: Request): Promise<Response> {
  const shell = await caches.open(SHELL);
  return (await shell.match(key)) ?? (await caches.match(key)) ?? fetch(req);
}

/**
 * The network's answer, kept under `key`; without signal, or when the network has not answered within
 * NETWORK_TIMEOUT_MS and a copy is kept, the kept copy. Error answers are passed on and not kept.
 */
async function networkFirst(event: FetchEvent, cacheName: string, key: string, limit?: number): Promise<Response> {
  const cache = await caches.open(cacheName);
  const network = fetch(event.request).then(async (res) => {
    if (res.ok) {
      await cache.put(key, res.clone());
      if (limit) await trim(cache, limit);
    }
    return res;
  });
  // The network goes on after a kept copy was answered, to refresh it for next time.
  event.waitUntil(network.then(() => undefined, () => undefined));
  const kept = cache.match(key);
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), NETWORK_TIMEOUT_MS));
  try {
    const first = await Promise.race([network, timeout]);
    if (first !== 'timeout') return first;
    return (await kept) ?? (await network);
  } catch (err) {
    const copy = await kept;
    if (copy) return copy;
    throw err;
  }
}

/**
 * The kept copy at once, the network asked behind it to refresh the copy for next time (stale while
 * revalidate); network first when nothing is kept yet. For the public dictionaries: a form waits for no
 * round trip on a weak signal, and a change of a category shows from the next visit on.
 */
async function keptThenRefreshed(event: FetchEvent, cacheName: string, key: string): Promise<Response> {
  const cache = await caches.open(cacheName);
  const kept = await cache.match(key);
  if (!kept) return networkFirst(event, cacheName, key);
  event.waitUntil(fetch(event.request).then((res) => (res.ok ? cache.put(key, res) : undefined), () => undefined));
  return kept;
}

/** Keep at most `limit` entries in a cache, deleting the oldest (keys come in the order they were put). */
async function trim(cache: Cache, limit: number): Promise<void> {
  const keys = await cache.keys();
  for (const k of keys.slice(0, Math.max(0, keys.length - limit))) await cache.delete(k);
}
