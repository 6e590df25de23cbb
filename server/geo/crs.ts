import gcoordModule from 'gcoord';
import { z } from 'zod';
import { Invalid } from '../http/errors.js';

// gcoord is CommonJS: its typings name a default export that Node hands over as the module itself.
const gcoord = ((gcoordModule as unknown as { default?: unknown }).default ?? gcoordModule) as typeof gcoordModule.default;

/** Coordinate systems accepted at intake; everything is stored as WGS84 (CGCS2000 counts as WGS84). */
export const INPUT_CRS = ['wgs84', 'cgcs2000', 'gcj02', 'bd09'] as const;
export type InputCrs = (typeof INPUT_CRS)[number];

/** Schema of an optional `crs` parameter, case-insensitive, defaulting to WGS84. */
export const crsSchema = z
  .preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(INPUT_CRS))
  .default('wgs84')
  .meta({ description: 'Coordinate system of lon/lat: wgs84 (GPS, default), cgcs2000 (treated as wgs84), gcj02 (Chinese web maps), bd09 (Baidu).' });

/** Convert a point from a declared coordinate system to WGS84 [lon, lat]. */
export function toWgs84(lon: number, lat: number, crs: InputCrs): [number, number] {
  if (crs === 'wgs84' || crs === 'cgcs2000') return [lon, lat];
  const from = crs === 'gcj02' ? gcoord.GCJ02 : gcoord.BD09;
  const [x, y] = gcoord.transform([lon, lat], from, gcoord.WGS84) as [number, number];
  return [x, y];
}

/** A finite number from a query string (rejects '', 'abc', 'Infinity'). */
const coordinate = (name: string) =>
  z
    .string({ error: `${name} is required, in decimal degrees (e.g. ${name === 'lon' ? '123.4315' : '41.7968'})` })
    .trim()
    .regex(/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/, `${name} must be a number in decimal degrees`)
    .transform(Number);

/** Schema of `lon`, `lat` (and `crs`) query parameters, with range checks that name the likely mistake. */
export const pointQuerySchema = z
  .object({
    lon: coordinate('lon').meta({ description: 'Longitude in decimal degrees, -180..180' }),
    lat: coordinate('lat').meta({ description: 'Latitude in decimal degrees, -90..90' }),
    crs: crsSchema,
  })
  .superRefine((p, ctx) => checkLonLat(p.lon, p.lat, (message, path) => ctx.addIssue({ code: 'custom', message, path })));

/** Check a lon/lat pair, reporting each problem through `report` with a message that names the fix. */
export function checkLonLat(lon: number, lat: number, report: (message: string, path: string[]) => void): void {
  const lonOk = lon >= -180 && lon <= 180;
  const latOk = lat >= -90 && lat <= 90;
  if (lonOk && !latOk && Math.abs(lon) <= 90 && Math.abs(lat) <= 180) {
    report(`lat ${lat} is out of range -90..90; lon and lat look swapped: send lon=${lat}&lat=${lon}`, ['lat']);
    return;
  }
  if (!lonOk) {
    const projected = Math.abs(lon) > 1000 ? ' (this looks like a projected coordinate in metres: send WGS84 degrees)' : '';
    report(`lon ${lon} is out of range -180..180${projected}`, ['lon']);
  }
  if (!latOk) report(`lat ${lat} is out of range -90..90`, ['lat']);
}

/** Throw Invalid unless lon/lat is a valid WGS84 position. */
export function assertLonLat(lon: number, lat: number, where = 'coordinates'): void {
  const problems: string[] = [];
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) problems.push('lon and lat must be finite numbers');
  else checkLonLat(lon, lat, (m) => problems.push(m));
  if (problems.length) throw new Invalid('position_invalid', `Invalid ${where}: ${problems.join('; ')}`, { params: { where } });
}
