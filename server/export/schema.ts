import { z } from 'zod';
import { instantSchema } from '../areas/schema.js';
import { LAYER_IDS } from '../features/catalogue.js';
import { bboxSchema, codeList } from '../http/input.js';

/** Export formats and their media types. */
export const EXPORT_FORMATS = {
  geojson: 'application/geo+json',
  geojsonseq: 'application/geo+json-seq',
  csv: 'text/csv; charset=utf-8',
} as const;
export type ExportFormat = keyof typeof EXPORT_FORMATS;

/** Coordinate decimals by default: 6 decimals is about 10 cm, RFC 7946 §11.2's advice on precision. */
export const DEFAULT_PRECISION = 6;

/** An area code parameter. */
const areaCode = z.string().trim().min(1).max(64);

/** Query filters shared by the exports and the OGC items (besides OGC's own parameters). */
export const filterQueryShape = {
  bbox: bboxSchema('crosses').optional(),
  grid: areaCode.optional().meta({ description: 'Only this grid (area layers) or the rows in it' }),
  community: areaCode.optional().meta({ description: 'Only this community and its grids (area layers) or the rows in its grids' }),
  category: codeList('category', 100).optional().meta({ description: 'Category codes, comma-separated (assets, incidents)' }),
  status: codeList('status', 100).optional().meta({ description: 'Statuses, comma-separated (assets, incidents)' }),
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
