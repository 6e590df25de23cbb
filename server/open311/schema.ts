import { z } from 'zod';
import { checkLonLat } from '../geo/crs.js';
import { commaList } from '../http/input.js';

const blank = (v: unknown) => (v === '' || v === null ? undefined : v);
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const decimal = (name: string) =>
  z.preprocess(
    (v) => {
      const b = blank(v);
      return typeof b === 'string' && NUMBER.test(b.trim()) ? Number(b) : b;
    },
    z.number({ error: (issue) => (issue.input === undefined ? `${name} is required, in decimal degrees (WGS84)` : `${name} must be a number in decimal degrees (WGS84)`) }),
  );
const text = (max: number) => z.preprocess(blank, z.string().trim().max(max).optional());
const instant = (name: string) =>
  z
    .string()
    .trim()
    .refine((s) => /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s)), `${name} must be a W3C date-time, e.g. 2026-01-01T00:00:00Z`)
    .transform((s) => new Date(s));
const list = (name: string, re: RegExp, what: string, max: number) => commaList(z.string().regex(re, `${name} takes ${what}, comma-separated`), { name, max });

/** Query accepted by every Open311 call: jurisdiction_id, when given, must name an office served here. */
export const jurisdictionQuery = z.object({ jurisdiction_id: z.string().optional() });

/** Query of GET requests.json (GeoReport v2). */
export const requestsQuery = jurisdictionQuery.extend({
  service_request_id: list('service_request_id', /^\d{1,10}$/, 'request numbers', 1000).optional(),
  service_code: list('service_code', /^[\w-]{1,16}$/, 'service codes from services.json', 100).optional(),
  status: list('status', /^(open|closed)$/, 'open, closed or both', 2).optional().meta({ description: 'open, closed or both, comma-separated' }),
  start_date: instant('start_date').optional(),
  end_date: instant('end_date').optional(),
});

/** Body of POST requests.json: form fields (or JSON); contact fields are stored privately. */
export const postRequestBody = z
  .object({
    service_code: z.string({ error: 'service_code is required: one from services.json' }).trim().min(1).max(16),
    lat: decimal('lat'),
    long: decimal('long'),
    description: z.preprocess(blank, z.string().trim().max(2000).default('')),
    media_url: z.preprocess(blank, z.url({ protocol: /^https?$/, error: 'media_url must be an http or https URL' }).max(1000).optional()),
    email: text(100),
    first_name: text(50),
    last_name: text(50),
    phone: z.preprocess(blank, z.string().trim().regex(/^[0-9+()\-\s]{5,20}$/, 'phone must be a phone number').optional()),
    device_id: text(100),
    account_id: text(100),
    api_key: text(200),
    jurisdiction_id: text(100),
    address_string: text(500),
    address_id: text(100),
  })
  .superRefine((b, ctx) => checkLonLat(b.long, b.lat, (message, path) => ctx.addIssue({ code: 'custom', message: message.replace(/\blon\b/g, 'long'), path: path.map((p) => (p === 'lon' ? 'long' : p)) })));

/** Path of requests/{id}.json. */
export const requestParams = z.object({ id: z.string().regex(/^\d{1,10}$/, 'service_request_id is a number').transform(Number) });
/** Path of services/{code}.json. */
export const serviceParams = z.object({ code: z.string().regex(/^[\w-]{1,16}$/, 'service_code is a code from services.json') });

/** A service (an event category) as GeoReport v2 lists it. */
export const serviceSchema = z.object({
  service_code: z.string(),
  service_name: z.string(),
  description: z.string(),
  metadata: z.boolean(),
  type: z.literal('realtime'),
  keywords: z.string(),
  group: z.string(),
});

/** A service definition (GeoReport v2 `services/{code}.json`): no category asks for extra attributes. */
export const serviceDefinitionSchema = z.object({
  service_code: z.string(),
  attributes: z.array(z.never()).meta({ description: 'Always empty: no service takes extra attributes' }),
});

/** A service request as GeoReport v2 shows it: no personal data. */
export const requestSchema = z.object({
  service_request_id: z.string(),
  status: z.enum(['open', 'closed']),
  status_notes: z.string().nullable(),
  service_name: z.string(),
  service_code: z.string(),
  description: z.string(),
  agency_responsible: z.string().nullable(),
  service_notice: z.string().nullable(),
  requested_datetime: z.string(),
  updated_datetime: z.string(),
  expected_datetime: z.string().nullable(),
  address: z.string().nullable(),
  address_id: z.string().nullable(),
  zipcode: z.string().nullable(),
  lat: z.number(),
  long: z.number(),
  media_url: z.string().nullable(),
});

/** An Open311 error list (GeoReport v2), sent as application/json with the HTTP status. */
export const open311Errors = z.array(z.object({ code: z.number().int(), description: z.string() }));
