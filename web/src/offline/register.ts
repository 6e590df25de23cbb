/** Register the service worker (/sw.js, scope /) in a built app; the dev server has none, and a browser without them does without. */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((err: unknown) => {
    // Not fatal: the app works online without it, only not offline.
    console.warn('the service worker could not be registered:', err);
  });
}
