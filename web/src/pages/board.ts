import QRCode from 'qrcode';
import { getJson, type Schema } from '../api.js';
import { emergencyPhones } from '../components/category_tiles.js';
import { fill, h } from '../dom.js';
import { errorText } from '../error_text.js';
import { nameOf, t } from '../i18n.js';
import { loadSettings, publicBase } from '../settings.js';
import type { Page } from '../page.js';
import './resident.css';

/**
 * A grid's notice board: on a phone (opened from its QR code) a big button to report a problem and the
 * phone numbers to tap; printed, the public contacts and the QR code to the report form preset to the grid.
 */
export const boardPage: Page = async (root, { arg }) => {
  const board = h('article', { class: 'board resident' }, h('p', { class: 'hint' }, t('loading')));
  root.append(board);
  let grid: Schema<'AreaFeature'>;
  try {
    grid = await getJson('/api/areas/{code}', { path: { code: arg } });
  } catch (err) {
    board.replaceChildren(h('p', { class: 'error', role: 'alert' }, errorText(err)));
    return;
  }
  const community = grid.properties.parent_code
    ? await getJson('/api/areas/{code}', { path: { code: grid.properties.parent_code } }).catch(() => null)
    : null;
  const reportHash = `#/report?grid=${encodeURIComponent(grid.properties.code)}`;
  // Printed, the code is scanned on residents' phones: it carries the server's public address (PUBLIC_URL), not the one the printing browser used.
  const reportUrl = `${publicBase(await loadSettings())}/${reportHash}`;
  const qr = await QRCode.toDataURL(reportUrl, { margin: 1, width: 320, errorCorrectionLevel: 'M' });
  const chief = grid.properties.chief;
  const phone = chief?.phone ?? null;
  fill(board,
    h('h1', {}, t('noticeBoard')),
    h('h2', {}, nameOf(grid.properties)),
    community ? h('p', {}, t('community'), '：', nameOf(community.properties)) : null,
    h('a', { class: 'button primary big report-button no-print', href: reportHash }, t('reportTitle')),
    h('dl', { class: 'contacts' },
      h('dt', {}, t('chiefName')), h('dd', {}, chief ? nameOf(chief) : '—'),
      h('dt', {}, t('phone')), h('dd', {}, phone ? h('a', { href: `tel:${phone.replace(/[^\d+]/g, '')}`, class: 'tel' }, phone) : '—')),
    h('div', { class: 'emergency-box' }, h('h3', {}, t('emergencyPhones')), emergencyPhones()),
    h('figure', {}, h('img', { src: qr, alt: reportUrl, class: 'qr' }), h('figcaption', {}, t('scanToReport'), h('small', { class: 'print-only' }, reportUrl))),
    h('p', { class: 'board-links no-print' },
      h('a', { class: 'button secondary', href: '#/track' }, t('myReports')),
      h('button', { type: 'button', class: 'secondary', onclick: () => window.print() }, t('print'))),
  );
};
