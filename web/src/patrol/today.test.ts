import { describe, expect, it } from 'vitest';
import { elapsedText, officeDay, todayCoverage, trackCollection } from './today.js';

describe('officeDay', () => {
  it('is the day in Asia/Shanghai, which turns over at 16:00 UTC', () => {
    expect(officeDay(new Date('2026-03-01T15:59:59Z'))).toBe('2026-03-01');
    expect(officeDay(new Date('2026-03-01T16:00:00Z'))).toBe('2026-03-02');
  });
});

describe('elapsedText', () => {
  it('writes m:ss under an hour and h:mm:ss above', () => {
    expect(elapsedText(0)).toBe('0:00');
    expect(elapsedText(-5000)).toBe('0:00');
    expect(elapsedText(65_999)).toBe('1:05');
    expect(elapsedText(3_600_000 + 62_000)).toBe('1:01:02');
  });
});

describe('todayCoverage', () => {
  const row = (grid: string, cells: number, days: [string, number][]) => ({
    grid_code: grid, grid_name: `网格${grid}`, grid_name_en: `Grid ${grid}`, cells,
    days: days.map(([day, covered]) => ({ day, covered, coverage: covered / cells })),
  });

  it('picks today of each grid, 0 for a grid not walked today, and sums the versions of a redrawn grid', () => {
    const rows = [row('A', 200, [['2026-03-01', 20], ['2026-03-02', 50]]), row('B', 100, [['2026-03-01', 10]]), row('C', 100, [['2026-03-02', 10]]), row('C', 300, [])];
    expect(todayCoverage(rows, '2026-03-02')).toEqual([
      { grid_code: 'A', name: '网格A', name_en: 'Grid A', coverage: 0.25 },
      { grid_code: 'B', name: '网格B', name_en: 'Grid B', coverage: 0 },
      { grid_code: 'C', name: '网格C', name_en: 'Grid C', coverage: 0.025 },
    ]);
  });

  it('has no share for a grid without cells', () => {
    expect(todayCoverage([row('T', 0, [])], '2026-03-02')[0].coverage).toBeNull();
  });
});

describe('trackCollection', () => {
  it('draws the server’s tracks and the unsent fixes, in time order, as LineStrings', () => {
    const fc = trackCollection(
      [{ type: 'LineString', coordinates: [[123.4, 41.8], [123.41, 41.8]] }, null],
      [{ lon: 2, lat: 2, accuracy_m: 5, at: '2026-03-02T01:00:30Z' }, { lon: 1, lat: 1, accuracy_m: 5, at: '2026-03-02T01:00:00Z' }],
    );
    expect(fc.features.map((f) => [f.properties?.sent, f.geometry.coordinates])).toEqual([
      [true, [[123.4, 41.8], [123.41, 41.8]]],
      [false, [[1, 1], [2, 2]]],
    ]);
    expect(trackCollection([], [{ lon: 1, lat: 1, accuracy_m: 5, at: 'x' }]).features).toEqual([]);
  });
});
