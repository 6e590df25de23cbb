import { ApiError, getJson, postForm, postJson, queryString, type Answer, type Params, type Schema } from '../api.js';
import { errorText } from '../error_text.js';
import { assetListItem } from '../components/asset_details.js';
import { fill, h } from '../dom.js';
import { when } from '../format.js';
import { ASSET_STATUSES, assetStatus, nameOf, t } from '../i18n.js';
import { createMap, refreshPoints } from '../map/map_view.js';
import type { Page } from '../page.js';
import { requireRole } from '../page.js';

/** An asset as GET /api/assets lists it. */
type Asset = Schema<'Asset'>;

/** What POST /api/assets/import answers (and, for bad rows, its 422 problem carries). */
type ImportResult = Answer<'/api/assets/import', 'post'>;

/** The filters of GET /api/assets. */
type AssetQuery = NonNullable<Params<'/api/assets', 'get'>['query']>;

const PAGE_SIZE = 20;

/**
 * The asset ledger and import: assets filtered by category, status and grid, a page at a time, on the map
 * too; for admins and planners, a file of assets checked first (every bad row by line) and then imported.
 */
export const assetsPage: Page = async (root) => {
  const user = await requireRole(root, ['admin', 'planner', 'community', 'chief', 'department']);
  if (!user) return;
  const categories = await getJson('/api/asset-categories').catch(() => []);
  const category = h('select', { name: 'category', 'aria-label': t('allCategories') }, h('option', { value: '' }, t('allCategories')), ...categories.map((c) => h('option', { value: c.code }, `${c.code} ${nameOf(c)}`)));
  const status = h('select', { name: 'status', 'aria-label': t('allStatuses') }, h('option', { value: '' }, t('allStatuses')), ...ASSET_STATUSES.map((s) => h('option', { value: s }, assetStatus(s))));
  const grid = h('input', { name: 'grid', placeholder: t('gridCode'), 'aria-label': t('gridCode') });
  const code = h('input', { name: 'code', type: 'search', placeholder: t('assetCode'), 'aria-label': t('assetCode') });
  const total = h('p', { class: 'total', 'aria-live': 'polite' });
  const list = h('ul', { class: 'asset-list', id: 'ledger' });
  const prev = h('button', { type: 'button', 'aria-label': t('previousPage') }, '‹');
  const next = h('button', { type: 'button', 'aria-label': t('nextPage') }, '›');
  const mapEl = h('div', { class: 'map', id: 'assets-map' });
  const side = h('aside', { class: 'panel wide' },
    h('h2', {}, t('ledger')),
    h('div', { class: 'row filters' }, category, status, grid, code),
    total, list, h('div', { class: 'row' }, prev, next));
  root.append(mapEl, side);
  const map = createMap(mapEl);
  // Adding and importing are for admins and planners: at the top, folded, so that the ledger stays in view.
  if (['admin', 'planner'].includes(user.role)) side.prepend(addForm(), importForm());

  let offset = 0;
  const filters = (): AssetQuery => ({ category: category.value || undefined, status: status.value || undefined, grid: grid.value.trim() || undefined });
  /** The map's filters as a tile query. */
  const tileQuery = () => queryString(filters());
  async function load() {
    // The list's query: the map's filters, and asset codes (exact, as on their plates).
    const query = { ...filters(), code: code.value.trim() || undefined, limit: PAGE_SIZE, offset };
    try {
      const page = await getJson('/api/assets', { query });
      total.textContent = page.total ? `${offset + 1}–${offset + page.items.length} / ${page.total}` : t('none');
      fill(list, ...page.items.map(item));
      prev.disabled = offset === 0;
      next.disabled = offset + page.items.length >= page.total;
    } catch (err) {
      total.textContent = '';
      fill(list, h('li', { class: 'error' }, errorText(err)));
    }
    // The map shows what the list shows (tiles take category and status; a grid filter too).
    refreshPoints(map, 'assets', tileQuery());
  }
  /** A row of the ledger: the asset on the map, and its details. */
  const item = (a: Asset) =>
    assetListItem(a, () => `${a.code} · ${currentName(a)} · ${assetStatus(a.status)} · ${a.grid_code ?? '—'}`, map, tileQuery, h('small', {}, ` ${when(a.updated_at)}`));
  const currentName = (a: Asset) => nameOf({ name: a.category_name ?? a.category_code, name_en: a.category_name_en });
  const reload = () => {
    offset = 0;
    void load();
  };
  category.addEventListener('change', reload);
  status.addEventListener('change', reload);
  grid.addEventListener('change', reload);
  code.addEventListener('change', reload);
  prev.addEventListener('click', () => {
    offset = Math.max(0, offset - PAGE_SIZE);
    void load();
  });
  next.addEventListener('click', () => {
    offset += PAGE_SIZE;
    void load();
  });
  map.once('load', () => void load());

  /** Add one asset: its place picked on the map, its code and category typed; the server gives it its grid. */
  function addForm(): HTMLElement {
    const where = h('p', { class: 'hint' }, t('pickOnMap'));
    const newCode = h('input', { name: 'new-code', placeholder: t('assetCode'), 'aria-label': t('assetCode') });
    const newCategory = h('select', { name: 'new-category', 'aria-label': t('category') }, ...categories.map((c) => h('option', { value: c.code }, `${c.code} ${nameOf(c)}`)));
    const save = h('button', { type: 'button', disabled: true }, t('addAsset'));
    const addMsg = h('p', { class: 'error', role: 'alert' });
    const form = h('details', { class: 'import add-asset' }, h('summary', {}, t('addAsset')), where, h('div', { class: 'row' }, newCode, newCategory), save, addMsg);
    let at: [number, number] | undefined;
    map.on('click', (e) => {
      if (!form.open) return;
      at = [Math.round(e.lngLat.lng * 1e7) / 1e7, Math.round(e.lngLat.lat * 1e7) / 1e7];
      where.textContent = `${t('position')}: ${at[0]}, ${at[1]}`;
      save.disabled = false;
    });
    save.addEventListener('click', async () => {
      addMsg.textContent = '';
      if (!at || !newCode.value.trim()) {
        addMsg.textContent = t('codeAndPlace');
        return;
      }
      try {
        const a = await postJson('/api/assets', { body: { type: 'Feature', properties: { code: newCode.value.trim(), category_code: newCategory.value }, geometry: { type: 'Point', coordinates: at } } });
        // Show it: the ledger finds it by its code.
        code.value = a.code;
        newCode.value = '';
        reload();
      } catch (err) {
        addMsg.textContent = errorText(err);
      }
    });
    return form;
  }

  /** Check a file (a dry run: every bad row by line), then import it, all or nothing or skipping bad rows. */
  function importForm(): HTMLElement {
    const file = h('input', { type: 'file', name: 'file', accept: '.csv,.txt,.geojson,.json,.geojsonl,.geojsons,.ndjson,.jsonl' });
    const skip = h('input', { type: 'checkbox', name: 'skip_invalid' });
    const checkButton = h('button', { type: 'button', disabled: true }, t('checkFile'));
    const importButton = h('button', { type: 'button', disabled: true }, t('importFile'));
    const progress = h('progress', { max: 1, value: 0, hidden: true });
    const out = h('div', { class: 'import-result', 'aria-live': 'polite' });
    let checked: File | undefined;

    async function send(dryRun: boolean) {
      const f = file.files?.[0];
      if (!f) return;
      const form = new FormData();
      form.set('file', f);
      checkButton.disabled = importButton.disabled = true;
      progress.hidden = false;
      progress.removeAttribute('value');
      fill(out, h('p', {}, dryRun ? t('checking') : t('importing')));
      try {
        const query = { dry_run: dryRun ? 'true' : undefined, skip_invalid: skip.checked ? 'true' : undefined } as const;
        const r = await postForm('/api/assets/import', { query, body: form }, (sent) => {
          if (sent < 1) progress.value = sent;
          else progress.removeAttribute('value');
        });
        showResult(r, dryRun);
        checked = dryRun && (r.error_count === 0 || skip.checked) ? f : undefined;
        if (!dryRun && r.imported) reload();
      } catch (err) {
        checked = undefined;
        if (err instanceof ApiError && err.status === 422 && err.body) showResult(err.body as unknown as ImportResult, dryRun, err.message);
        else fill(out, h('p', { class: 'error' }, errorText(err)));
      } finally {
        progress.hidden = true;
        checkButton.disabled = !file.files?.length;
        importButton.disabled = !checked || checked !== file.files?.[0];
      }
    }

    function showResult(r: ImportResult, dryRun: boolean, problem?: string) {
      const summary = dryRun
        ? `${t('rowsChecked')}: ${r.rows} · ${t('goodRows')}: ${r.valid_rows} · ${t('badRows')}: ${r.error_count} · ${t('grids')}: ${r.grids}`
        : `${t('imported')}: ${r.imported} / ${r.rows} · ${t('badRows')}: ${r.error_count} · ${r.seconds.total.toFixed(1)} s`;
      fill(out,
        h('p', { class: r.error_count && !r.imported ? 'error' : undefined }, summary),
        problem ? h('p', { class: 'error' }, problem) : null,
        r.error_count
          ? h('table', { class: 'bad-rows' },
              h('thead', {}, h('tr', {}, h('th', {}, t('line')), h('th', {}, t('code')), h('th', {}, t('reason')))),
              h('tbody', {}, ...r.errors.map((e) => h('tr', {}, h('td', {}, e.line), h('td', {}, e.code ?? ''), h('td', {}, e.reason)))))
          : null,
        r.error_count > r.errors.length ? h('p', {}, `… ${r.error_count - r.errors.length} ${t('more')}`) : null);
    }

    file.addEventListener('change', () => {
      checked = undefined;
      checkButton.disabled = !file.files?.length;
      importButton.disabled = true;
      fill(out);
    });
    skip.addEventListener('change', () => {
      checked = undefined;
      importButton.disabled = true;
    });
    checkButton.addEventListener('click', () => void send(true));
    importButton.addEventListener('click', () => void send(false));
    return h('details', { class: 'import' },
      h('summary', {}, t('importAssets')),
      h('p', { class: 'hint' }, t('importHint')),
      h('label', {}, t('assetFile'), file),
      h('label', {}, skip, t('skipBadRows')),
      h('div', { class: 'row' }, checkButton, importButton),
      progress, out);
  }

  return () => map.remove();
};
