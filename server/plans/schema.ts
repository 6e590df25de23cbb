import { z } from 'zod';
import { paging, rowId } from '../http/input.js';
import { staffRoleSchema } from '../staff/schema.js';
import { MIN_PIECE_M2, MIN_WIDTH_M } from './sql_check.js';

const lonLat = z.tuple([z.number(), z.number()]).meta({ description: 'WGS84 [lon, lat]' });

/** Path of the plan routes. */
export const planParams = z.object({ id: rowId('id').meta({ description: 'Plan id' }) });

/** Query of POST /api/plans: the coordinate system of a GeoJSON body, when it is not WGS84. */
export const createPlanQuery = z.object({
  crs: z.string().trim().min(1).max(80).optional().meta({ description: 'CRS of the coordinates, e.g. EPSG:3857 or EPSG:4490 (default EPSG:4326, or the .prj)' }),
  title: z.string().trim().max(200).optional(),
});

/** Body of POST /api/plans as JSON: a FeatureCollection of grid polygons (checked in full by the service). */
export const createPlanBody = z
  .object({
    type: z.literal('FeatureCollection'),
    title: z.string().max(200).optional(),
    features: z.array(
      z.object({
        type: z.literal('Feature'),
        properties: z.object({ code: z.string(), name: z.string().optional(), name_en: z.string().optional(), parent_code: z.string().optional() }).loose(),
        geometry: z.object({ type: z.enum(['Polygon', 'MultiPolygon']), coordinates: z.array(z.unknown()) }),
      }).loose(),
    ),
  })
  .loose()
  .meta({ description: 'GeoJSON FeatureCollection of proposed grids; or multipart/form-data with `file` (zipped Shapefile with .prj/.cpg, or .geojson)' });

/** Query of GET /api/plans. */
export const listPlansQuery = z.object({
  status: z.enum(['draft', 'published', 'discarded']).optional(),
  ...paging({ defaultLimit: 50, maxLimit: 500, noun: 'plans' }),
});

/** Body of POST /api/plans/{id}/repair: the steps to run (each off unless given). */
export const repairBody = z
  .object({
    make_valid: z.boolean().optional().meta({ description: 'Repair invalid polygons (ST_MakeValid, polygons kept)' }),
    snap_m: z.number().positive().max(50).optional().meta({ description: 'Snap vertices to neighbouring grids within this many metres' }),
    gaps_max_m2: z.number().positive().max(1_000_000).optional().meta({ description: 'Merge gaps up to this area into the neighbour with the longest shared edge' }),
    overlaps_max_m2: z.number().positive().max(1_000_000).optional().meta({ description: 'Give overlaps up to this area to one side, by longest shared edge' }),
  })
  .strict()
  .refine((o) => Object.values(o).some((v) => v !== undefined && v !== false), 'choose at least one repair: make_valid, snap_m, gaps_max_m2 or overlaps_max_m2');

/** The validation report of a plan. */
export const planReport = z
  .object({
    valid: z.boolean(),
    grids: z.number().int(),
    replaces: z.array(z.string()).meta({ description: 'Codes of the grids in force this plan replaces' }),
    offices: z.array(z.string()),
    invalid: z.array(z.object({ code: z.string(), reason: z.string(), location: lonLat.nullable() })),
    overlaps: z.array(z.object({ a: z.string(), b: z.string(), area_m2: z.number(), location: lonLat })),
    gaps: z.array(z.object({ area_m2: z.number(), location: lonLat })),
    outside_parent: z.array(z.object({ code: z.string(), area_m2: z.number(), location: lonLat })),
    uncovered_parent_m2: z.number(),
    slivers: z.array(
      z.object({
        kind: z.enum(['gap', 'overlap', 'part']),
        code: z.string().optional(),
        a: z.string().optional(),
        b: z.string().optional(),
        area_m2: z.number(),
        thinness: z.number(),
        noise: z.boolean().meta({
          description: `An overlap under the noise threshold (${MIN_PIECE_M2} m², or ${MIN_WIDTH_M * 100} cm wide on average): listed so that none goes unseen; it does not block publishing, as a gap under the threshold does not`,
        }),
        location: lonLat,
      }),
    ),
    checked_at: z.string(),
  })
  .meta({ id: 'PlanReport' });

/** A plan as listed. */
export const planSummary = z
  .object({
    id: z.number().int(),
    title: z.string(),
    status: z.enum(['draft', 'published', 'discarded']),
    office_code: z.string().nullable(),
    author_user_id: z.number().int().nullable(),
    source: z.string(),
    source_crs: z.string(),
    valid: z.boolean(),
    grids: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    published_at: z.string().nullable(),
  })
  .meta({ id: 'PlanSummary' });

/** One plan with its proposed grids (GET /api/plans/{id}). */
export const planDetail = planSummary
  .extend({
    features: z.object({
      type: z.literal('FeatureCollection'),
      features: z.array(
        z.object({
          type: z.literal('Feature'),
          id: z.string(),
          properties: z.object({ code: z.string(), name: z.string(), name_en: z.string(), parent_code: z.string().nullable(), valid: z.boolean() }),
          geometry: z.object({ type: z.enum(['Polygon', 'MultiPolygon']), coordinates: z.array(z.unknown()) }),
        }),
      ),
    }),
  })
  .meta({ id: 'PlanDetail' });

const moveGroup = z.object({
  total: z.number().int(),
  truncated: z.boolean().meta({ description: 'The list stops at 10,000 items; total counts them all' }),
  by_grid: z.array(z.object({ from_grid: z.string().nullable(), to_grid: z.string().nullable(), count: z.number().int() })),
  items: z.array(z.object({ id: z.number().int(), label: z.string(), from_grid: z.string().nullable(), to_grid: z.string().nullable() })),
});

/** What publishing a plan would move. */
export const planImpact = z
  .object({
    plan_id: z.number().int(),
    valid: z.boolean(),
    changed_grids: z.array(z.string()),
    retired_grids: z.array(z.string()),
    new_grids: z.array(z.string()),
    assets: moveGroup,
    incidents: moveGroup.meta({ description: 'Open (and handled, awaiting confirmation) incidents only; closed ones keep their grid' }),
    buildings: moveGroup.extend({ households: z.number().int() }),
    staff_assignments: z.object({ total: z.number().int(), items: z.array(z.object({ id: z.number().int(), code: z.string(), name: z.string(), role: staffRoleSchema, from_grid: z.string() })) }),
  })
  .meta({ id: 'PlanImpact' });

/** What a publish did. */
export const publishResult = z.object({
  id: z.number().int(),
  status: z.literal('published'),
  closed_versions: z.number().int(),
  opened_versions: z.number().int(),
  communities: z.array(z.string()),
  offices: z.array(z.string()),
  moved: z.object({ assets: z.number().int(), incidents: z.number().int(), buildings: z.number().int() }),
});
