import { Router } from 'express';
import { z } from 'zod';
import { requireUser, userOf } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import { Invalid } from '../http/errors.js';
import type { RouteRegistry } from '../http/route.js';
import { problem } from '../http/schemas.js';
import { upload, uploadedFiles } from '../http/upload.js';
import { importRows, readTable } from './import.js';
import { idNumberKey } from './pii.js';
import {
  accessLogOut,
  accessLogQuery,
  buildingCreate,
  buildingListQuery,
  buildingOut,
  buildingPatch,
  householdCreate,
  householdListQuery,
  householdOut,
  householdPatch,
  idParams,
  importQuery,
  importReport,
  residentCreate,
  residentListQuery,
  residentOut,
  residentPatch,
  summaryOut,
  summaryQuery,
  visitCreate,
  visitListQuery,
  visitOut,
} from './schema.js';
import { createBuilding, deleteBuilding, getBuilding, listBuildings, patchBuilding } from './buildings.js';
import { createHousehold, deleteHousehold, getHousehold, listHouseholds, patchHousehold } from './households.js';
import { accessLog, createResident, deleteResident, getResident, listResidents, patchResident } from './residents.js';
import { populationSummary } from './summary.js';
import { createVisit, listVisits } from './visits.js';

/** Largest import file. */
const MAX_IMPORT_BYTES = 20 * 1024 * 1024;

const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), total: z.number().int() });
const refused = {
  401: problem('Not logged in'),
  403: problem('Not a chief, community staff or command centre, or outside your scope'),
};

/** Population and housing: buildings, households, residents (scoped and logged), care visits, import, public counts. */
export function populationRoutes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();
  const { knex } = ctx.db;
  const idKey = idNumberKey();
  const tags = ['population'];
  const session = { auth: 'session' as const, before: [requireUser] };

  registry.add(router, {
    method: 'get',
    path: '/api/population/summary',
    summary: 'Per-grid counts of buildings, households, residents, vulnerable residents and visits this month (public; counts only)',
    tags,
    auth: 'public',
    query: summaryQuery,
    responses: { 200: { description: 'One row per grid in force', schema: z.array(summaryOut) }, 404: problem('No such grid') },
    handler: ({ query }) => populationSummary(knex, query),
  });

  registry.add(router, {
    method: 'post',
    path: '/api/population/import',
    summary: 'Import buildings, households or residents from a CSV or XLSX file; all rows or none',
    tags,
    ...session,
    before: [requireUser, upload({ field: 'file', noun: 'file', types: '.csv or .xlsx', maxBytes: MAX_IMPORT_BYTES, maxFiles: 1, tooLargeFix: 'split it', required: true })],
    query: importQuery,
    responses: {
      201: { description: 'Every row imported', schema: importReport },
      200: { description: 'Dry run: every row valid, nothing written', schema: importReport },
      400: problem('No file, unreadable file, a damaged workbook, too many rows or missing columns'),
      ...refused,
      413: problem('The file is too large, or the workbook inflates to more than the limits (XLSX_LIMITS) or holds too many files'),
      422: problem('Some rows are invalid: the problem carries the row-level report; nothing was written'),
    },
    handler: async ({ query }, req, res) => {
      const [file] = uploadedFiles(req);
      if (!file) throw new Invalid('file_missing', 'Attach the file in the form field "file" (.csv or .xlsx).', { params: { field: 'file' } });
      const table = await readTable(file);
      const report = await importRows(knex, userOf(req), idKey, query.kind, table, query.dry_run);
      res.status(query.dry_run ? 200 : 201).json(report);
    },
  });

  // Buildings
  registry.add(router, {
    method: 'get', path: '/api/buildings', summary: 'Buildings in your scope', tags, ...session,
    query: buildingListQuery,
    responses: { 200: { description: 'A page of buildings', schema: page(buildingOut) }, ...refused },
    handler: ({ query }, req) => listBuildings(knex, userOf(req), query),
  });
  registry.add(router, {
    method: 'post', path: '/api/buildings', summary: 'Create a building (point or footprint); its grid comes from its position', tags, ...session,
    body: buildingCreate,
    responses: { 201: { description: 'Created', schema: buildingOut }, 400: problem('Bad geometry or fields'), ...refused, 422: problem('Outside every grid') },
    handler: async ({ body }, req, res) => {
      res.status(201).json(await createBuilding(knex, userOf(req), body));
    },
  });
  registry.add(router, {
    method: 'get', path: '/api/buildings/:id', summary: 'One building', tags, ...session, params: idParams,
    responses: { 200: { description: 'The building', schema: buildingOut }, ...refused, 404: problem('No such building in your scope') },
    handler: ({ params }, req) => getBuilding(knex, userOf(req), params.id),
  });
  registry.add(router, {
    method: 'patch', path: '/api/buildings/:id', summary: 'Change a building', tags, ...session, params: idParams, body: buildingPatch,
    responses: { 200: { description: 'Changed', schema: buildingOut }, ...refused, 404: problem('No such building in your scope') },
    handler: ({ params, body }, req) => patchBuilding(knex, userOf(req), params.id, body),
  });
  registry.add(router, {
    method: 'delete', path: '/api/buildings/:id', summary: 'Delete a building without households', tags, ...session, params: idParams,
    responses: { 204: { description: 'Deleted' }, ...refused, 404: problem('No such building in your scope'), 409: problem('It still has households') },
    handler: async ({ params }, req, res) => {
      await deleteBuilding(knex, userOf(req), params.id);
      res.status(204).end();
    },
  });

  // Households
  registry.add(router, {
    method: 'get', path: '/api/households', summary: 'Households in your scope', tags, ...session, query: householdListQuery,
    responses: { 200: { description: 'A page of households', schema: page(householdOut) }, ...refused },
    handler: ({ query }, req) => listHouseholds(knex, userOf(req), query),
  });
  registry.add(router, {
    method: 'post', path: '/api/households', summary: 'Create a household in a building', tags, ...session, body: householdCreate,
    responses: { 201: { description: 'Created', schema: householdOut }, ...refused, 422: problem('The building is not in your scope') },
    handler: async ({ body }, req, res) => {
      res.status(201).json(await createHousehold(knex, userOf(req), body));
    },
  });
  registry.add(router, {
    method: 'get', path: '/api/households/:id', summary: 'One household', tags, ...session, params: idParams,
    responses: { 200: { description: 'The household', schema: householdOut }, ...refused, 404: problem('No such household in your scope') },
    handler: ({ params }, req) => getHousehold(knex, userOf(req), params.id),
  });
  registry.add(router, {
    method: 'patch', path: '/api/households/:id', summary: 'Change a household', tags, ...session, params: idParams, body: householdPatch,
    responses: { 200: { description: 'Changed', schema: householdOut }, ...refused, 404: problem('No such household in your scope') },
    handler: ({ params, body }, req) => patchHousehold(knex, userOf(req), params.id, body),
  });
  registry.add(router, {
    method: 'delete', path: '/api/households/:id', summary: 'Delete a household without residents', tags, ...session, params: idParams,
    responses: { 204: { description: 'Deleted' }, ...refused, 404: problem('No such household in your scope'), 409: problem('It still has residents') },
    handler: async ({ params }, req, res) => {
      await deleteHousehold(knex, userOf(req), params.id);
      res.status(204).end();
    },
  });

  // Residents (the access log first, so that its path is not taken for an id)
  registry.add(router, {
    method: 'get', path: '/api/residents/access-log', summary: 'Who read or changed which resident record, and when (command centre only)', tags, ...session,
    query: accessLogQuery,
    responses: { 200: { description: 'Log entries, newest first', schema: page(accessLogOut) }, ...refused },
    handler: ({ query }, req) => accessLog(knex, userOf(req), query),
  });
  registry.add(router, {
    method: 'get', path: '/api/residents', summary: 'Residents in your scope (each read is logged)', tags, ...session, query: residentListQuery,
    responses: { 200: { description: 'A page of residents', schema: page(residentOut) }, ...refused },
    handler: ({ query }, req) => listResidents(knex, userOf(req), idKey, query),
  });
  registry.add(router, {
    method: 'post', path: '/api/residents', summary: 'Register a resident in a household', tags, ...session, body: residentCreate,
    responses: { 201: { description: 'Created', schema: residentOut }, ...refused, 409: problem('The ID number is already registered'), 422: problem('The household is not in your scope') },
    handler: async ({ body }, req, res) => {
      res.status(201).json(await createResident(knex, userOf(req), idKey, body));
    },
  });
  registry.add(router, {
    method: 'get', path: '/api/residents/:id', summary: 'One resident (the read is logged)', tags, ...session, params: idParams,
    responses: { 200: { description: 'The resident', schema: residentOut }, ...refused, 404: problem('No such resident in your scope') },
    handler: ({ params }, req) => getResident(knex, userOf(req), params.id),
  });
  registry.add(router, {
    method: 'patch', path: '/api/residents/:id', summary: 'Change a resident', tags, ...session, params: idParams, body: residentPatch,
    responses: { 200: { description: 'Changed', schema: residentOut }, ...refused, 404: problem('No such resident in your scope'), 409: problem('The ID number is already registered') },
    handler: ({ params, body }, req) => patchResident(knex, userOf(req), idKey, params.id, body),
  });
  registry.add(router, {
    method: 'delete', path: '/api/residents/:id', summary: 'Delete a resident and their care visits', tags, ...session, params: idParams,
    responses: { 204: { description: 'Deleted' }, ...refused, 404: problem('No such resident in your scope') },
    handler: async ({ params }, req, res) => {
      await deleteResident(knex, userOf(req), params.id);
      res.status(204).end();
    },
  });

  // Care visits
  registry.add(router, {
    method: 'get', path: '/api/care-visits', summary: 'Care visits in your scope, newest first', tags, ...session, query: visitListQuery,
    responses: { 200: { description: 'A page of visits', schema: page(visitOut) }, ...refused },
    handler: ({ query }, req) => listVisits(knex, userOf(req), query),
  });
  registry.add(router, {
    method: 'post', path: '/api/care-visits', summary: 'Record a care visit you made', tags, ...session, body: visitCreate,
    responses: { 201: { description: 'Recorded', schema: visitOut }, ...refused, 422: problem('The resident is not in your scope') },
    handler: async ({ body }, req, res) => {
      res.status(201).json(await createVisit(knex, userOf(req), body));
    },
  });
  return router;
}
