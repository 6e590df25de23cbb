import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { Invalid } from '../http/errors.js';
import { describeError } from '../http/problem.js';
import type { RouteRegistry } from '../http/route.js';
import { upload } from '../http/upload.js';
import { incidentContext } from '../incidents/deps.js';
import { reportIncident } from '../incidents/intake.js';
import { uploadedPhotos } from '../photos/upload.js';
import { jurisdictionQuery, open311Errors, postRequestBody, requestParams, requestsQuery, requestSchema, serviceDefinitionSchema, serviceParams, serviceSchema } from './schema.js';
import { assertJurisdiction, getRequest, listRequests, listServices, serviceDefinition } from './service.js';

const BASE = '/open311/v2';
/** An error response as `sendErrors` sends it: a GeoReport v2 error list, as JSON (not problem+json). */
const errors = (description: string) => ({ description, schema: open311Errors, contentType: 'application/json' });

/** Send errors as GeoReport v2 wants them: a JSON list of {code, description}, with the HTTP status. */
function sendErrors(res: express.Response, status: number, description: string) {
  res.status(status).json([{ code: status, description }]);
}

/** Map every error under /open311 to the Open311 error format (the rest of the API answers problem+json). */
const handleOpen311Errors: ErrorRequestHandler = (err, req, res, next) => {
  if (!req.path.startsWith('/open311')) return next(err);
  const known = describeError(err);
  if (!known || known.status >= 500) req.log?.error({ err }, 'open311 error');
  if (known) return sendErrors(res.set(known.headers ?? {}), known.status, known.detail);
  sendErrors(res, 500, 'Something went wrong on the server; it has been logged.');
};

/** Any other /open311 path: point at what exists. */
const unknownOpen311: RequestHandler = (req, res) => {
  const xml = /\.xml$/.test(req.path);
  sendErrors(
    res,
    xml ? 400 : 404,
    xml
      ? 'This server speaks the JSON format only; ask for the .json resource.'
      : `There is no ${req.method} ${req.path}. GeoReport v2 lives at ${BASE}: services.json, services/{code}.json, requests.json, requests/{id}.json.`,
  );
};

/** Open311 GeoReport v2 (JSON): the category dictionary as services, and requests in and out. */
export function open311Routes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();
  const deps = incidentContext(ctx);
  const { knex } = deps;
  const form = express.urlencoded({ extended: false, limit: '100kb' });
  const media = upload({ field: 'media', noun: 'photo', types: 'JPEG, PNG, WebP or HEIC', maxBytes: ctx.config.photoMaxBytes, maxFiles: 1, optional: true });

  registry.add(router, {
    method: 'get',
    path: `${BASE}/services.json`,
    summary: 'Open311: the service list (the event categories)',
    tags: ['open311'],
    auth: 'public',
    query: jurisdictionQuery,
    responses: { 200: { description: 'Services', schema: z.array(serviceSchema) } },
    handler: async ({ query }) => {
      await assertJurisdiction(knex, query.jurisdiction_id);
      return listServices(knex);
    },
  });

  registry.add(router, {
    method: 'get',
    path: `${BASE}/services/:code.json`,
    summary: 'Open311: a service definition (no extra attributes)',
    tags: ['open311'],
    auth: 'public',
    params: serviceParams,
    query: jurisdictionQuery,
    responses: { 200: { description: 'The definition', schema: serviceDefinitionSchema }, 404: errors('No such service') },
    handler: async ({ params, query }) => {
      await assertJurisdiction(knex, query.jurisdiction_id);
      return serviceDefinition(knex, params.code);
    },
  });

  registry.add(router, {
    method: 'get',
    path: `${BASE}/requests.json`,
    summary: 'Open311: service requests (last 90 days unless dated), without personal data',
    tags: ['open311'],
    auth: 'public',
    query: requestsQuery,
    responses: { 200: { description: 'Requests, newest first (at most 1000)', schema: z.array(requestSchema) }, 400: errors('Bad parameter') },
    handler: async ({ query }) => {
      await assertJurisdiction(knex, query.jurisdiction_id);
      return listRequests(knex, query);
    },
  });

  registry.add(router, {
    method: 'get',
    path: `${BASE}/requests/:id.json`,
    summary: 'Open311: one service request (service_request_id is the incident id)',
    tags: ['open311'],
    auth: 'public',
    params: requestParams,
    query: jurisdictionQuery,
    responses: { 200: { description: 'A list of one request', schema: z.array(requestSchema) }, 404: errors('No such request') },
    handler: async ({ params, query }) => {
      await assertJurisdiction(knex, query.jurisdiction_id);
      return getRequest(knex, params.id);
    },
  });

  registry.add(router, {
    method: 'post',
    path: `${BASE}/requests.json`,
    summary: 'Open311: create a service request (form fields or multipart with media); contact fields stay private',
    tags: ['open311'],
    auth: 'public',
    body: postRequestBody,
    bodyContentType: 'application/x-www-form-urlencoded',
    before: [deps.publicLimit, form, media],
    responses: {
      201: { description: 'Created', schema: z.array(z.object({ service_request_id: z.string(), service_notice: z.string().nullable(), account_id: z.string().nullable() })) },
      400: errors('Missing or bad field'),
      415: errors('The media file is not a JPEG, PNG, WebP or HEIC image'),
      422: errors('The location is outside every grid'),
      429: errors('Too many requests from this client'),
    },
    handler: async ({ body }, req, res) => {
      await assertJurisdiction(knex, body.jurisdiction_id);
      if (!(await knex('incident_categories').where({ code: body.service_code }).first('code'))) {
        throw new Invalid('category_unknown', `service_code ${body.service_code} does not exist; pick one from ${BASE}/services.json.`, { params: { category: body.service_code } });
      }
      const name = [body.last_name, body.first_name].filter(Boolean).join('') || undefined;
      const contact = { name, phone: body.phone, email: body.email, device_id: body.device_id, account_id: body.account_id };
      const files = uploadedPhotos(req);
      const receipt = await reportIncident(
        deps,
        { category: body.service_code, description: body.description, lon: body.long, lat: body.lat, crs: 'wgs84' },
        files,
        { user: null, contact: Object.fromEntries(Object.entries(contact).filter(([, v]) => v)), source: 'resident' },
      );
      res.status(201).json([
        { service_request_id: String(receipt.id), service_notice: `Case ${receipt.case_no}, routed to ${receipt.grid?.name ?? 'the command centre'}.`, account_id: null },
      ]);
    },
  });

  router.use('/open311', unknownOpen311);
  router.use(handleOpen311Errors);
  return router;
}
