import { ApiError, getJson } from '../api.js';
import { fill, h } from '../dom.js';
import { when } from '../format.js';
import { nameOf, t, word } from '../i18n.js';
import type { Page } from '../page.js';

/** Follow a report by its case number (public, no personal data). */
export const trackPage: Page = async (root, { arg }) => {
  const input = h('input', { name: 'case_no', inputmode: 'numeric', placeholder: t('trackPrompt'), value: arg });
  const out = h('div', { class: 'track-result' });
  const form = h('form', { class: 'card narrow' }, h('h2', {}, t('track')), h('label', {}, t('caseNo'), input), h('button', { type: 'submit' }, t('track')), out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/track/${encodeURIComponent(input.value.trim())}`;
  });
  root.append(form);
  if (!arg) return;
  try {
    const v = await getJson('/api/public/incidents/{case_no}', { path: { case_no: arg } });
    fill(out,
      h('dl', {},
        h('dt', {}, t('caseNo')), h('dd', { class: 'case-no' }, v.case_no),
        h('dt', {}, t('status')), h('dd', { class: `status status-${v.status}` }, word(v.status)),
        h('dt', {}, t('category')), h('dd', {}, nameOf(v.category)),
        h('dt', {}, t('inGrid')), h('dd', {}, v.grid ? `${v.grid.name} (${v.grid.code})` : '—'),
        h('dt', {}, t('reportedAt')), h('dd', {}, when(v.reported_at)),
        h('dt', {}, t('dueAt')), h('dd', {}, when(v.due_at))),
      h('h3', {}, t('history')),
      h('ol', { class: 'history' }, ...v.history.map((s) => h('li', {}, when(s.at), ' · ', word(s.action), s.to_status ? ` → ${word(s.to_status)}` : ''))));
  } catch (err) {
    fill(out, h('p', { class: 'error' }, err instanceof ApiError ? err.message : String(err)));
  }
};
