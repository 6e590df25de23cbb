import { z } from 'zod';
import { instantSchema } from '../areas/schema.js';
import { LAYER_IDS } from '../features/catalogue.js';
import type { BBox } from '../features/sql.js';

/** Export formats and their media types. */
export const EXPORT_FORMATS = {
  geojson: 'application/geo+json',
  geojsonseq: 'application/geo+json-seq',
  csv: 'text/csv; charset=utf-8',
} as const;
export type ExportFormat = keyof typeof EXPORT_FORMATS;

/** Coordinate decimals by default: 6 decimals is about 10 cm, RFC 7946 §11.2's advice on precision. */
export const DEFAULT_PRECISION = 6;

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Parse `minLon,minLat,maxLon,maxLat` (or 6 numbers with heights, which are ignored) into a WGS84 bbox. */
export function parseBBox(text: string): BBox | string {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== 4 && parts.length !== 6) {
    return 'bbox must be 4 numbers "minLon,minLat,maxLon,maxLat" in WGS84 decimal degrees, e.g. 123.40,41.78,123.45,41.82';
  }
  if (!parts.every((p) => NUMBER.test(p))) return `bbox must hold only numbers; got "${text}"`;
  const n = parts.map(Number);
  const [minx, miny, maxx, maxy] = parts.length === 4 ? n : [n[0], n[1], n[3], n[4]];
  if ([minx, maxx].some((x) => x < -180 || x > 180)) return 'bbox longitudes must be within -180..180 (is the order lon,lat?)';
  if ([miny, maxy].some((y) => y < -90 || y > 90)) return 'bbox latitudes must be within -90..90 (is the order lon,lat?)';
  if (miny > maxy) return 'bbox minLat is above maxLat; write it as minLon,minLat,maxLon,maxLat';
  return [minx, miny, maxx, maxy];
}

/** Schema of a `bbox` query parameter. */
export const bboxSchema = z
  .string()
  .transform((s, ctx) => {
    const r = parseBBox(s);
    if (typeof r === 'string') {
      ctx.addIssue({ code: 'custom', message: r });
      return z.NEVER;
    }
    return r;
  })
  .meta({ description: 'minLon,minLat,maxLon,maxLat in WGS84 (CRS84); minLon > maxLon crosses the antimeridian', example: '123.40,41.78,123.45,41.82' });

/** A comma-separated list of short codes. */
const codeList = (what: string) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.string().max(64)).min(1, `${what} needs at least one value`).max(100, `${what} takes at most 100 values`));

/** An area code parameter. */
const areaCode = z.string().trim().min(1).max(64);

/** Query filters shared by the exports and the OGC items (besides OGC's own parameters). */
export const filterQueryShape = {
  bbox: bboxSchema.optional(),
  grid: areaCode.optional().meta({ description: 'Only this grid (area layers) or the rows in it' }),
  community: areaCode.optional().meta({ description: 'Only this community and its grids (area layers) or the rows in its grids' }),
  category: codeList('category').optional().meta({ description: 'Category codes, comma-separated (assets, incidents)' }),
  status: codeList('status').optional().meta({ description: 'Statuses, comma-separated (assets, incidents)' }),
  updated_since: instantSchema.optional().meta({ description: 'Only rows changed at or after this instant (ISO 8601), for incremental sync' }),
};

/** Schema of `precision`: decimals of coordinates. */
export const precisionSchema = z
  .string()
  .regex(/^\d{1,2}$/, 'precision must be a whole number of decimals from 0 to 15')
  .transform(Number)
  .refine((n) => n <= 15, 'precision must be from 0 to 15 decimals')
  .default(DEFAULT_PRECISION)
  .meta({ description: `Decimals of coordinates, 0..15 (default ${DEFAULT_PRECISION}, about 10 cm)` });

/** Path of GET /export/{layer}.{format}. */
export const exportParams = z.object({
  layer: z.enum(LAYER_IDS, { error: `layer must be one of ${LAYER_IDS.join(', ')}` }),
  format: z.enum(Object.keys(EXPORT_FORMATS) as [ExportFormat], { error: `format must be one of ${Object.keys(EXPORT_FORMATS).join(', ')}` }),
});

/** Query of GET /export/{layer}.{format}. */
export const exportQuery = z.object({
  ...filterQueryShape,
  at: instantSchema.optional().meta({ description: 'Area layers: the boundaries in force at this instant (default now)' }),
  precision: precisionSchema,
});
export type ExportQuery = z.output<typeof exportQuery>;
