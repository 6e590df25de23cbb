import { describe, expect, it } from 'vitest';
import { parseDatetime } from './schema.js';

describe('parseDatetime', () => {
  it('reads an instant as a closed interval of one instant', () => {
    const d = new Date('2026-01-01T00:00:00Z');
    expect(parseDatetime('2026-01-01T00:00:00Z')).toEqual({ start: d, end: d });
  });

  it('reads open-ended intervals', () => {
    expect(parseDatetime('../2026-01-01T00:00:00Z')).toEqual({ start: undefined, end: new Date('2026-01-01T00:00:00Z') });
    expect(parseDatetime('2026-01-01T00:00:00Z/')).toEqual({ start: new Date('2026-01-01T00:00:00Z'), end: undefined });
  });

  it('refuses both ends open, reversed intervals and non-dates', () => {
    expect(parseDatetime('../..')).toMatch(/both ends open/);
    expect(parseDatetime('2026-02-01/2026-01-01')).toMatch(/starts after it ends/);
    expect(parseDatetime('next week')).toMatch(/RFC 3339/);
  });
});
