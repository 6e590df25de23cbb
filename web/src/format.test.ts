import { describe, expect, it } from 'vitest';
import { figureText, monthOf, percent, when } from './format.js';

describe('when', () => {
  it('writes a time in office time (UTC+8) in either language', () => {
    expect(when('2026-03-01T02:05:09Z', 'en')).toBe('01/03/2026, 10:05:09');
    expect(when('2026-03-01T02:05:09Z', 'zh')).toBe('2026/3/1 10:05:09');
  });

  it('turns the office day over at its midnight, not UTC', () => {
    expect(when('2026-12-31T16:30:00Z', 'en')).toBe('01/01/2027, 00:30:00');
  });

  it('writes a dash for no time', () => {
    expect(when(null, 'en')).toBe('—');
    expect(when(undefined, 'zh')).toBe('—');
    expect(when('', 'en')).toBe('—');
  });
});

describe('monthOf', () => {
  it('is YYYY-MM with the month zero-padded', () => {
    expect(monthOf(new Date(2026, 0, 31))).toBe('2026-01');
    expect(monthOf(new Date(2026, 11, 1))).toBe('2026-12');
  });
});

describe('percent', () => {
  it('writes a rate with one decimal, and a dash for none', () => {
    expect(percent(0.875)).toBe('87.5%');
    expect(percent(1)).toBe('100.0%');
    expect(percent(0)).toBe('0.0%');
    expect(percent(null)).toBe('—');
  });
});

describe('figureText', () => {
  it('writes counts as they are and rates as percentages', () => {
    expect(figureText(12)).toBe('12');
    expect(figureText(0)).toBe('0');
    expect(figureText(0.5, true)).toBe('50.0%');
  });

  it('writes yes/no as ✔/✘ and nothing as a dash', () => {
    expect(figureText(true)).toBe('✔');
    expect(figureText(false)).toBe('✘');
    expect(figureText(null, true)).toBe('—');
    expect(figureText(undefined)).toBe('—');
  });
});
