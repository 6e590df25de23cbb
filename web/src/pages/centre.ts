import { getJson, type Schema } from '../api.js';
import { incidentListItem } from '../components/incident_actions.js';
import { fill, h } from '../dom.js';
import { when } from '../format.js';
import { nameOf, t, word } from '../i18n.js';
import { createMap, layerToggles, legend, refreshPoints } from '../map/map_view.js';
import type { Page } from '../page.js';
import { requireRole } from '../page.js';

/** The command centre: the live queue (server-sent events), filters, overdue first, dispatch; the live map. */
export const centrePage: Page = async (root) => {
  const user = await requireRole(root, ['admin', 'community', 'department']);
  if (!user) return;
  const status = h('select', { name: 'status' },
    h('option', { value: 'open,handled' }, `${t('open')} + ${t('handled')}`),
    ...['open', 'handled', 'closed', 'cancelled'].map((s) => h('option', { value: s }, word(s))));
  const level = h('select', { name: 'level' }, h('option', { value: '' }, t('allLevels')), ...['grid', 'community', 'centre', 'department'].map((l) => h('option', { value: l }, word(l))));
  const overdue = h('input', { type: 'checkbox', name: 'overdue' });
  const live = h('span', { class: 'live', 'aria-live': 'polite' });
  const list = h('ul', { class: 'incident-list', id: 'queue' });
  const mapEl = h('div', { class: 'map', id: 'centre-map' });
  const side = h('aside', { class: 'panel wide' },
    h('h2', {}, t('queue'), ' ', live),
    h('div', { class: 'row filters' }, status, level, h('label', {}, overdue, t('onlyOverdue'))),
    list);
  root.append(mapEl, side);
  const map = createMap(mapEl);
  side.append(layerToggles(map), legend());
  const departments = await getJson('/api/departments').catch(() => []);

  const tileQuery = () => `status=${status.value}`;
  // The step last taken on each case, said on its row after the list is drawn again.
  const lastDone = new Map<string, string>();
  async function load() {
    try {
      const page = await getJson('/api/incidents', { query: { status: status.value, level: level.value || undefined, overdue: overdue.checked ? 'true' : undefined, limit: 200 } });
      const items = [...page.items].sort((a, b) => Number(b.overdue) - Number(a.overdue) || (a.due_at ?? '').localeCompare(b.due_at ?? ''));
      const note = (i: Schema<'IncidentSummary'>) => `${i.grid ? nameOf(i.grid) : ''} · ${t('dueAt')} ${when(i.due_at)}`;
      fill(list, ...(items.length ? items.map((i) => incidentListItem(i, note(i), map, departments, (a) => {
        lastDone.set(i.case_no, a);
        void load();
      }, { level: true, done: lastDone.get(i.case_no) })) : [h('li', {}, t('none'))]));
    } catch (err) {
      fill(list, h('li', { class: 'error' }, `${t('unavailable')}: ${(err as Error).message}`));
    }
    refreshPoints(map, 'incidents', tileQuery());
  }
  for (const el of [status, level, overdue]) el.addEventListener('change', () => void load());
  await load();

  // Live queue: every new or changed incident in scope reloads the list and the incident tiles.
  const stream = new EventSource('/api/incidents/stream');
  let timer: number | undefined;
  stream.addEventListener('open', () => (live.textContent = `● ${t('live')}`));
  stream.addEventListener('error', () => (live.textContent = t('offline')));
  stream.addEventListener('incident', () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => void load(), 300);
  });
  return () => {
    stream.close();
    map.remove();
  };
};
