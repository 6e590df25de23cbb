/** The server's settings a page needs (GET /api/settings): its public address and the photo limits. */
import { getJson, type Schema } from './api.js';

/** What GET /api/settings answers. */
export type ClientSettings = Schema<'ClientSettings'>;

/** Used when the settings cannot be had (no signal and no kept copy): the server's own defaults. */
const FALLBACK: ClientSettings = { public_url: null, photos: { max_files: 6, max_bytes: 8 * 1024 * 1024 } };

let loading: Promise<ClientSettings> | undefined;

/** The settings, asked once per page load (the service worker keeps a copy for use without signal). */
export function loadSettings(): Promise<ClientSettings> {
  loading ??= getJson('/api/settings').catch(() => {
    loading = undefined;
    return FALLBACK;
  });
  return loading;
}

/** The address a printed link should carry: the configured public one, else the one this page was opened at. */
export function publicBase(settings: ClientSettings): string {
  return settings.public_url ?? location.origin;
}
