import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/app.js';
import { HAS_GDAL, ogr2ogr, ogrLayerInfo } from '../export/gdal_test_utils.js';

const t = useTestApp();
let server: http.Server;
let base = '';
/** Paths of the requests the server saw, to show GDAL paged through next links. */
const seen: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    t.app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ogc`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
});

/** Count of a layer in the database. */
async function dbCount(sql: string): Promise<number> {
  const { rows } = await t.db.knex.raw(sql);
  return rows[0].n;
}

describe.skipIf(!HAS_GDAL)('GDAL OAPIF driver over /ogc', () => {
  it.each([
    ['offices', 'select count(*)::int as n from areas where level = 1 and valid_to is null'],
    ['communities', 'select count(*)::int as n from areas where level = 2 and valid_to is null'],
    ['grids', 'select count(*)::int as n from areas where level = 3 and valid_to is null'],
  ])('ogrinfo reads %s with the database count', async (layer, sql) => {
    const before = await dbCount(sql);
    const info = await ogrLayerInfo(`OAPIF:${base}`, layer);
    expect([before, await dbCount(sql)]).toContain(info.featureCount);
    expect(info.geometry).toBe('Multi Polygon');
    expect(Object.keys(info.fields)).toEqual(expect.arrayContaining(['code', 'name', 'name_en', 'level', 'parent_code']));
  });

  it('reaches every asset by following next links page by page', async () => {
    const sql = 'select count(*)::int as n from assets';
    const before = await dbCount(sql);
    seen.length = 0;
    const out = await ogr2ogr(['-f', 'GeoJSONSeq', '/vsistdout/', `OAPIF:${base}`, 'assets', '-oo', 'PAGE_SIZE=500']);
    const after = await dbCount(sql);
    const ids = out.split('\n').filter(Boolean).map((line) => JSON.parse(line.replace(/^\x1e/, '')).properties.id as number);
    expect([before, after]).toContain(ids.length);
    expect(new Set(ids).size).toBe(ids.length);
    const pages = seen.filter((u) => u.startsWith('/ogc/collections/assets/items'));
    expect(pages.filter((u) => /[?&]after=\d+/.test(u)).length).toBeGreaterThanOrEqual(Math.ceil(ids.length / 500) - 1);
  });
});
