import { setImmediate } from 'node:timers/promises';
import iconv from 'iconv-lite';
import proj4, { type Converter } from 'proj4';
import { openShp } from 'shapefile';
import initSqlJs from 'sql.js';
import wkx from 'wkx';
import { GEOPACKAGE_LIMITS, SHAPEFILE_ZIP_LIMITS, ZipArchive, ZipUnreadable } from '../http/archive.js';
import { Invalid, TooLarge } from '../http/errors.js';
import { formatBytes } from '../http/upload.js';
import { decodeText } from '../http/text.js';

/** One proposed grid as read from a file, in WGS84. */
export interface PlanFeature {
  code: string;
  name: string;
  name_en: string;
  parent_code: string | null;
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown };
}

/** Features read from a source, with the coordinate system they were reprojected from. */
export interface PlanSource {
  source: 'geojson' | 'shapefile' | 'geopackage';
  crs: string;
  features: PlanFeature[];
}

// CGCS2000 (EPSG:4490) differs from WGS84 by centimetres; the product treats it as WGS84.
const GEOGRAPHIC = new Set(['EPSG:4326', 'EPSG:4490', 'EPSG:4283', 'OGC:CRS84', 'CRS84']);

/**
 * Normalise a CRS name: `urn:ogc:def:crs:EPSG::3857`, `EPSG:3857`, `3857` → `EPSG:3857`; CRS84 stays.
 * Unknown forms are returned trimmed, for the error message.
 */
export function parseCrsName(name: string): string {
  const s = name.trim();
  const m = /(?:EPSG(?::|::|\/)(?:[\d.]*:)?|^)(\d{4,5})$/i.exec(s);
  if (m) return `EPSG:${m[1]}`;
  if (/CRS84$/i.test(s)) return 'OGC:CRS84';
  return s;
}

/** The proj4 definition of an EPSG code the importer accepts, or undefined for geographic (identity). */
function projDefinition(crs: string): string | undefined {
  if (GEOGRAPHIC.has(crs)) return undefined;
  if (crs === 'EPSG:3857' || crs === 'EPSG:900913' || crs === 'EPSG:3785') return 'EPSG:3857';
  const code = Number(crs.replace(/^EPSG:/, ''));
  // CGCS2000 3-degree Gauss-Krüger zones: 4513–4533 with the zone number in the false easting, 4534–4554 without.
  if (code >= 4513 && code <= 4533) {
    const zone = code - 4513 + 25;
    return `+proj=tmerc +lat_0=0 +lon_0=${zone * 3} +k=1 +x_0=${zone * 1_000_000 + 500_000} +y_0=0 +ellps=GRS80 +units=m +no_defs`;
  }
  if (code >= 4534 && code <= 4554) {
    return `+proj=tmerc +lat_0=0 +lon_0=${75 + (code - 4534) * 3} +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs`;
  }
  // UTM on WGS84 (326xx north, 327xx south).
  if (code >= 32601 && code <= 32660) return `+proj=utm +zone=${code - 32600} +datum=WGS84 +units=m +no_defs`;
  if (code >= 32701 && code <= 32760) return `+proj=utm +zone=${code - 32700} +south +datum=WGS84 +units=m +no_defs`;
  throw new Invalid(
    'crs_unsupported',
    `The coordinate system ${crs} is not supported; reproject the file to EPSG:4326 (WGS84), EPSG:4490 (CGCS2000), EPSG:3857, a CGCS2000 Gauss-Krüger zone (EPSG:4513–4554) or UTM.`,
    { params: { crs } },
  );
}

/** A function that maps [x, y] in `crs` to WGS84 [lon, lat]; identity for geographic systems. */
export function toWgs84Transform(crs: string): ((xy: number[]) => number[]) | undefined {
  const def = projDefinition(parseCrsName(crs));
  if (!def) return undefined;
  const conv = proj4(def, 'EPSG:4326');
  return (xy) => conv.forward([xy[0], xy[1]]);
}

/**
 * The proj4 transform of a .prj (ESRI WKT); undefined when it is geographic (WGS84 or CGCS2000, taken as
 * WGS84).
 */
export function prjTransform(wkt: string): ((xy: number[]) => number[]) | undefined {
  const text = wkt.trim();
  if (!text || /^GEOGCS\[/i.test(text) || /^GEOGCRS\[/i.test(text)) return undefined;
  if (/^PROJCS\[/i.test(text) && /Mercator_Auxiliary_Sphere|Pseudo[_ -]Mercator|Popular Visualisation/i.test(text)) {
    return toWgs84Transform('EPSG:3857');
  }
  let conv: Converter;
  try {
    conv = proj4(text, 'EPSG:4326');
  } catch (err) {
    throw new Invalid('prj_unreadable', `The .prj file could not be read (${(err as Error).message}); export the layer in EPSG:4326 or EPSG:4490.`);
  }
  return (xy) => conv.forward([xy[0], xy[1]]);
}

/** Apply a transform to every position of a Polygon or MultiPolygon. */
function reproject(geometry: PlanFeature['geometry'], f: (xy: number[]) => number[]): PlanFeature['geometry'] {
  const ring = (r: number[][]) => r.map(f);
  if (geometry.type === 'Polygon') return { type: 'Polygon', coordinates: (geometry.coordinates as number[][][]).map(ring) };
  return { type: 'MultiPolygon', coordinates: (geometry.coordinates as number[][][][]).map((p) => p.map(ring)) };
}

/** Check that every position is a finite WGS84 lon/lat; the message names the first bad one and the likely fix. */
function assertLonLatGeometry(code: string, geometry: PlanFeature['geometry']): void {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates as number[][][]] : (geometry.coordinates as number[][][][]);
  for (const poly of polys) {
    if (!Array.isArray(poly)) throw new Invalid('coordinates_malformed', `Feature ${code}: the coordinates are not nested arrays of positions.`, { params: { grid: code } });
    for (const ring of poly) {
      if (!Array.isArray(ring) || ring.length < 4) {
        throw new Invalid('ring_not_closed', `Feature ${code}: every ring needs at least 4 positions (closed), as RFC 7946 §3.1.6 requires.`, { params: { grid: code } });
      }
      for (const p of ring) {
        if (!Array.isArray(p) || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
          throw new Invalid('position_not_numbers', `Feature ${code}: position ${JSON.stringify(p)} is not [lon, lat] numbers.`, {
            params: { grid: code, position: JSON.stringify(p) ?? 'undefined' },
          });
        }
        if (Math.abs(p[0]) > 180 || Math.abs(p[1]) > 90) {
          // Degrees in the other order ([lat, lon]) are a common slip; anything larger is metres of a projection.
          const swapped = Math.abs(p[0]) <= 90 && Math.abs(p[1]) <= 180;
          throw new Invalid(
            swapped ? 'position_lat_lon_swapped' : 'position_projected',
            `Feature ${code}: position [${p[0]}, ${p[1]}] is not longitude/latitude. ` +
              (swapped
                ? `It looks like [lat, lon]: GeoJSON positions are [lon, lat] (RFC 7946), so write [${p[1]}, ${p[0]}].`
                : 'If the file is projected, declare its coordinate system (crs=EPSG:3857, or a .prj in the zip).'),
            { params: { grid: code, position: [p[0], p[1]] } },
          );
        }
      }
    }
  }
}

/** Read a property as trimmed text, or undefined when absent or empty. */
function text(props: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const n of names) {
    for (const key of Object.keys(props)) {
      if (key.toLowerCase() !== n) continue;
      const v = props[key];
      if (v !== null && v !== undefined && String(v).trim() !== '') return String(v).trim();
    }
  }
  return undefined;
}

/** Features read between two turns of the event loop: a file at the archive limits is read in turns of a few milliseconds. */
const FEATURES_PER_TURN = 500;

/** Give the event loop a turn after every FEATURES_PER_TURN items (call with the index of each). */
async function turnAfter(i: number): Promise<void> {
  if (i % FEATURES_PER_TURN === FEATURES_PER_TURN - 1) await setImmediate();
}

/** Turn raw features into plan features: required properties, polygonal geometry, WGS84 positions. */
export function toPlanFeatures(raw: unknown[], transform?: (xy: number[]) => number[]): PlanFeature[] {
  if (raw.length === 0) throw new Invalid('plan_empty', 'The plan has no features; send at least one grid polygon.');
  const seen = new Set<string>();
  return raw.map((f, i) => toPlanFeature(f, i, seen, transform));
}

/** toPlanFeatures for the features of a file, giving the event loop a turn every FEATURES_PER_TURN features. */
async function toPlanFeaturesInTurns(raw: unknown[], transform?: (xy: number[]) => number[]): Promise<PlanFeature[]> {
  if (raw.length === 0) throw new Invalid('plan_empty', 'The plan has no features; send at least one grid polygon.');
  const seen = new Set<string>();
  const out: PlanFeature[] = [];
  for (let i = 0; i < raw.length; i++) {
    out.push(toPlanFeature(raw[i], i, seen, transform));
    await turnAfter(i);
  }
  return out;
}

/** One raw feature as a plan feature; `seen` holds the codes of the features before it. */
function toPlanFeature(f: unknown, i: number, seen: Set<string>, transform?: (xy: number[]) => number[]): PlanFeature {
  const feat = f as { type?: string; properties?: Record<string, unknown> | null; geometry?: { type?: string; coordinates?: unknown } | null };
  const where = `features[${i}]`;
  if (!feat || feat.type !== 'Feature') throw new Invalid('feature_not_geojson', `${where} is not a GeoJSON Feature.`, { params: { feature: where } });
  const props = feat.properties ?? {};
  const code = text(props, 'code');
  if (!code) throw new Invalid('grid_code_missing', `${where} has no "code" property; every grid needs its code (e.g. 210103007001001).`, { params: { feature: where } });
  if (code.length > 64) {
    throw new Invalid('grid_code_too_long', `${where}: code "${code.slice(0, 20)}…" is longer than 64 characters.`, { params: { feature: where, max_length: 64 } });
  }
  if (seen.has(code)) {
    throw new Invalid('grid_code_repeated', `Grid code ${code} appears more than once; each grid must be one feature (use a MultiPolygon for several parts).`, { params: { code } });
  }
  seen.add(code);
  const g = feat.geometry;
  if (!g || (g.type !== 'Polygon' && g.type !== 'MultiPolygon') || !Array.isArray(g.coordinates)) {
    throw new Invalid('grid_geometry_not_polygonal', `Grid ${code}: the geometry must be a Polygon or MultiPolygon, got ${g?.type ?? 'none'}.`, {
      params: { grid: code, type: g?.type ?? null },
    });
  }
  let geometry = { type: g.type, coordinates: g.coordinates } as PlanFeature['geometry'];
  if (transform) geometry = reproject(geometry, transform);
  assertLonLatGeometry(code, geometry);
  const name = text(props, 'name') ?? code;
  return { code, name, name_en: text(props, 'name_en') ?? name, parent_code: text(props, 'parent_code', 'parent_cod', 'parent') ?? null, geometry };
}

/** Read a GeoJSON FeatureCollection (legacy `crs` member or an explicit crs honoured). */
export function readGeoJson(body: unknown, declaredCrs?: string): PlanSource {
  const fc = body as { type?: string; features?: unknown[]; crs?: { properties?: { name?: string } } } | null;
  if (!fc || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    throw new Invalid('not_feature_collection', 'Send a GeoJSON FeatureCollection of grid polygons (properties code, name, parent_code), or upload a zipped Shapefile as "file".');
  }
  const crs = parseCrsName(declaredCrs ?? fc.crs?.properties?.name ?? 'EPSG:4326');
  return { source: 'geojson', crs, features: toPlanFeatures(fc.features, toWgs84Transform(crs)) };
}

/** The iconv-lite encoding named by a .cpg file (e.g. "GBK", "936", "UTF-8"), or undefined to guess. */
export function cpgEncoding(cpg: string | undefined): string | undefined {
  if (!cpg) return undefined;
  const name = cpg.trim().replace(/^CP/i, 'cp');
  if (/^\d+$/.test(name)) return `cp${name}`;
  if (/^(ANSI )?936$/i.test(name)) return 'cp936';
  if (!iconv.encodingExists(name)) {
    throw new Invalid('cpg_encoding_unknown', `The .cpg names the encoding "${cpg.trim()}", which is unknown; write UTF-8 or GBK in it.`, { params: { encoding: cpg.trim() } });
  }
  return name;
}


/** Read the records of a dBASE III table (the .dbf of a Shapefile), decoding text with iconv-lite. */
export function readDbf(buf: Buffer, encoding: string | undefined): Record<string, unknown>[] {
  if (buf.length < 32) throw new Invalid('dbf_truncated', 'The .dbf file is truncated.');
  const count = buf.readUInt32LE(4);
  const headerLength = buf.readUInt16LE(8);
  const recordLength = buf.readUInt16LE(10);
  const fields: { name: string; type: string; length: number }[] = [];
  for (let p = 32; p + 32 <= headerLength && buf[p] !== 0x0d; p += 32) {
    const rawName = buf.subarray(p, p + 11);
    const end = rawName.indexOf(0);
    fields.push({ name: decodeText(rawName.subarray(0, end < 0 ? 11 : end), encoding), type: String.fromCharCode(buf[p + 11]), length: buf[p + 16] });
  }
  const records: Record<string, unknown>[] = [];
  for (let r = 0; r < count; r++) {
    let p = headerLength + r * recordLength;
    if (p + recordLength > buf.length) throw new Invalid('dbf_truncated', `The .dbf file is truncated at record ${r + 1}.`);
    const deleted = buf[p] === 0x2a;
    p += 1;
    const rec: Record<string, unknown> = {};
    for (const f of fields) {
      const raw = buf.subarray(p, p + f.length);
      p += f.length;
      const s = decodeText(raw, encoding).replace(/\0/g, '').trim();
      if (f.type === 'N' || f.type === 'F') rec[f.name] = s === '' ? null : Number(s);
      else if (f.type === 'L') rec[f.name] = /^[YyTt]$/.test(s) ? true : /^[NnFf]$/.test(s) ? false : null;
      else rec[f.name] = s;
    }
    if (!deleted) records.push(rec);
  }
  return records;
}

/**
 * Read a zipped Shapefile (.shp, .dbf, .prj, optional .cpg) of grid polygons. The zip is read under
 * SHAPEFILE_ZIP_LIMITS (archive.ts), and only the parts of the layer are inflated.
 */
export async function readShapefileZip(zipBytes: Buffer): Promise<PlanSource> {
  let zip: ZipArchive;
  try {
    zip = await ZipArchive.open(zipBytes, SHAPEFILE_ZIP_LIMITS);
  } catch (err) {
    if (!(err instanceof ZipUnreadable)) throw err;
    throw new Invalid('zip_unreadable', 'The upload is not a readable zip file; zip the .shp, .shx, .dbf, .prj and .cpg of one layer together.');
  }
  try {
    return await readShapefileLayer(zip);
  } finally {
    zip.close();
  }
}

/** The one layer of a zipped Shapefile, its parts inflated within the archive's limits. */
async function readShapefileLayer(zip: ZipArchive): Promise<PlanSource> {
  const entries = zip.entries.filter((e) => !e.isDirectory && !/(^|\/)__MACOSX\//.test(e.name));
  const shps = entries.filter((e) => /\.shp$/i.test(e.name));
  if (shps.length !== 1) {
    throw new Invalid('shapefile_layer_count', `The zip must hold exactly one .shp layer; it holds ${shps.length}. Zip one layer (its .shp, .shx, .dbf, .prj, .cpg) per plan.`, {
      params: { count: shps.length },
    });
  }
  const base = shps[0].name.replace(/\.shp$/i, '');
  const part = async (ext: string) => {
    const entry = entries.find((e) => e.name.toLowerCase() === `${base}.${ext}`.toLowerCase());
    return entry ? zip.read(entry.name) : undefined;
  };
  const dbf = await part('dbf');
  if (!dbf) {
    throw new Invalid('shapefile_part_missing', `The zip has ${base}.shp but no ${base}.dbf; the attributes (code, name, parent_code) live there.`, {
      params: { layer: base, part: '.dbf' },
    });
  }
  const prj = (await part('prj'))?.toString('latin1');
  if (!prj) {
    throw new Invalid('shapefile_part_missing', `The zip has no ${base}.prj, so the coordinate system is unknown; export the layer with its .prj.`, {
      params: { layer: base, part: '.prj' },
    });
  }
  const encoding = cpgEncoding((await part('cpg'))?.toString('latin1'));
  const records = readDbf(dbf, encoding);
  const source = await openShp(new Uint8Array(await zip.read(shps[0].name)));
  const geometries: unknown[] = [];
  for (;;) {
    const { done, value } = await source.read();
    if (done) break;
    geometries.push(value);
    await turnAfter(geometries.length);
  }
  if (geometries.length !== records.length) {
    throw new Invalid('shapefile_mismatch', `The .shp has ${geometries.length} shapes but the .dbf ${records.length} records; the files do not belong together.`, {
      params: { shapes: geometries.length, records: records.length },
    });
  }
  const features = geometries.map((geometry, i) => ({ type: 'Feature', properties: records[i], geometry }));
  const transform = prjTransform(prj);
  return { source: 'shapefile', crs: transform ? prj.slice(0, 80) : 'EPSG:4326', features: await toPlanFeaturesInTurns(features, transform) };
}

/**
 * The WKB inside a GeoPackage geometry blob: "GP", version, flags (bit 0 byte order, bits 1–3 the envelope
 * kind, bit 4 empty), the srs id, the envelope, then standard WKB (GeoPackage 1.3 §2.1.3).
 */
function gpkgWkb(blob: Uint8Array, where: string): Buffer | undefined {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (b.length < 8 || b[0] !== 0x47 || b[1] !== 0x50) {
    throw new Invalid('gpkg_geometry_unreadable', `${where}: the geometry is not a GeoPackage geometry blob.`, { params: { feature: where } });
  }
  const flags = b[3];
  if (flags & 0x10) return undefined;
  const envelopeBytes = [0, 32, 48, 48, 64][(flags >> 1) & 0x07];
  if (envelopeBytes === undefined) {
    throw new Invalid('gpkg_geometry_unreadable', `${where}: the geometry header names an unknown envelope kind.`, { params: { feature: where } });
  }
  return b.subarray(8 + envelopeBytes);
}

/**
 * Read the one feature table of a GeoPackage (SQLite) of grid polygons, reprojected from its srs. The file
 * is refused over GEOPACKAGE_LIMITS (archive.ts), and SQLite runs synchronously here, so only plain tables
 * are read: a view, a virtual table or a generated column could compute rows or values without end.
 */
export async function readGeoPackage(bytes: Buffer): Promise<PlanSource> {
  if (bytes.length > GEOPACKAGE_LIMITS.maxBytes) {
    throw new TooLarge('file_too_large', `The GeoPackage is larger than ${formatBytes(GEOPACKAGE_LIMITS.maxBytes)}, the limit for a plan; save only the grids layer, or split the plan.`, {
      params: { max_bytes: GEOPACKAGE_LIMITS.maxBytes },
    });
  }
  const SQL = await initSqlJs();
  let db: initSqlJs.Database;
  try {
    db = new SQL.Database(bytes);
    db.exec('select 1 from sqlite_master limit 1');
  } catch {
    throw new Invalid('gpkg_unreadable', 'The upload is not a readable GeoPackage (SQLite) file.');
  }
  try {
    const all = (sql: string, params: initSqlJs.BindParams = []) => {
      const stmt = db.prepare(sql, params);
      const rows: Record<string, initSqlJs.SqlValue>[] = [];
      while (stmt.step()) rows.push(stmt.getAsObject());
      stmt.free();
      return rows;
    };
    const tables = new Set(all(`select name from sqlite_master where type = 'table' and sql not like 'create virtual%'`).map((r) => String(r.name)));
    const plain = (table: string) => tables.has(table) && all(`select 1 from pragma_table_xinfo(?) where hidden > 1`, [table]).length === 0;
    let layers: Record<string, initSqlJs.SqlValue>[];
    try {
      if (!['gpkg_contents', 'gpkg_geometry_columns', 'gpkg_spatial_ref_sys'].every(plain)) throw new Error('not plain tables');
      layers = all(
        `select c.table_name, g.column_name, g.srs_id, s.organization, s.organization_coordsys_id, s.definition
           from gpkg_contents c
           join gpkg_geometry_columns g on g.table_name = c.table_name
           left join gpkg_spatial_ref_sys s on s.srs_id = g.srs_id
          where c.data_type = 'features'`,
      );
    } catch {
      throw new Invalid('not_geopackage', 'The file is SQLite but not a GeoPackage: it has no gpkg_contents / gpkg_geometry_columns tables.');
    }
    if (layers.length !== 1) {
      const names = layers.map((l) => l.table_name).join(', ') || 'none';
      throw new Invalid('gpkg_layer_count', `The GeoPackage must hold exactly one feature layer; it holds ${layers.length} (${names}). Save the grids layer alone.`, {
        params: { count: layers.length, layers: layers.map((l) => String(l.table_name)) },
      });
    }
    const layer = layers[0];
    const org = String(layer.organization ?? '').toUpperCase();
    const crs = org === 'EPSG' ? `EPSG:${layer.organization_coordsys_id}` : String(layer.definition ?? 'undefined');
    // srs 0 and -1 are the standard's "undefined geographic / cartesian"; a projected definition in WKT is read as a .prj is.
    const transform = org === 'EPSG' ? toWgs84Transform(crs) : Number(layer.srs_id) === 0 ? undefined : prjTransform(String(layer.definition ?? ''));
    if (!plain(String(layer.table_name))) {
      throw new Invalid('gpkg_unreadable', `The layer ${layer.table_name} is a view, a virtual table or has generated columns; save the grids as a plain feature table.`);
    }
    const table = String(layer.table_name).replace(/"/g, '""');
    const column = String(layer.column_name);
    const [{ n }] = all(`select count(*) as n from "${table}"`);
    if (Number(n) > GEOPACKAGE_LIMITS.maxRows) {
      throw new Invalid('import_too_many_rows', `The layer ${layer.table_name} has ${n} rows; a plan takes at most ${GEOPACKAGE_LIMITS.maxRows}. Split it.`, {
        params: { max_rows: GEOPACKAGE_LIMITS.maxRows },
      });
    }
    const features: unknown[] = [];
    const rows = db.prepare(`select * from "${table}"`);
    try {
      for (let i = 0; rows.step(); i++) {
        features.push(gpkgFeature(rows.getAsObject(), column, `Row ${i + 1} of ${layer.table_name}`));
        await turnAfter(i);
      }
    } finally {
      rows.free();
    }
    return { source: 'geopackage', crs: transform ? crs.slice(0, 80) : 'EPSG:4326', features: await toPlanFeaturesInTurns(features, transform) };
  } finally {
    db.close();
  }
}

/** A GeoPackage row as a GeoJSON feature: its geometry blob decoded, the other columns its properties. */
function gpkgFeature(row: Record<string, initSqlJs.SqlValue>, column: string, where: string): unknown {
  const { [column]: blob, ...properties } = row;
  let geometry: unknown = null;
  const wkb = blob instanceof Uint8Array ? gpkgWkb(blob, where) : undefined;
  if (wkb) {
    try {
      geometry = wkx.Geometry.parse(wkb).toGeoJSON();
    } catch {
      throw new Invalid('gpkg_geometry_unreadable', `${where}: the geometry's WKB is damaged.`, { params: { feature: where } });
    }
  }
  return { type: 'Feature', properties, geometry };
}
