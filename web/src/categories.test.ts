import { describe, expect, it } from 'vitest';
import { categoryUses, rankCategories, recordCategoryUse } from './categories.js';

const CATS = [
  { code: '0101', asset_category_code: null },
  { code: '0102', asset_category_code: null },
  { code: '0601', asset_category_code: '0202' },
  { code: '0602', asset_category_code: '0101' },
];
const codes = (cs: { code: string }[]) => cs.map((c) => c.code);

describe('rankCategories', () => {
  it("keeps the dictionary's order when nothing was used", () => {
    expect(codes(rankCategories(CATS, {}))).toEqual(['0101', '0102', '0601', '0602']);
  });

  it('puts the most used first, ties in the dictionary order', () => {
    expect(codes(rankCategories(CATS, { '0602': 3, '0102': 1, '0601': 1 }))).toEqual(['0602', '0102', '0601', '0101']);
  });

  it("puts the categories of a tapped asset before everything else", () => {
    expect(codes(rankCategories(CATS, { '0101': 9 }, '0202'))).toEqual(['0601', '0101', '0102', '0602']);
  });
});

describe('category use on the device', () => {
  it('counts each pick and survives garbage in storage', () => {
    const items = new Map<string, string>();
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
    recordCategoryUse('0101', storage);
    recordCategoryUse('0101', storage);
    recordCategoryUse('0602', storage);
    expect(categoryUses(storage)).toEqual({ '0101': 2, '0602': 1 });
    items.set('gridwork.category-use', '{not json');
    expect(categoryUses(storage)).toEqual({});
  });
});
