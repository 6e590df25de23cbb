import { z } from 'zod';

/** A WGS84 bbox `[minLon, minLat, maxLon, maxLat]` in degrees. */
export type BBox = [number, number, number, number];

/**
 * How a route reads a bbox whose minLon is greater than its maxLon: as a box across the antimeridian
 * (OGC API – Features 1, §7.15.3; the route's SQL must then test two boxes), or as a mistake to refuse.
 */
export type Antimeridian = 'crosses' | 'refuse';

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const BBOX_EXAMPLE = '123.40,41.78,123.45,41.82';

/**
 * Parse `minLon,minLat,maxLon,maxLat` (or 6 numbers with heights, which are ignored) into a WGS84 bbox, or
 * answer what is wrong with it and how to write it.
 */
export function parseBBox(text: string, antimeridian: Antimeridian): BBox | string {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== 4 && parts.length !== 6) {
    return `bbox must be minLon,minLat,maxLon,maxLat: 4 numbers in WGS84 decimal degrees, e.g. ${BBOX_EXAMPLE}`;
  }
  if (!parts.every((p) => NUMBER.test(p))) return `bbox must hold only numbers, e.g. ${BBOX_EXAMPLE}; got "${text.slice(0, 100)}"`;
  const n = parts.map(Number);
  const [minx, miny, maxx, maxy] = parts.length === 4 ? n : [n[0], n[1], n[3], n[4]];
  if ([minx, maxx].some((x) => !(x >= -180 && x <= 180))) return 'bbox longitudes must be within -180..180 (is the order lon,lat?)';
  if ([miny, maxy].some((y) => !(y >= -90 && y <= 90))) return 'bbox latitudes must be within -90..90 (is the order lon,lat?)';
  if (miny > maxy) return 'bbox minLat is above maxLat; write it as minLon,minLat,maxLon,maxLat (min ≤ max)';
  if (minx > maxx && antimeridian === 'refuse') {
    return 'bbox minLon is east of maxLon, and this list does not take a box across the antimeridian; write it as w,s,e,n (minLon ≤ maxLon), one request each side of 180°';
  }
  return [minx, miny, maxx, maxy];
}

/** Schema of a `bbox` query parameter, parsed by `parseBBox` with the route's antimeridian rule. */
export function bboxSchema(antimeridian: Antimeridian) {
  const crossing = antimeridian === 'crosses' ? 'minLon > maxLon crosses the antimeridian' : 'minLon ≤ maxLon (no box across the antimeridian)';
  return z
    .string()
    .transform((s, ctx): BBox => {
      const r = parseBBox(s, antimeridian);
      if (typeof r === 'string') {
        ctx.addIssue({ code: 'custom', message: r });
        return z.NEVER;
      }
      return r;
    })
    .meta({ description: `minLon,minLat,maxLon,maxLat in WGS84 (CRS84) degrees; ${crossing}`, example: BBOX_EXAMPLE });
}

/**
 * Schema of a comma-separated query value (`status=open,handled`): items trimmed, blanks and repeats
 * dropped, at least one and at most `max`, each parsed by `item` (whose message is given with the value).
 */
export function commaList<T extends z.ZodType>(item: T, opts: { name: string; max: number; description?: string }) {
  const { name, max } = opts;
  return z
    .string()
    .transform((s, ctx): z.output<T>[] => {
      const values = [...new Set(s.split(',').map((x) => x.trim()).filter(Boolean))];
      const fail = (message: string) => {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      };
      if (values.length === 0) return fail(`${name} needs at least one value (comma-separated)`);
      if (values.length > max) return fail(`${name} takes at most ${max} values, comma-separated; got ${values.length}`);
      const out: z.output<T>[] = [];
      for (const v of values) {
        const r = item.safeParse(v);
        if (!r.success) return fail(`${r.error.issues[0].message} (got "${v.slice(0, 64)}")`);
        out.push(r.data);
      }
      return out;
    })
    .meta({ description: opts.description ?? `${name}: one or more values, comma-separated (at most ${max})` });
}

/** Schema of a comma-separated list of codes, each at most 64 characters: `category=0101,0102`. */
export function codeList(name: string, max: number) {
  return commaList(z.string().max(64, `${name}: each code has at most 64 characters`), { name, max });
}

/** Schema of a whole-number query parameter from `min` to `max` (digits only: no sign, point or exponent). */
export function wholeNumber(name: string, min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number, from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be from ${min} to ${max}`);
}

/**
 * `limit` and `offset` of a paged list, to spread into its query schema: `limit` from 1 to `maxLimit`
 * (`defaultLimit` when absent), `offset` from 0 to `maxOffset` (0 when absent); `noun` names what is paged.
 */
export function paging(opts: { defaultLimit: number; maxLimit: number; maxOffset?: number; noun?: string }) {
  const { defaultLimit, maxLimit, maxOffset = Number.MAX_SAFE_INTEGER, noun = 'items' } = opts;
  // Documented as the integers they are read into, not as the digit strings the query carries.
  const asInteger = (min: number, max: number, dflt: number) => ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
    delete jsonSchema.pattern;
    Object.assign(jsonSchema, { type: 'integer', minimum: min, maximum: max, default: dflt });
  };
  return {
    limit: wholeNumber('limit', 1, maxLimit)
      .default(defaultLimit)
      .meta({ description: `At most this many ${noun}, 1..${maxLimit} (default ${defaultLimit})`, override: asInteger(1, maxLimit, defaultLimit) }),
    offset: wholeNumber('offset', 0, maxOffset)
      .default(0)
      .meta({ description: `Skip this many ${noun} (default 0)`, override: asInteger(0, maxOffset, 0) }),
  };
}

/** The largest id a row can have (PostgreSQL `integer`). */
export const MAX_ROW_ID = 2_147_483_647;

/**
 * Schema of a row id in a path or query (`/api/assets/:id`): digits only, 1 to MAX_ROW_ID. Strict, so that
 * `1e5`, `0x10`, ` 7` or `7.0` is refused instead of read as another row; documented as the integer it is.
 */
export function rowId(name: string) {
  return z
    .string()
    .regex(/^[1-9]\d{0,9}$/, `${name} must be a whole number from 1 (digits only)`)
    .transform(Number)
    .refine((n) => n <= MAX_ROW_ID, `${name} must be at most ${MAX_ROW_ID}`)
    .meta({
      override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
        delete jsonSchema.pattern;
        Object.assign(jsonSchema, { type: 'integer', minimum: 1, maximum: MAX_ROW_ID });
      },
    });
}
