import { Router, type Response } from 'express';
import { z } from 'zod';
import { requireUser, userOf } from '../auth/middleware.js';
import type { AppContext } from '../context.js';
import type { RouteRegistry } from '../http/route.js';
import { answerOnce, idempotencyHeaders, type Answer, type KeyedRequest } from '../http/idempotency.js';
import { binary, problem } from '../http/schemas.js';
import { upload } from '../http/upload.js';
import { uploadedPhotos } from '../photos/upload.js';
import { incidentContext } from './deps.js';
import {
  actionBody,
  caseNoParams,
  categorySchema,
  departmentSchema,
  incidentDetail,
  incidentParams,
  listQuery,
  listResponse,
  nearbyQuery,
  nearbyResponse,
  photoParams,
  photoQuery,
  photoRef,
  publicPhotoParams,
  publicPhotoQuery,
  publicReportBody,
  publicReportForm,
  publicView,
  ratingBody,
  ratingResponse,
  reportBody,
  reportResponse,
  supportBody,
  supportResponse,
  trackQuery,
  visibilityBody,
} from './schema.js';
import { actOnIncident, setPhotoVisibility } from './actions.js';
import type { Upload } from './evidence.js';
import { reportIncident, type Receipt, type Reporter, type ReportInput } from './intake.js';
import { nearbyIncidents, publicPhoto, rateIncident, supportIncident, trackIncident } from './public.js';
import { getIncident, getPhoto, listCategories, listDepartments, listIncidents } from './service.js';
import { handleStream } from './stream.js';

/** Incident intake (staff and public), the resident's case (track, nearby, supporters, rating), workflow actions, lists, photos, the live stream and the dictionaries. */
export function incidentRoutes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();
  const deps = incidentContext(ctx);
  const { knex } = deps;
  const photos = upload({ field: 'photos', noun: 'photo', types: 'JPEG, PNG, WebP or HEIC', maxBytes: ctx.config.photoMaxBytes, maxFiles: ctx.config.photoMaxFiles, optional: true });

  registry.add(router, {
    method: 'get',
    path: '/api/incident-categories',
    summary: 'Event categories (national classes), each with its deadline and usual department; code = Open311 service_code',
    tags: ['incidents'],
    auth: 'public',
    responses: { 200: { description: 'The categories', schema: z.array(categorySchema) } },
    handler: () => listCategories(knex),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/departments',
    summary: 'Departments incidents can be dispatched to',
    tags: ['incidents'],
    auth: 'public',
    responses: { 200: { description: 'The departments', schema: z.array(departmentSchema) } },
    handler: () => listDepartments(knex),
  });

  const intakeResponses = {
    201: { description: 'Reported and routed (or, with the Idempotency-Key of an earlier report, its answer again: header Idempotency-Replayed)', schema: reportResponse },
    400: problem('Missing or bad fields, unknown category, no point given, or a malformed Idempotency-Key'),
    409: problem('The first report with this Idempotency-Key is still running (see Retry-After)'),
    413: problem('A photo is too large'),
    415: problem('A photo is not really a JPEG, PNG, WebP or HEIC image'),
    422: problem('The point is outside every grid, the asset does not exist, or the Idempotency-Key came with another report'),
  };
  /** Take a report, at most once per Idempotency-Key, and answer 201 with its receipt and where the case is read. */
  const intake = (res: Response, keyed: KeyedRequest, input: ReportInput, files: Upload[], reporter: Reporter, location: (r: Receipt) => string) =>
    answerOnce(knex, res, keyed, async (keep) => {
      const answer = (r: Receipt): Answer => ({ status: 201, headers: { Location: location(r) }, body: r });
      return answer(await reportIncident(deps, input, files, reporter, keep && ((trx, r) => keep(trx, answer(r)))));
    });

  registry.add(router, {
    method: 'post',
    path: '/api/incidents',
    summary: 'Report an incident (staff); JSON, or multipart with photos; routed to the grid in force and its chief',
    tags: ['incidents'],
    auth: 'session',
    body: reportBody,
    headers: idempotencyHeaders,
    before: [requireUser, photos],
    responses: { ...intakeResponses, 401: problem('Not logged in') },
    handler: async ({ body, headers }, req, res) => {
      const user = userOf(req);
      const files = uploadedPhotos(req);
      // A staff member's keys are their own.
      const keyed = { key: headers['idempotency-key'], scope: `POST /api/incidents user ${user.id}`, fields: body, files };
      const reporter: Reporter = { user, source: body.source ?? (user.role === 'chief' ? 'patrol' : 'hotline') };
      await intake(res, keyed, body, files, reporter, (r) => `/api/incidents/${r.id}`);
    },
  });

  registry.add(router, {
    method: 'post',
    path: '/api/public/incidents',
    summary: 'Report an incident as a resident, without an account (rate-limited); the contact stays private',
    tags: ['incidents', 'public'],
    auth: 'public',
    body: publicReportBody,
    form: publicReportForm,
    headers: idempotencyHeaders,
    before: [deps.publicLimit, photos],
    responses: { ...intakeResponses, 429: problem('Too many reports from this client') },
    handler: async ({ body, headers }, req, res) => {
      const files = uploadedPhotos(req);
      // Residents have no account: their keys are unique across the route.
      const keyed = { key: headers['idempotency-key'], scope: 'POST /api/public/incidents', fields: body, files };
      const { contact, ...report } = body;
      await intake(res, keyed, report, files, { user: null, contact: contact ?? null, source: 'resident' }, (r) => `/api/public/incidents/${r.case_no}`);
    },
  });

  // Before /api/public/incidents/:case_no, which would take "nearby" for a case number.
  registry.add(router, {
    method: 'get',
    path: '/api/public/incidents/nearby',
    summary: 'Open reports of a category near a point, nearest first (at most 10): to join one instead of reporting it again; no description, photos or people',
    tags: ['incidents', 'public'],
    auth: 'public',
    query: nearbyQuery,
    responses: { 200: { description: 'The open and handled reports nearby', schema: nearbyResponse }, 400: problem('Bad point, radius or category') },
    handler: ({ query }) => nearbyIncidents(deps, query),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/public/incidents/:case_no',
    summary: 'Follow a report by its case number: status and steps with who has it, no personal data; with its check code (k), also its description, photos, closure note and rating',
    tags: ['incidents', 'public'],
    auth: 'public',
    params: caseNoParams,
    query: trackQuery,
    responses: {
      200: { description: 'The public view', schema: publicView },
      403: problem('The check code k is not this case\'s'),
      404: problem('No such case number'),
    },
    handler: ({ params, query }) => trackIncident(knex, params.case_no, query.k),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/public/incidents/:case_no/photos/:n',
    summary: 'A photo of a case, with its check code (size=thumb for the thumbnail); photos hidden by staff are not served',
    tags: ['incidents', 'public'],
    auth: 'public',
    params: publicPhotoParams,
    query: publicPhotoQuery,
    responses: {
      200: { description: 'The image', schema: binary, contentType: 'image/*' },
      400: problem('No check code given'),
      403: problem('The check code k is not this case\'s'),
      404: problem('No such case number, or no such photo shown'),
    },
    handler: async ({ params, query }, _req, res) => {
      const photo = await publicPhoto(deps, params.case_no, params.n, query.k, query.size);
      // Short-lived: a photo hidden later must stop being served soon.
      res.type(photo.mediaType).set('Cache-Control', 'private, max-age=300').send(photo.bytes);
    },
  });

  registry.add(router, {
    method: 'post',
    path: '/api/public/incidents/:case_no/supporters',
    summary: 'Join an open case ("me too") instead of reporting it again (rate-limited); the phone stays private',
    tags: ['incidents', 'public'],
    auth: 'public',
    params: caseNoParams,
    body: supportBody,
    before: [deps.publicLimit],
    responses: {
      201: { description: 'Joined: the number of supporters now', schema: supportResponse },
      400: problem('Bad phone number'),
      404: problem('No such case number'),
      409: problem('The case is no longer open'),
      429: problem('Too many requests from this client'),
    },
    handler: async ({ params, body }, _req, res) => {
      res.status(201).json(await supportIncident(deps, params.case_no, body.contact_phone));
    },
  });

  registry.add(router, {
    method: 'post',
    path: '/api/public/incidents/:case_no/rating',
    summary: 'Rate a closed case with its check code, once (rate-limited); counted in the appraisal as public satisfaction',
    tags: ['incidents', 'public'],
    auth: 'public',
    params: caseNoParams,
    body: ratingBody,
    before: [deps.publicLimit],
    responses: {
      201: { description: 'Rated', schema: ratingResponse },
      400: problem('Missing check code or bad rating'),
      403: problem('The check code k is not this case\'s'),
      404: problem('No such case number'),
      409: problem('The case is not closed, or is rated already'),
      429: problem('Too many requests from this client'),
    },
    handler: async ({ params, body }, _req, res) => {
      res.status(201).json(await rateIncident(deps, params.case_no, body));
    },
  });

  registry.add(router, {
    method: 'get',
    path: '/api/incidents/stream',
    summary: 'Server-Sent Events of new and changed incidents in your scope (event: incident)',
    tags: ['incidents'],
    auth: 'session',
    before: [requireUser],
    responses: { 200: { description: 'An event stream', schema: z.string(), contentType: 'text/event-stream' }, 401: problem('Not logged in') },
    handler: (_input, req, res) => handleStream(deps.bus, req, res),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/incidents',
    summary: 'Incidents in your scope (and next to it), filtered and paginated, newest first',
    tags: ['incidents'],
    auth: 'session',
    query: listQuery,
    before: [requireUser],
    responses: { 200: { description: 'A page of incidents, the total and how many are overdue', schema: listResponse }, 400: problem('Bad filter'), 401: problem('Not logged in') },
    handler: ({ query }, req) => listIncidents(knex, userOf(req), query),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/incidents/:id',
    summary: 'One incident with its history, photos and the actions you may take',
    tags: ['incidents'],
    auth: 'session',
    params: incidentParams,
    before: [requireUser],
    responses: { 200: { description: 'The incident', schema: incidentDetail }, 401: problem('Not logged in'), 404: problem('No such incident in your scope') },
    handler: ({ params }, req) => getIncident(knex, userOf(req), params.id),
  });

  registry.add(router, {
    method: 'post',
    path: '/api/incidents/:id/actions',
    summary: 'Take a workflow step: handle, escalate, dispatch, cancel, confirm, reject, merge, defer (JSON, or multipart with photos)',
    tags: ['incidents'],
    auth: 'session',
    params: incidentParams,
    body: actionBody,
    before: [requireUser, photos],
    responses: {
      200: { description: 'The incident after the step', schema: incidentDetail },
      400: problem('Unknown action or a missing field (note, department, into, hours)'),
      401: problem('Not logged in'),
      403: problem('Not your role or scope for this step; lists allowed_actions'),
      404: problem('No such incident in your scope'),
      409: problem('Not allowed in the current state, or the incident changed meanwhile; lists allowed_actions'),
      415: problem('A photo is not really a JPEG, PNG, WebP or HEIC image'),
      422: problem('A handle without the photo its category needs (photo_required), or a merge into itself or into an incident not in your scope'),
    },
    handler: ({ params, body }, req) => actOnIncident(deps, userOf(req), params.id, body, uploadedPhotos(req)),
  });

  registry.add(router, {
    method: 'post',
    path: '/api/incidents/:id/photos/:n/visibility',
    summary: 'Hide a photo from the public view (a face, a licence plate), or show it again; logged in the history with the reason',
    tags: ['incidents'],
    auth: 'session',
    params: photoParams,
    body: visibilityBody,
    before: [requireUser],
    responses: {
      200: { description: 'The photo after the change', schema: photoRef },
      400: problem('hidden or reason missing'),
      401: problem('Not logged in'),
      403: problem('Only its chief, community, command centre or department may hide or show its photos'),
      404: problem('No such incident in your scope, or no such photo'),
    },
    handler: ({ params, body }, req) => setPhotoVisibility(deps, userOf(req), params.id, params.n, body),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/incidents/:id/photos/:n',
    summary: 'A photo of an incident in your scope (size=thumb for the thumbnail)',
    tags: ['incidents'],
    auth: 'session',
    params: photoParams,
    query: photoQuery,
    before: [requireUser],
    responses: { 200: { description: 'The image', schema: binary, contentType: 'image/*' }, 401: problem('Not logged in'), 404: problem('No such photo in your scope') },
    handler: async ({ params, query }, req, res) => {
      const photo = await getPhoto(deps, userOf(req), params.id, params.n, query.size);
      res.type(photo.mediaType).set('Cache-Control', 'private, max-age=86400').send(photo.bytes);
    },
  });
  return router;
}

