/** Reporting an incident: where it is, which grid and chief it goes to, and the report stored with its photos. */
import type { Knex } from 'knex';
import { locate } from '../areas/service.js';
import type { SessionUser } from '../auth/store.js';
import { toWgs84, type InputCrs } from '../geo/crs.js';
import { Invalid, NotFound, Unprocessable } from '../http/errors.js';
import { iso } from '../http/wire.js';
import type { ProcessedPhoto } from '../photos/process.js';
import { toChange } from './events.js';
import { processUploads, storePhotos, type Upload } from './evidence.js';
import type { IncidentDeps } from './service.js';
import { insertReports } from './batch.js';
import { sqlAssetPoint, sqlNearestOffice, type NewIncident } from './sql.js';
import type { Level, Source, Status } from './workflow.js';

/** A report as parsed from either intake. */
export interface ReportInput {
  category: string;
  description: string;
  lon?: number;
  lat?: number;
  crs: InputCrs;
  asset_id?: number;
  source?: Source;
}

/** Who reports: a logged-in user, or a resident with the contact they left; and through which channel. */
export interface Reporter {
  user: SessionUser | null;
  contact?: Record<string, unknown> | null;
  source: Source;
}

/** Where a report is: the declared point, else the asset's position, else the GPS of the first photo that has one. */
async function resolvePoint(knex: Knex, input: ReportInput, photos: ProcessedPhoto[]): Promise<[number, number]> {
  let assetPoint: [number, number] | undefined;
  if (input.asset_id !== undefined) {
    const asset = await sqlAssetPoint(knex, input.asset_id);
    if (!asset) {
      throw new Unprocessable('asset_id_unknown', `asset_id ${input.asset_id} names no asset; leave it out or pick one from GET /api/assets.`, { params: { asset_id: input.asset_id } });
    }
    assetPoint = [asset.lon, asset.lat];
  }
  if (input.lon !== undefined && input.lat !== undefined) return toWgs84(input.lon, input.lat, input.crs);
  if (assetPoint) return assetPoint;
  const gps = photos.find((p) => p.gps)?.gps;
  if (gps) return gps;
  throw photos.length
    ? new Invalid('photo_gps_missing', 'Where is it? None of the photos carries a GPS position; send lon and lat (and crs if they come from a Chinese web map), or an asset_id.')
    : new Invalid('location_missing', 'Where is it? Send lon and lat (and crs if they come from a Chinese web map), an asset_id, or a photo with a GPS position.');
}

/**
 * The office whose command centre takes a report the insert could not route: outside every grid, when
 * configured so; otherwise the 422 of /api/locate. A point inside a grid here means the category was
 * removed after it was cached.
 */
async function officeOutsideGrids(deps: IncidentDeps, knex: Knex, x: number, y: number, category: string): Promise<string> {
  try {
    await locate(knex, x, y, 'wgs84');
  } catch (err) {
    if (!(err instanceof NotFound) || err.code !== 'point_outside_grids') throw err;
    if (deps.config.outsideGrid === 'centre') {
      const { rows } = await sqlNearestOffice(knex, x, y);
      if (rows.length) return rows[0].code;
    }
    throw new Unprocessable('point_outside_grids', err.message, { params: { point: err.params.point, crs: err.params.crs }, extra: err.extra });
  }
  throw unknownCategory(category);
}

/**
 * Insert a report routed in the same statement; outside every grid, to the command centre (when configured).
 * Outside a transaction it goes through the intake batcher, with the reports arriving at the same moment.
 */
async function insertRouted(deps: IncidentDeps, knex: Knex, row: NewIncident): Promise<Record<string, any>> {
  const insert = async (r: NewIncident) => (knex.isTransaction ? (await insertReports(knex, [r]))[0] : await deps.intake.insert(r));
  const routed = await insert(row);
  if (routed) return routed;
  const centreOffice = await officeOutsideGrids(deps, knex, row.lon, row.lat, row.category);
  const centred = await insert({ ...row, centreOffice });
  if (!centred) throw unknownCategory(row.category);
  return centred;
}

// Category codes, read once and re-read on a miss, so a new category is found at once; a removed one
// makes the insert return no row, which answers the same 400.
let knownCategories: { codes: Set<string>; knex: Knex } | undefined;

/** Whether a category code exists (cached per database). */
export async function categoryExists(knex: Knex, code: string): Promise<boolean> {
  if (knownCategories?.knex === knex && knownCategories.codes.has(code)) return true;
  const rows = await knex('incident_categories').select('code');
  knownCategories = { knex, codes: new Set(rows.map((r: { code: string }) => r.code)) };
  return knownCategories.codes.has(code);
}

/** The 400 for an unknown category. */
export const unknownCategory = (code: string) =>
  new Invalid('category_unknown', `category "${code}" is unknown; pick a code from GET /api/incident-categories.`, { params: { category: code } });

/**
 * Take a report: check its photos, find its point and grid, flag a near edge, list possible duplicates,
 * store it. `within` runs in the transaction that stores it, with its receipt (an idempotent route keeps
 * its answer there).
 */
export async function reportIncident(
  deps: IncidentDeps,
  input: ReportInput,
  files: Upload[],
  reporter: Reporter,
  within?: (trx: Knex, receipt: Receipt) => Promise<void>,
): Promise<Receipt> {
  const { knex, config } = deps;
  if (!(await categoryExists(knex, input.category))) throw unknownCategory(input.category);
  const photos = await processUploads(files);
  const [x, y] = await resolvePoint(knex, input, photos);
  const row: NewIncident = {
    centreOffice: null,
    category: input.category,
    description: input.description,
    source: reporter.source,
    lon: x,
    lat: y,
    reporterUserId: reporter.user?.id ?? null,
    contact: reporter.contact && Object.values(reporter.contact).some((v) => v) ? reporter.contact : null,
    assetId: input.asset_id ?? null,
    nearEdgeMetres: config.nearEdgeMetres,
    duplicateRadiusMetres: config.duplicateRadiusMetres,
    duplicateWindowHours: config.duplicateWindowHours,
  };
  // One transaction when there are photos to record with the report, or an answer to keep with it.
  const inserted = photos.length || within
    ? await knex.transaction(async (trx) => {
        const r = await insertRouted(deps, trx, row);
        const numbers = await storePhotos(trx, deps.storage, r.office_code, r.id, r.event_id, photos);
        if (numbers.length) await trx('incident_events').where({ id: r.event_id }).update({ photos: JSON.stringify(numbers) });
        await within?.(trx, toReceipt(r, [x, y], numbers.length));
        return { ...r, photo_count: numbers.length };
      })
    : { ...(await insertRouted(deps, knex, row)), photo_count: 0 };
  deps.tiles.invalidate(['incidents'], [x, y, x, y]);
  deps.bus.publish(toChange('created', 'report', { ...inserted, department_code: null, category_code: input.category, version: 1 }));
  return toReceipt(inserted, [x, y], inserted.photo_count);
}

/** Where a resident follows a case in the web app: the track page with the check code. */
export const trackUrl = (caseNo: string, checkCode: string) => `/#/track/${caseNo}?k=${checkCode}`;

/** The receipt of a report: where it went, who has it, its deadline, its check code and the possible duplicates. */
function toReceipt(inserted: Record<string, any>, point: [number, number], photos: number) {
  return {
    id: inserted.id as number,
    case_no: inserted.case_no as string,
    check_code: inserted.check_code as string,
    track_url: trackUrl(inserted.case_no, inserted.check_code),
    status: inserted.status as Status,
    level: inserted.level as Level,
    grid: inserted.grid_code ? { code: inserted.grid_code as string, name: inserted.grid_name as string } : null,
    community: inserted.community_code ? { code: inserted.community_code as string, name: inserted.community_name as string } : null,
    assignee: inserted.assignee_name ? { name: inserted.assignee_name as string, phone: inserted.assignee_phone as string | null } : null,
    due_at: iso(inserted.due_at),
    near_edge: inserted.near_edge as boolean,
    near_grid_codes: inserted.near_grid_codes as string[],
    point,
    photos,
    possible_duplicates: (inserted.possible_duplicates as Array<{ id: number; case_no: string; status: string; distance_m: number; reported_at: string }>).map((d) => ({
      id: d.id, case_no: d.case_no, status: d.status, distance_m: Number(d.distance_m), reported_at: iso(d.reported_at)!,
    })),
  };
}

/** The receipt of a report, as answered. */
export type Receipt = ReturnType<typeof toReceipt>;

