import { Router } from 'express';
import { z } from 'zod';
import { requireRole, userOf } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import { UnsupportedMedia } from '../http/errors.js';
import type { RouteRegistry } from '../http/route.js';
import { problem } from '../http/schemas.js';
import { upload, uploadedFiles } from '../http/upload.js';
import {
  createPlanBody,
  createPlanQuery,
  listPlansQuery,
  planImpact as planImpactSchema,
  planParams,
  planReport as planReportSchema,
  planDetail,
  planSummary,
  publishResult,
  repairBody,
} from './schema.js';
import { createPlan, getPlan, listPlans, planImpact, planReport, publishPlan, repairPlan } from './service.js';
import { readGeoJson, readGeoPackage, readShapefileZip, type PlanSource } from './source.js';

/** The text fields beside an uploaded plan file. */
const planFormFields = z.object({
  title: z.string().max(200).optional(),
  crs: z.string().max(80).optional().meta({ description: 'The CRS of a GeoJSON file with projected coordinates (a Shapefile has its .prj)' }),
});

/** Largest plan upload accepted (a zipped Shapefile of a whole city fits). */
export const MAX_PLAN_UPLOAD = 200 * 1024 * 1024;

/** Read the plan's grids from an uploaded file (zip = Shapefile, else GeoJSON) or from the JSON body. */
async function parsePlanSource(file: Express.Multer.File | undefined, body: unknown, crs: string | undefined): Promise<PlanSource> {
  if (!file) return readGeoJson(body, crs);
  const isZip = file.buffer.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  if (isZip) return readShapefileZip(file.buffer);
  if (file.buffer.subarray(0, 16).toString('latin1').startsWith('SQLite format 3')) return readGeoPackage(file.buffer);
  let json: unknown;
  try {
    json = JSON.parse(file.buffer.toString('utf8'));
  } catch {
    throw new UnsupportedMedia(
      'file_type_unsupported',
      'The file is neither a zip (Shapefile), a GeoPackage nor GeoJSON; upload a zipped Shapefile with .prj and .cpg, a .gpkg or a .geojson file.',
      { params: { accepted: ['.zip', '.gpkg', '.geojson'] } },
    );
  }
  return readGeoJson(json, crs);
}

/** Boundary plans: create, check, repair, see the impact, publish. Planners and admins only. */
export function planRoutes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();
  const { db } = ctx;
  const planners = requireRole('planner', 'admin');

  registry.add(router, {
    method: 'post',
    path: '/api/plans',
    summary: 'Create a boundary plan from proposed grids (GeoJSON, or an uploaded zipped Shapefile or GeoPackage) and check it',
    tags: ['plans'],
    auth: 'session',
    before: [planners, upload({ field: 'file', noun: 'file', types: 'a zipped Shapefile, a GeoPackage or GeoJSON', maxBytes: MAX_PLAN_UPLOAD, maxFiles: 1, tooLargeFix: 'split it' })],
    query: createPlanQuery,
    body: z.union([createPlanBody, planFormFields.loose()]),
    form: planFormFields,
    responses: {
      201: { description: 'The plan and its report', schema: z.object({ id: z.number().int(), report: planReportSchema }) },
      400: problem('Not a FeatureCollection of polygons, missing codes, projected coordinates without a CRS, a bad or damaged Shapefile zip'),
      401: problem('Not logged in'),
      403: problem('Not a planner or admin, or the plan reaches outside your scope'),
      413: problem('The upload is too large, or its zip inflates to more than the limits (SHAPEFILE_ZIP_LIMITS) or holds too many files'),
      415: problem('The file is neither a zip, a GeoPackage nor GeoJSON'),
    },
    handler: async ({ query, body }, req, res) => {
      const fields = (body ?? {}) as { title?: string; crs?: string };
      const [file] = uploadedFiles(req);
      const source = await parsePlanSource(file, body, query.crs ?? (file ? fields.crs : undefined));
      const title = query.title ?? fields.title ?? (file?.originalname ?? '');
      const out = await createPlan(db, userOf(req), source, String(title).slice(0, 200));
      res.status(201).json(out);
    },
  });

  registry.add(router, {
    method: 'get',
    path: '/api/plans',
    summary: 'Boundary plans, newest first',
    tags: ['plans'],
    auth: 'session',
    before: [planners],
    query: listPlansQuery,
    responses: { 200: { description: 'Plans', schema: z.array(planSummary) }, 401: problem('Not logged in'), 403: problem('Not a planner or admin') },
    handler: ({ query }) => listPlans(db.knex, query),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/plans/:id',
    summary: 'One plan with its proposed grids',
    tags: ['plans'],
    auth: 'session',
    before: [planners],
    params: planParams,
    responses: { 200: { description: 'The plan', schema: planDetail }, 404: problem('No such plan') },
    handler: ({ params }) => getPlan(db.knex, params.id),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/plans/:id/report',
    summary: 'Everything wrong with the plan: invalid grids, overlaps, gaps, outside the parent, slivers (geodesic m²)',
    tags: ['plans'],
    auth: 'session',
    before: [planners],
    params: planParams,
    responses: { 200: { description: 'The report', schema: planReportSchema }, 404: problem('No such plan') },
    handler: ({ params }) => planReport(db.knex, params.id),
  });

  registry.add(router, {
    method: 'post',
    path: '/api/plans/:id/repair',
    summary: 'Repair a draft plan (make valid, snap, give small gaps and overlaps to a neighbour) and re-check it',
    tags: ['plans'],
    auth: 'session',
    before: [planners],
    params: planParams,
    body: repairBody,
    responses: {
      200: { description: 'The new report', schema: planReportSchema },
      400: problem('No repair chosen, or bad options'),
      404: problem('No such plan'),
      409: problem('The plan is no longer a draft'),
    },
    handler: ({ params, body }, req) => repairPlan(db, userOf(req), params.id, body),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/plans/:id/impact',
    summary: 'What publishing would move: assets, open incidents, buildings and households, staff assignments',
    tags: ['plans'],
    auth: 'session',
    before: [planners],
    params: planParams,
    responses: { 200: { description: 'The impact', schema: planImpactSchema }, 404: problem('No such plan') },
    handler: ({ params }) => planImpact(db.knex, params.id),
  });

  registry.add(router, {
    method: 'post',
    path: '/api/plans/:id/publish',
    summary: 'Publish a valid plan atomically: new boundary versions, parents recomputed, assets and open incidents re-routed',
    tags: ['plans'],
    auth: 'session',
    before: [planners],
    params: planParams,
    responses: {
      200: { description: 'What was done', schema: publishResult },
      404: problem('No such plan'),
      409: problem('The plan is invalid (the report is included), stale (the boundaries changed since it was checked) or already published'),
    },
    handler: ({ params }, req) => publishPlan(db, ctx.tiles, userOf(req), params.id),
  });

  return router;
}
