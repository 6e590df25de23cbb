import QRCode from 'qrcode';
import { getJson } from '../api.js';
import { h } from '../dom.js';
import { nameOf, t } from '../i18n.js';
import type { Page } from '../page.js';

/** A grid's printable notice board: the public contacts and a QR code to the report form preset to the grid. */
export const boardPage: Page = async (root, { arg }) => {
  const grid = await getJson('/api/areas/{code}', { path: { code: arg } });
  const community = grid.properties.parent_code
    ? await getJson('/api/areas/{code}', { path: { code: grid.properties.parent_code } }).catch(() => null)
    : null;
  const reportUrl = `${location.origin}/#/report?grid=${encodeURIComponent(grid.properties.code)}`;
  const qr = await QRCode.toDataURL(reportUrl, { margin: 1, width: 320, errorCorrectionLevel: 'M' });
  const chief = grid.properties.chief;
  root.append(
    h('article', { class: 'board' },
      h('h1', {}, t('noticeBoard')),
      h('h2', {}, nameOf(grid.properties), ' ', h('small', {}, grid.properties.code)),
      community ? h('p', {}, t('community'), ': ', nameOf(community.properties)) : null,
      h('dl', {},
        h('dt', {}, t('chiefName')), h('dd', {}, chief ? nameOf(chief) : '—'),
        h('dt', {}, t('phone')), h('dd', {}, chief?.phone ?? '—')),
      h('figure', {}, h('img', { src: qr, alt: reportUrl, class: 'qr' }), h('figcaption', {}, t('scanToReport'), h('br', {}), h('small', {}, reportUrl))),
      h('button', { type: 'button', class: 'no-print', onclick: () => window.print() }, t('print'))),
  );
};
