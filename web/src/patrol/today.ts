/** What the patrol panel shows of today: the office day, the time walked, today's coverage, the track to draw. */
import type { Feature, FeatureCollection, LineString } from 'geojson';
import type { Fix } from './recorder.js';

/** The office day (Asia/Shanghai) of an instant, YYYY-MM-DD: the day the server counts coverage in. */
export function officeDay(at: Date): string {
  // en-CA writes dates as YYYY-MM-DD.
  return at.toLocaleDateString('en-CA', { timeZone: 'Asia/Shanghai' });
}

/** Time walked as h:mm:ss (m:ss under an hour); 0:00 for nothing or a negative span. */
export function elapsedText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

/** A row of GET /api/patrols/coverage, as far as the panel reads it. */
export interface CoverageRowLike {
  grid_code: string;
  grid_name: string;
  grid_name_en: string;
  cells: number;
  days: { day: string; covered: number; coverage: number | null }[];
}

/** Today's coverage of each grid in the rows (a grid with two versions in the month: cells and covered summed), by grid code. */
export function todayCoverage(rows: CoverageRowLike[], day: string): { grid_code: string; name: string; name_en: string; coverage: number | null }[] {
  const by = new Map<string, { name: string; name_en: string; covered: number; cells: number; walked: boolean }>();
  for (const r of rows) {
    const d = r.days.find((x) => x.day === day);
    const g = by.get(r.grid_code) ?? { name: r.grid_name, name_en: r.grid_name_en, covered: 0, cells: 0, walked: false };
    g.covered += d?.covered ?? 0;
    g.cells += r.cells;
    g.walked ||= d !== undefined;
    by.set(r.grid_code, g);
  }
  return [...by].map(([grid_code, g]) => ({ grid_code, name: g.name, name_en: g.name_en, coverage: g.cells > 0 ? Math.round((g.covered / g.cells) * 1e4) / 1e4 : null }));
}

/** The tracks to draw: the server's LineStrings of the day, and the fixes of this phone not sent yet as one more line (in time order). */
export function trackCollection(tracks: (LineString | null)[], unsent: Fix[]): FeatureCollection<LineString> {
  const features: Feature<LineString>[] = tracks.filter((g): g is LineString => g !== null).map((geometry) => ({ type: 'Feature', properties: { sent: true }, geometry }));
  const local = [...unsent].sort((a, b) => a.at.localeCompare(b.at)).map((f) => [f.lon, f.lat]);
  if (local.length >= 2) features.push({ type: 'Feature', properties: { sent: false }, geometry: { type: 'LineString', coordinates: local } });
  return { type: 'FeatureCollection', features };
}
