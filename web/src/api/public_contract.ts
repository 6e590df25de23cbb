/**
 * The resident's calls about a public case (its view with the check code, open reports nearby, "me too",
 * the rating), typed by the generated API document. A call answers null when the server it talks to does
 * not have the route (404 `route_not_found`: an older server behind the same address), so that a page
 * leaves out what it cannot show instead of failing.
 */
import { ApiError, getJson, postJson, type Schema } from '../api.js';

/** A public case as GET /api/public/incidents/{case_no}[?k=…] answers it (details only with the check code). */
export type PublicCase = Schema<'IncidentPublicView'>;

/** A step of the public timeline, with who has the case after it. */
export type PublicStep = PublicCase['history'][number];

/** Who has the case after a step (kind null: nobody, the case is finished). */
export type Holder = PublicStep['holder'];

/** What the check code opens: the resident's own words and photos, the after-photo, the closure and the rating. */
export type PublicDetails = NonNullable<PublicCase['details']>;

/** A photo of the details, with its step. */
export type PublicPhoto = PublicDetails['photos'][number];

/** The step of the workflow a photo came with: the report, the handling, or the handling after a rework. */
export type PhotoStep = PublicPhoto['step'];

/** A resident's rating of a closed case. */
export type Rating = Schema<'IncidentRating'>['rating'];

/** The ratings, in the order they are offered. */
export const RATINGS: readonly Rating[] = ['satisfied', 'basically_satisfied', 'dissatisfied'];

/** The receipt of POST /api/public/incidents, with the check code and the track link carrying it. */
export type PublicReceipt = Schema<'IncidentReceipt'>;

/** One open report of GET /api/public/incidents/nearby. */
export type NearbyReport = Schema<'NearbyReports'>['items'][number];

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
  return getJson('/api/public/incidents/{case_no}', { path: { case_no: caseNo }, query: { k: k || undefined } });
}

/** Open reports of a category near a point, nearest first; null when the server cannot tell. */
export async function nearbyReports(q: { lon: number; lat: number; category: string; radius_m?: number }): Promise<NearbyReport[] | null> {
  try {
    const res = await getJson('/api/public/incidents/nearby', { query: { lon: String(q.lon), lat: String(q.lat), category: q.category, radius_m: q.radius_m === undefined ? undefined : String(q.radius_m) } });
    return res.items;
  } catch (err) {
    if (isMissingRoute(err)) return null;
    throw err;
  }
}

/** Add the resident to an open case ("me too"); null when the route is missing. */
export function addSupporter(caseNo: string, contactPhone?: string): Promise<{ case_no: string; supporters: number } | null> {
  return unlessMissing(postJson('/api/public/incidents/{case_no}/supporters', { path: { case_no: caseNo }, body: contactPhone ? { contact_phone: contactPhone } : {} }));
}

/** Rate a closed case with its check code; null when the route is missing. */
export function rateCase(caseNo: string, body: { k: string; rating: Rating; comment?: string }): Promise<{ case_no: string; rating: Rating } | null> {
  return unlessMissing(postJson('/api/public/incidents/{case_no}/rating', { path: { case_no: caseNo }, body }));
}

/** A public photo's URL carrying the check code (`?k=`), which the photo route needs; as it is when it has one already or there is no code. */
export function photoUrlWithCode(url: string, k: string): string {
  if (!k || /[?&]k=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}k=${encodeURIComponent(k)}`;
}
