import { describe, expect, it } from 'vitest';
import { TileCache, etagOf, gzipOf } from './cache.js';
import { tileBounds } from './tile_math.js';

const t1 = { z: 14, x: 13810, y: 6130 };
const t2 = { z: 14, x: 100, y: 100 };

describe('tile cache', () => {
  it('answers what was stored and misses the rest', () => {
    const c = new TileCache();
    c.set(TileCache.key('grids', t1, ''), 'grids', t1, Buffer.from('abc'));
    expect(c.get(TileCache.key('grids', t1, ''))?.body?.toString()).toBe('abc');
    expect(c.get(TileCache.key('grids', t1, 'status=open'))).toBeUndefined();
  });

  it('drops only the tiles of the layer over the bbox', () => {
    const c = new TileCache();
    c.set('a1', 'assets', t1, Buffer.from('1'));
    c.set('a2', 'assets', t2, Buffer.from('2'));
    c.set('g1', 'grids', t1, Buffer.from('3'));
    const [w, s, e, n] = tileBounds(t1);
    expect(c.invalidate('assets', [w + 1e-6, s + 1e-6, e - 1e-6, n - 1e-6])).toBe(1);
    expect(c.get('a1')).toBeUndefined();
    expect(c.get('a2')).toBeDefined();
    expect(c.get('g1')).toBeDefined();
  });

  it('evicts the least recently used tile beyond its byte budget', () => {
    const c = new TileCache(8000);
    c.set('x', 'assets', t1, Buffer.alloc(2000));
    c.set('y', 'assets', t1, Buffer.alloc(2000));
    c.get('x');
    c.set('z', 'assets', t1, Buffer.alloc(2000));
    expect(c.get('y')).toBeUndefined();
    expect(c.get('x')).toBeDefined();
  });

  it('answers but does not keep a tile made across an invalidation of its layer', () => {
    const c = new TileCache();
    const before = c.generation('assets');
    c.invalidate('assets', tileBounds(t2));
    const made = c.set('a1', 'assets', t1, Buffer.from('old'), before);
    expect(made.body?.toString()).toBe('old');
    expect(c.get('a1')).toBeUndefined();
  });

  it('keeps a tile made across an invalidation of another layer only', () => {
    const c = new TileCache();
    const before = c.generation('assets');
    c.invalidate('incidents');
    c.set('a1', 'assets', t1, Buffer.from('1'), before);
    expect(c.get('a1')?.body?.toString()).toBe('1');
    const again = c.generation('assets');
    c.invalidate();
    c.set('a2', 'assets', t1, Buffer.from('2'), again);
    expect(c.get('a2')).toBeUndefined();
  });

  it('gives equal bytes equal ETags and gzips once', () => {
    expect(etagOf(Buffer.from('q'))).toBe(etagOf(Buffer.from('q')));
    expect(etagOf(null)).not.toBe(etagOf(Buffer.from('q')));
    const tile = { body: Buffer.from('hello hello hello'), etag: '"x"' };
    expect(gzipOf(tile)).toBe(gzipOf(tile));
  });
});
