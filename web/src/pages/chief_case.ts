import { getJson, type Schema } from '../api.js';
import { errorText } from '../error_text.js';
import { actionForm } from '../components/incident_actions.js';
import { holderText } from '../components/incident_card.js';
import { openPhoto } from '../components/photo_strip.js';
import { incidentPhotos } from '../components/photo_visibility.js';
import { fill, h } from '../dom.js';
import { dueText, when, whenShort } from '../format.js';
import { nameOf, stepWord, t, word, type Key } from '../i18n.js';
import type { Page } from '../page.js';
import { loadSettings } from '../settings.js';
import { requireRole } from '../page.js';

type CasePhoto = Schema<'Incident'>['photos'][number];

/** Before and after, side by side: the first photo of the report and the last of the handling (or rework); a tap opens it. */
function beforeAfter(photos: CasePhoto[]): HTMLElement {
  const before = photos.find((p) => p.step === 'report');
  const after = [...photos].reverse().find((p) => p.step !== 'report');
  const side = (p: CasePhoto | undefined, label: Key) => {
    if (!p) return h('figure', {}, h('div', { class: 'no-photo' }, t('noPhoto')), h('figcaption', {}, t(label)));
    const open = h('button', { type: 'button', class: 'photo-open', 'aria-label': `${t('openPhoto')}: ${t(label)}` }, h('img', { src: p.url, alt: t(label) }));
    open.addEventListener('click', () => openPhoto(p, t(label), open));
    return h('figure', {}, open, h('figcaption', {}, t(label), ' · ', whenShort(p.at)));
  };
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
  const [departments, settings] = await Promise.all([
    d.allowed_actions.includes('dispatch') ? getJson('/api/departments').catch(() => []) : Promise.resolve([]),
    loadSettings(),
  ]);
  const photos = d.photos;
  const strip = () => incidentPhotos(d.id, photos, d.may_hide_photos);
  fill(box,
    h('a', { href: '#/chief', class: 'back' }, '‹ ', t('backToMyGrid')),
    h('h2', {}, nameOf(d.category), ' ', h('small', { class: 'case-no' }, d.case_no)),
    d.status === 'handled' ? beforeAfter(photos) : strip(),
    d.description ? h('p', { class: 'description' }, d.description) : null,
    h('dl', {},
      h('dt', {}, t('status')), h('dd', {}, d.status === 'handled' ? t('awaitingConfirm') : holderText(d)),
      h('dt', {}, t('dueAt')), h('dd', { class: d.overdue ? 'due late' : 'due' }, when(d.due_at), d.status === 'open' ? ` · ${dueText(d.due_at)}` : ''),
      h('dt', {}, t('inGrid')), h('dd', {}, d.grid ? nameOf(d.grid) : '—', d.near_edge ? h('span', { class: 'badge edge' }, t('nearEdge')) : null),
      h('dt', {}, t('source')), h('dd', {}, word(`source_${d.source}`)),
      h('dt', {}, t('reportedAt')), h('dd', {}, when(d.reported_at))),
    h('h3', {}, t('actions')),
    actionForm(d, departments, () => setTimeout(rerender, 1200), settings.photos.max_files),
    d.status === 'handled' && photos.length ? h('details', { class: 'all-photos' }, h('summary', {}, t('allPhotos'), ` (${photos.length})`), strip()) : null,
    h('h3', {}, t('history')),
    h('ol', { class: 'history' }, ...d.history.map((s) => h('li', {}, h('b', {}, stepWord(s.action)), ' · ', when(s.at), s.actor ? ` · ${s.actor}` : '', s.note ? h('div', { class: 'note' }, s.note) : null))));
};
