import { describe, expect, it } from 'vitest';
import { WORLD, boundsOf, tileJsonBounds } from './bounds.js';

describe('boundsOf', () => {
  it('spans every part and ring of a multipolygon', () => {
    const grid = {
      type: 'MultiPolygon' as const,
      coordinates: [
        [[[123.40, 41.80], [123.41, 41.80], [123.41, 41.81], [123.40, 41.80]]],
        [[[123.45, 41.78], [123.46, 41.79], [123.44, 41.79], [123.45, 41.78]]],
      ],
    };
    expect(boundsOf(grid)).toEqual([123.40, 41.78, 123.46, 41.81]);
  });

  it('is a point for a point', () => {
    expect(boundsOf({ type: 'Point', coordinates: [123.45, 41.8] })).toEqual([123.45, 41.8, 123.45, 41.8]);
  });
});

describe('tileJsonBounds', () => {
  it('takes four numbers as they are', () => {
    expect(tileJsonBounds([123.3, 41.7, 123.6, 41.9])).toEqual([123.3, 41.7, 123.6, 41.9]);
  });

  it('is the world for missing, short or non-finite bounds', () => {
    expect(tileJsonBounds(undefined)).toEqual(WORLD);
    expect(tileJsonBounds([1, 2, 3])).toEqual(WORLD);
    expect(tileJsonBounds([NaN, 0, 1, 1])).toEqual(WORLD);
  });
});
