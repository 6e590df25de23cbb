/**
 * The resident's side of a case, without an account: following it by case number (and, with its check
 * code, seeing its details and photos), the open reports nearby before sending one, joining a case
 * ("me too"), and rating the outcome.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { toWgs84, type InputCrs } from '../geo/crs.js';
import { Conflict, Forbidden, NotFound } from '../http/errors.js';
import { iso } from '../http/wire.js';
import { toChange } from './events.js';
import { photoStep, readPhoto, type PhotoRow } from './evidence.js';
import { categoryExists, unknownCategory } from './intake.js';
import type { IncidentDeps } from './service.js';
import { sqlInsertEvent, sqlLockCase, sqlNearbyOpen, sqlPhotos, sqlPublicCase, sqlPublicHistory } from './sql.js';
import { isFinished, type Level, type Status } from './workflow.js';

/** A resident's rating of a closed case. */
export const RATINGS = ['satisfied', 'basically_satisfied', 'dissatisfied'] as const;
export type Rating = (typeof RATINGS)[number];

/** Who has a case after a step, for the public timeline. */
export const HOLDER_KINDS = ['grid', 'community', 'centre', 'department'] as const;
export type HolderKind = (typeof HOLDER_KINDS)[number];

/** Most open reports the nearby list answers, and the widest radius it looks in (metres). */
export const NEARBY_LIMIT = 10;
export const NEARBY_MAX_METRES = 500;

/** Long digit runs (phone numbers, ID numbers) blanked out of free text shown publicly. */
export function redactDigits(text: string): string {
  return text.replace(/\d[\d\s-]{6,}\d/g, '***');
}

/** Whether a check code given matches the case's, compared in constant time (both are hashed first, so their lengths do not show either). */
export function checkCodeMatches(stored: string, given: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(stored), digest(given.trim().toUpperCase()));
}

/** The 404 of an unknown case number. */
const caseNotFound = (caseNo: string) =>
  new NotFound('case_not_found', `No incident has the case number ${caseNo}; check the number on your receipt.`, { params: { case_no: caseNo } });

/** The 403 of a wrong check code. */
const wrongCheckCode = (caseNo: string) =>
  new Forbidden('check_code_wrong', `That is not the check code of case ${caseNo}; it is the 6 characters on your receipt, after the case number.`, { params: { case_no: caseNo } });

/** The case row of a case number, after its check code (when one is asked for) is checked. */
async function caseWithCode(knex: Knex, caseNo: string, k: string | undefined) {
  const row = await sqlPublicCase(knex, caseNo);
  if (!row) throw caseNotFound(caseNo);
  if (k !== undefined && !checkCodeMatches(row.check_code, k)) throw wrongCheckCode(caseNo);
  return row;
}

/** Who has a case after a step: its grid (also while the grid's chief is to confirm it handled), community, the command centre or the department; nobody once finished. */
export function holderAfter(step: { to_status: string | null; to_level: string | null }, c: Record<string, any>) {
  const none = { kind: null, name: null, name_en: null };
  const status = step.to_status as Status | null;
  if (status && isFinished(status)) return none;
  const level: Level | null = status === 'handled' && c.grid_code ? 'grid' : (step.to_level as Level | null);
  switch (level) {
    case 'grid':
      return { kind: 'grid' as const, name: c.grid_name ?? c.grid_code ?? null, name_en: c.grid_name_en ?? null };
    case 'community':
      return { kind: 'community' as const, name: c.community_name ?? c.community_code ?? null, name_en: c.community_name_en ?? null };
    case 'centre':
      return { kind: 'centre' as const, name: '指挥中心', name_en: 'Command centre' };
    case 'department':
      return { kind: 'department' as const, name: c.department_name ?? c.department_code ?? null, name_en: c.department_name_en ?? null };
    default:
      return none;
  }
}

/** What was said when the case was finished: the reason it was not accepted, or how it was handled (the confirmation's note, else the last handling's); digit runs blanked. */
function closureNote(status: Status, history: { action: string; note: string | null }[]): string | null {
  const last = (actions: string[]) => history.filter((e) => actions.includes(e.action) && e.note).at(-1)?.note ?? null;
  const note = status === 'cancelled' ? last(['cancel']) : status === 'closed' ? (last(['confirm']) ?? last(['handle'])) : null;
  return note === null ? null : redactDigits(note);
}

/** Public URL of a photo of a case, with its check code. */
const publicPhotoUrl = (caseNo: string, n: number, k: string, thumb = false) =>
  `/api/public/incidents/${caseNo}/photos/${n}?k=${encodeURIComponent(k)}${thumb ? '&size=thumb' : ''}`;

/**
 * The public tracking view of a case: status, category, grid, times and the steps with who has it after
 * each (no notes, people or photos); with its check code `k` also the details: the description, the photos
 * not hidden, the closure note and the rating. A wrong `k` is 403.
 */
export async function trackIncident(knex: Knex, caseNo: string, k?: string) {
  const c = await caseWithCode(knex, caseNo, k);
  const history = (await sqlPublicHistory(knex, c.id)) as { action: string; to_status: string | null; to_level: string | null; note: string | null; created_at: Date }[];
  let details = null;
  if (k !== undefined) {
    const photos = ((await sqlPhotos(knex, c.id)) as PhotoRow[]).filter((p) => !p.hidden);
    details = {
      description: c.description as string,
      photos: photos.map((p) => ({
        n: p.n, step: photoStep(p.action, p.after_reject), url: publicPhotoUrl(caseNo, p.n, k), thumb_url: publicPhotoUrl(caseNo, p.n, k, true), at: iso(p.created_at)!,
      })),
      closure_note: closureNote(c.status, history),
      closed_at: iso(c.closed_at),
      rating: (c.rating as Rating | null) ?? null,
    };
  }
  return {
    case_no: c.case_no as string,
    status: c.status as Status,
    level: c.level as Level,
    category: { code: c.category_code as string, name: c.category_name as string, name_en: c.category_name_en as string },
    grid: c.grid_code ? { code: c.grid_code as string, name: (c.grid_name ?? c.grid_code) as string } : null,
    supporters: c.supporters as number,
    reported_at: iso(c.reported_at)!,
    updated_at: iso(c.updated_at)!,
    due_at: iso(c.due_at),
    closed_at: iso(c.closed_at),
    history: history.map((e) => ({ action: e.action, to_status: e.to_status, to_level: e.to_level, at: iso(e.created_at)!, holder: holderAfter(e, c) })),
    details,
  };
}

/** The bytes of a photo of a case, for the holder of its check code; hidden photos are not found. */
export async function publicPhoto(deps: IncidentDeps, caseNo: string, n: number, k: string, size: 'full' | 'thumb') {
  const c = await caseWithCode(deps.knex, caseNo, k);
  return readPhoto(deps.knex, deps.storage, c.id, n, size, { shownOnly: true, listedIn: `GET /api/public/incidents/${caseNo}?k=…` });
}

/** The open and handled reports of a category near a point, nearest first (no description, photos or people): what a resident may join instead of reporting again. */
export async function nearbyIncidents(deps: IncidentDeps, q: { lon: number; lat: number; crs: InputCrs; category: string; radius_m?: number }) {
  if (!(await categoryExists(deps.knex, q.category))) throw unknownCategory(q.category);
  const [lon, lat] = toWgs84(q.lon, q.lat, q.crs);
  const metres = Math.min(q.radius_m ?? deps.config.duplicateRadiusMetres, NEARBY_MAX_METRES);
  const { rows } = await sqlNearbyOpen(deps.knex, { lon, lat, category: q.category, metres, limit: NEARBY_LIMIT });
  return {
    items: rows.map((r: Record<string, any>) => ({
      case_no: r.case_no as string,
      category: { code: r.category_code as string, name: r.category_name as string, name_en: r.category_name_en as string },
      status: r.status as Status,
      distance_m: Number(r.distance_m),
      reported_at: iso(r.reported_at)!,
      supporters: r.supporters as number,
    })),
  };
}

/**
 * A resident joins a case ("me too"): one more supporter, a `supported` step in its history, the phone (if
 * left) kept privately. Only while the case is open or handled. The version stays: no workflow state changes,
 * so nobody's next step on it conflicts.
 */
export async function supportIncident(deps: IncidentDeps, caseNo: string, contactPhone: string | undefined) {
  const changed = await deps.knex.transaction(async (trx) => {
    const row = await sqlLockCase(trx, caseNo);
    if (!row) throw caseNotFound(caseNo);
    if (row.status !== 'open' && row.status !== 'handled') {
      throw new Conflict('incident_not_open', `Case ${caseNo} is ${row.status}; only an open case can be joined. Report the problem again if it is back.`, {
        params: { case_no: caseNo, status: row.status },
      });
    }
    await trx('incident_supporters').insert({ office_code: row.office_code, incident_id: row.id, contact_phone: contactPhone ?? null });
    const [u] = await trx('incidents')
      .where({ id: row.id })
      .update({ supporters: trx.raw('supporters + 1'), updated_at: trx.fn.now() })
      .returning(['id', 'office_code', 'case_no', 'status', 'level', 'grid_code', 'community_code', 'department_code', 'near_grid_codes', 'category_code', 'version', 'due_at', 'supporters']);
    await sqlInsertEvent(trx, {
      office_code: row.office_code, incident_id: row.id, action: 'supported', from_status: row.status, to_status: row.status,
      from_level: row.level, to_level: row.level, actor_user_id: null, note: null, photos: [],
    });
    return u;
  });
  deps.bus.publish(toChange('updated', 'supported', changed));
  return { case_no: caseNo, supporters: changed.supporters as number };
}

/** A resident rates a closed case, once, with its check code; the appraisal counts it as public satisfaction. */
export async function rateIncident(deps: IncidentDeps, caseNo: string, input: { k: string; rating: Rating; comment?: string }) {
  return deps.knex.transaction(async (trx) => {
    const row = await sqlLockCase(trx, caseNo);
    if (!row) throw caseNotFound(caseNo);
    if (!checkCodeMatches(row.check_code, input.k)) throw wrongCheckCode(caseNo);
    if (row.status !== 'closed') {
      throw new Conflict('incident_not_closed', `Case ${caseNo} is ${row.status}; it can be rated once it is closed.`, { params: { case_no: caseNo, status: row.status } });
    }
    const inserted = await trx('incident_ratings')
      .insert({ office_code: row.office_code, incident_id: row.id, rating: input.rating, comment: input.comment ?? null })
      .onConflict(['office_code', 'incident_id'])
      .ignore()
      .returning('rating');
    if (!inserted.length) throw new Conflict('already_rated', `Case ${caseNo} has been rated already; a case is rated once.`, { params: { case_no: caseNo } });
    return { case_no: caseNo, rating: input.rating };
  });
}
