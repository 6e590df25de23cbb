/** The hash routes of the web app (`#/report?grid=…`, `#/track/2026…`), read and written without the DOM. */

/** A parsed route: the page name (first segment), the rest of the path decoded, and the query. */
export interface Route {
  name: string;
  arg: string;
  query: URLSearchParams;
}

/** Parse a location hash (`#/track/2026%2001?x=1`) into a page name, a path argument and the query. */
export function parseRoute(hash: string): Route {
  const rest = hash.replace(/^#\/?/, '');
  const cut = rest.indexOf('?');
  const path = cut < 0 ? rest : rest.slice(0, cut);
  const [name = '', ...segments] = path.split('/');
  return { name, arg: decodeURIComponent(segments.join('/')), query: new URLSearchParams(cut < 0 ? '' : rest.slice(cut + 1)) };
}

/** Whether a navigation link (`#/centre`) is the page at a hash; the map (`#/`) is never marked. */
export function isCurrent(hash: string, href: string): boolean {
  return href !== '#/' && parseRoute(hash).name === parseRoute(href).name;
}

/** The page each role starts on after logging in. */
const HOME: Record<string, string> = { chief: '#/chief', admin: '#/centre', community: '#/centre', planner: '#/planner', department: '#/centre' };

/** Where to go after logging in: where the user was heading, unless that is the map or the login page, else their role's page. */
export function afterLogin(next: string | null, role: string): string {
  if (next && next.startsWith('#/') && next !== '#/' && parseRoute(next).name !== 'login') return next;
  return HOME[role] ?? '#/';
}
