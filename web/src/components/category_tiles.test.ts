import { describe, expect, it } from 'vitest';
import { CATEGORY_GLYPHS, categoriesForAsset, groupByClass, type IncidentCategory } from './category_tiles.js';

const cat = (code: string, class_name: string, asset_category_code: string | null = null): IncidentCategory => ({
  code, name: code, name_en: code, class_code: code.slice(0, 2), class_name, class_name_en: class_name,
  deadline_hours: 24, deadline_kind: 'working', department_code: null, asset_category_code, handle_requires_photo: false,
});

/** The incident categories of migration 002, by code. */
const DICTIONARY = ['0101', '0102', '0103', '0104', '0201', '0202', '0301', '0302', '0303', '0401', '0402', '0403', '0404', '0501', '0502', '0503', '0504', '0601', '0602', '0603', '0604', '0605', '0606'];

describe('groupByClass', () => {
  it('groups the categories by class, in code order', () => {
    const groups = groupByClass([cat('0603', '部件损坏'), cat('0101', '市容环境'), cat('0601', '部件损坏'), cat('0102', '市容环境')]);
    expect(groups.map(([first, cats]) => [first.class_name, cats.map((c) => c.code)])).toEqual([
      ['市容环境', ['0101', '0102']],
      ['部件损坏', ['0601', '0603']],
    ]);
  });
});

describe('categoriesForAsset', () => {
  it("gives the categories filed under an asset's category: a streetlight → 路灯不亮", () => {
    const cats = [cat('0601', '部件损坏', '0102'), cat('0602', '部件损坏', '0102'), cat('0603', '部件损坏', '0120'), cat('0101', '市容环境')];
    expect(categoriesForAsset(cats, '0120').map((c) => c.code)).toEqual(['0603']);
    expect(categoriesForAsset(cats, '0102').map((c) => c.code)).toEqual(['0601', '0602']);
    expect(categoriesForAsset(cats, '0501')).toEqual([]);
    expect(categoriesForAsset(cats, null)).toEqual([]);
  });
});

describe('CATEGORY_GLYPHS', () => {
  it('has an icon for every category of the dictionary', () => {
    expect(DICTIONARY.filter((code) => !CATEGORY_GLYPHS[code])).toEqual([]);
  });
});
