/**
 * The staff's photo strip of an incident: the photo component (photo_strip.ts) with, for those who work the
 * case, a way to hide a photo from the public view (a face, a number plate) with a reason, or show it again.
 * Hidden photos stay visible to staff, marked; the change is logged in the case's history by the server.
 */
import { postJson, type Schema } from '../api.js';
import { fill, h } from '../dom.js';
import { errorText } from '../error_text.js';
import { t } from '../i18n.js';
import { photoStrip } from './photo_strip.js';

type IncidentPhoto = Schema<'Incident'>['photos'][number];

/** The incident's photos by step; with `mayHide`, each with its hide / show control. */
export function incidentPhotos(incidentId: number, photos: IncidentPhoto[], mayHide: boolean, onChanged?: () => void): HTMLElement {
  if (!photos.length) return h('p', { class: 'hint no-photos' }, t('noPhoto'));
  return photoStrip(photos, { extra: (p, li) => visibilityControl(incidentId, p, li, mayHide, onChanged) });
}

function visibilityControl(incidentId: number, photo: IncidentPhoto, li: HTMLElement, mayHide: boolean, onChanged?: () => void): HTMLElement | null {
  const box = h('div', { class: 'photo-visibility' });
  const draw = () => {
    li.classList.toggle('photo-hidden', photo.hidden);
    const mark = photo.hidden ? h('span', { class: 'badge hidden-mark' }, t('hiddenFromPublic')) : null;
    if (!mayHide) return fill(box, mark);
    const toggle = h('button', { type: 'button', class: 'secondary small-action' }, t(photo.hidden ? 'showToPublic' : 'hideFromPublic'));
    toggle.addEventListener('click', ask);
    fill(box, mark, toggle);
  };
  // Hiding asks for the reason (kept in the history); the usual one is filled in.
  const ask = () => {
    const reason = h('input', { name: 'reason', value: t(photo.hidden ? 'showReasonDefault' : 'hideReasonDefault'), maxlength: 500, 'aria-label': t('reason') });
    const msg = h('p', { class: 'error', role: 'alert' });
    const ok = h('button', { type: 'button' }, t(photo.hidden ? 'showToPublic' : 'hideFromPublic'));
    const cancel = h('button', { type: 'button', class: 'secondary' }, t('cancelAction'));
    cancel.addEventListener('click', draw);
    ok.addEventListener('click', async () => {
      if (!reason.value.trim()) {
        msg.textContent = t('noteNeeded');
        return reason.focus();
      }
      ok.disabled = true;
      try {
        const changed = await postJson('/api/incidents/{id}/photos/{n}/visibility', { path: { id: incidentId, n: photo.n }, body: { hidden: !photo.hidden, reason: reason.value.trim() } });
        photo.hidden = changed.hidden;
        draw();
        box.append(h('p', { class: 'ok', role: 'status' }, `✔ ${t(photo.hidden ? 'photoHiddenDone' : 'photoShownDone')}`));
        onChanged?.();
      } catch (err) {
        ok.disabled = false;
        msg.textContent = errorText(err);
      }
    });
    fill(box, h('label', {}, t('reason'), reason), h('div', { class: 'row' }, ok, cancel), msg);
    reason.focus();
  };
  draw();
  return box;
}
