import { ApiError } from '../api.js';
import { RATINGS, photoUrlWithCode, publicCase, rateCase, type PublicCase, type PublicDetails, type Rating } from '../api/public_contract.js';
import { categoryIcon } from '../components/category_tiles.js';
import { photoStrip } from '../components/photo_strip.js';
import { fill, h } from '../dom.js';
import { errorText } from '../error_text.js';
import { whenShort } from '../format.js';
import { nameOf, t, tf } from '../i18n.js';
import type { Page } from '../page.js';
import { loadMyReports, trackHref, updateMyReports, withStatus, type MyReport } from './my_reports.js';
import { statusText, timeline } from './timeline.js';
import './resident.css';

/** Case numbers as the server gives them (server/incidents/schema.ts caseNoParams). */
const CASE_NO = /^\d{8,20}$/;

/** How many of "my reports" have their status asked again when the list is shown. */
const REFRESH_AT_MOST = 20;

/**
 * Follow a report: by its case number the status and a timeline in plain words; with the check code of the
 * receipt (`?k=`) also the resident's own words and photos, the after-photo, the closure and a rating.
 * Without a case number: the lookup form and "my reports" kept on this device.
 */
export const trackPage: Page = async (root, { arg, query }) => {
  const k = (query.get('k') ?? '').trim().toUpperCase();
  if (!arg) {
    // A resident coming back finds their reports first; someone with a receipt, the lookup.
    const cards = [lookupCard(), myReportsCard()];
    root.append(...(loadMyReports().length ? cards.reverse() : cards));
    return;
  }
  const out = h('section', { class: 'card resident track', 'aria-live': 'polite' }, h('p', { class: 'hint' }, t('loading')));
  root.append(out, h('p', { class: 'resident track-more' }, h('a', { class: 'button secondary', href: '#/track' }, t('otherReports'))));
  if (!CASE_NO.test(arg)) {
    fill(out, h('p', { class: 'error', role: 'alert' }, t('caseNoInvalid')));
    return;
  }
  let view: PublicCase;
  let codeWrong = false;
  try {
    view = await publicCase(arg, k);
  } catch (err) {
    if (!(k && err instanceof ApiError && err.status === 403)) {
      fill(out, h('p', { class: 'error', role: 'alert' }, errorText(err)));
      return;
    }
    // A wrong check code still shows the status, as the case number alone does.
    codeWrong = true;
    try {
      view = await publicCase(arg);
    } catch (again) {
      fill(out, h('p', { class: 'error', role: 'alert' }, errorText(again)));
      return;
    }
  }
  updateMyReports((list) => withStatus(list, view.case_no, view.status, view.level));
  fill(out, ...caseView(view, codeWrong ? '' : k, codeWrong));
};

/** The case as the resident sees it: where it stands, the timeline, and the details the check code opens. */
function caseView(v: PublicCase, k: string, codeWrong: boolean): (Node | null)[] {
  const steps = timeline(v.history);
  const people = (v.supporters ?? 0) > 0 ? tf('supportersText', { n: (v.supporters ?? 0) + 1 }) : null;
  const details = v.details ?? null;
  return [
    h('div', { class: 'case-head' }, categoryIcon(v.category.code, 40), h('div', {},
      h('h2', {}, nameOf(v.category)),
      h('p', { class: `status-line status-${v.status}` }, statusText(v.status, v.level, v.history)))),
    codeWrong ? h('p', { class: 'error', role: 'alert' }, t('checkCodeWrong')) : null,
    h('dl', { class: 'case-facts' },
      h('dt', {}, t('caseNo')), h('dd', { class: 'case-no' }, v.case_no),
      v.grid ? h('dt', {}, t('inGrid')) : null, v.grid ? h('dd', {}, v.grid.name) : null,
      h('dt', {}, t('reportedAt')), h('dd', {}, whenShort(v.reported_at)),
      v.status === 'open' || v.status === 'handled' ? h('dt', {}, t('dueAt')) : null,
      v.status === 'open' || v.status === 'handled' ? h('dd', {}, whenShort(v.due_at)) : null,
      v.closed_at ? h('dt', {}, t('closedAt')) : null, v.closed_at ? h('dd', {}, whenShort(v.closed_at)) : null),
    people ? h('p', { class: 'supporters' }, people) : null,
    h('h3', {}, t('history')),
    h('ol', { class: 'timeline' }, ...steps.map((s, i) => h('li', { class: i === steps.length - 1 ? 'current' : undefined, 'data-action': s.action },
      h('time', { datetime: s.at }, whenShort(s.at)),
      h('span', { class: 'what' }, s.what),
      s.who ? h('span', { class: 'who' }, tf('withHolder', { who: s.who })) : null))),
    ...(details ? detailsView(v, details, k) : k ? [] : [codeForm(v.case_no)]),
  ];
}

/** What the check code opens: the resident's words and photos, the photos of the handling, the closure and the rating. */
function detailsView(v: PublicCase, d: PublicDetails, k: string): Node[] {
  const photos = d.photos.map((p) => ({ ...p, url: photoUrlWithCode(p.url, k), thumb_url: photoUrlWithCode(p.thumb_url, k) }));
  const rating = d.rating;
  return [
    d.description ? h('h3', {}, t('yourWords')) : null,
    d.description ? h('p', { class: 'description' }, d.description) : null,
    photos.length ? h('h3', {}, t('photosHeading')) : null,
    photos.length ? photoStrip(photos) : null,
    d.closure_note ? h('h3', {}, t('closureNote')) : null,
    d.closure_note ? h('p', { class: 'closure-note' }, d.closure_note) : null,
    v.status === 'closed' ? (rating ? h('p', { class: 'rated' }, tf('yourRating', { rating: t(rating) })) : ratingForm(v.case_no, k)) : null,
  ].filter((n): n is HTMLElement => n !== null);
}

/** A form for the check code, to open the details of a case shown by its number alone. */
function codeForm(caseNo: string): HTMLElement {
  const code = h('input', { name: 'k', autocomplete: 'off', autocapitalize: 'characters', maxlength: 12, class: 'code-input' });
  const form = h('form', { class: 'code-form' },
    h('p', { class: 'hint' }, t('detailsNeedCode')),
    h('label', {}, t('checkCode'), code),
    h('button', { type: 'submit', class: 'primary' }, t('showDetails')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (code.value.trim()) location.hash = trackHref(caseNo, code.value.trim().toUpperCase());
  });
  return form;
}

/** The rating of a closed case: three big choices, a comment, and what happened to it. */
function ratingForm(caseNo: string, k: string): HTMLElement {
  let chosen: Rating | null = null;
  const choices = RATINGS.map((r) => {
    const b = h('button', { type: 'button', class: `rating-choice rating-${r}`, 'data-rating': r, 'aria-pressed': 'false' }, t(r));
    b.addEventListener('click', () => {
      chosen = r;
      for (const c of choices) c.setAttribute('aria-pressed', String(c === b));
    });
    return b;
  });
  const comment = h('textarea', { name: 'comment', rows: 2, maxlength: 500 });
  const msg = h('p', { class: 'error', role: 'alert' });
  const send = h('button', { type: 'submit', class: 'primary' }, t('rateSend'));
  const form = h('form', { class: 'rating' },
    h('h3', {}, t('rateTitle')),
    h('div', { class: 'rating-choices', role: 'group', 'aria-label': t('rateTitle') }, ...choices),
    h('label', {}, t('rateComment'), comment),
    msg, send);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.textContent = '';
    if (!chosen) {
      msg.textContent = t('rateChoose');
      return;
    }
    send.disabled = true;
    try {
      const res = await rateCase(caseNo, { k, rating: chosen, ...(comment.value.trim() ? { comment: comment.value.trim() } : {}) });
      if (!res) {
        form.replaceWith(h('p', { class: 'hint' }, t('ratingUnavailable')));
        return;
      }
      form.replaceWith(h('div', { class: 'rated', role: 'status' }, h('p', {}, t('rated')), h('p', {}, tf('yourRating', { rating: t(res.rating) }))));
    } catch (err) {
      msg.textContent = errorText(err);
      send.disabled = false;
    }
  });
  return form;
}

/** Look a case up by its number (and check code). */
function lookupCard(): HTMLElement {
  const number = h('input', { name: 'case_no', inputmode: 'numeric', autocomplete: 'off', placeholder: t('trackPrompt'), maxlength: 20 });
  const code = h('input', { name: 'k', autocomplete: 'off', autocapitalize: 'characters', maxlength: 12, class: 'code-input' });
  const msg = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'card resident lookup' },
    h('h2', {}, t('track')),
    h('label', {}, t('caseNo'), number),
    h('label', {}, t('checkCodeOptional'), code),
    msg,
    h('button', { type: 'submit', class: 'primary' }, t('trackButton')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const n = number.value.replace(/\s/g, '');
    if (!CASE_NO.test(n)) {
      msg.textContent = t('caseNoInvalid');
      number.focus();
      return;
    }
    location.hash = trackHref(n, code.value.trim().toUpperCase() || null);
  });
  return form;
}

/** The reports kept on this device, each with its status, asked again of the server. */
function myReportsCard(): HTMLElement {
  const reports = loadMyReports();
  const list = h('ul', { class: 'my-reports' }, ...reports.map(myReportItem));
  const card = h('section', { class: 'card resident my-reports-card' },
    h('h2', {}, t('myReports')),
    reports.length ? list : h('p', { class: 'hint' }, t('myReportsNone')),
    h('p', { class: 'hint' }, t('myReportsHint')));
  for (const r of reports.slice(0, REFRESH_AT_MOST)) {
    publicCase(r.case_no).then((v) => {
      updateMyReports((l) => withStatus(l, v.case_no, v.status, v.level));
      const line = list.querySelector(`li[data-case="${v.case_no}"] .status-line`);
      if (line) {
        line.className = `status-line status-${v.status}`;
        line.replaceChildren(statusText(v.status, v.level, v.history));
      }
    }, () => undefined);
  }
  return card;
}

/** One of "my reports": what, where it stands, when; a tap opens it (with its check code). */
function myReportItem(r: MyReport): HTMLElement {
  return h('li', { 'data-case': r.case_no },
    h('a', { href: trackHref(r.case_no, r.check_code), class: 'my-report' },
      categoryIcon(r.category.code, 32),
      h('span', { class: 'my-report-text' },
        h('b', {}, nameOf(r.category)), r.joined ? h('small', { class: 'badge' }, t('joinedCase')) : null,
        h('span', { class: `status-line status-${r.status ?? 'open'}` }, r.status ? statusText(r.status, r.level ?? 'grid') : t('loading')),
        h('small', {}, `${t('caseNo')} ${r.case_no} · ${whenShort(r.reported_at)}`))));
}
