import { z } from 'zod';
import { instantSchema } from '../areas/schema.js';
import { checkLonLat, crsSchema, pointQuerySchema } from '../geo/crs.js';
import { bboxSchema, commaList, paging, rowId, wholeNumber } from '../http/input.js';
import { PHOTO_STEPS } from './evidence.js';
import { HOLDER_KINDS, NEARBY_LIMIT, NEARBY_MAX_METRES, RATINGS } from './public.js';
import { ACTIONS, INCIDENT_LEVELS, INCIDENT_STATUSES, SOURCES } from './workflow.js';

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** Empty form fields count as absent (multipart forms send every field, filled or not). */
const blankToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);

/** A number in JSON, or a decimal string in a form field. */
const decimal = (name: string) =>
  z.preprocess(
    (v) => {
      const b = blankToUndefined(v);
      return typeof b === 'string' && NUMBER.test(b.trim()) ? Number(b) : b;
    },
    z.number({ error: `${name} must be a number in decimal degrees` }),
  );
/** A positive integer in JSON or a form field. */
const positiveInt = (name: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : blankToUndefined(v)),
    z.number({ error: `${name} must be a positive integer` }).int(`${name} must be a positive integer`).positive(`${name} must be a positive integer`),
  );

const pointFields = {
  category: z.string({ error: 'category is required: a code from GET /api/incident-categories, e.g. "0601"' }).trim().min(1).max(16),
  description: z.preprocess(blankToUndefined, z.string().trim().max(2000, 'description is limited to 2000 characters').default('')),
  lon: decimal('lon').optional().meta({ description: 'Longitude; with lat. May be left out when asset_id or a photo with GPS gives the point.' }),
  lat: decimal('lat').optional(),
  crs: z.preprocess(blankToUndefined, crsSchema),
  asset_id: positiveInt('asset_id').optional().meta({ description: 'The asset concerned; its position is used when no lon/lat is given' }),
};

/** Check that lon and lat come together and are in range. */
function refinePoint(p: { lon?: number; lat?: number }, ctx: z.RefinementCtx) {
  if ((p.lon === undefined) !== (p.lat === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'give lon and lat together (or neither, with asset_id or a photo with GPS)', path: [p.lon === undefined ? 'lon' : 'lat'] });
    return;
  }
  if (p.lon !== undefined && p.lat !== undefined) checkLonLat(p.lon, p.lat, (message, path) => ctx.addIssue({ code: 'custom', message, path }));
}

/** Body of POST /api/incidents (JSON, or multipart with `photos`). */
export const reportBody = z
  .object({ ...pointFields, source: z.preprocess(blankToUndefined, z.enum(SOURCES).optional()).meta({ description: 'patrol (default for chiefs), resident, hotline (default otherwise), superior, media' }) })
  .superRefine(refinePoint)
  .meta({ id: 'IncidentReport' });

/** A phone number a resident leaves (the message names the field). */
const phoneSchema = (field: string) => z.string().trim().regex(/^[0-9+()\-\s]{5,20}$/, `${field} must be a phone number (digits, spaces, +, -)`);

const contactSchema = z.object({
  name: z.string().trim().max(50).optional(),
  phone: phoneSchema('contact.phone').optional(),
  email: z.string().trim().email('contact.email must be an e-mail address').max(100).optional(),
});

/** Body of POST /api/public/incidents: a resident's report; the contact is kept private. */
export const publicReportBody = z
  .preprocess(
    (v) => {
      if (!v || typeof v !== 'object') return v;
      const body = { ...(v as Record<string, unknown>) };
      // Forms send the contact as JSON text or as contact_name / contact_phone fields.
      if (typeof body.contact === 'string') {
        try {
          body.contact = JSON.parse(body.contact);
        } catch {
          return body;
        }
      }
      if (body.contact === undefined && (body.contact_name || body.contact_phone)) {
        body.contact = { name: blankToUndefined(body.contact_name), phone: blankToUndefined(body.contact_phone) };
      }
      delete body.contact_name;
      delete body.contact_phone;
      return body;
    },
    z.object({ ...pointFields, contact: contactSchema.optional().meta({ description: 'How to reach the reporter; never shown publicly' }) }).superRefine(refinePoint),
  )
  .meta({ id: 'PublicIncidentReport' });

/** The text fields of a resident's report as a multipart form: the contact as JSON text or as two fields. */
export const publicReportForm = z.object({
  ...pointFields,
  contact: z.string().optional().meta({ description: 'The contact as JSON text, {"name": …, "phone": …, "email": …}; or contact_name and contact_phone' }),
  contact_name: z.string().max(50).optional(),
  contact_phone: z.string().max(20).optional(),
});

/** Body of POST /api/incidents/{id}/actions. */
export const actionBody = z
  .object({
    action: z.enum(ACTIONS, { error: `action must be one of ${ACTIONS.join(', ')}` }),
    note: z.preprocess(blankToUndefined, z.string().trim().min(1).max(2000).optional()),
    department: z.preprocess(blankToUndefined, z.string().trim().max(32).optional()).meta({ description: 'dispatch: the department code (GET /api/departments)' }),
    deadline_hours: positiveInt('deadline_hours').optional().meta({ description: "dispatch: hours the department gets; the category's deadline when absent" }),
    hours: positiveInt('hours').optional().meta({ description: 'defer: hours to add to the deadline' }),
    into: positiveInt('into').optional().meta({ description: 'merge: id of the incident this one duplicates' }),
    version: positiveInt('version').optional().meta({ description: 'The version you saw; a different current version answers 409' }),
  })
  .superRefine((b, ctx) => {
    const need = (field: 'note' | 'department' | 'into' | 'hours', why: string) => {
      if (b[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${field} is required to ${b.action}: ${why}` });
    };
    if (b.action === 'handle') need('note', 'say what was done');
    if (b.action === 'cancel') need('note', 'give the reason it is not a valid case');
    if (b.action === 'reject') need('note', 'say what is still wrong');
    if (b.action === 'dispatch') need('department', 'a code from GET /api/departments');
    if (b.action === 'merge') need('into', 'the id of the incident this one duplicates');
    if (b.action === 'defer') {
      need('hours', 'how many hours to add to the deadline');
      need('note', 'give the reason for the deferral');
    }
  })
  .meta({ id: 'IncidentAction' });

/** Path of one incident. */
export const incidentParams = z.object({ id: rowId('id') });
/** Path of one photo of an incident. */
export const photoParams = z.object({ id: rowId('id'), n: rowId('n') });
/** Query of a photo: the full image or its thumbnail. */
export const photoQuery = z.object({ size: z.enum(['full', 'thumb']).default('full') });
/** Path of the public tracking view. */
export const caseNoParams = z.object({ case_no: z.string().trim().regex(/^\d{8,20}$/, 'case_no is the number given at reporting, e.g. 20261127000042') });

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const oneOf = <T extends readonly [string, ...string[]]>(values: T, name: string) =>
  commaList(z.enum(values, { error: `${name} must be one or more of ${values.join(', ')}, comma-separated` }), { name, max: values.length });

/** Query of GET /api/incidents. */
export const listQuery = z.object({
  status: oneOf(INCIDENT_STATUSES, 'status').optional().meta({ description: `Comma-separated: ${INCIDENT_STATUSES.join(', ')}` }),
  level: oneOf(INCIDENT_LEVELS, 'level').optional().meta({ description: `Comma-separated: ${INCIDENT_LEVELS.join(', ')}` }),
  grid: z.string().trim().min(1).max(64).optional(),
  community: z.string().trim().min(1).max(64).optional(),
  category: z.string().trim().min(1).max(16).optional(),
  department: z.string().trim().min(1).max(32).optional(),
  overdue: bool.optional().meta({ description: 'true: only open incidents past their deadline; false: the others' }),
  bbox: bboxSchema('refuse').optional(),
  since: instantSchema.optional().meta({ description: 'Only incidents changed at or after this instant (ISO 8601)' }),
  ...paging({ defaultLimit: 50, maxLimit: 500, noun: 'incidents' }),
});

const ref = z.object({ code: z.string(), name: z.string() });
/** An area or department in lists and details: its English name too, for English screens. */
const namedRef = z.object({ code: z.string(), name: z.string(), name_en: z.string() });
const person = z.object({ name: z.string(), phone: z.string().nullable() });

/** A possible duplicate: an open incident of the same category nearby. */
export const duplicateSchema = z.object({ id: z.number().int(), case_no: z.string(), status: z.string(), distance_m: z.number(), reported_at: z.string() });

/** Answer of an intake. */
export const reportResponse = z
  .object({
    id: z.number().int(),
    case_no: z.string(),
    check_code: z.string().meta({ description: 'The code that opens the case\'s details on the track page (GET /api/public/incidents/{case_no}?k=); give it only to the reporter' }),
    track_url: z.string().meta({ description: 'The web app\'s track page of the case, with its check code' }),
    status: z.enum(INCIDENT_STATUSES),
    level: z.enum(INCIDENT_LEVELS),
    grid: ref.nullable(),
    community: ref.nullable(),
    assignee: person.nullable(),
    due_at: z.string().nullable(),
    near_edge: z.boolean(),
    near_grid_codes: z.array(z.string()),
    point: z.tuple([z.number(), z.number()]),
    photos: z.number().int(),
    possible_duplicates: z.array(duplicateSchema),
  })
  .meta({ id: 'IncidentReceipt' });

/** An incident in a list. */
export const incidentSummary = z
  .object({
    id: z.number().int(),
    case_no: z.string(),
    status: z.enum(INCIDENT_STATUSES),
    level: z.enum(INCIDENT_LEVELS),
    category: z.object({ code: z.string(), name: z.string(), name_en: z.string() }),
    description: z.string(),
    source: z.enum(SOURCES),
    lon: z.number(),
    lat: z.number(),
    grid: namedRef.nullable(),
    community: namedRef.nullable(),
    department: namedRef.nullable(),
    assignee: person.nullable(),
    area_version_id: z.number().int().nullable(),
    near_edge: z.boolean(),
    near_grid_codes: z.array(z.string()),
    due_at: z.string().nullable(),
    overdue: z.boolean(),
    deferred: z.boolean(),
    rework_count: z.number().int(),
    supporters: z.number().int().meta({ description: 'Residents who joined the case ("me too") instead of filing a duplicate' }),
    merged_into: z.number().int().nullable(),
    version: z.number().int(),
    reported_at: z.string(),
    updated_at: z.string(),
    closed_at: z.string().nullable(),
    photo_count: z.number().int(),
    thumb_url: z.string().nullable().meta({ description: 'The thumbnail of its first photo, for lists; null without photos' }),
  })
  .meta({ id: 'IncidentSummary' });

/** Answer of GET /api/incidents. */
export const listResponse = z.object({ items: z.array(incidentSummary), total: z.number().int(), overdue: z.number().int() });

/** A photo of an incident as staff see it. */
export const photoRef = z
  .object({
    n: z.number().int(),
    url: z.string(),
    thumb_url: z.string(),
    media_type: z.string(),
    width: z.number().nullable(),
    height: z.number().nullable(),
    step: z.enum(PHOTO_STEPS).meta({ description: 'report: sent with the report; handling: with a later step; rework: with a step after a rejection' }),
    action: z.string().meta({ description: 'The step it came with: report, or a workflow action' }),
    at: z.string(),
    hidden: z.boolean().meta({ description: 'Hidden from the public view (staff still see it)' }),
  })
  .meta({ id: 'IncidentPhoto' });

/** Body of POST /api/incidents/{id}/photos/{n}/visibility. */
export const visibilityBody = z
  .object({
    hidden: z.boolean({ error: 'hidden is required: true hides the photo from the public view, false shows it again' }),
    reason: z.string({ error: 'reason is required: say why, for the history' }).trim().min(1, 'reason is required: say why, for the history').max(500),
  })
  .meta({ id: 'PhotoVisibility' });

/** One incident with its history, photos and what the viewer may do. */
export const incidentDetail = incidentSummary
  .extend({
    asset_id: z.number().int().nullable(),
    reporter: z.object({ user: z.string().nullable(), contact: z.record(z.string(), z.unknown()).nullable() }),
    rating: z.object({ rating: z.enum(RATINGS), comment: z.string().nullable(), at: z.string() }).nullable().meta({ description: 'The resident\'s rating of the closed case, with their comment (staff only)' }),
    photos: z.array(photoRef),
    history: z.array(
      z.object({
        action: z.string(),
        from_status: z.string().nullable(),
        to_status: z.string().nullable(),
        from_level: z.string().nullable(),
        to_level: z.string().nullable(),
        actor: z.string().nullable(),
        note: z.string().nullable(),
        photos: z.array(z.string()),
        at: z.string(),
      }),
    ),
    allowed_actions: z.array(z.enum(ACTIONS)),
    may_hide_photos: z.boolean().meta({ description: 'Whether the viewer may hide a photo from the public view, or show it again (POST …/photos/{n}/visibility)' }),
  })
  .meta({ id: 'Incident' });

const categoryRef = z.object({ code: z.string(), name: z.string(), name_en: z.string() });

/** Query of the public tracking view: the check code, for the details. */
export const trackQuery = z.object({
  k: z.preprocess(blankToUndefined, z.string().trim().max(32).optional()).meta({ description: 'The check code on the receipt: with it the answer holds the details (description, photos, closure note, rating)' }),
});

/** The public tracking view of an incident: no notes, no people; with the check code, its details. */
export const publicView = z
  .object({
    case_no: z.string(),
    status: z.enum(INCIDENT_STATUSES),
    level: z.enum(INCIDENT_LEVELS),
    category: categoryRef,
    grid: ref.nullable(),
    supporters: z.number().int(),
    reported_at: z.string(),
    updated_at: z.string(),
    due_at: z.string().nullable(),
    closed_at: z.string().nullable(),
    history: z.array(
      z.object({
        action: z.string(),
        to_status: z.string().nullable(),
        to_level: z.string().nullable(),
        at: z.string(),
        holder: z
          .object({ kind: z.enum(HOLDER_KINDS).nullable(), name: z.string().nullable(), name_en: z.string().nullable() })
          .meta({ description: 'Who has the case after this step (its grid, community, the command centre or a department); kind null once finished' }),
      }),
    ),
    details: z
      .object({
        description: z.string(),
        photos: z.array(z.object({ n: z.number().int(), step: z.enum(PHOTO_STEPS), url: z.string(), thumb_url: z.string(), at: z.string() })),
        closure_note: z.string().nullable().meta({ description: 'How it was handled (or why it was not accepted), digit runs blanked' }),
        closed_at: z.string().nullable(),
        rating: z.enum(RATINGS).nullable(),
      })
      .nullable()
      .meta({ description: 'Only with the right check code (k); null without it' }),
  })
  .meta({ id: 'IncidentPublicView' });

/** Path of a photo of a case, for the public. */
export const publicPhotoParams = caseNoParams.extend({ n: rowId('n') });
/** Query of a photo of a case: the check code, and the full image or its thumbnail. */
export const publicPhotoQuery = photoQuery.extend({ k: z.string({ error: 'k is required: the check code on the receipt' }).trim().min(1, 'k is required: the check code on the receipt').max(32) });

/** Query of the open reports near a point, before a resident sends one. */
export const nearbyQuery = pointQuerySchema.safeExtend({
  category: z.string({ error: 'category is required: a code from GET /api/incident-categories' }).trim().min(1).max(16),
  radius_m: wholeNumber('radius_m', 1, NEARBY_MAX_METRES).optional().meta({ description: `Metres around the point, at most ${NEARBY_MAX_METRES}; the duplicate radius (DUPLICATE_RADIUS_METRES) when absent` }),
});

/** Answer of the nearby open reports. */
export const nearbyResponse = z
  .object({
    items: z
      .array(z.object({ case_no: z.string(), category: categoryRef, status: z.enum(INCIDENT_STATUSES), distance_m: z.number(), reported_at: z.string(), supporters: z.number().int() }))
      .max(NEARBY_LIMIT),
  })
  .meta({ id: 'NearbyReports' });

/** Body of POST /api/public/incidents/{case_no}/supporters. */
export const supportBody = z
  .object({ contact_phone: z.preprocess(blankToUndefined, phoneSchema('contact_phone').optional()).meta({ description: 'To be called back; never shown publicly' }) })
  .meta({ id: 'IncidentSupport' });

/** Answer of joining a case. */
export const supportResponse = z.object({ case_no: z.string(), supporters: z.number().int() }).meta({ id: 'IncidentSupporters' });

/** Body of POST /api/public/incidents/{case_no}/rating. */
export const ratingBody = z
  .object({
    k: z.string({ error: 'k is required: the check code on the receipt' }).trim().min(1).max(32),
    rating: z.enum(RATINGS, { error: `rating must be one of ${RATINGS.join(', ')}` }),
    comment: z.preprocess(blankToUndefined, z.string().trim().max(500).optional()).meta({ description: 'Seen by staff only' }),
  })
  .meta({ id: 'IncidentRatingInput' });

/** Answer of a rating. */
export const ratingResponse = z.object({ case_no: z.string(), rating: z.enum(RATINGS) }).meta({ id: 'IncidentRating' });

/** An event category with its deadline and usual department. */
export const categorySchema = z
  .object({
    code: z.string(),
    name: z.string(),
    name_en: z.string(),
    class_code: z.string(),
    class_name: z.string(),
    class_name_en: z.string(),
    deadline_hours: z.number().int(),
    deadline_kind: z.enum(['working', 'calendar']).meta({ description: 'working: the hours are working hours (see /api/work-calendar); calendar: clock hours' }),
    department_code: z.string().nullable(),
    asset_category_code: z.string().nullable(),
    handle_requires_photo: z.boolean().meta({ description: 'Handling needs a photo of the result (a handle without one is 422 photo_required)' }),
  })
  .meta({ id: 'IncidentCategory' });

/** A department incidents can be dispatched to. */
export const departmentSchema = z.object({ code: z.string(), name: z.string(), name_en: z.string() }).meta({ id: 'Department' });
