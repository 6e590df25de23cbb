/**
 * Photos on a phone: a strip of thumbnails that open the full photo (photoStrip), and a camera-or-gallery
 * picker that shrinks each photo as it is picked (photoPicker). Used by the resident's report and track
 * pages and by the chief's field app.
 */
import { h } from '../dom.js';
import { bytesText, whenShort } from '../format.js';
import { t, tf, type Key } from '../i18n.js';
import { shrinkPhoto, type ShrunkPhoto } from '../photos/shrink.js';
import './photo_strip.css';

/** A photo to show: its thumbnail and full image, the workflow step it came with, and when. */
export interface StripPhoto {
  thumb_url: string;
  url: string;
  step?: 'report' | 'handling' | 'rework';
  at?: string;
}

/** The words of each photo step. */
const STEP_KEYS: Record<NonNullable<StripPhoto['step']>, Key> = { report: 'photoStepReport', handling: 'photoStepHandling', rework: 'photoStepRework' };

/** A photo's step in words (上报 / 处置 / 返工); empty for a photo without one. */
export function photoStepText(step: StripPhoto['step']): string {
  return step ? t(STEP_KEYS[step]) : '';
}

/** Open one photo over the page: a modal dialog with a close button; Esc, the button or a tap beside the photo closes it and gives the focus back. */
export function openPhoto(photo: StripPhoto, label: string, opener?: HTMLElement): HTMLDialogElement {
  const close = h('button', { type: 'button', class: 'photo-viewer-close', autofocus: true }, t('close'));
  const img = h('img', { src: photo.url, alt: label, decoding: 'async' });
  const dialog = h('dialog', { class: 'photo-viewer', 'aria-label': label },
    h('figure', {}, img, h('figcaption', {}, label, photo.at ? ` · ${whenShort(photo.at)}` : '')),
    close);
  close.addEventListener('click', () => dialog.close());
  // A tap on the dark ground around the photo (the dialog itself, not its content) closes it too.
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => {
    dialog.remove();
    opener?.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/**
 * A strip of thumbnails (lazy, fixed size), each labelled with its step in words; a tap or Enter opens
 * the full photo. `opts.steps: false` leaves the step labels out (a list of one step's photos).
 */
export function photoStrip<P extends StripPhoto>(photos: P[], opts: { steps?: boolean; extra?: (photo: P, li: HTMLElement) => Node | null } = {}): HTMLElement {
  const counts: Record<string, number> = {};
  return h('ul', { class: 'photo-strip' }, ...photos.map((p) => {
    const step = photoStepText(p.step);
    const n = (counts[p.step ?? ''] = (counts[p.step ?? ''] ?? 0) + 1);
    const label = tf('photoOf', { step, n }).trim();
    const button = h('button', { type: 'button', class: 'photo-thumb', 'aria-label': `${t('openPhoto')}: ${label}` },
      h('img', { src: p.thumb_url, alt: '', loading: 'lazy', decoding: 'async', width: 96, height: 96 }));
    button.addEventListener('click', () => openPhoto(p, label, button));
    const li = h('li', { 'data-step': p.step ?? '' }, button, opts.steps === false || !step ? null : h('span', { class: 'photo-step' }, step));
    const extra = opts.extra?.(p, li);
    if (extra) li.append(extra);
    return li;
  }));
}

/** A photo being picked: shrinking, ready, or unreadable. */
interface Picked {
  done: Promise<ShrunkPhoto | null>;
  shrunk?: ShrunkPhoto;
  li: HTMLElement;
  url?: string;
}

/** The picker of a form: its element, the photos picked (shrunk, once ready), and ways to open the gallery and to empty it. */
export interface PhotoPicker {
  element: HTMLElement;
  /** The shrunk photos, in the order they were picked, once every pick has been shrunk. */
  photos(): Promise<ShrunkPhoto[]>;
  /** How many photos are picked (ready or not). */
  count(): number;
  /** Open the gallery, as the "pick from gallery" button does. */
  chooseFromGallery(): void;
  /** Remove every photo. */
  clear(): void;
}

/**
 * Take photos with the camera or choose them from the gallery (at most `max`), with previews and a remove
 * button on each; every photo is shrunk as it is picked (photos/shrink.ts). `onPicked` hears of each
 * photo once it is shrunk, with the GPS position of its EXIF when it had one.
 */
export function photoPicker(opts: { max: number; onPicked?: (photo: ShrunkPhoto) => void; onChange?: (count: number) => void }): PhotoPicker {
  const picked: Picked[] = [];
  const camera = h('input', { type: 'file', accept: 'image/*', capture: 'environment', class: 'visually-hidden', tabindex: -1, 'aria-hidden': 'true', name: 'camera' });
  const gallery = h('input', { type: 'file', accept: 'image/*', multiple: true, class: 'visually-hidden', tabindex: -1, 'aria-hidden': 'true', name: 'photos' });
  const takeButton = h('button', { type: 'button', class: 'secondary photo-take' }, t('takePhoto'));
  const chooseButton = h('button', { type: 'button', class: 'secondary photo-choose' }, t('choosePhoto'));
  const list = h('ul', { class: 'photo-picked' });
  const status = h('p', { class: 'hint photo-status', 'aria-live': 'polite' });
  takeButton.addEventListener('click', () => camera.click());
  chooseButton.addEventListener('click', () => gallery.click());

  const refresh = () => {
    const full = picked.length >= opts.max;
    takeButton.disabled = chooseButton.disabled = full;
    if (full) status.textContent = tf('photosMax', { max: opts.max });
    opts.onChange?.(picked.length);
  };
  const remove = (p: Picked) => {
    picked.splice(picked.indexOf(p), 1);
    if (p.url) URL.revokeObjectURL(p.url);
    p.li.remove();
    status.textContent = '';
    refresh();
  };
  const add = (file: File) => {
    const li = h('li', { class: 'preparing' }, h('span', { class: 'photo-wait' }, t('photoPreparing')));
    const p: Picked = { li, done: Promise.resolve(null) };
    const removeButton = h('button', { type: 'button', class: 'photo-remove', 'aria-label': t('removePhoto'), title: t('removePhoto') }, '×');
    removeButton.addEventListener('click', () => remove(p));
    li.append(removeButton);
    p.done = shrinkPhoto(file).then(
      (shrunk) => {
        p.shrunk = shrunk;
        p.url = URL.createObjectURL(shrunk.blob);
        li.classList.remove('preparing');
        li.querySelector('.photo-wait')?.replaceWith(h('img', { src: p.url, alt: shrunk.name, width: 96, height: 96 }));
        if (picked.includes(p)) {
          status.textContent = tf('photoAdded', { size: bytesText(shrunk.blob.size) });
          opts.onPicked?.(shrunk);
        }
        return shrunk;
      },
      () => {
        li.classList.remove('preparing');
        li.classList.add('failed');
        li.querySelector('.photo-wait')!.textContent = t('photoFailed');
        status.textContent = t('photoFailed');
        return null;
      },
    );
    picked.push(p);
    list.append(li);
  };
  const onFiles = (input: HTMLInputElement) => {
    const files = [...(input.files ?? [])];
    const room = opts.max - picked.length;
    for (const f of files.slice(0, room)) add(f);
    if (files.length > room) status.textContent = tf('photosMax', { max: opts.max });
    // The same photo may be picked again after it was removed.
    input.value = '';
    refresh();
  };
  camera.addEventListener('change', () => onFiles(camera));
  gallery.addEventListener('change', () => onFiles(gallery));

  const element = h('div', { class: 'photo-picker' }, h('div', { class: 'row photo-buttons' }, takeButton, chooseButton), camera, gallery, list, status);
  return {
    element,
    async photos() {
      const all = await Promise.all(picked.map((p) => p.done));
      return all.filter((s): s is ShrunkPhoto => s !== null);
    },
    count: () => picked.length,
    chooseFromGallery: () => {
      if (picked.length < opts.max) gallery.click();
    },
    clear() {
      for (const p of [...picked]) remove(p);
    },
  };
}
