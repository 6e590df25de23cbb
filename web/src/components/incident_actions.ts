import type { Map as MapLibreMap } from 'maplibre-gl';
import { errorText } from '../error_text.js';
import { getJson, postJson, type Schema } from '../api.js';
import { fill, h } from '../dom.js';
import { when } from '../format.js';
import { nameOf, stepWord, t, word, type Key } from '../i18n.js';
import { loadSettings } from '../settings.js';
import { photoPicker } from './photo_strip.js';
import { incidentPhotos } from './photo_visibility.js';

/** Actions whose form needs a department, a note, or hours. */
const NEEDS_NOTE = ['handle', 'cancel', 'reject', 'defer'];

/** What each step says once it is done: that it worked and what happens next. */
const DONE: Record<string, Key> = {
  handle: 'doneHandle', escalate: 'doneEscalate', dispatch: 'doneDispatch', cancel: 'doneCancel',
  confirm: 'doneConfirm', reject: 'doneReject', defer: 'doneDefer',
};

/** What a step says once it is done, with the tick: that it worked and what happens next. */
export function doneText(action: string): string {
  return `✔ ${t(DONE[action] ?? 'done')}`;
}

/**
 * The workflow steps the viewer may take on an incident, as big buttons with what they need (a note, a
 * photo, a department, hours); after a step, a line says that it worked and what happens next, and
 * `onDone` runs.
 */
export function actionForm(d: Schema<'Incident'>, departments: Schema<'Department'>[], onDone: (action: string) => void, maxPhotos = 6): HTMLElement {
  const note = h('textarea', { name: 'note', rows: 2, placeholder: t('note') });
  // Photos of the step (the result, for a handle), shrunk on the device like a report's.
  const picker = photoPicker({ max: maxPhotos });
  const dept = h('select', { name: 'department' }, ...departments.map((x) => h('option', { value: x.code }, nameOf(x))));
  const hours = h('input', { name: 'hours', type: 'number', min: 1, value: 24, inputmode: 'numeric' });
  const msg = h('p', { class: 'error', role: 'alert' });
  const done = h('p', { class: 'ok', role: 'status' });
  const actions = d.allowed_actions.filter((a) => a !== 'merge');
  const buttons = actions.map((a) =>
    h('button', {
      type: 'button', 'data-action': a, class: a === 'reject' || a === 'cancel' ? 'big secondary' : 'big',
      onclick: async (e: Event) => {
        msg.textContent = '';
        if (NEEDS_NOTE.includes(a) && !note.value.trim()) {
          msg.textContent = t('noteNeeded');
          note.focus();
          return;
        }
        const body = new FormData();
        body.set('action', a);
        body.set('version', String(d.version));
        if (note.value.trim()) body.set('note', note.value.trim());
        if (a === 'dispatch') body.set('department', dept.value);
        if (a === 'defer') body.set('hours', hours.value);
        const button = e.currentTarget as HTMLButtonElement;
        for (const b of buttons) b.disabled = true;
        button.textContent = t('sending');
        try {
          for (const p of await picker.photos()) body.append('photos', p.blob, p.name);
          await postJson('/api/incidents/{id}/actions', { path: { id: d.id }, body });
          done.textContent = doneText(a);
          onDone(a);
        } catch (err) {
          msg.textContent = errorText(err);
          for (const b of buttons) b.disabled = false;
          button.textContent = word(a);
        }
      },
    }, word(a)),
  );
  if (!buttons.length) return h('div', { class: 'actions' }, h('p', { class: 'hint' }, t('noStepForYou')), done);
  return h('div', { class: 'actions' },
    h('label', {}, t('note'), note),
    h('div', { class: 'step-photos' }, h('span', { class: 'label' }, t('addPhoto')), picker.element),
    actions.includes('dispatch') ? h('label', {}, t('department'), dept) : null,
    actions.includes('defer') ? h('label', {}, t('deferHours'), hours) : null,
    h('div', { class: 'row buttons' }, ...buttons),
    msg, done);
}

/** A panel that loads one incident and offers the workflow steps the viewer may take. */
export function incidentActions(id: number, departments: Schema<'Department'>[], onDone: (action: string) => void): HTMLElement {
  const box = h('div', { class: 'actions' }, t('loading'));
  void (async () => {
    let d: Schema<'Incident'>;
    try {
      d = await getJson('/api/incidents/{id}', { path: { id } });
    } catch (err) {
      fill(box, h('p', { class: 'error' }, errorText(err)));
      return;
    }
    const settings = await loadSettings();
    fill(box,
      d.description ? h('p', {}, d.description) : null,
      incidentPhotos(d.id, d.photos, d.may_hide_photos),
      h('ol', { class: 'history' }, ...d.history.map((s) => h('li', {}, when(s.at), ' · ', stepWord(s.action), s.actor ? ` · ${s.actor}` : '', s.note ? ` · ${s.note}` : ''))),
      actionForm(d, departments, onDone, settings.photos.max_files));
  })();
  return box;
}

/**
 * A row of an incident list: case number, category, status (and level, when asked), overdue, and a note
 * under it; a tap shows the incident on the map and opens (or closes) its steps, `onDone` running after one.
 * `done` is the step the viewer last took on it: the row says so (the list is drawn again after a step).
 */
export function incidentListItem(
  i: Schema<'IncidentSummary'>,
  note: string,
  map: MapLibreMap,
  departments: Schema<'Department'>[],
  onDone: (action: string) => void,
  { level = false, done }: { level?: boolean; done?: string } = {},
): HTMLElement {
  const label = `${i.case_no} · ${nameOf(i.category)} · ${word(i.status)}${level ? ` · ${word(i.level)}` : ''}${i.overdue ? ` · ${t('overdue')}` : ''}`;
  const button = h('button', { type: 'button', class: 'link' }, label);
  const li = h('li', { class: i.overdue ? 'overdue' : undefined, 'data-case': i.case_no, 'data-grid': i.grid?.code ?? '' }, button, h('small', {}, ` ${note}`),
    done ? h('p', { class: 'ok done-step', role: 'status' }, doneText(done)) : null);
  button.addEventListener('click', () => {
    map.flyTo({ center: [i.lon, i.lat], zoom: 17 });
    const open = li.querySelector('.actions');
    if (open) open.remove();
    else li.append(incidentActions(i.id, departments, onDone));
  });
  return li;
}
