import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { GEOPACKAGE_LIMITS } from '../http/archive.js';
import { Invalid } from '../http/errors.js';
import initSqlJs from 'sql.js';
import { cpgEncoding, parseCrsName, readGeoJson, readGeoPackage, readShapefileZip } from './source.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const DEMO = JSON.parse(fs.readFileSync(path.join(FIXTURES, '../../../data/demo/areas.geojson'), 'utf8'));
const original = (code: string) => DEMO.features.find((f: { properties: { code: string } }) => f.properties.code === code).geometry.coordinates as number[][][][];

/** Largest coordinate difference between two MultiPolygon coordinate arrays of the same shape. */
function maxDiff(a: number[][][][], b: number[][][][]): number {
  let d = 0;
  a.forEach((poly, i) => poly.forEach((ring, j) => ring.forEach((p, k) => {
    d = Math.max(d, Math.abs(p[0] - b[i][j][k][0]), Math.abs(p[1] - b[i][j][k][1]));
  })));
  return d;
}

/** Coordinates as a MultiPolygon array, whatever the geometry type. */
const multi = (g: { type: string; coordinates: unknown }) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as number[][][][];

describe('readShapefileZip', () => {
  it('decodes GBK attribute text as the .cpg declares', async () => {
    const src = await readShapefileZip(fs.readFileSync(path.join(FIXTURES, 'gbk_cgcs2000_grids.zip')));
    expect(src.features.map((f) => f.name)).toEqual(['文化路第一网格', '文化路第二网格']);
    expect(src.features.map((f) => f.parent_code)).toEqual(['210103007001', '210103007001']);
  });

  it('takes a CGCS2000 (EPSG:4490) .prj as WGS84, unchanged', async () => {
    const src = await readShapefileZip(fs.readFileSync(path.join(FIXTURES, 'gbk_cgcs2000_grids.zip')));
    expect(src.crs).toBe('EPSG:4326');
    const rings = multi(src.features[0].geometry);
    expect(rings[0][0].length).toBeGreaterThan(3);
    const [lon, lat] = rings[0][0][0];
    expect(lon).toBeGreaterThan(123.3);
    expect(lat).toBeGreaterThan(41.7);
  });

  it('reprojects a Web Mercator (EPSG:3857) Shapefile to WGS84 within a centimetre', async () => {
    const src = await readShapefileZip(fs.readFileSync(path.join(FIXTURES, 'gbk_epsg3857_grids.zip')));
    const merc = multi(src.features[0].geometry);
    const wgs = (await readShapefileZip(fs.readFileSync(path.join(FIXTURES, 'gbk_cgcs2000_grids.zip')))).features[0].geometry;
    expect(maxDiff(merc, multi(wgs))).toBeLessThan(1e-7);
  });

  it('refuses a zip without a .prj, saying to export it', async () => {
    const AdmZip = (await import('adm-zip')).default;
    const zip = new AdmZip(fs.readFileSync(path.join(FIXTURES, 'gbk_cgcs2000_grids.zip')));
    zip.deleteFile('gbk_grids.prj');
    await expect(readShapefileZip(zip.toBuffer())).rejects.toThrow(/\.prj/);
  });
});

describe('readGeoPackage', () => {
  const gpkg = () => fs.readFileSync(path.join(FIXTURES, 'epsg3857_grids.gpkg'));

  /** The fixture changed by SQL statements. */
  const changed = async (sql: string) => {
    const SQL = await initSqlJs();
    const db = new SQL.Database(gpkg());
    db.exec(sql);
    const bytes = Buffer.from(db.export());
    db.close();
    return bytes;
  };

  it('refuses a GeoPackage over its size limit (413) before opening it', async () => {
    const big = Buffer.concat([gpkg(), Buffer.alloc(GEOPACKAGE_LIMITS.maxBytes)]);
    await expect(readGeoPackage(big)).rejects.toMatchObject({ code: 'file_too_large', params: { max_bytes: GEOPACKAGE_LIMITS.maxBytes } });
  });

  it('refuses a layer that is a view computing rows without end, without running it', async () => {
    const bytes = await changed(`alter table grids rename to grids_data;
      create view grids as with recursive n(i) as (select 1 union all select i + 1 from n) select g.* from grids_data g, n;`);
    await expect(readGeoPackage(bytes)).rejects.toMatchObject({ code: 'gpkg_unreadable', message: expect.stringMatching(/view/) });
  });

  it('refuses a GeoPackage whose metadata tables are views', async () => {
    const bytes = await changed(`alter table gpkg_contents rename to c0;
      create view gpkg_contents as with recursive n(i) as (select 1 union all select i + 1 from n) select c0.* from c0, n;`);
    await expect(readGeoPackage(bytes)).rejects.toMatchObject({ code: 'not_geopackage' });
  });

  it('refuses a layer with a generated column (computed on every read)', async () => {
    const bytes = await changed(`alter table grids add column junk blob generated always as (zeroblob(100000000)) virtual;`);
    await expect(readGeoPackage(bytes)).rejects.toMatchObject({ code: 'gpkg_unreadable' });
  });

  it('refuses a layer of more rows than a plan takes, before reading them', async () => {
    const bytes = await changed(`insert into grids (code, name) with recursive n(i) as (select 1 union all select i + 1 from n where i < ${GEOPACKAGE_LIMITS.maxRows}) select 'x' || i, 'x' from n;`);
    await expect(readGeoPackage(bytes)).rejects.toMatchObject({ code: 'import_too_many_rows', params: { max_rows: GEOPACKAGE_LIMITS.maxRows } });
  });

  it('reads the feature layer with its UTF-8 attributes, reprojected from EPSG:3857 as the Shapefile of the same grids', async () => {
    const src = await readGeoPackage(gpkg());
    expect(src).toMatchObject({ source: 'geopackage', crs: 'EPSG:3857' });
    expect(src.features.map((f) => [f.code, f.name, f.parent_code])).toEqual([
      ['210103007001001', '文化路第一网格', '210103007001'],
      ['210103007001002', '文化路第二网格', '210103007001'],
    ]);
    const shp = await readShapefileZip(fs.readFileSync(path.join(FIXTURES, 'gbk_cgcs2000_grids.zip')));
    expect(maxDiff(multi(src.features[0].geometry), multi(shp.features[0].geometry))).toBeLessThan(1e-7);
  });

  it('refuses a GeoPackage with two feature layers, naming them', async () => {
    const SQL = await initSqlJs();
    const db = new SQL.Database(gpkg());
    db.exec(`create table roads as select * from grids;
             insert into gpkg_contents (table_name, data_type, identifier, srs_id) values ('roads', 'features', 'roads', 3857);
             insert into gpkg_geometry_columns select 'roads', column_name, geometry_type_name, srs_id, z, m from gpkg_geometry_columns where table_name = 'grids';`);
    const bytes = Buffer.from(db.export());
    db.close();
    await expect(readGeoPackage(bytes)).rejects.toThrow(/exactly one feature layer; it holds 2 \(grids, roads\)/);
  });

  it('refuses SQLite that is not a GeoPackage, and bytes that are not SQLite', async () => {
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.exec('create table t (a int)');
    const bytes = Buffer.from(db.export());
    db.close();
    await expect(readGeoPackage(bytes)).rejects.toThrow(/not a GeoPackage/);
    await expect(readGeoPackage(Buffer.from('SQLite format 3\0 but then nothing'))).rejects.toThrow(Invalid);
  });
});

describe('readGeoJson', () => {
  const code = '210103007001001';
  const feature = (coordinates: unknown) => ({ type: 'Feature', properties: { code, parent_code: '210103007001' }, geometry: { type: 'MultiPolygon', coordinates } });
  const toMerc = proj4('EPSG:4326', 'EPSG:3857');

  it('reprojects coordinates declared as EPSG:3857', () => {
    const merc = original(code).map((p) => p.map((r) => r.map((xy) => toMerc.forward(xy))));
    const src = readGeoJson({ type: 'FeatureCollection', features: [feature(merc)] }, 'EPSG:3857');
    expect(src.crs).toBe('EPSG:3857');
    expect(maxDiff(multi(src.features[0].geometry), original(code))).toBeLessThan(1e-9);
  });

  it('honours a legacy crs member naming EPSG:3857', () => {
    const merc = original(code).map((p) => p.map((r) => r.map((xy) => toMerc.forward(xy))));
    const src = readGeoJson({ type: 'FeatureCollection', crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::3857' } }, features: [feature(merc)] });
    expect(maxDiff(multi(src.features[0].geometry), original(code))).toBeLessThan(1e-9);
  });

  it('keeps EPSG:4490 (CGCS2000) coordinates as they are', () => {
    const src = readGeoJson({ type: 'FeatureCollection', features: [feature(original(code))] }, 'EPSG:4490');
    expect(maxDiff(multi(src.features[0].geometry), original(code))).toBe(0);
  });

  it('refuses positions that are not lon/lat, saying [lat, lon] when swapped and naming crs= when projected', () => {
    const swapped = original(code).map((p) => p.map((r) => r.map(([x, y]) => [y, x])));
    expect(() => readGeoJson({ type: 'FeatureCollection', features: [feature(swapped)] })).toThrow(/looks like \[lat, lon\].*write \[123\.\d+, 41\.\d+\]/);
    const merc = original(code).map((p) => p.map((r) => r.map((xy) => toMerc.forward(xy))));
    expect(() => readGeoJson({ type: 'FeatureCollection', features: [feature(merc)] })).toThrow(/crs=EPSG:3857/);
  });

  it('refuses an unsupported coordinate system naming the ones it reads', () => {
    expect(() => readGeoJson({ type: 'FeatureCollection', features: [feature(original(code))] }, 'EPSG:2154')).toThrow(Invalid);
    expect(() => readGeoJson({ type: 'FeatureCollection', features: [feature(original(code))] }, 'EPSG:2154')).toThrow(/EPSG:3857/);
  });
});

describe('parseCrsName and cpgEncoding', () => {
  it('normalises the usual spellings of a CRS', () => {
    expect(parseCrsName('urn:ogc:def:crs:EPSG::4490')).toBe('EPSG:4490');
    expect(parseCrsName('epsg:3857')).toBe('EPSG:3857');
    expect(parseCrsName('3857')).toBe('EPSG:3857');
    expect(parseCrsName('urn:ogc:def:crs:OGC:1.3:CRS84')).toBe('OGC:CRS84');
  });

  it('maps .cpg contents to encodings', () => {
    expect(cpgEncoding('GBK')).toBe('GBK');
    expect(cpgEncoding('936')).toBe('cp936');
    expect(cpgEncoding('UTF-8')).toBe('UTF-8');
    expect(cpgEncoding(undefined)).toBeUndefined();
  });
});
