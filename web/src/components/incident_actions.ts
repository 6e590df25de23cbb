import type { Map as MapLibreMap } from 'maplibre-gl';
import { ApiError, getJson, postJson, type Schema } from '../api.js';
import { fill, h } from '../dom.js';
import { when } from '../format.js';
import { nameOf, t, word } from '../i18n.js';

/** Actions whose form needs a department, a note, or hours. */
const NEEDS_NOTE = ['handle', 'cancel', 'reject', 'defer'];

/** A panel that loads one incident and offers the workflow steps the viewer may take. */
export function incidentActions(id: number, departments: Schema<'Department'>[], onDone: () => void): HTMLElement {
  const box = h('div', { class: 'actions' }, '…');
  void (async () => {
    let d: Schema<'Incident'>;
    try {
      d = await getJson('/api/incidents/{id}', { path: { id } });
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
              await postJson('/api/incidents/{id}/actions', { path: { id }, body });
              onDone();
            } catch (err) {
              msg.textContent = err instanceof ApiError ? err.message : String(err);
            }
          },
        }, word(a)),
      );
    fill(box,
      d.description ? h('p', {}, d.description) : null,
      h('ol', { class: 'history' }, ...d.history.map((s) => h('li', {}, when(s.at), ' · ', word(s.action), s.actor ? ` · ${s.actor}` : '', s.note ? ` · ${s.note}` : ''))),
      buttons.length ? h('div', { class: 'row' }, note, photo) : h('p', {}, t('none')),
      d.allowed_actions.includes('dispatch') ? h('label', {}, t('department'), dept) : null,
      d.allowed_actions.includes('defer') ? h('label', {}, 'h', hours) : null,
      h('div', { class: 'row' }, ...buttons),
      msg);
  })();
  return box;
}

/**
 * A row of an incident list: case number, category, status (and level, when asked), overdue, and a note
 * under it; a tap shows the incident on the map and opens (or closes) its steps, `onDone` running after one.
 */
export function incidentListItem(
  i: Schema<'IncidentSummary'>,
  note: string,
  map: MapLibreMap,
  departments: Schema<'Department'>[],
  onDone: () => void,
  { level = false }: { level?: boolean } = {},
): HTMLElement {
  const label = `${i.case_no} · ${nameOf(i.category)} · ${word(i.status)}${level ? ` · ${word(i.level)}` : ''}${i.overdue ? ` · ${t('overdue')}` : ''}`;
  const button = h('button', { type: 'button', class: 'link' }, label);
  const li = h('li', { class: i.overdue ? 'overdue' : undefined, 'data-case': i.case_no, 'data-grid': i.grid?.code ?? '' }, button, h('small', {}, ` ${note}`));
  button.addEventListener('click', () => {
    map.flyTo({ center: [i.lon, i.lat], zoom: 17 });
    const open = li.querySelector('.actions');
    if (open) open.remove();
    else li.append(incidentActions(i.id, departments, onDone));
  });
  return li;
}
