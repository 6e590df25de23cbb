import { describe, expect, it } from 'vitest';
import { areaText, bytesText, dueText, figureText, monthOf, percent, when, whenShort } from './format.js';

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

describe('areaText', () => {
  it('writes m² up to a tenth of a km², rounded, with thousands separated', () => {
    expect(areaText(0.4)).toBe('0 m²');
    expect(areaText(1234.5)).toBe('1,235 m²');
    expect(areaText(99_999)).toBe('99,999 m²');
  });

  it('writes km² with two decimals above', () => {
    expect(areaText(100_000)).toBe('0.10 km²');
    expect(areaText(3_421_000)).toBe('3.42 km²');
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

describe('dueText', () => {
  const now = Date.parse('2026-12-03T08:00:00Z');
  it('says how long is left, in minutes, hours or days', () => {
    expect(dueText('2026-12-03T08:20:00Z', now, 'zh')).toBe('还剩 20 分钟');
    expect(dueText('2026-12-03T11:00:00Z', now, 'zh')).toBe('还剩 3 小时');
    expect(dueText('2026-12-06T08:00:00Z', now, 'en')).toBe('due in 3 d');
  });
  it('says how long it is overdue', () => {
    expect(dueText('2026-12-03T05:00:00Z', now, 'zh')).toBe('超期 3 小时');
    expect(dueText('2026-12-01T08:00:00Z', now, 'en')).toBe('2 d overdue');
  });
  it('is a dash without a deadline', () => {
    expect(dueText(null, now, 'zh')).toBe('—');
  });
});

describe('whenShort', () => {
  it('writes a time in office time to the minute in either language', () => {
    expect(whenShort('2026-03-01T02:05:09Z', 'zh')).toBe('2026/3/1 10:05');
    expect(whenShort('2026-03-01T02:05:09Z', 'en')).toBe('1 Mar 2026, 10:05');
    expect(whenShort('2026-12-31T16:30:00Z', 'zh')).toBe('2027/1/1 00:30');
    expect(whenShort(null, 'zh')).toBe('—');
  });
});

describe('bytesText', () => {
  it('writes bytes, KB and MB', () => {
    expect(bytesText(512)).toBe('512 B');
    expect(bytesText(350 * 1024)).toBe('350 KB');
    expect(bytesText(8.4 * 1024 * 1024)).toBe('8.4 MB');
  });
});
