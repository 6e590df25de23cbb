import { z } from 'zod';
import { INPUT_CRS } from '../geo/crs.js';
import { bboxSchema, codeList, commaList, paging, rowId } from '../http/input.js';
import { ASSET_FORMATS } from './import_read.js';
import { ASSET_STATUSES } from './sql.js';

/** Query of GET /api/assets. */
export const listAssetsQuery = z.object({
  bbox: bboxSchema('refuse').optional(),
  category: codeList('category', 100).optional().meta({ description: 'Category codes, comma-separated' }),
  code: codeList('code', 100).optional().meta({ description: 'Asset codes, comma-separated (exact match), e.g. to find one asset by the code on its plate' }),
  grid: codeList('grid', 1000).optional().meta({ description: 'Grid codes, comma-separated' }),
  status: commaList(z.enum(ASSET_STATUSES, { error: `status must be among ${ASSET_STATUSES.join(', ')}` }), { name: 'status', max: ASSET_STATUSES.length })
    .optional()
    .meta({ description: `Statuses, comma-separated: ${ASSET_STATUSES.join(', ')}` }),
  office: z.string().trim().min(1).max(64).optional(),
  ...paging({ defaultLimit: 100, maxLimit: 1000, maxOffset: 10_000_000, noun: 'assets' }),
});

/** The most an asset's free attributes may hold: bytes of their JSON, and keys. */
export const MAX_ATTRS_BYTES = 16_384;
export const MAX_ATTRS_KEYS = 200;

/** What is wrong with an asset's free attributes (too large, too many keys, a key too long), or undefined. */
export function attrsProblem(attrs: Record<string, unknown>): string | undefined {
  const keys = Object.keys(attrs);
  if (keys.length > MAX_ATTRS_KEYS) return `attributes hold ${keys.length} keys; at most ${MAX_ATTRS_KEYS}`;
  const long = keys.find((k) => k.length > 64);
  if (long) return `attribute name "${long.slice(0, 20)}…" is longer than 64 characters`;
  const bytes = Buffer.byteLength(JSON.stringify(attrs));
  if (bytes > MAX_ATTRS_BYTES) return `attributes take ${bytes} bytes as JSON; at most ${MAX_ATTRS_BYTES}`;
  return undefined;
}

/** Free attributes of an asset, bounded by attrsProblem. */
const attrsSchema = z.record(z.string(), z.unknown()).superRefine((a, ctx) => {
  const problem = attrsProblem(a);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Path of the asset routes. */
export const assetParams = z.object({ id: rowId('id') });

/** Body of PATCH /api/assets/{id}. */
export const patchAssetBody = z
  .object({
    status: z.enum(ASSET_STATUSES).optional(),
    department_code: z.string().trim().min(1).max(64).nullable().optional(),
    attrs: attrsSchema.optional().meta({ description: `Merged into the free attributes (at most ${MAX_ATTRS_KEYS} keys, ${MAX_ATTRS_BYTES} bytes of JSON)` }),
    note: z.string().trim().max(2000).optional().meta({ description: 'Why (kept with a status change)' }),
  })
  .strict()
  .refine((b) => b.status !== undefined || b.department_code !== undefined || b.attrs !== undefined, 'change at least one of status, department_code, attrs');

/** Body of POST /api/assets: one asset as a GeoJSON Point Feature (other properties are kept as attributes). */
export const newAssetBody = z
  .object({
    type: z.literal('Feature'),
    properties: z
      .object({
        code: z.string().trim().min(1).max(64),
        category_code: z.string().trim().min(1).max(64),
        status: z.enum(ASSET_STATUSES).optional(),
        department_code: z.string().trim().min(1).max(64).optional(),
        attrs: attrsSchema.optional(),
      })
      .catchall(z.unknown())
      .superRefine((props, ctx) => {
        const problem = attrsProblem(props);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    geometry: z.object({ type: z.literal('Point'), coordinates: z.tuple([z.number(), z.number()]).meta({ description: '[lon, lat] in WGS84' }) }),
  })
  .meta({ id: 'NewAsset' });

/** Query of POST /api/assets/import. */
export const importQuery = z.object({
  format: z.enum(ASSET_FORMATS).optional().meta({ description: 'geojson, geojsonseq or csv; guessed from the file when absent' }),
  crs: z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(INPUT_CRS)).default('wgs84'),
  skip_invalid: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').meta({ description: 'Import the good rows and report the bad (default: all or nothing)' }),
  dry_run: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').meta({ description: 'Only check the rows' }),
});

/** An asset as answered. */
export const assetSchema = z
  .object({
    id: z.number().int(),
    office_code: z.string(),
    code: z.string(),
    category_code: z.string(),
    category_name: z.string().nullable(),
    category_name_en: z.string().nullable(),
    status: z.enum(ASSET_STATUSES),
    department_code: z.string().nullable(),
    grid_code: z.string().nullable(),
    area_version_id: z.number().int().nullable(),
    attrs: z.record(z.string(), z.unknown()),
    lon: z.number(),
    lat: z.number(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Asset' });

/** A page of assets. */
export const assetPage = z.object({ items: z.array(assetSchema), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });

/** One asset with its change log. */
export const assetDetail = assetSchema.extend({
  history: z.array(
    z.object({
      id: z.number().int(),
      action: z.enum(['status', 'regrid']),
      from_status: z.string().nullable(),
      to_status: z.string().nullable(),
      from_grid: z.string().nullable(),
      to_grid: z.string().nullable(),
      plan_id: z.number().int().nullable(),
      actor_user_id: z.number().int().nullable(),
      note: z.string().nullable(),
      created_at: z.string(),
    }),
  ),
});

/** A category of the dictionary. */
export const assetCategory = z.object({
  code: z.string(),
  name: z.string(),
  name_en: z.string(),
  class_code: z.string(),
  class_name: z.string(),
  class_name_en: z.string(),
  department_code: z.string().nullable(),
});

/** What an import did. */
export const importResult = z.object({
  format: z.enum(ASSET_FORMATS),
  rows: z.number().int(),
  valid_rows: z.number().int(),
  imported: z.number().int(),
  error_count: z.number().int(),
  errors: z.array(z.object({ line: z.number().int(), code: z.string().nullable(), reason: z.string() })),
  grids: z.number().int(),
  seconds: z.object({ parse: z.number(), validate: z.number(), write: z.number(), total: z.number() }),
});
