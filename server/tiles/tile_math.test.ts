import { describe, expect, it } from 'vitest';
import { bboxesIntersect, isValidTile, lonLatToTilePixel, tileBounds, tileLat, tileLon } from './tile_math.js';

describe('tile math', () => {
  it('gives the world bounds of tile 0/0/0', () => {
    const [w, s, e, n] = tileBounds({ z: 0, x: 0, y: 0 });
    expect([w, e]).toEqual([-180, 180]);
    expect(s).toBeCloseTo(-85.0511, 3);
    expect(n).toBeCloseTo(85.0511, 3);
  });

  it('puts a tile corner at pixel 0,0 and the opposite corner at the extent', () => {
    const t = { z: 14, x: 13810, y: 6130 };
    expect(lonLatToTilePixel(tileLon(t.x, t.z), tileLat(t.y, t.z), t)).toEqual([0, 0]);
    expect(lonLatToTilePixel(tileLon(t.x + 1, t.z), tileLat(t.y + 1, t.z), t)).toEqual([4096, 4096]);
  });

  it('grows bounds by a buffer given as a fraction of the tile', () => {
    const t = { z: 10, x: 863, y: 383 };
    const [w0, , e0] = tileBounds(t);
    const [w1, , e1] = tileBounds(t, 0.5);
    expect(e1 - w1).toBeCloseTo(2 * (e0 - w0), 9);
  });

  it('accepts tiles inside the pyramid and refuses the rest', () => {
    expect(isValidTile({ z: 0, x: 0, y: 0 })).toBe(true);
    expect(isValidTile({ z: 3, x: 7, y: 7 })).toBe(true);
    expect(isValidTile({ z: 3, x: 8, y: 0 })).toBe(false);
    expect(isValidTile({ z: 23, x: 0, y: 0 })).toBe(false);
    expect(isValidTile({ z: 1.5, x: 0, y: 0 })).toBe(false);
  });

  it('tells overlapping boxes from apart ones', () => {
    expect(bboxesIntersect([0, 0, 2, 2], [1, 1, 3, 3])).toBe(true);
    expect(bboxesIntersect([0, 0, 1, 1], [2, 2, 3, 3])).toBe(false);
  });
});
