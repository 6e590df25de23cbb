import { z } from 'zod';
import { PUBLIC_LAYER_IDS } from '../features/catalogue.js';
import type { Interval } from '../features/sql.js';
import { filterQueryShape } from '../export/schema.js';
import { paging, wholeNumber } from '../http/input.js';

/** Items per page when `limit` is absent, and the most a page may hold. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;

const RFC3339 = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

/** Parse an OGC `datetime`: an instant, or an interval `start/end` where either end may be `..` or empty. */
export function parseDatetime(text: string): Interval | string {
  const parts = text.split('/');
  if (parts.length > 2) return 'datetime must be an instant or one interval "start/end"';
  const dates: (Date | undefined)[] = [];
  for (const p of parts) {
    const s = p.trim();
    if (parts.length === 2 && (s === '' || s === '..')) {
      dates.push(undefined);
      continue;
    }
    if (!RFC3339.test(s) || Number.isNaN(Date.parse(s))) {
      return `datetime "${s}" is not an RFC 3339 date or time; write e.g. 2026-01-01T00:00:00Z or 2026-01-01T00:00:00Z/.. for an interval`;
    }
    dates.push(new Date(s));
  }
  if (parts.length === 1) return { start: dates[0], end: dates[0] };
  const [start, end] = dates;
  if (!start && !end) return 'datetime "../.." leaves both ends open; give at least one instant';
  if (start && end && start > end) return 'datetime interval starts after it ends; write start/end';
  return { start, end };
}

/** Schema of the `datetime` parameter. */
export const datetimeSchema = z
  .string()
  .transform((s, ctx) => {
    const r = parseDatetime(s);
    if (typeof r === 'string') {
      ctx.addIssue({ code: 'custom', message: r });
      return z.NEVER;
    }
    return r;
  })
  .meta({
    description:
      'An instant or an interval (RFC 3339, `..` for an open end). Area collections: the versions in force in it; ' +
      'assets: updated_at within it; incidents: reported_at within it.',
    example: '2026-01-01T00:00:00Z/..',
  });

/** Output format by query: `json` (GeoJSON / JSON) or `html`; the Accept header decides when absent. */
export const formatSchema = z.enum(['json', 'html'], { error: 'f must be json or html' }).optional().meta({ description: 'json or html; by Accept when absent' });

/** Query of every OGC resource that is not items. */
export const ogcQuery = z.strictObject({ f: formatSchema });

/** Path of a collection. */
export const collectionParams = z.object({
  collectionId: z.string().min(1).max(64).meta({ description: `One of ${PUBLIC_LAYER_IDS.join(', ')}` }),
});

/** Path of one feature. */
export const featureParams = collectionParams.extend({ featureId: z.string().min(1).max(64) });

/**
 * Query of /collections/{id}/items. Unknown parameters are refused (OGC API – Features 1, /req/core/query-param-unknown).
 * `after` is the keyset the `next` links carry so deep pages cost as little as the first.
 */
export const itemsQuery = z.strictObject({
  f: formatSchema,
  bbox: filterQueryShape.bbox,
  datetime: datetimeSchema.optional(),
  ...paging({ defaultLimit: DEFAULT_LIMIT, maxLimit: MAX_LIMIT, noun: 'features' }),
  after: wholeNumber('after', 0, Number.MAX_SAFE_INTEGER).optional().meta({ description: 'Keyset from a next link: features after this internal id' }),
  grid: filterQueryShape.grid,
  community: filterQueryShape.community,
  category: filterQueryShape.category,
  status: filterQueryShape.status,
  updated_since: filterQueryShape.updated_since,
});
export type ItemsQuery = z.output<typeof itemsQuery>;

const link = z.object({ href: z.string(), rel: z.string(), type: z.string().optional(), title: z.string().optional() });

/** The landing page. */
export const landingSchema = z.object({ title: z.string(), description: z.string(), links: z.array(link) }).meta({ id: 'OgcLanding' });

/** The conformance declaration. */
export const conformanceSchema = z.object({ conformsTo: z.array(z.string()) }).meta({ id: 'OgcConformance' });

/** One collection. */
export const collectionSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    itemType: z.literal('feature'),
    crs: z.array(z.string()),
    storageCrs: z.string(),
    extent: z.object({
      spatial: z.object({ bbox: z.array(z.array(z.number())), crs: z.string() }),
      temporal: z.object({ interval: z.array(z.array(z.string().nullable())), trs: z.string() }),
    }),
    links: z.array(link),
  })
  .meta({ id: 'OgcCollection' });

/** The collections. */
export const collectionsSchema = z.object({ collections: z.array(collectionSchema), links: z.array(link) }).meta({ id: 'OgcCollections' });

/** A page of features. */
export const itemsSchema = z
  .object({
    type: z.literal('FeatureCollection'),
    features: z.array(z.object({ type: z.literal('Feature'), id: z.union([z.string(), z.number()]), geometry: z.unknown(), properties: z.record(z.string(), z.unknown()) })),
    numberReturned: z.number().int(),
    numberMatched: z.number().int().optional().meta({ description: 'Given unless the request carries a keyset (`after`) from a next link' }),
    timeStamp: z.string(),
    links: z.array(link),
  })
  .meta({ id: 'OgcFeatureCollection' });
