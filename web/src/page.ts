import { currentUser, type Me } from './api.js';
import { h } from './dom.js';
import { currentLang, t, word } from './i18n.js';

/** What a page gets: the path argument, the query and a way to render the app again. */
export interface PageContext {
  arg: string;
  query: URLSearchParams;
  rerender: () => void;
}

/** A page renders into its element and may return a function that cleans up (maps, streams). */
export type Page = (root: HTMLElement, ctx: PageContext) => Promise<(() => void) | void> | (() => void) | void;

/** The user when they have one of the roles; otherwise renders a login prompt and answers null. */
export async function requireRole(root: HTMLElement, roles: Me['role'][]): Promise<Me | null> {
  const user = await currentUser();
  if (user && roles.includes(user.role)) return user;
  root.replaceChildren(
    h('section', { class: 'card narrow' },
      h('p', {}, t('needRole'), roles.map((r) => word(`role_${r}`)).join(currentLang() === 'zh' ? '、' : ', ')),
      h('a', { class: 'button', href: `#/login?next=${encodeURIComponent(location.hash)}` }, t('login'))),
  );
  return null;
}
