import { describe, expect, it } from 'vitest';
import { parseBBox } from './schema.js';

describe('parseBBox', () => {
  it('reads 4 numbers, or 6 with heights', () => {
    expect(parseBBox('123.4,41.7,123.5,41.8')).toEqual([123.4, 41.7, 123.5, 41.8]);
    expect(parseBBox('123.4,41.7,0,123.5,41.8,100')).toEqual([123.4, 41.7, 123.5, 41.8]);
  });

  it('names the mistake in lat,lon order', () => {
    expect(parseBBox('41.7,123.4,41.8,123.5')).toMatch(/latitudes must be within -90..90 \(is the order lon,lat\?\)/);
  });
});
