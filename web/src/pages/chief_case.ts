import { getJson, type Schema } from '../api.js';
import { errorText } from '../error_text.js';
import { actionForm } from '../components/incident_actions.js';
import { holderText } from '../components/incident_card.js';
import { fill, h } from '../dom.js';
import { dueText, when } from '../format.js';
import { nameOf, stepWord, t, word, type Key } from '../i18n.js';
import type { Page } from '../page.js';
import { requireRole } from '../page.js';

/** A photo of a case with the step it came with. */
export interface CasePhoto {
  url: string;
  thumb_url: string;
  step: 'report' | 'handling' | 'rework';
  at: string;
}

/**
 * The photos of a case by the step they came with, read from its history: the report's, the handling's,
 * and a handling after a rejection as rework; in the order they arrived.
 */
export function casePhotos(d: Pick<Schema<'Incident'>, 'photos' | 'history'>): CasePhoto[] {
  const byUrl = new Map(d.photos.map((p) => [p.url, p]));
  const out: CasePhoto[] = [];
  let rejected = false;
  for (const e of d.history) {
    if (e.action === 'reject') rejected = true;
    const step = e.action === 'report' ? 'report' : rejected && e.action === 'handle' ? 'rework' : 'handling';
    for (const url of e.photos) {
      const p = byUrl.get(url);
      if (p) out.push({ url: p.url, thumb_url: p.thumb_url, step, at: e.at });
    }
  }
  return out;
}

/** Thumbnails that open the full photo, each labelled with its step. */
function photoGrid(photos: CasePhoto[]): HTMLElement {
  if (!photos.length) return h('p', { class: 'hint' }, t('noPhoto'));
  return h('ul', { class: 'photo-grid' }, ...photos.map((p) =>
    h('li', {}, h('a', { href: p.url, target: '_blank', rel: 'noopener' },
      h('img', { src: p.thumb_url, alt: `${t(`photoStep_${p.step}` as Key)} ${when(p.at)}`, loading: 'lazy', width: 96, height: 96 })),
    h('small', {}, t(`photoStep_${p.step}` as Key)))));
}

/** Before and after, side by side: the first photo of the report and the last of the handling. */
function beforeAfter(photos: CasePhoto[]): HTMLElement {
  const before = photos.find((p) => p.step === 'report');
  const after = [...photos].reverse().find((p) => p.step !== 'report');
  const side = (p: CasePhoto | undefined, label: Key) =>
    h('figure', {}, p ? h('a', { href: p.url, target: '_blank', rel: 'noopener' }, h('img', { src: p.url, alt: t(label) })) : h('div', { class: 'no-photo' }, t('noPhoto')), h('figcaption', {}, t(label)));
  return h('div', { class: 'before-after' }, side(before, 'before'), side(after, 'after'));
}

/** One case for the chief: its evidence (before and after side by side when they confirm), facts, history and steps. */
export const chiefCasePage: Page = async (root, { arg, rerender }) => {
  const user = await requireRole(root, ['chief', 'community', 'admin']);
  if (!user) return;
  const box = h('section', { class: 'card case' }, t('loading'));
  root.append(box);
  let d: Schema<'Incident'>;
  try {
    d = await getJson('/api/incidents/{id}', { path: { id: Number(arg) } });
  } catch (err) {
    fill(box, h('p', { class: 'error' }, errorText(err)), h('a', { class: 'button', href: '#/chief' }, t('backToMyGrid')));
    return;
  }
  const departments = d.allowed_actions.includes('dispatch') ? await getJson('/api/departments').catch(() => []) : [];
  const photos = casePhotos(d);
  fill(box,
    h('a', { href: '#/chief', class: 'back' }, '‹ ', t('backToMyGrid')),
    h('h2', {}, nameOf(d.category), ' ', h('small', { class: 'case-no' }, d.case_no)),
    d.status === 'handled' ? beforeAfter(photos) : photoGrid(photos),
    d.description ? h('p', { class: 'description' }, d.description) : null,
    h('dl', {},
      h('dt', {}, t('status')), h('dd', {}, d.status === 'handled' ? t('awaitingConfirm') : holderText(d)),
      h('dt', {}, t('dueAt')), h('dd', { class: d.overdue ? 'due late' : 'due' }, when(d.due_at), d.status === 'open' ? ` · ${dueText(d.due_at)}` : ''),
      h('dt', {}, t('inGrid')), h('dd', {}, d.grid?.name ?? '—', d.near_edge ? h('span', { class: 'badge edge' }, t('nearEdge')) : null),
      h('dt', {}, t('source')), h('dd', {}, word(`source_${d.source}`)),
      h('dt', {}, t('reportedAt')), h('dd', {}, when(d.reported_at))),
    h('h3', {}, t('actions')),
    actionForm(d, departments, () => setTimeout(rerender, 1200)),
    d.status === 'handled' && photos.length > 1 ? h('details', {}, h('summary', {}, t('photos')), photoGrid(photos)) : null,
    h('h3', {}, t('history')),
    h('ol', { class: 'history' }, ...d.history.map((s) => h('li', {}, h('b', {}, stepWord(s.action)), ' · ', when(s.at), s.actor ? ` · ${s.actor}` : '', s.note ? h('div', { class: 'note' }, s.note) : null))));
};
