/** What to tell a resident when a call fails, in the page's language. */
import { ApiError } from './api.js';
import { PROBLEMS, currentLang, t } from './i18n.js';

/**
 * The message of a failed call: the problem's own message when its code is in the table; otherwise a plain
 * sentence for the kind of failure (network, server, not found, refused), so that a Chinese page never
 * shows the server's English detail. An English page shows that detail, which names the fix.
 */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code && Object.hasOwn(PROBLEMS, err.code)) return err.message;
    if (err.status === 0) return t('networkFailed');
    if (err.status >= 500) return t('serverFailed');
    if (err.status === 404) return t('notFoundHere');
    return currentLang() === 'en' && err.detail ? err.detail : t('requestFailed');
  }
  // fetch rejects with a TypeError when the network is down.
  if (err instanceof TypeError) return t('networkFailed');
  return t('serverFailed');
}
