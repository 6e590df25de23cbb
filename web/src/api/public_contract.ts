/**
 * TEMPORARY — issue 14's public routes as /work/notes/issue14_contract.md agrees them, written by hand
 * because schema.d.ts does not list them yet (the server side is built on another branch). Once that
 * branch is merged and `npm run gen:api` has run, replace every type here by its generated Schema<…> and
 * every call by getJson/postJson, then delete this file.
 *
 * Every call answers null when the route is not there yet (404 `route_not_found`, or the 400 that the
 * older `/api/public/incidents/{case_no}` route gives a path such as `nearby`), so that a page can leave
 * out what it cannot show instead of failing.
 */
import { ApiError, callJson, type Schema } from '../api.js';
import { apiUrl } from './contract.js';

/** The step of the workflow a photo came with: the report, the handling, or the handling after a rework. */
export type PhotoStep = 'report' | 'handling' | 'rework';

/** A resident's rating of a closed case. */
export type Rating = 'satisfied' | 'basically_satisfied' | 'dissatisfied';

/** The ratings, in the order they are offered. */
export const RATINGS: readonly Rating[] = ['satisfied', 'basically_satisfied', 'dissatisfied'];

/** What the receipt of a public report adds: the check code that opens the details, and the track link carrying it. */
export interface CheckCodeReceipt {
  check_code?: string | null;
  track_url?: string | null;
}

/** The receipt of POST /api/public/incidents, with the contract's additions (absent before the server branch is merged). */
export type PublicReceipt = Schema<'IncidentReceipt'> & CheckCodeReceipt;

/** Who has the case after a step of the public timeline. */
export interface Holder {
  kind: 'grid' | 'community' | 'centre' | 'department' | null;
  name: string | null;
  name_en: string | null;
}

/** A step of the public timeline, with its holder (absent before the server branch is merged). */
export type PublicStep = Schema<'IncidentPublicView'>['history'][number] & { holder?: Holder | null };

/** A photo of the details: its number, step, time and where to load it (the check code is needed). */
export interface PublicPhoto {
  n: number;
  step: PhotoStep;
  url: string;
  thumb_url: string;
  at: string;
}

/** What the check code opens: the resident's own words and photos, the after-photo, the closure and the rating. */
export interface PublicDetails {
  description: string;
  photos: PublicPhoto[];
  closure_note: string | null;
  closed_at: string | null;
  rating: Rating | { rating: Rating; comment?: string | null } | null;
}

/** GET /api/public/incidents/{case_no}[?k=…] as the contract has it. */
export type PublicCase = Omit<Schema<'IncidentPublicView'>, 'history'> & {
  history: PublicStep[];
  supporters?: number;
  details?: PublicDetails | null;
};

/** One open report of GET /api/public/incidents/nearby. */
export interface NearbyReport {
  case_no: string;
  category: { code: string; name: string; name_en: string };
  status: 'open' | 'handled';
  distance_m: number;
  reported_at: string;
  supporters: number;
}

/** Whether an error says that the route is not on this server yet (rather than that the request was wrong). */
export function isMissingRoute(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404 && err.code === 'route_not_found';
}

/** Null instead of the error when the route is missing. */
async function unlessMissing<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (err) {
    if (isMissingRoute(err)) return null;
    throw err;
  }
}

/** The public view of a case; with the check code `k`, its details too (a wrong code is 403 `check_code_wrong`). */
export function publicCase(caseNo: string, k?: string): Promise<PublicCase> {
  return callJson<PublicCase>('GET', apiUrl('/api/public/incidents/{case_no}', { path: { case_no: caseNo }, query: { k: k || undefined } }));
}

/**
 * Open reports of a category near a point, nearest first; null when the server cannot tell yet. Before
 * the route exists the path is read as a case number and answers 400, which counts as missing too.
 */
export async function nearbyReports(q: { lon: number; lat: number; category: string; radius_m?: number }): Promise<NearbyReport[] | null> {
  try {
    const res = await callJson<{ items: NearbyReport[] }>('GET', apiUrl('/api/public/incidents/nearby', { query: { lon: q.lon, lat: q.lat, category: q.category, radius_m: q.radius_m } }));
    return res.items;
  } catch (err) {
    if (isMissingRoute(err) || (err instanceof ApiError && err.status === 400 && err.code === 'validation_failed')) return null;
    throw err;
  }
}

/** Add the resident to an open case ("me too"); null when the route is missing. */
export function addSupporter(caseNo: string, contactPhone?: string): Promise<{ case_no: string; supporters: number } | null> {
  return unlessMissing(callJson('POST', apiUrl('/api/public/incidents/{case_no}/supporters', { path: { case_no: caseNo } }), contactPhone ? { contact_phone: contactPhone } : {}));
}

/** Rate a closed case with its check code; null when the route is missing. */
export function rateCase(caseNo: string, body: { k: string; rating: Rating; comment?: string }): Promise<{ case_no: string; rating: Rating } | null> {
  return unlessMissing(callJson('POST', apiUrl('/api/public/incidents/{case_no}/rating', { path: { case_no: caseNo } }), body));
}

/** A public photo's URL carrying the check code (`?k=`), which the photo route needs; as it is when it has one already or there is no code. */
export function photoUrlWithCode(url: string, k: string): string {
  if (!k || /[?&]k=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}k=${encodeURIComponent(k)}`;
}
