import { describe, expect, it } from 'vitest';
import { parseDatetime } from '../ogc/schema.js';
import { LAYERS, sqlBBoxFilter, sqlFeatures, sqlLimitOffset, sqlWhere } from './layers.js';

describe('feature SQL, one function per clause', () => {
  it('answers nothing for an unused clause', () => {
    expect(sqlBBoxFilter(LAYERS.assets, undefined)).toEqual({ text: '', values: [] });
    expect(sqlLimitOffset(undefined, undefined)).toEqual({ text: '', values: [] });
    expect(sqlWhere(LAYERS.assets, {})).toEqual({ text: '', values: [] });
  });

  it('tests points exactly (index box, then coordinates) and polygons with ST_Intersects, values bound', () => {
    expect(sqlBBoxFilter(LAYERS.assets, [1, 2, 3, 4])).toEqual({
      text: '(t.geom && ST_MakeEnvelope(?, ?, ?, ?, 4326) and ST_X(t.geom) between ? and ? and ST_Y(t.geom) between ? and ?)',
      values: [1, 2, 3, 4, 1, 3, 2, 4],
    });
    expect(sqlBBoxFilter(LAYERS.grids, [1, 2, 3, 4])).toEqual({ text: 'ST_Intersects(t.geom, ST_MakeEnvelope(?, ?, ?, ?, 4326))', values: [1, 2, 3, 4] });
  });

  it('splits a bbox across the antimeridian into two boxes', () => {
    const sql = sqlBBoxFilter(LAYERS.grids, [170, -10, -170, 10]);
    expect(sql.text).toBe('(ST_Intersects(t.geom, ST_MakeEnvelope(?, ?, ?, ?, 4326)) or ST_Intersects(t.geom, ST_MakeEnvelope(?, ?, ?, ?, 4326)))');
    expect(sql.values).toEqual([170, -10, 180, 10, -180, -10, -170, 10]);
  });

  it('keeps area layers to their level and to the versions in force', () => {
    expect(sqlWhere(LAYERS.grids, {})).toEqual({ text: 'where t.level = ?\n and t.valid_to is null', values: [3] });
  });

  it('confines a scoped layer to the scope, and to nothing without one', () => {
    const sql = sqlWhere(LAYERS.buildings, {});
    expect(sql.text).toContain('code = any(?)');
    expect(sql.values).toEqual([[]]);
  });

  it('binds every value: no request text reaches the SQL string', () => {
    const sql = sqlFeatures(LAYERS.assets, {
      shape: 'feature',
      precision: 6,
      filter: { category: ["0101'; drop table assets; --"], status: ['normal'], updatedSince: new Date(0) },
      after: 5,
      limit: 10,
      offset: 20,
    });
    expect(sql.text).not.toContain('drop table');
    expect(sql.values).toEqual([["0101'; drop table assets; --"], ['normal'], new Date(0), 5, 10, 20]);
  });
});

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
