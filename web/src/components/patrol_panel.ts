import type { GeoJSONSource, GeoJSONSourceSpecification, Map as MapLibreMap } from 'maplibre-gl';
import { ApiError, getJson, postJson } from '../api.js';
import { fill, h } from '../dom.js';
import { percent } from '../format.js';
import { nameOf, t } from '../i18n.js';
import { PatrolRecorder, idbStore, memoryStore, type PatrolSender, type PendingStore } from '../patrol/recorder.js';
import { elapsedText, officeDay, todayCoverage, trackCollection } from '../patrol/today.js';

/** Where the patrol being walked is remembered, so a reloaded page goes on with it. */
const CURRENT_KEY = 'gridwork.patrol.current';
/** How often waiting fixes are sent (ms), besides when the phone comes online. */
const FLUSH_EVERY_MS = 30_000;
const TRACK = 'patrol-track';

/** The patrol remembered on this phone. */
interface Current {
  id: number;
  started_at: string;
}

function remembered(): Current | null {
  try {
    const v = JSON.parse(localStorage.getItem(CURRENT_KEY) ?? 'null');
    return v && typeof v.id === 'number' && typeof v.started_at === 'string' ? v : null;
  } catch {
    return null;
  }
}

/** The server, as the recorder asks it. */
const SENDER: PatrolSender = {
  points: (id, points) => postJson('/api/patrols/{id}/points', { path: { id }, body: { points } }),
  end: (id, ended_at) => postJson('/api/patrols/{id}/end', { path: { id }, body: { ended_at } }),
};

/** The phone's store of unsent fixes (IndexedDB; in memory where the browser has none). */
async function openStore(): Promise<PendingStore> {
  try {
    return await idbStore();
  } catch {
    return memoryStore();
  }
}

/** A message for a failure: the problem's text by its code, or that there is no signal. */
function failure(err: unknown): string {
  if (err instanceof ApiError && err.status > 0) return err.message;
  return t('patrolNoSignal');
}

/**
 * The chief's patrol panel: a big start/stop button, the time walked, the points recorded and waiting to
 * be sent, today's coverage of the chief's grids when known, and (given a map) today's track drawn on
 * it. Fixes come from the Geolocation API through the recorder, which keeps them on the phone until
 * the server has them. Removed from the page, it stops listening; the patrol goes on when it is shown
 * again (the patrol's id is remembered on the phone, its unsent fixes in IndexedDB).
 */
export function patrolPanel(opts: { map?: MapLibreMap }): HTMLElement {
  const button = h('button', { type: 'button', class: 'patrol-toggle', 'aria-pressed': 'false', disabled: true }, t('patrolStart'));
  const elapsed = h('output', { class: 'patrol-elapsed', 'aria-label': t('patrolElapsed') }, '0:00');
  const recorded = h('b', {}, '0');
  const waiting = h('b', {}, '0');
  const coverage = h('div', { class: 'patrol-coverage', hidden: true });
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const panel = h('section', { class: 'patrol-panel', 'aria-label': t('patrol') },
    button,
    h('div', { class: 'patrol-figures' },
      h('span', {}, t('patrolElapsed'), ' ', elapsed),
      h('span', {}, t('patrolRecorded'), ' ', recorded),
      h('span', {}, t('patrolWaiting'), ' ', waiting)),
    coverage,
    status);

  let recorder: PatrolRecorder | null = null;
  let store: PendingStore | null = null;
  let current: Current | null = remembered();
  let watch: number | null = null;
  const timers: number[] = [];
  let mounted = false;

  const say = (text: string, error = false) => {
    status.textContent = text;
    status.className = error ? 'status error' : 'status';
  };

  function showState(): void {
    button.disabled = recorder === null;
    button.textContent = current ? t('patrolStop') : t('patrolStart');
    button.setAttribute('aria-pressed', current ? 'true' : 'false');
    button.classList.toggle('recording', current !== null);
  }

  async function tick(): Promise<void> {
    if (!panel.isConnected) {
      if (mounted) teardown();
      return;
    }
    elapsed.textContent = current ? elapsedText(Date.now() - Date.parse(current.started_at)) : '0:00';
    if (recorder) {
      const s = await recorder.stats();
      recorded.textContent = String(s.recorded);
      waiting.textContent = String(s.waiting);
    }
  }

  function listen(): void {
    if (watch !== null || !navigator.geolocation) return;
    let lost = false;
    watch = navigator.geolocation.watchPosition(
      (p) => {
        if (lost) say('');
        lost = false;
        void recorder?.offer(p);
      },
      // Refused: the chief must turn location on. No fix for a while (indoors, a tunnel): it comes back by itself.
      (err) => {
        lost = true;
        if (err.code === err.PERMISSION_DENIED) say(t('patrolNoGps'), true);
        else say(t('locating'));
      },
      { enableHighAccuracy: true, maximumAge: 5_000, timeout: 60_000 },
    );
  }

  function unlisten(): void {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
  }

  async function flush(): Promise<void> {
    if (!recorder) return;
    await recorder.flush();
    if (!navigator.onLine && ((await recorder.stats()).waiting > 0)) say(t('patrolOffline'));
    await drawToday();
  }

  /** Today's tracks and coverage from the server (what it knows so far), and the fixes still on the phone. */
  async function drawToday(): Promise<void> {
    const day = officeDay(new Date());
    const unsent = current && store ? (await store.take(5_000)).filter((i) => i.patrol_id === current!.id).map((i) => i.fix) : [];
    let tracks: Parameters<typeof trackCollection>[0] = [];
    try {
      tracks = (await getJson('/api/patrols', { query: { day } })).items.map((i) => i.track);
      const cov = await getJson('/api/patrols/coverage', { query: { month: day.slice(0, 7) } });
      const today = todayCoverage(cov.rows, day);
      coverage.hidden = today.length === 0;
      fill(coverage, ...today.map((g) => h('p', {}, `${t('patrolCoverageToday')} · ${nameOf({ name: g.name, name_en: g.name_en })}: `, h('b', {}, percent(g.coverage)))));
    } catch {
      // Not known now (no signal): the panel keeps what it showed.
    }
    const map = opts.map;
    if (!map) return;
    const data = trackCollection(tracks, unsent);
    const draw = () => {
      const src = map.getSource(TRACK) as GeoJSONSource | undefined;
      if (src) return src.setData(data);
      map.addSource(TRACK, { type: 'geojson', data } as GeoJSONSourceSpecification);
      map.addLayer({
        id: TRACK,
        type: 'line',
        source: TRACK,
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        // Sent parts solid, the part still on the phone dashed.
        paint: { 'line-color': '#d9480f', 'line-width': 4, 'line-opacity': 0.85, 'line-dasharray': ['case', ['get', 'sent'], ['literal', [1, 0]], ['literal', [2, 1]]] },
      });
    };
    if (map.isStyleLoaded()) draw();
    else map.once('load', draw);
  }

  async function startPatrol(): Promise<void> {
    button.disabled = true;
    say(t('patrolStarting'));
    try {
      const p = await postJson('/api/patrols', { body: {} });
      current = { id: p.id, started_at: p.started_at };
      localStorage.setItem(CURRENT_KEY, JSON.stringify(current));
      recorder!.start(p.id);
      listen();
      say('');
    } catch (err) {
      say(failure(err), true);
    }
    showState();
  }

  async function stopPatrol(): Promise<void> {
    button.disabled = true;
    unlisten();
    current = null;
    localStorage.removeItem(CURRENT_KEY);
    showState();
    button.disabled = true;
    // The end waits on the phone with the fixes when there is no signal.
    await recorder!.stop(new Date());
    showState();
    await flush();
    await tick();
  }

  const onOnline = () => void flush();

  function teardown(): void {
    mounted = false;
    unlisten();
    for (const id of timers.splice(0)) clearInterval(id);
    window.removeEventListener('online', onOnline);
  }

  button.addEventListener('click', () => void (current ? stopPatrol() : startPatrol()));

  void (async () => {
    store = await openStore();
    recorder = new PatrolRecorder({ store, send: SENDER, isOnline: () => navigator.onLine });
    mounted = true;
    window.addEventListener('online', onOnline);
    timers.push(window.setInterval(() => void tick(), 1_000), window.setInterval(() => void flush(), FLUSH_EVERY_MS));
    if (current) {
      // Go on with the patrol this phone was walking, unless the server says it has ended meanwhile.
      try {
        const today = await getJson('/api/patrols', { query: { day: officeDay(new Date(current.started_at)) } });
        const mine = today.items.find((i) => i.id === current!.id);
        if (mine && mine.ended_at !== null) {
          current = null;
          localStorage.removeItem(CURRENT_KEY);
        }
      } catch {
        // No signal: go on with what the phone remembers.
      }
      if (current) {
        recorder.start(current.id);
        listen();
      }
    }
    showState();
    await flush();
    await tick();
  })();
  return panel;
}
