import type { Position } from 'geojson';
import { describe, expect, it } from 'vitest';
import { planFeatures, shapeProblems, type PlanFeature } from './plan_checks.js';

/** A grid of one part with one ring. */
function grid(code: string, ring: Position[]): PlanFeature {
  return { type: 'Feature', properties: { code }, geometry: { type: 'MultiPolygon', coordinates: [[ring]] } };
}

const SQUARE: Position[] = [[123.40, 41.80], [123.41, 41.80], [123.41, 41.81], [123.40, 41.81], [123.40, 41.80]];

describe('planFeatures', () => {
  it("merges the parts of one code into a MultiPolygon and drops the editor's own properties", () => {
    const drawn = [
      { coordinates: [SQUARE], properties: { mode: 'polygon', code: 'G1', name: 'A', part: 0 } },
      { coordinates: [[[1, 1], [2, 1], [2, 2], [1, 1]]], properties: { mode: 'polygon', code: 'G1', name: 'A', part: 1 } },
      { coordinates: [[[3, 3], [4, 3], [4, 4], [3, 3]]], properties: { mode: 'polygon', code: 'G2' } },
    ];
    const plan = planFeatures(drawn, () => 'unused');
    expect(plan.map((f) => [f.properties, f.geometry.coordinates.length])).toEqual([[{ code: 'G1', name: 'A' }, 2], [{ code: 'G2' }, 1]]);
    expect(plan[0].geometry.type).toBe('MultiPolygon');
  });

  it('gives a polygon drawn without a code a new one', () => {
    let n = 0;
    const plan = planFeatures([{ coordinates: [SQUARE], properties: { mode: 'polygon' } }, { coordinates: [SQUARE], properties: { code: '' } }], () => `NEW-${++n}`);
    expect(plan.map((f) => f.properties.code)).toEqual(['NEW-1', 'NEW-2']);
  });
});

describe('shapeProblems', () => {
  it('finds nothing in a plain grid, nor in one with a repeated vertex', () => {
    expect(shapeProblems([grid('G1', SQUARE)])).toEqual([]);
    expect(shapeProblems([grid('G1', [SQUARE[0], SQUARE[1], SQUARE[1], ...SQUARE.slice(2)])])).toEqual([]);
  });

  it('finds where a ring crosses itself (a bow tie)', () => {
    const bowTie = [[123.40, 41.80], [123.41, 41.81], [123.41, 41.80], [123.40, 41.81], [123.40, 41.80]];
    const problems = shapeProblems([grid('G1', bowTie)]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'G1', kind: 'self_intersection' });
    expect(problems[0].location[0]).toBeCloseTo(123.405, 9);
    expect(problems[0].location[1]).toBeCloseTo(41.805, 9);
  });

  it('finds a ring that is not closed or has too few vertices', () => {
    expect(shapeProblems([grid('G1', SQUARE.slice(0, 4))])).toEqual([{ code: 'G1', kind: 'invalid', location: [123.40, 41.80] }]);
    expect(shapeProblems([grid('G2', [[1, 1], [2, 2], [1, 1]])])).toEqual([{ code: 'G2', kind: 'invalid', location: [1, 1] }]);
  });

  it('finds a spike, a vertex that goes out and comes back along the same line, as the ring touching itself', () => {
    const spike = [[123.40, 41.80], [123.41, 41.80], [123.41, 41.81], [123.415, 41.81], [123.41, 41.81], [123.40, 41.81], [123.40, 41.80]];
    expect(shapeProblems([grid('G1', spike)]).map((p) => p.kind)).toContain('self_intersection');
  });

  it('finds a part with no area: its points on a line, or under a square metre', () => {
    const line = [[123.40, 41.80], [123.41, 41.80], [123.42, 41.80], [123.40, 41.80]];
    const crumb = [[123.40, 41.80], [123.400001, 41.80], [123.400001, 41.800001], [123.40, 41.80]];
    expect(shapeProblems([grid('G1', line), grid('G2', crumb)]).map((p) => [p.code, p.kind])).toEqual([['G1', 'no_area'], ['G2', 'no_area']]);
  });

  it('names the grid of a bad part among good ones', () => {
    const twoParts: PlanFeature = { type: 'Feature', properties: { code: 'G7' }, geometry: { type: 'MultiPolygon', coordinates: [[SQUARE], [SQUARE.slice(0, 4)]] } };
    expect(shapeProblems([grid('G1', SQUARE), twoParts]).map((p) => p.code)).toEqual(['G7']);
  });
});
