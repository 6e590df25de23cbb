import { area } from '@turf/turf';
import { errorText } from '../error_text.js';
import type { Polygon } from 'geojson';
import type { GeoJSONSource, GeoJSONSourceSpecification } from 'maplibre-gl';
import { TerraDraw, TerraDrawPolygonMode, TerraDrawSelectMode, type GeoJSONStoreFeatures } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import { ApiError, getJson, postJson, type Schema } from '../api.js';
import { fill, h } from '../dom.js';
import { areaText, when } from '../format.js';
import { t, type Key } from '../i18n.js';
import { createMap, refreshBoundaries } from '../map/map_view.js';
import type { Page } from '../page.js';
import { requireRole } from '../page.js';
import { planFeatures, shapeProblems, type PlanFeature, type ShapeProblem } from './plan_checks.js';

/** The validation report of a plan (see /api/plans/{id}/report). */
type PlanReport = Schema<'PlanReport'>;

/** A grid as /api/areas and a plan's features answer it: the document types its coordinates loosely, as unknown[]. */
interface GridFeature {
  properties: { code: string; name: string; parent_code: string | null };
  geometry: { type: string; coordinates: unknown[] };
}

/** A plan as GET /api/plans/{id} answers it: the document gives that answer no schema, so the page says what it reads. */
interface PlanDetail {
  features: { features: GridFeature[] };
}

const PROBLEM_COLOURS = { invalid: '#d62728', overlap: '#ff7f0e', gap: '#9467bd', outside: '#8c564b' };

/** The label of each problem the browser finds in a drawn grid. */
const SHAPE_PROBLEMS: Record<ShapeProblem['kind'], Key> = { self_intersection: 'selfIntersection', invalid: 'invalidShape', no_area: 'noArea' };

/** A problem shown on the map and in the list: where, its colour, what. */
interface ProblemPoint {
  at: [number, number];
  colour: string;
  text: string;
}

/** The planner: draw or upload a plan, see its validation report on the map, its impact, publish it. */
export const plannerPage: Page = async (root) => {
  const user = await requireRole(root, ['planner', 'admin']);
  if (!user) return;
  const mapEl = h('div', { class: 'map', id: 'planner-map' });
  const plans = h('ul', { class: 'plan-list' });
  const reportBox = h('div', { class: 'report' });
  const title = h('input', { name: 'title', placeholder: t('planTitle') });
  const file = h('input', { type: 'file', accept: '.geojson,.json,.zip,.gpkg' });
  const msg = h('p', { class: 'error', role: 'alert' });
  const side = h('aside', { class: 'panel wide' },
    h('h2', {}, t('newPlan')),
    h('label', {}, t('planTitle'), title),
    h('div', { class: 'row' },
      h('button', { type: 'button', onclick: () => void loadGrids() }, t('startFromGrids')),
      h('button', { type: 'button', onclick: () => draw.setMode('polygon') }, t('drawPolygon')),
      h('button', { type: 'button', onclick: () => draw.setMode('select') }, t('select'))),
    h('div', { class: 'row' }, h('button', { type: 'button', onclick: () => void check() }, t('check'))),
    h('label', {}, t('upload'), file),
    msg, reportBox,
    h('h2', {}, t('plans')), plans);
  root.append(mapEl, side);
  const map = createMap(mapEl, { popups: false });
  const draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map }),
    modes: [
      new TerraDrawPolygonMode(),
      new TerraDrawSelectMode({ flags: { polygon: { feature: { draggable: false, coordinates: { midpoints: true, draggable: true, deletable: true } } } } }),
    ],
  });
  map.once('load', () => {
    draw.start();
    map.addSource('problems', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } } as GeoJSONSourceSpecification);
    map.addLayer({ id: 'problems', type: 'circle', source: 'problems', paint: { 'circle-radius': 9, 'circle-color': ['get', 'colour'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  });

  let codes = 0;
  draw.on('finish', (id, ctx) => {
    if (ctx.action !== 'draw') return;
    const drawn = draw.getSnapshotFeature(id);
    const size = drawn?.geometry.type === 'Polygon' ? ` (${t('area')} ${areaText(area(drawn.geometry as Polygon))})` : '';
    const code = window.prompt(`${t('codePrompt')}${size}`, `NEW-${++codes}`) ?? `NEW-${codes}`;
    draw.updateFeatureProperties(id, { code });
  });

  async function loadGrids() {
    edit((await getJson('/api/areas', { query: { level: 'grid' } })).features);
  }

  /** Put grids in the editor, one polygon each part (a plan's parts of one code are merged back by planFeatures). */
  function edit(grids: GridFeature[]) {
    const features = grids.flatMap((f) =>
      (f.geometry.type === 'Polygon' ? [f.geometry.coordinates as number[][][]] : (f.geometry.coordinates as number[][][][])).map((poly, i) => ({
        type: 'Feature' as const,
        properties: { mode: 'polygon', code: f.properties.code, name: f.properties.name, parent_code: f.properties.parent_code, part: i },
        geometry: { type: 'Polygon' as const, coordinates: poly },
      })),
    );
    draw.clear();
    draw.addFeatures(features as GeoJSONStoreFeatures[]);
  }

  /** A plan's proposed grids into the editor (after a repair, or opened from the list). */
  async function loadPlan(id: number) {
    edit(((await getJson('/api/plans/{id}', { path: { id } })) as PlanDetail).features.features);
  }

  /** The drawn polygons as a plan: parts of one code merged back into a MultiPolygon. */
  function drawnPlan(): PlanFeature[] {
    const polygons = draw.getSnapshot().flatMap((f) => (f.geometry.type === 'Polygon' ? [{ coordinates: (f.geometry as Polygon).coordinates, properties: f.properties }] : []));
    return planFeatures(polygons, () => `NEW-${++codes}`);
  }

  async function submit(body: FormData | { type: 'FeatureCollection'; features: PlanFeature[] }) {
    msg.textContent = '';
    try {
      const created = await postJson('/api/plans', { query: { title: title.value || undefined }, body });
      showReport(created.id, created.report, true);
      await listPlans();
    } catch (err) {
      msg.textContent = err instanceof ApiError ? (err.status === 404 ? t('unavailable') : err.message) : String(err);
    }
  }
  /** Check the drawing: what the browser finds wrong with a grid's shape is shown first, and sent only when asked. */
  async function check() {
    const features = drawnPlan();
    const problems = shapeProblems(features);
    if (!problems.length) return submit({ type: 'FeatureCollection', features });
    fill(reportBox,
      h('h3', {}, `✖ ${t('shapeProblems')} · ${features.length} ${t('features')}`),
      problemList(problems.map((p) => ({ at: p.location, colour: PROBLEM_COLOURS.invalid, text: `${p.code}: ${t(SHAPE_PROBLEMS[p.kind])}` }))),
      h('div', { class: 'row' }, h('button', { type: 'button', onclick: () => void submit({ type: 'FeatureCollection', features }) }, t('sendAnyway'))));
  }
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (!f) return;
    const body = new FormData();
    body.set('file', f);
    void submit(body);
  });

  /** Problems on the map (the problems layer) and as a list whose items fly to them. */
  function problemList(points: ProblemPoint[]): HTMLElement {
    (map.getSource('problems') as GeoJSONSource | undefined)?.setData({
      type: 'FeatureCollection',
      features: points.map((p) => ({ type: 'Feature', properties: { colour: p.colour, text: p.text }, geometry: { type: 'Point', coordinates: p.at } })),
    });
    return h('ul', { class: 'problems' }, ...points.map((p) => h('li', {}, h('i', { style: `background:${p.colour}` }), h('button', { type: 'button', class: 'link', onclick: () => map.flyTo({ center: p.at, zoom: 17 }) }, p.text))));
  }

  function showReport(id: number, r: PlanReport, draft: boolean) {
    const points: ProblemPoint[] = [
      ...r.invalid.filter((x) => x.location).map((x) => ({ at: x.location!, colour: PROBLEM_COLOURS.invalid, text: `${x.code}: ${x.reason}` })),
      ...r.overlaps.map((x) => ({ at: x.location, colour: PROBLEM_COLOURS.overlap, text: `${x.a} × ${x.b}: ${x.area_m2.toFixed(1)} m²` })),
      ...r.gaps.map((x) => ({ at: x.location, colour: PROBLEM_COLOURS.gap, text: `${t('gaps')}: ${x.area_m2.toFixed(1)} m²` })),
      ...r.outside_parent.map((x) => ({ at: x.location, colour: PROBLEM_COLOURS.outside, text: `${x.code}: ${x.area_m2.toFixed(1)} m²` })),
    ];
    const impact = h('div', { class: 'impact' });
    fill(reportBox,
      h('h3', {}, `#${id} · `, r.valid ? `✔ ${t('valid')}` : `✖ ${t('invalidReport')}`, ` · ${r.grids} ${t('features')}`),
      problemList(points),
      draft && !r.valid ? repairForm(id) : null,
      h('div', { class: 'row' },
        h('button', { type: 'button', onclick: () => void showImpact(id, impact) }, t('impact')),
        h('button', { type: 'button', disabled: !r.valid || !draft, onclick: () => void publish(id) }, t('publish'))),
      impact);
  }

  /** The repairs of a draft (POST /api/plans/{id}/repair), each with its tolerance; the repaired grids go into the editor. */
  function repairForm(id: number): HTMLElement {
    const makeValid = h('input', { type: 'checkbox', name: 'make_valid', checked: true });
    const snap = h('input', { type: 'number', name: 'snap_m', min: 0, max: 50, step: 0.1, value: 1 });
    const gaps = h('input', { type: 'number', name: 'gaps_max_m2', min: 0, max: 1_000_000, value: 100 });
    const overlaps = h('input', { type: 'number', name: 'overlaps_max_m2', min: 0, max: 1_000_000, value: 100 });
    const repairMsg = h('p', { class: 'error', role: 'alert' });
    // Empty or 0: that repair is not asked for.
    const amount = (el: HTMLInputElement) => (Number(el.value) > 0 ? Number(el.value) : undefined);
    const run = async () => {
      repairMsg.textContent = '';
      try {
        const r = await postJson('/api/plans/{id}/repair', {
          path: { id },
          body: { ...(makeValid.checked ? { make_valid: true } : {}), snap_m: amount(snap), gaps_max_m2: amount(gaps), overlaps_max_m2: amount(overlaps) },
        });
        await loadPlan(id);
        showReport(id, r, true);
        await listPlans();
      } catch (err) {
        repairMsg.textContent = errorText(err);
      }
    };
    return h('fieldset', { class: 'repair' },
      h('legend', {}, t('repair')),
      h('label', {}, makeValid, t('repairMakeValid')),
      h('label', {}, t('repairSnap'), snap),
      h('label', {}, t('repairGaps'), gaps),
      h('label', {}, t('repairOverlaps'), overlaps),
      h('button', { type: 'button', onclick: () => void run() }, t('repair')),
      repairMsg);
  }

  async function showImpact(id: number, box: HTMLElement) {
    try {
      const i = await getJson('/api/plans/{id}/impact', { path: { id } });
      fill(box, h('dl', {},
        h('dt', {}, t('impactGrids')), h('dd', {}, `${i.changed_grids.length} / ${i.new_grids.length} / ${i.retired_grids.length}`),
        h('dt', {}, t('assets')), h('dd', {}, String(i.assets.total)),
        h('dt', {}, t('incidents')), h('dd', {}, String(i.incidents.total)),
        h('dt', {}, t('impactStaff')), h('dd', {}, String(i.staff_assignments.total))));
    } catch (err) {
      fill(box, h('p', { class: 'error' }, errorText(err)));
    }
  }

  async function publish(id: number) {
    try {
      await postJson('/api/plans/{id}/publish', { path: { id } });
      msg.textContent = `#${id} ${t('published')}`;
      refreshBoundaries(map);
      await listPlans();
    } catch (err) {
      msg.textContent = errorText(err);
    }
  }

  async function listPlans() {
    try {
      const list = await getJson('/api/plans');
      fill(plans, ...list.map((p) => h('li', {}, h('button', {
        type: 'button', class: 'link',
        onclick: async () => {
          showReport(p.id, await getJson('/api/plans/{id}/report', { path: { id: p.id } }), p.status === 'draft');
          await loadPlan(p.id);
        },
      }, `#${p.id} ${p.title || ''} · ${p.status} · ${p.valid ? '✔' : '✖'} · ${when(p.created_at)}`))));
    } catch (err) {
      fill(plans, h('li', {}, err instanceof ApiError && err.status === 404 ? t('unavailable') : String(err)));
    }
  }
  await listPlans();
  return () => {
    draw.stop();
    map.remove();
  };
};
