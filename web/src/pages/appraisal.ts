import type { ExpressionSpecification } from 'maplibre-gl';
import { getJson, type Answer, type Params, type Schema } from '../api.js';
import { fill, h } from '../dom.js';
import { figureText, monthOf, percent, when } from '../format.js';
import { t, word, type Key } from '../i18n.js';
import { createMap } from '../map/map_view.js';
import type { Page } from '../page.js';
import { requireRole } from '../page.js';
import './appraisal.css';

/** Row kinds of GET /api/appraisal. */
type By = Schema<'Appraisal'>['by'];
const KINDS: readonly By[] = ['chief', 'grid', 'community', 'department'];

/** Figures that list their incidents at /api/appraisal/items. */
type CountFigure = Params<'/api/appraisal/items', 'get'>['query']['figure'];

/** One row of GET /api/appraisal. */
type Row = Schema<'AppraisalRow'>;
type Appraisal = Schema<'Appraisal'>;
type Trend = Answer<'/api/appraisal/trend', 'get'>;
type Figures = Pick<Row, 'found' | 'missed' | 'handled' | 'closure_rate' | 'on_time_rate' | 'rework' | 'overdue'>;

/** The figures a score can be: rates are 0–1; for counts marked `lowerIsBetter`, fewer is better. */
type ScoreFigure = keyof Figures;
const SCORES: { figure: ScoreFigure; label: Key; rate?: boolean; lowerIsBetter?: boolean }[] = [
  { figure: 'closure_rate', label: 'closureRate', rate: true },
  { figure: 'on_time_rate', label: 'onTimeRate', rate: true },
  { figure: 'handled', label: 'handledCount' },
  { figure: 'found', label: 'found' },
  { figure: 'overdue', label: 'overdue', lowerIsBetter: true },
  { figure: 'missed', label: 'missed', lowerIsBetter: true },
  { figure: 'rework', label: 'rework', lowerIsBetter: true },
];

/** Table columns: what they show, how they sort, and which incident list a click opens. */
type ColumnKey = 'rank' | 'name' | ScoreFigure | 'patrol_coverage' | 'target_met';
const COLUMNS: { key: ColumnKey; label: Key; items?: CountFigure; rate?: boolean }[] = [
  { key: 'rank', label: 'rank' },
  { key: 'name', label: 'rowName' },
  { key: 'closure_rate', label: 'closureRate', items: 'closed', rate: true },
  { key: 'on_time_rate', label: 'onTimeRate', items: 'closed_on_time', rate: true },
  { key: 'found', label: 'found', items: 'found' },
  { key: 'handled', label: 'handledCount', items: 'handled' },
  { key: 'rework', label: 'rework', items: 'rework' },
  { key: 'overdue', label: 'overdue', items: 'overdue' },
  { key: 'missed', label: 'missed', items: 'missed' },
  { key: 'patrol_coverage', label: 'patrolCoverage', rate: true },
  { key: 'target_met', label: 'targetMet', items: 'handled' },
];

const BY_LABELS: Record<By, Key> = { chief: 'chief', grid: 'byGrid', community: 'community', department: 'department' };

/** Colour of a 0–1 goodness: red (worse) through yellow to green (better). */
export function ramp(x: number): string {
  const stops: [number, number, number][] = [[215, 48, 39], [254, 224, 139], [26, 152, 80]];
  const v = Math.min(1, Math.max(0, x)) * 2;
  const i = Math.min(1, Math.floor(v));
  const f = v - i;
  const [a, b] = [stops[i], stops[i + 1]];
  return `rgb(${a.map((c, k) => Math.round(c + (b[k] - c) * f)).join(',')})`;
}

/** Goodness (0–1) of each row for a score: rates as they are, counts against the largest. */
function goodness(rows: Row[], score: (typeof SCORES)[number]): Map<string, number> {
  const out = new Map<string, number>();
  const max = Math.max(1, ...rows.map((r) => r[score.figure] ?? 0));
  for (const r of rows) {
    const v = r[score.figure];
    if (v === null) continue;
    const g = score.rate ? v : v / max;
    out.set(r.key, score.lowerIsBetter ? 1 - g : g);
  }
  return out;
}

/** Colour of an area whose row has no value for the score. */
const NO_DATA = '#c8ced6';

const SVG = 'http://www.w3.org/2000/svg';
/** A tiny SVG element builder. */
function s(tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** A horizontal bar chart of the rows by a score, largest first (at most 15 bars), coloured by how good the value is. */
function barChart(rows: Row[], score: (typeof SCORES)[number]): SVGElement {
  const g = goodness(rows, score);
  const shown = rows.filter((r) => r[score.figure] !== null)
    .sort((a, b) => (b[score.figure] ?? 0) - (a[score.figure] ?? 0) || a.code.localeCompare(b.code))
    .slice(0, 15);
  const W = 480, bar = 20, gap = 6, left = 150, right = 60;
  const H = Math.max(1, shown.length) * (bar + gap) + gap;
  const max = score.rate ? 1 : Math.max(1, ...shown.map((r) => r[score.figure] ?? 0));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart bars', role: 'img', 'aria-label': t(score.label) });
  shown.forEach((r, i) => {
    const v = r[score.figure] ?? 0;
    const y = gap + i * (bar + gap);
    const w = ((W - left - right) * v) / max;
    svg.append(
      s('text', { x: left - 6, y: y + bar * 0.7, 'text-anchor': 'end', class: 'label' }, r.name.length > 12 ? `${r.name.slice(0, 11)}…` : r.name),
      s('rect', { x: left, y, width: Math.max(1, w), height: bar, fill: ramp(g.get(r.key) ?? 0) }, s('title', {}, `${r.name}: ${figureText(v, score.rate)}`)),
      s('text', { x: left + w + 4, y: y + bar * 0.7, class: 'value' }, figureText(v, score.rate)),
    );
  });
  if (!shown.length) svg.append(s('text', { x: W / 2, y: 18, 'text-anchor': 'middle', class: 'label' }, t('none')));
  return svg;
}

/** A line chart of a score month by month. */
function lineChart(trend: Trend, score: (typeof SCORES)[number]): SVGElement {
  const W = 480, H = 220, left = 44, right = 22, top = 12, bottom = 28;
  const points = trend.months.map((m) => m[score.figure]);
  const max = score.rate ? 1 : Math.max(1, ...points.map((v) => v ?? 0));
  const x = (i: number) => left + (trend.months.length < 2 ? (W - left - right) / 2 : (i * (W - left - right)) / (trend.months.length - 1));
  const y = (v: number) => top + (H - top - bottom) * (1 - v / max);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart line', role: 'img', 'aria-label': t(score.label) });
  for (const f of [0, 0.5, 1]) {
    svg.append(
      s('line', { x1: left, x2: W - right, y1: y(max * f), y2: y(max * f), class: 'grid' }),
      s('text', { x: left - 4, y: y(max * f) + 4, 'text-anchor': 'end', class: 'label' }, score.rate ? percent(f) : String(+(max * f).toFixed(1))),
    );
  }
  let d = '';
  points.forEach((v, i) => {
    if (v === null) return;
    d += `${d && points[i - 1] !== null ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
  });
  svg.append(s('path', { d, class: 'series' }));
  trend.months.forEach((m, i) => {
    svg.append(s('text', { x: x(i), y: H - 8, 'text-anchor': 'middle', class: 'label' }, m.month.slice(2)));
    const v = m[score.figure];
    if (v !== null) svg.append(s('circle', { cx: x(i), cy: y(v), r: 3.5, class: 'dot' }, s('title', {}, `${m.month}: ${figureText(v, score.rate)}`)));
  });
  return svg;
}

/** The appraisal dashboard: ranked table, incidents behind each figure, ranking and trend charts, grids coloured by score. */
export const appraisalPage: Page = async (root, { query }) => {
  const user = await requireRole(root, ['admin', 'planner', 'community', 'chief', 'department']);
  if (!user) return;
  const monthInput = h('input', { type: 'month', name: 'month', value: /^\d{4}-\d{2}$/.test(query.get('month') ?? '') ? query.get('month')! : monthOf(new Date()), 'aria-label': t('month'), required: true });
  const kinds: readonly By[] = user.role === 'department' ? ['department'] : KINDS;
  const wanted = query.get('by') as By | null;
  const bySelect = h('select', { name: 'by', 'aria-label': t('by') }, ...kinds.map((k) => h('option', { value: k, selected: k === wanted }, t(BY_LABELS[k]))));
  const scoreSelect = h('select', { name: 'score', 'aria-label': t('score') }, ...SCORES.map((sc) => h('option', { value: sc.figure }, t(sc.label))));
  const csv = h('a', { class: 'button', download: '' }, t('downloadCsv'));
  const xlsx = h('a', { class: 'button', download: '' }, t('downloadXlsx'));
  const status = h('p', { class: 'status', 'aria-live': 'polite' });
  const table = h('table', { class: 'appraisal-table', id: 'appraisal-table' });
  const itemsBox = h('section', { class: 'appraisal-items', id: 'appraisal-items', hidden: true });
  const bars = h('figure', { class: 'chart-box' });
  const trendBox = h('figure', { class: 'chart-box', id: 'appraisal-trend' });
  const mapEl = h('div', { class: 'map appraisal-map', id: 'appraisal-map' });
  const mapNote = h('p', { class: 'note' });
  const mapLegend = h('div', { class: 'score-legend' }, h('span', {}, t('worse')), h('i', {}), h('span', {}, t('better')), h('b', { style: `background:${NO_DATA}` }), h('span', {}, t('noData')));

  root.append(
    h('h2', {}, t('appraisal')),
    h('div', { class: 'row toolbar' },
      h('label', {}, t('month'), ' ', monthInput), h('label', {}, t('by'), ' ', bySelect), h('label', {}, t('score'), ' ', scoreSelect), csv, xlsx),
    status,
    h('div', { class: 'appraisal-grid' },
      h('section', { class: 'table-box' }, h('div', { class: 'scroll' }, table), itemsBox),
      h('div', { class: 'side' },
        h('section', { class: 'map-box' }, h('h3', {}, t('scoreMap')), mapEl, mapLegend, mapNote),
        h('section', {}, h('h3', {}, t('ranking')), bars),
        h('section', {}, h('h3', {}, t('trend')), trendBox))),
  );

  const map = createMap(mapEl);
  const mapLoaded = new Promise<void>((resolve) => map.once('load', () => resolve()));
  let data: Appraisal | null = null;
  let sort: { key: ColumnKey; dir: 1 | -1 } = { key: 'rank', dir: 1 };
  let selected: string | null = null;
  const score = () => SCORES.find((sc) => sc.figure === scoreSelect.value) ?? SCORES[0];

  async function load(): Promise<void> {
    const month = monthInput.value;
    if (!/^\d{4}-\d{2}$/.test(month)) return;
    const query = { month, by: bySelect.value as By };
    const q = new URLSearchParams(query);
    history.replaceState(null, '', `#/appraisal?${q}`);
    csv.setAttribute('href', `/api/appraisal/export.csv?${q}`);
    xlsx.setAttribute('href', `/api/appraisal/export.xlsx?${q}`);
    status.textContent = t('loading');
    try {
      data = await getJson('/api/appraisal', { query });
      status.textContent = `${data.month} · ${data.rows.length} ${t('rowsCount')}`;
    } catch (err) {
      data = null;
      status.textContent = `${t('error')}: ${(err as Error).message}`;
      status.className = 'status error';
      return;
    }
    status.className = 'status';
    itemsBox.hidden = true;
    selected = data.rows[0]?.key ?? null;
    drawTable();
    drawCharts();
    void loadTrend();
    await colourMap();
  }

  function sortedRows(): Row[] {
    const rows = [...(data?.rows ?? [])];
    const { key, dir } = sort;
    const val = (r: Row): number | string => {
      const v = r[key];
      if (typeof v === 'string') return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      return v ?? -Infinity;
    };
    return rows.sort((a, b) => {
      const [x, y] = [val(a), val(b)];
      const c = typeof x === 'string' || typeof y === 'string' ? String(x).localeCompare(String(y)) : x - y;
      return c * dir || a.rank - b.rank;
    });
  }

  function drawTable(): void {
    const head = h('tr', {}, ...COLUMNS.map((c) => {
      const th = h('th', { scope: 'col', 'aria-sort': sort.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined, title: data?.definitions[c.key] },
        h('button', { type: 'button', class: 'link', 'data-sort': c.key }, t(c.label), sort.key === c.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''));
      th.querySelector('button')!.addEventListener('click', () => {
        // Numbers sort largest first on the first click; rank and name sort ascending.
        const first: 1 | -1 = c.key === 'rank' || c.key === 'name' ? 1 : -1;
        sort = { key: c.key, dir: sort.key === c.key ? (-sort.dir as 1 | -1) : first };
        drawTable();
      });
      return th;
    }));
    const body = sortedRows().map((r) => {
      const tr = h('tr', { 'data-key': r.key, class: r.key === selected ? 'selected' : undefined });
      for (const c of COLUMNS) {
        if (c.key === 'rank') tr.append(h('td', { class: 'num' }, r.rank));
        else if (c.key === 'name') {
          const b = h('button', { type: 'button', class: 'link', title: t('trend') }, r.name);
          b.addEventListener('click', () => {
            selected = r.key;
            drawTable();
            void loadTrend();
          });
          tr.append(h('th', { scope: 'row' }, b, r.code !== r.name ? h('small', {}, ` ${r.code}`) : null));
        } else {
          const text = figureText(r[c.key], c.rate);
          const td = h('td', { class: c.key === 'target_met' ? `met ${r.target_met === false ? 'bad' : ''}` : 'num' });
          if (c.items && text !== '—') {
            const b = h('button', { type: 'button', class: 'link', 'data-figure': c.items }, text);
            b.addEventListener('click', () => void showItems(r, c.items!, t(c.label)));
            td.append(b);
          } else td.append(text);
          tr.append(td);
        }
      }
      return tr;
    });
    fill(table, h('thead', {}, head), h('tbody', {}, ...(body.length ? body : [h('tr', {}, h('td', { colspan: COLUMNS.length }, t('none')))])));
  }

  async function showItems(r: Row, figure: CountFigure, label: string): Promise<void> {
    itemsBox.hidden = false;
    fill(itemsBox, h('p', {}, t('loading')));
    const close = h('button', { type: 'button', class: 'link' }, t('close'));
    close.addEventListener('click', () => (itemsBox.hidden = true));
    try {
      const res = await getJson('/api/appraisal/items', { query: { month: monthInput.value, by: bySelect.value as By, key: r.key, figure, limit: 200 } });
      fill(itemsBox,
        h('h3', {}, `${r.name} · ${label} · ${t('itemsBehind')} (${res.total}) `, close),
        h('p', { class: 'note' }, res.definition),
        res.items.length
          ? h('ul', { class: 'incident-list' }, ...res.items.map((i) => h('li', { 'data-case': i.case_no },
            h('a', { href: `#/track/${encodeURIComponent(i.case_no)}` }, i.case_no), ` · ${word(i.status)} · ${i.grid_code ?? ''} · `,
            h('small', {}, `${t('reportedAt')} ${when(i.reported_at)}${typeof i.due_at === 'string' ? ` · ${t('dueAt')} ${when(i.due_at)}` : ''}`))))
          : h('p', {}, t('none')));
    } catch (err) {
      fill(itemsBox, h('p', { class: 'error' }, `${t('error')}: ${(err as Error).message}`), close);
    }
  }

  function drawCharts(): void {
    fill(bars, barChart(data?.rows ?? [], score()), h('figcaption', {}, t(score().label)));
  }

  let trendSeq = 0;
  async function loadTrend(): Promise<void> {
    const row = data?.rows.find((r) => r.key === selected);
    if (!row) {
      fill(trendBox, h('p', {}, t('none')));
      return;
    }
    const seq = ++trendSeq;
    try {
      const trend = await getJson('/api/appraisal/trend', { query: { to: monthInput.value, months: 6, by: bySelect.value as By, key: row.key } });
      if (seq !== trendSeq) return;
      fill(trendBox, lineChart(trend, score()), h('figcaption', {}, `${row.name} · ${t(score().label)}`));
    } catch (err) {
      if (seq === trendSeq) fill(trendBox, h('p', { class: 'error' }, `${t('error')}: ${(err as Error).message}`));
    }
  }

  /** Colour the grids (or communities) by the score with a match expression on the area code. */
  async function colourMap(): Promise<void> {
    await mapLoaded;
    if (map.getLayer('appraisal-fill')) map.removeLayer('appraisal-fill');
    const by = data?.by ?? 'chief';
    mapNote.textContent = by === 'department' ? t('noMapForDepartments') : '';
    if (!data || by === 'department') return;
    const g = goodness(data.rows, score());
    const colours = new Map<string, string>();
    for (const r of data.rows) {
      // A row without a value for the score (a rate with nothing due) is drawn grey: no data, not bad.
      const v = g.get(r.key);
      for (const code of by === 'chief' ? (r.grids ?? []) : [r.code]) if (!colours.has(code)) colours.set(code, v === undefined ? NO_DATA : ramp(v));
    }
    const layer = by === 'community' ? 'communities' : 'grids';
    const colour: ExpressionSpecification | string = colours.size
      ? (['match', ['get', 'code'], ...[...colours].flat(), 'rgba(0,0,0,0)'] as unknown as ExpressionSpecification)
      : 'rgba(0,0,0,0)';
    map.addLayer({ id: 'appraisal-fill', type: 'fill', source: layer, 'source-layer': layer, paint: { 'fill-color': colour, 'fill-opacity': 0.65 } }, 'grids-line');
  }

  monthInput.addEventListener('change', () => void load());
  bySelect.addEventListener('change', () => {
    sort = { key: 'rank', dir: 1 };
    void load();
  });
  scoreSelect.addEventListener('change', () => {
    drawCharts();
    void loadTrend();
    void colourMap();
  });
  await load();
  return () => map.remove();
};
