import type { Knex } from 'knex';
import type { SessionUser } from '../auth/store.js';
import type { Config } from '../config.js';
import { NotFound } from '../http/errors.js';
import { iso } from '../http/wire.js';
import type { PhotoStorage } from '../photos/storage.js';
import type { TileInvalidation } from '../tiles/service.js';
import type { IntakeBatcher } from './batch.js';
import type { IncidentBus } from './events.js';
import { historyPhotoUrls, photoUrl, readPhoto, toPhotoRef, type PhotoRow } from './evidence.js';
import { sqlHistory, sqlIncidentColumns, sqlIncidents, sqlPhotos, sqlRating, sqlReporter, sqlVisibleTo, sqlWhere, type ListFilter } from './sql.js';
import { allowedActions, isVisibleTo, mayContactReporter, mayCurateEvidence, type Level, type Source, type Status } from './workflow.js';

/** What the incident services need: the database, settings, the photo store, the live-update bus, the app's tiles and the intake batcher. */
export interface IncidentDeps {
  knex: Knex;
  config: Config;
  storage: PhotoStorage;
  bus: IncidentBus;
  tiles: TileInvalidation;
  /** Inserts reports, together when they arrive together. */
  intake: IntakeBatcher;
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
    grid: r.grid_code ? { code: r.grid_code, name: r.grid_name ?? r.grid_code, name_en: r.grid_name_en ?? r.grid_name ?? r.grid_code } : null,
    community: r.community_code ? { code: r.community_code, name: r.community_name ?? r.community_code, name_en: r.community_name_en ?? r.community_name ?? r.community_code } : null,
    department: r.department_code ? { code: r.department_code, name: r.department_name ?? r.department_code, name_en: r.department_name_en ?? r.department_name ?? r.department_code } : null,
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
    supporters: r.supporters ?? 0,
    merged_into: r.merged_into ?? null,
    version: r.version,
    reported_at: iso(r.reported_at)!,
    updated_at: iso(r.updated_at)!,
    closed_at: iso(r.closed_at),
    photo_count: Number(r.photo_count ?? 0),
    thumb_url: r.first_photo ? photoUrl(r.id, Number(r.first_photo), true) : null,
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
export const notInScope = (id: number) =>
  new NotFound('incident_not_found', `There is no incident ${id} in your scope; list yours with GET /api/incidents.`, { params: { id } });

/** One incident with its history, photos, reporter and the resident's rating (staff only), and the actions the viewer may take. */
export async function getIncident(knex: Knex, viewer: SessionUser, id: number) {
  const row = await visibleRow(knex, viewer, id);
  const history = await sqlHistory(knex, id);
  const photos = await sqlPhotos(knex, id);
  const reporter = await sqlReporter(knex, id);
  const rating = await sqlRating(knex, id);
  return {
    ...toSummary(row),
    asset_id: row.asset_id ?? null,
    reporter: { user: reporter?.user ?? null, contact: mayContactReporter(row, viewer) ? reporter?.contact ?? null : null },
    rating: rating ? { rating: rating.rating, comment: rating.comment, at: iso(rating.created_at)! } : null,
    photos: (photos as PhotoRow[]).map((p) => toPhotoRef(id, p)),
    history: history.map((e: Record<string, any>) => ({
      action: e.action,
      from_status: e.from_status,
      to_status: e.to_status,
      from_level: e.from_level,
      to_level: e.to_level,
      actor: e.actor ?? null,
      note: e.note,
      photos: historyPhotoUrls(id, Array.isArray(e.photos) ? e.photos : JSON.parse(e.photos ?? '[]')),
      at: iso(e.created_at)!,
    })),
    allowed_actions: allowedActions(row, viewer),
    may_hide_photos: mayCurateEvidence(row, viewer),
  };
}

/** The bytes of one photo (or its thumbnail) of an incident the viewer may see, hidden ones too. */
export async function getPhoto(deps: IncidentDeps, viewer: SessionUser, id: number, n: number, size: 'full' | 'thumb') {
  await visibleRow(deps.knex, viewer, id);
  return readPhoto(deps.knex, deps.storage, id, n, size);
}

/** The event categories with their deadlines, usual departments and whether handling needs a photo. */
export function listCategories(knex: Knex) {
  return knex('incident_categories')
    .orderBy('code')
    .select('code', 'name', 'name_en', 'class_code', 'class_name', 'class_name_en', 'deadline_hours', 'deadline_kind', 'department_code', 'asset_category_code', 'handle_requires_photo');
}

/** The departments incidents can be dispatched to. */
export function listDepartments(knex: Knex) {
  return knex('departments').orderBy('code').select('code', 'name', 'name_en');
}
