import type { Schema } from '../api.js';
import { h } from '../dom.js';
import { dueText } from '../format.js';
import { nameOf, t, word } from '../i18n.js';

/** Who has a case now, in words: the grid chief by name, the community, the command centre or the department. */
export function holderText(i: Pick<Schema<'IncidentSummary'>, 'level' | 'status' | 'assignee' | 'community' | 'department'>): string {
  if (i.status !== 'open') return word(i.status);
  if (i.level === 'grid') return `${t('withChief')}${i.assignee ? ` ${i.assignee.name}` : ''}`;
  if (i.level === 'community') return `${t('withCommunity')}${i.community ? ` ${nameOf(i.community)}` : ''}`;
  if (i.level === 'centre') return t('withCentre');
  return `${t('withDepartment')}${i.department ? ` ${nameOf(i.department)}` : ''}`;
}

/**
 * A case in a list, as a card to tap: the thumbnail of its first photo, the category, who has it, the
 * deadline (overdue in red), marks for a case near a grid edge and for a new one; opens `href`.
 */
export function incidentCard(i: Schema<'IncidentSummary'>, href: string, opts: { fresh?: boolean } = {}): HTMLElement {
  const thumb = i.thumb_url
    ? h('img', { class: 'thumb', src: i.thumb_url, alt: t('photo'), loading: 'lazy', width: 64, height: 64 })
    : h('span', { class: 'thumb none' }, t('noPhoto'));
  const status = i.status === 'handled' ? t('awaitingConfirm') : holderText(i);
  return h('li', { class: `incident-card${i.overdue ? ' overdue' : ''}`, 'data-case': i.case_no, 'data-grid': i.grid?.code ?? '' },
    h('a', { href },
      thumb,
      h('span', { class: 'body' },
        h('b', {}, nameOf(i.category), opts.fresh ? h('span', { class: 'badge new' }, t('new')) : null),
        h('span', {}, status),
        h('span', { class: i.overdue ? 'due late' : 'due' }, i.status === 'open' ? dueText(i.due_at) : '', i.photo_count > 1 ? ` · ${i.photo_count} ${t('photos')}` : ''),
        h('small', {}, i.case_no, i.near_edge ? h('span', { class: 'badge edge' }, t('nearEdge')) : null, i.rework_count ? h('span', { class: 'badge' }, `${t('rework')} ${i.rework_count}`) : null))));
}
