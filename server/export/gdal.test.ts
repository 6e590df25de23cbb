import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/app.js';
import { HAS_GDAL, ogr2ogr, ogrLayerInfo } from './gdal_test_utils.js';
import { FEATURE_LAYERS, PUBLIC_LAYER_IDS, type LayerId } from '../features/catalogue.js';

const t = useTestApp();
const OFFICE = `T-GDAL-${process.pid}`;
/** This file's assets and incidents lie in this box, so their counts do not depend on other files. */
const BBOX = '20,20,20.5,20.5';
let dir = '';

/** The export filter that makes a layer's count stable: area layers whole, the rest in this file's box. */
const filterOf = (layer: LayerId) => (FEATURE_LAYERS[layer].table === 'areas' ? '' : `?bbox=${BBOX}`);

/** Rows of a layer the export should hold. */
async function expectedCount(layer: LayerId): Promise<number> {
  const def = FEATURE_LAYERS[layer];
  const { rows } =
    def.table === 'areas'
      ? await t.db.knex.raw('select count(*)::int as n from areas where level = ? and valid_to is null', [def.level!])
      : await t.db.knex.raw(`select count(*)::int as n from ${def.table} where office_code = ?`, [OFFICE]);
  return rows[0].n;
}

/** Download an export to a file and answer its path. */
async function download(layer: LayerId, format: string): Promise<string> {
  const res = await request(t.app)
    .get(`/export/${layer}.${format}${filterOf(layer)}`)
    .buffer(true)
    .parse((r, cb) => {
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => cb(null, Buffer.concat(parts)));
    });
  expect(res.status).toBe(200);
  const file = path.join(dir, `${layer}.${format}`);
  fs.writeFileSync(file, res.body as Buffer);
  return file;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridwork-gdal-'));
  await t.db.knex.raw(
    `insert into assets (office_code, code, category_code, attrs, geom)
     select ?, 'G-' || g, '0101', jsonb_build_object('material', '铸铁'),
            ST_SetSRID(ST_MakePoint(20 + random() * 0.5, 20 + random() * 0.5), 4326)
       from generate_series(1, 1234) g`,
    [OFFICE],
  );
  await t.db.knex.raw(
    `insert into incidents (office_code, case_no, category_code, source, status, level, near_edge, geom)
     select ?, ? || '-' || g, '0101', 'patrol', 'open', 'grid', g % 2 = 0, ST_SetSRID(ST_MakePoint(20.1 + g * 0.01, 20.1), 4326)
       from generate_series(1, 7) g`,
    [OFFICE, OFFICE],
  );
});

afterAll(async () => {
  await t.db.knex('assets').where({ office_code: OFFICE }).delete();
  await t.db.knex('incidents').where({ office_code: OFFICE }).delete();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAS_GDAL)('ogrinfo reads every export', () => {
  const cases = PUBLIC_LAYER_IDS.flatMap((layer) => (['geojson', 'geojsonseq', 'csv'] as const).map((format) => [layer, format] as const));

  it.each(cases)('%s.%s: the right feature count and fields', async (layer, format) => {
    const file = await download(layer, format);
    const info = await ogrLayerInfo(file);
    expect(info.featureCount).toBe(await expectedCount(layer));
    const names = FEATURE_LAYERS[layer].properties.map((p) => p.name);
    const geometry = FEATURE_LAYERS[layer].geometryType === 'Point' ? 'Point' : 'Multi Polygon';
    if (format === 'csv') {
      expect(Object.keys(info.fields)).toEqual(['WKT', ...names]);
      // The WKT column is read as the geometry; CSV declares no geometry type, so GDAL says "any".
      expect(info.geometry).toBe('Unknown (any)');
    } else {
      // GDAL keeps a string feature id (area codes, case numbers) as an "id" field; integer ids become FIDs.
      expect(Object.keys(info.fields)).toEqual(FEATURE_LAYERS[layer].featureId.type === 'string' ? ['id', ...names] : names);
      expect(info.geometry).toBe(geometry);
    }
  });

  it('reads typed fields from GeoJSON: integers, JSON, date-times and booleans', async () => {
    const assets = await ogrLayerInfo(await download('assets', 'geojson'));
    expect(assets.fields).toMatchObject({ id: 'Integer', attrs: 'String(JSON)', updated_at: 'DateTime' });
    const incidents = await ogrLayerInfo(await download('incidents', 'geojson'));
    expect(incidents.fields).toMatchObject({ near_edge: 'Integer(Boolean)', rework_count: 'Integer', reported_at: 'DateTime' });
  });
});

/**
 * Run an export through ogr2ogr (GDAL reads it and writes it out again as GeoJSON at full precision) and
 * answer the features GDAL wrote, to be compared with the database's own geometries.
 */
async function throughGdal(file: string): Promise<unknown[]> {
  const out = `${file}.gdal.geojson`;
  await ogr2ogr(['-f', 'GeoJSON', '-lco', 'COORDINATE_PRECISION=15', out, file]);
  return JSON.parse(fs.readFileSync(out, 'utf8')).features;
}

describe.skipIf(!HAS_GDAL)('an export read and written again by ogr2ogr', () => {
  it('has the same grid geometries (ST_Equals after rounding to the export precision)', async () => {
    const features = await throughGdal(await download('grids', 'geojson'));
    const { rows } = await t.db.knex.raw(
      `with x as (select f->'properties'->>'code' as code, ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326) as geom
                    from json_array_elements(?::json) f)
       select count(*)::int as n,
              count(*) filter (where ST_Equals(ST_SnapToGrid(x.geom, 1e-6), ST_SnapToGrid(a.geom, 1e-6)))::int as equal
         from x join areas a on a.code = x.code and a.level = 3 and a.valid_to is null`,
      [JSON.stringify(features)],
    );
    expect(rows[0].n).toBe(await expectedCount('grids'));
    expect(rows[0].equal).toBe(rows[0].n);
  });

  it('has the same asset points, rounded to 6 decimals', async () => {
    const features = await throughGdal(await download('assets', 'geojsonseq'));
    const { rows } = await t.db.knex.raw(
      `with x as (select (f->'properties'->>'id')::int as id, ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326) as geom
                    from json_array_elements(?::json) f)
       select count(*)::int as n,
              count(*) filter (where ST_Equals(ST_SnapToGrid(x.geom, 1e-6), ST_SnapToGrid(a.geom, 1e-6)))::int as equal
         from x join assets a on a.id = x.id`,
      [JSON.stringify(features)],
    );
    expect(rows[0].n).toBe(1234);
    expect(rows[0].equal).toBe(1234);
  });
});
