import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../server/demo/synthetic.js';
import { fieldPaths, hostileParamValues, pickSome, sampleOf, withField } from './openapi_values.js';

const doc = {
  components: {
    schemas: {
      Point: { type: 'object', required: ['lon', 'lat'], properties: { lon: { type: 'number', minimum: -180 }, lat: { type: 'number' } } },
      Report: { type: 'object', required: ['category', 'at'], properties: { category: { type: 'string', enum: ['0101', '0102'] }, at: { $ref: '#/components/schemas/Point' }, note: { type: 'string' } } },
    },
  },
};

describe('fuzz values from an OpenAPI document', () => {
  it('a seed gives the same numbers, another seed others', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect(mulberry32(8)()).not.toBe(first[0]);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('picks the asked number of items, in their order, without repeats', () => {
    const picked = pickSome([1, 2, 3, 4, 5, 6, 7, 8], 3, mulberry32(1));
    expect(picked).toHaveLength(3);
    expect([...picked].sort((x, y) => x - y)).toEqual(picked);
    expect(new Set(picked).size).toBe(3);
    expect(pickSome([1, 2], 5, mulberry32(1))).toEqual([1, 2]);
  });

  it('samples a body through its references: required fields only, enums by their first value', () => {
    expect(sampleOf({ $ref: '#/components/schemas/Report' }, doc)).toEqual({ category: '0101', at: { lon: 1, lat: 1 } });
  });

  it('lists the fields of a body to two levels and sets one in a copy', () => {
    expect(fieldPaths({ $ref: '#/components/schemas/Report' }, doc)).toEqual([['category'], ['at'], ['at', 'lon'], ['at', 'lat'], ['note']]);
    const body = { category: '0101', at: { lon: 1, lat: 1 } };
    expect(withField(body, ['at', 'lat'], '\u0000')).toEqual({ category: '0101', at: { lon: 1, lat: '\u0000' } });
    expect(body.at.lat).toBe(1);
  });

  it('keeps parameter values within what a request head carries, and includes a NUL byte', () => {
    const values = hostileParamValues();
    expect(values).toContain('a\u0000b');
    expect(Math.max(...values.map((v) => v.length))).toBeLessThanOrEqual(6000);
  });
});
