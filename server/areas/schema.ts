import { z } from 'zod';
import { crsSchema, pointQuerySchema } from '../geo/crs.js';
import { staffContactSchema } from '../staff/schema.js';
import { AREA_LEVEL_LIST } from './levels.js';

/** An ISO 8601 instant in a query string. */
export const instantSchema = z
  .string()
  .trim()
  .refine((s) => /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date or time, e.g. 2026-01-01T00:00:00Z')
  .transform((s) => new Date(s));

/** Query of GET /api/areas. */
export const listAreasQuery = z.object({
  level: z.enum(AREA_LEVEL_LIST).optional().meta({ description: 'office, community or grid; all levels when absent' }),
  parent: z.string().trim().min(1).max(64).optional().meta({ description: 'Only the children of this area code' }),
  at: instantSchema.optional().meta({ description: 'Boundaries in force at this instant (ISO 8601); now when absent' }),
});

/** Path of the area routes. */
export const areaParams = z.object({ code: z.string().trim().min(1).max(64) });

/** Query of GET /api/areas/{code}. */
export const getAreaQuery = z.object({ at: listAreasQuery.shape.at });

/** Query of GET /api/locate. */
export const locateQuery = pointQuerySchema;
export { crsSchema };


/** An area as a GeoJSON Feature. */
export const areaFeature = z
  .object({
    type: z.literal('Feature'),
    id: z.string(),
    properties: z.object({
      code: z.string(),
      name: z.string(),
      name_en: z.string(),
      level: z.enum(['office', 'community', 'grid']),
      parent_code: z.string().nullable(),
      valid_from: z.string(),
      valid_to: z.string().nullable(),
      chief: staffContactSchema.nullable().optional().meta({ description: 'Grids only: the public contact of the grid chief' }),
    }),
    geometry: z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(z.unknown()) }),
  })
  .meta({ id: 'AreaFeature' });

/** Areas as a GeoJSON FeatureCollection. */
export const areaCollection = z
  .object({ type: z.literal('FeatureCollection'), features: z.array(areaFeature) })
  .meta({ id: 'AreaCollection' });

/** One version of an area. */
export const areaVersion = z.object({
  id: z.number().int(),
  code: z.string(),
  name: z.string(),
  name_en: z.string(),
  level: z.enum(['office', 'community', 'grid']),
  parent_code: z.string().nullable(),
  valid_from: z.string(),
  valid_to: z.string().nullable(),
  plan_id: z.number().int().nullable(),
  area_m2: z.number(),
});

const ref = z.object({ code: z.string(), name: z.string(), name_en: z.string() });

/** Answer of GET /api/locate. */
export const locateResponse = z
  .object({
    point: z.tuple([z.number(), z.number()]).meta({ description: 'The point in WGS84 [lon, lat], after conversion from the declared crs' }),
    grid: ref,
    community: ref.nullable(),
    office: ref.nullable(),
    chief: staffContactSchema.nullable(),
  })
  .meta({ id: 'LocateResponse' });
