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

/** A link of the navigation: its hash and the key of its label in the string table. */
export type NavLink = readonly [href: string, label: string];

/**
 * The pages each role works in, its home first: residents (no session) see only the public pages, and
 * each staff role only the pages it may open (the pages check the role again).
 */
const NAV_BY_ROLE: Record<string, readonly NavLink[]> = {
  resident: [['#/report', 'report'], ['#/track', 'track'], ['#/', 'map']],
  chief: [['#/chief', 'myGrid'], ['#/', 'map'], ['#/assets', 'assetLedger'], ['#/appraisal', 'appraisal']],
  community: [['#/centre', 'queue'], ['#/chief', 'communityGrids'], ['#/', 'map'], ['#/assets', 'assetLedger'], ['#/appraisal', 'appraisal']],
  department: [['#/centre', 'departmentCases'], ['#/', 'map'], ['#/appraisal', 'appraisal']],
  admin: [['#/centre', 'queue'], ['#/chief', 'grids'], ['#/', 'map'], ['#/planner', 'planner'], ['#/assets', 'assetLedger'], ['#/appraisal', 'appraisal']],
  planner: [['#/planner', 'planner'], ['#/', 'map'], ['#/assets', 'assetLedger'], ['#/appraisal', 'appraisal']],
  staff: [['#/', 'map'], ['#/report', 'report'], ['#/track', 'track']],
};

/** The navigation of a role (no role: a resident's); an unknown role gets the resident's. */
export function navFor(role: string | null | undefined): readonly NavLink[] {
  return NAV_BY_ROLE[role ?? 'resident'] ?? NAV_BY_ROLE.resident;
}

/** Where to go after logging in: where the user was heading, unless that is the map or the login page, else their role's home (the first of its links). */
export function afterLogin(next: string | null, role: string): string {
  if (next && next.startsWith('#/') && next !== '#/' && parseRoute(next).name !== 'login') return next;
  return navFor(role)[0]?.[0] ?? '#/';
}
