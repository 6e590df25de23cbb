import type { Knex } from 'knex';
import { locate } from '../areas/service.js';
import type { SessionUser } from '../auth/store.js';
import type { Config } from '../config.js';
import { queryPrepared } from '../db/connect.js';
import { toWgs84, type InputCrs } from '../geo/crs.js';
import { Conflict, Invalid, NotFound, Unprocessable } from '../http/errors.js';
import { processPhoto, type ProcessedPhoto } from '../photos/process.js';
import type { PhotoStorage } from '../photos/storage.js';
import type { TileInvalidation } from '../tiles/service.js';
import type { IncidentBus, IncidentChange } from './events.js';
import {
  nextPhotoNumber,
  sqlAssetPoint,
  sqlCommunityAssignee,
  sqlHistory,
  sqlIncidentColumns,
  sqlIncidents,
  sqlInsertEvent,
  sqlInsertIncident,
  sqlLockIncident,
  sqlNearestOffice,
  sqlPhotos,
  sqlReporter,
  sqlVisibleTo,
  sqlWhere,
  type ListFilter,
  type NewIncident,
} from './sql.js';
import { allowedActions, assertAllowed, isVisibleTo, levelAbove, type Action, type IncidentState, type Level, type Source, type Status } from './workflow.js';

/** What the incident services need: the database, settings, the photo store, the live-update bus and the app's tiles. */
export interface IncidentDeps {
  knex: Knex;
  config: Config;
  storage: PhotoStorage;
  bus: IncidentBus;
  tiles: TileInvalidation;
}

/** An uploaded file as the services see it. */
export interface Upload {
  name: string;
  bytes: Buffer;
}

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

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

/** File extension of a stored photo by its media type. */
const EXT: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

/** Check and normalise every upload before anything is written; one bad file refuses the request. */
async function processUploads(files: Upload[]): Promise<ProcessedPhoto[]> {
  const out: ProcessedPhoto[] = [];
  for (const f of files) out.push(await processPhoto(f.bytes, `Photo "${f.name}"`));
  return out;
}

/** Store processed photos under an incident and record them; returns their numbers. */
async function storePhotos(trx: Knex, storage: PhotoStorage, office: string, incidentId: number, eventId: number | null, photos: ProcessedPhoto[]): Promise<number[]> {
  if (!photos.length) return [];
  let n = await nextPhotoNumber(trx, incidentId);
  const numbers: number[] = [];
  for (const p of photos) {
    const key = `incidents/${incidentId}/${n}.${EXT[p.mediaType] ?? 'bin'}`;
    const thumbKey = `incidents/${incidentId}/${n}.thumb.webp`;
    await storage.put(key, p.image);
    await storage.put(thumbKey, p.thumb);
    await trx('incident_photos').insert({
      office_code: office, incident_id: incidentId, n, event_id: eventId, storage_key: key, thumb_key: thumbKey,
      media_type: p.mediaType, bytes: p.image.length, width: p.width, height: p.height, taken_at: p.takenAt ?? null,
    });
    numbers.push(n++);
  }
  return numbers;
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

/** Insert a report routed in the same statement; outside every grid, to the command centre (when configured). */
async function insertRouted(deps: IncidentDeps, knex: Knex, row: NewIncident): Promise<Record<string, any>> {
  const [routed] = await queryPrepared(knex, sqlInsertIncident(knex, row));
  if (routed) return routed;
  const centreOffice = await officeOutsideGrids(deps, knex, row.lon, row.lat, row.category);
  const { rows } = await sqlInsertIncident(knex, { ...row, centreOffice });
  if (!rows[0]) throw unknownCategory(row.category);
  return rows[0];
}

// Category codes, read once and re-read on a miss, so a new category is found at once; a removed one
// makes the insert return no row, which answers the same 400.
let knownCategories: { codes: Set<string>; knex: Knex } | undefined;

/** Whether a category code exists (cached per database). */
async function categoryExists(knex: Knex, code: string): Promise<boolean> {
  if (knownCategories?.knex === knex && knownCategories.codes.has(code)) return true;
  const rows = await knex('incident_categories').select('code');
  knownCategories = { knex, codes: new Set(rows.map((r: { code: string }) => r.code)) };
  return knownCategories.codes.has(code);
}

/** The 400 for an unknown category. */
const unknownCategory = (code: string) =>
  new Invalid('category_unknown', `category "${code}" is unknown; pick a code from GET /api/incident-categories.`, { params: { category: code } });

/** Take a report: check its photos, find its point and grid, flag a near edge, list possible duplicates, store it. */
export async function reportIncident(
  deps: IncidentDeps,
  input: ReportInput,
  files: Upload[],
  reporter: { user: SessionUser | null; contact?: Record<string, unknown> | null; source: Source },
) {
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
  let inserted: Record<string, any>;
  let photoCount = 0;
  if (photos.length) {
    inserted = await knex.transaction(async (trx) => {
      const r = await insertRouted(deps, trx, row);
      const numbers = await storePhotos(trx, deps.storage, r.office_code, r.id, r.event_id, photos);
      await trx('incident_events').where({ id: r.event_id }).update({ photos: JSON.stringify(numbers) });
      photoCount = numbers.length;
      return r;
    });
  } else {
    inserted = await insertRouted(deps, knex, row);
  }
  deps.tiles.invalidate(['incidents'], [x, y, x, y]);
  deps.bus.publish(toChange('created', 'report', { ...inserted, department_code: null, category_code: input.category, version: 1 }));
  return {
    id: inserted.id as number,
    case_no: inserted.case_no as string,
    status: inserted.status as Status,
    level: inserted.level as Level,
    grid: inserted.grid_code ? { code: inserted.grid_code as string, name: inserted.grid_name as string } : null,
    community: inserted.community_code ? { code: inserted.community_code as string, name: inserted.community_name as string } : null,
    assignee: inserted.assignee_name ? { name: inserted.assignee_name as string, phone: inserted.assignee_phone as string | null } : null,
    due_at: iso(inserted.due_at),
    near_edge: inserted.near_edge as boolean,
    near_grid_codes: inserted.near_grid_codes as string[],
    point: [x, y] as [number, number],
    photos: photoCount,
    possible_duplicates: (inserted.possible_duplicates as Array<{ id: number; case_no: string; status: string; distance_m: number; reported_at: string }>).map((d) => ({
      id: d.id, case_no: d.case_no, status: d.status, distance_m: Number(d.distance_m), reported_at: iso(d.reported_at)!,
    })),
  };
}

/** A change event for the live stream. */
function toChange(type: 'created' | 'updated', action: string, r: Record<string, unknown>): IncidentChange {
  return {
    type,
    action,
    id: r.id as number,
    case_no: r.case_no as string,
    status: r.status as Status,
    level: r.level as Level,
    office_code: r.office_code as string,
    grid_code: (r.grid_code as string | null) ?? null,
    community_code: (r.community_code as string | null) ?? null,
    department_code: (r.department_code as string | null) ?? null,
    near_grid_codes: (r.near_grid_codes as string[]) ?? [],
    category_code: r.category_code as string,
    version: r.version as number,
    due_at: iso(r.due_at as Date | null),
    at: new Date().toISOString(),
  };
}

/** An incident row (from sqlIncidentColumns) as the API shows it in lists. */
export function toSummary(r: Record<string, any>) {
  return {
    id: r.id as number,
    case_no: r.case_no as string,
    status: r.status as Status,
    level: r.level as Level,
    category: { code: r.category_code, name: r.category_name, name_en: r.category_name_en },
    description: r.description,
    source: r.source as Source,
    lon: Number(r.lon),
    lat: Number(r.lat),
    grid: r.grid_code ? { code: r.grid_code, name: r.grid_name ?? r.grid_code } : null,
    community: r.community_code ? { code: r.community_code, name: r.community_name ?? r.community_code } : null,
    department: r.department_code ? { code: r.department_code, name: r.department_name ?? r.department_code } : null,
    assignee:
      r.level === 'department' && r.department_code
        ? { name: r.department_name ?? r.department_code, phone: r.department_phone ?? null }
        : r.assignee_name
          ? { name: r.assignee_name, phone: r.assignee_phone ?? null }
          : null,
    area_version_id: r.area_version_id ?? null,
    near_edge: r.near_edge,
    near_grid_codes: r.near_grid_codes ?? [],
    due_at: iso(r.due_at),
    overdue: r.overdue === true,
    deferred: r.deferred === true,
    rework_count: r.rework_count,
    merged_into: r.merged_into ?? null,
    version: r.version,
    reported_at: iso(r.reported_at)!,
    updated_at: iso(r.updated_at)!,
    closed_at: iso(r.closed_at),
  };
}

/** The incidents a viewer may see, filtered and paginated, newest first, with the total and the overdue count. */
export async function listIncidents(knex: Knex, viewer: SessionUser, q: ListFilter & { limit: number; offset: number }) {
  const rows = await sqlWhere(sqlVisibleTo(knex, sqlIncidents(knex), viewer), q)
    .select(sqlIncidentColumns(knex))
    .orderBy([{ column: 'i.reported_at', order: 'desc' }, { column: 'i.id', order: 'desc' }])
    .limit(q.limit)
    .offset(q.offset);
  const counts = await sqlWhere(sqlVisibleTo(knex, knex('incidents as i'), viewer), q)
    .first(knex.raw('count(*) as total'), knex.raw(`count(*) filter (where i.status = 'open' and i.due_at < now()) as overdue`));
  return { items: rows.map(toSummary), total: Number(counts?.total ?? 0), overdue: Number(counts?.overdue ?? 0) };
}

/** The row of one incident the viewer may see; NotFound otherwise (so scope does not reveal what exists). */
async function visibleRow(knex: Knex, viewer: SessionUser, id: number) {
  const row = await sqlIncidents(knex).where('i.id', id).first(sqlIncidentColumns(knex));
  if (!row || !isVisibleTo(row, viewer)) throw notInScope(id);
  return row;
}

/** The 404 for an incident that does not exist or is outside the viewer's scope (the two are not told apart). */
const notInScope = (id: number) =>
  new NotFound('incident_not_found', `There is no incident ${id} in your scope; list yours with GET /api/incidents.`, { params: { id } });

/** URL of a photo of an incident. */
const photoUrl = (id: number, n: number, thumb = false) => `/api/incidents/${id}/photos/${n}${thumb ? '?size=thumb' : ''}`;

/** One incident with its history, photos, reporter (staff only) and the actions the viewer may take. */
export async function getIncident(knex: Knex, viewer: SessionUser, id: number) {
  const row = await visibleRow(knex, viewer, id);
  const history = await sqlHistory(knex, id);
  const photos = await sqlPhotos(knex, id);
  const reporter = await sqlReporter(knex, id);
  return {
    ...toSummary(row),
    asset_id: row.asset_id ?? null,
    reporter: { user: reporter?.user ?? null, contact: reporter?.contact ?? null },
    photos: photos.map((p: { n: number; media_type: string; width: number | null; height: number | null }) => ({
      n: p.n, url: photoUrl(id, p.n), thumb_url: photoUrl(id, p.n, true), media_type: p.media_type, width: p.width, height: p.height,
    })),
    history: history.map((e: Record<string, any>) => ({
      action: e.action,
      from_status: e.from_status,
      to_status: e.to_status,
      from_level: e.from_level,
      to_level: e.to_level,
      actor: e.actor ?? null,
      note: e.note,
      photos: (Array.isArray(e.photos) ? e.photos : JSON.parse(e.photos ?? '[]')).map((n: number) => photoUrl(id, n)),
      at: iso(e.created_at)!,
    })),
    allowed_actions: allowedActions(row, viewer),
  };
}

/** The bytes of one photo (or its thumbnail) of an incident the viewer may see. */
export async function getPhoto(deps: IncidentDeps, viewer: SessionUser, id: number, n: number, size: 'full' | 'thumb') {
  await visibleRow(deps.knex, viewer, id);
  const photo = await deps.knex('incident_photos').where({ incident_id: id, n }).first('storage_key', 'thumb_key', 'media_type');
  if (!photo) throw new NotFound('photo_not_found', `Incident ${id} has no photo ${n}; its photos are listed in GET /api/incidents/${id}.`, { params: { id, n } });
  const bytes = await deps.storage.get(size === 'thumb' ? photo.thumb_key : photo.storage_key);
  if (!bytes) throw new NotFound('photo_missing_from_store', `Photo ${n} of incident ${id} is missing from the photo store.`, { params: { id, n } });
  return { bytes, mediaType: size === 'thumb' ? 'image/webp' : (photo.media_type as string) };
}

/** An action as parsed from the request. */
export interface ActionInput {
  action: Action;
  note?: string;
  department?: string;
  deadline_hours?: number;
  hours?: number;
  into?: number;
  version?: number;
}

/**
 * Take a workflow step. The row is locked and its version compared, and the update is conditional on
 * that version, so of two people acting at once exactly one wins and the other gets 409.
 */
export async function actOnIncident(deps: IncidentDeps, viewer: SessionUser, id: number, input: ActionInput, files: Upload[]) {
  const { knex } = deps;
  const photos = await processUploads(files);
  if (input.action === 'dispatch') {
    const dept = await knex('departments').where({ code: input.department }).first('code');
    if (!dept) {
      throw new Invalid('department_unknown', `department "${input.department}" is unknown; pick a code from GET /api/departments.`, { params: { department: input.department ?? null } });
    }
  }
  const changed = await knex.transaction(async (trx) => {
    const row = await sqlLockIncident(trx, id);
    if (!row || !isVisibleTo(row, viewer)) throw notInScope(id);
    if (input.version !== undefined && input.version !== row.version) {
      throw new Conflict('incident_changed', `Incident ${id} changed meanwhile (it is at version ${row.version}, you acted on ${input.version}); reload it and decide again.`, {
        params: { id },
        extra: { current_version: row.version, allowed_actions: allowedActions(row, viewer) },
      });
    }
    assertAllowed(input.action, row, viewer);
    const patch = await actionPatch(trx, row, input, viewer);
    const updated = await trx('incidents')
      .where({ id, version: row.version })
      .update({ ...patch, version: row.version + 1, updated_at: trx.fn.now() })
      .returning(['id', 'office_code', 'case_no', 'status', 'level', 'grid_code', 'community_code', 'department_code', 'near_grid_codes', 'category_code', 'version', 'due_at']);
    if (updated.length === 0) throw new Conflict('incident_changed', `Incident ${id} changed meanwhile; reload it and decide again.`, { params: { id } });
    const u = updated[0];
    const [ev] = await sqlInsertEvent(trx, {
      office_code: row.office_code, incident_id: id, action: input.action, from_status: row.status, to_status: u.status,
      from_level: row.level, to_level: u.level, actor_user_id: viewer.id, note: input.note ?? null, photos: [],
    });
    const numbers = await storePhotos(trx, deps.storage, row.office_code, id, ev.id, photos);
    if (numbers.length) await trx('incident_events').where({ id: ev.id }).update({ photos: JSON.stringify(numbers) });
    return u;
  });
  deps.tiles.invalidate(['incidents']);
  deps.bus.publish(toChange('updated', input.action, changed));
  return getIncident(knex, viewer, id);
}

/** The column changes of one action (the workflow table has already allowed it). */
async function actionPatch(trx: Knex.Transaction, row: IncidentState & { id: number; version: number; category_code: string; due_at: Date | null }, input: ActionInput, viewer: SessionUser): Promise<Record<string, unknown>> {
  const now = trx.fn.now();
  switch (input.action) {
    case 'handle':
      return { status: 'handled', handled_at: now };
    case 'escalate': {
      const level = levelAbove(row.level);
      return { level, assignee_staff_id: level === 'community' ? sqlCommunityAssignee(trx, row.community_code) : null, assignee_user_id: null };
    }
    case 'dispatch': {
      const cat = await trx('incident_categories').where({ code: row.category_code }).first('deadline_hours', 'deadline_kind');
      const hours = input.deadline_hours ?? cat?.deadline_hours ?? 24;
      return {
        level: 'department', department_code: input.department, dispatched_at: now, assignee_staff_id: null, assignee_user_id: null,
        due_at: trx.raw('deadline_after(now(), ?, ?)', [hours, cat?.deadline_kind ?? 'working']),
      };
    }
    case 'cancel':
      return { status: 'cancelled', closed_at: now };
    case 'confirm':
      return { status: 'closed', closed_at: now };
    case 'reject':
      return { status: 'open', handled_at: null, rework_count: trx.raw('rework_count + 1') };
    case 'merge': {
      if (input.into === row.id) throw new Unprocessable('merge_into_itself', 'An incident cannot be merged into itself; give the id of the one it duplicates.');
      const target = await trx('incidents').where({ id: input.into }).first('id', 'status', 'level', 'office_code', 'grid_code', 'community_code', 'department_code', 'near_grid_codes');
      const into = input.into ?? null;
      if (!target || !isVisibleTo(target, viewer)) throw new Unprocessable('merge_target_unknown', `There is no incident ${into} in your scope to merge into.`, { params: { into } });
      if (target.status !== 'open' && target.status !== 'handled') {
        throw new Conflict('merge_target_closed', `Incident ${into} is ${target.status}; merge into an open or handled incident.`, { params: { into, status: target.status } });
      }
      return { status: 'merged', merged_into: input.into, closed_at: now };
    }
    case 'defer': {
      // The extra hours count as the category's deadline does: working hours, or clock hours for emergencies.
      const cat = await trx('incident_categories').where({ code: row.category_code }).first('deadline_kind');
      return { deferred: true, deferred_reason: input.note, due_at: trx.raw('deadline_after(coalesce(due_at, now()), ?, ?)', [input.hours ?? 0, cat?.deadline_kind ?? 'working']) };
    }
  }
}

/** The public tracking view of an incident by its case number: status and steps, no notes, people or photos. */
export async function publicIncident(knex: Knex, caseNo: string) {
  const row = await sqlIncidents(knex).where('i.case_no', caseNo).first(sqlIncidentColumns(knex));
  if (!row) throw new NotFound('case_not_found', `No incident has the case number ${caseNo}; check the number on your receipt.`, { params: { case_no: caseNo } });
  const history = await knex('incident_events').where({ incident_id: row.id }).orderBy([{ column: 'created_at' }, { column: 'id' }]).select('action', 'to_status', 'to_level', 'created_at');
  return {
    case_no: row.case_no,
    status: row.status,
    level: row.level,
    category: { code: row.category_code, name: row.category_name, name_en: row.category_name_en },
    grid: row.grid_code ? { code: row.grid_code, name: row.grid_name ?? row.grid_code } : null,
    reported_at: iso(row.reported_at)!,
    updated_at: iso(row.updated_at)!,
    due_at: iso(row.due_at),
    closed_at: iso(row.closed_at),
    history: history.map((e: Record<string, any>) => ({ action: e.action, to_status: e.to_status, to_level: e.to_level, at: iso(e.created_at)! })),
  };
}

/** The event categories with their deadlines and usual departments. */
export function listCategories(knex: Knex) {
  return knex('incident_categories').orderBy('code').select('code', 'name', 'name_en', 'class_code', 'class_name', 'class_name_en', 'deadline_hours', 'deadline_kind', 'department_code', 'asset_category_code');
}

/** The departments incidents can be dispatched to. */
export function listDepartments(knex: Knex) {
  return knex('departments').orderBy('code').select('code', 'name', 'name_en');
}
