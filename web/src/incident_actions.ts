import { ApiError, getJson, postJson } from './api.js';
import { fill, h, when } from './dom.js';
import { nameOf, t, type Key } from './i18n.js';

interface Detail {
  id: number;
  version: number;
  status: string;
  description: string;
  allowed_actions: string[];
  history: { action: string; actor: string | null; note: string | null; at: string }[];
}

/** Actions whose form needs a department, a note, or hours. */
const NEEDS_NOTE = ['handle', 'cancel', 'reject', 'defer'];

/** A panel that loads one incident and offers the workflow steps the viewer may take. */
export function incidentActions(id: number, departments: { code: string; name: string; name_en: string }[], onDone: () => void): HTMLElement {
  const box = h('div', { class: 'actions' }, '…');
  void (async () => {
    let d: Detail;
    try {
      d = await getJson<Detail>(`/api/incidents/${id}`);
    } catch (err) {
      fill(box, h('p', { class: 'error' }, err instanceof ApiError ? err.message : String(err)));
      return;
    }
    const note = h('input', { name: 'note', placeholder: t('note') });
    const photo = h('input', { type: 'file', name: 'photos', accept: 'image/*', capture: 'environment' });
    const dept = h('select', { name: 'department' }, ...departments.map((x) => h('option', { value: x.code }, nameOf(x))));
    const hours = h('input', { name: 'hours', type: 'number', min: 1, value: 24 });
    const msg = h('p', { class: 'error', role: 'alert' });
    const buttons = d.allowed_actions
      .filter((a) => a !== 'merge')
      .map((a) =>
        h('button', {
          type: 'button', 'data-action': a,
          onclick: async () => {
            msg.textContent = '';
            const body = new FormData();
            body.set('action', a);
            body.set('version', String(d.version));
            if (note.value) body.set('note', note.value);
            if (a === 'dispatch') body.set('department', dept.value);
            if (a === 'defer') body.set('hours', hours.value);
            if (photo.files?.[0]) body.set('photos', photo.files[0]);
            if (NEEDS_NOTE.includes(a) && !note.value) {
              msg.textContent = `${t('note')}?`;
              return;
            }
            try {
              await postJson(`/api/incidents/${id}/actions`, body);
              onDone();
            } catch (err) {
              msg.textContent = err instanceof ApiError ? err.message : String(err);
            }
          },
        }, t(a as Key) || a),
      );
    fill(box,
      d.description ? h('p', {}, d.description) : null,
      h('ol', { class: 'history' }, ...d.history.map((s) => h('li', {}, when(s.at), ' · ', t(s.action as Key) || s.action, s.actor ? ` · ${s.actor}` : '', s.note ? ` · ${s.note}` : ''))),
      buttons.length ? h('div', { class: 'row' }, note, photo) : h('p', {}, t('none')),
      d.allowed_actions.includes('dispatch') ? h('label', {}, t('department'), dept) : null,
      d.allowed_actions.includes('defer') ? h('label', {}, 'h', hours) : null,
      h('div', { class: 'row' }, ...buttons),
      msg);
  })();
  return box;
}
