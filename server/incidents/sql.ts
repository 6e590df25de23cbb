import type { Knex } from 'knex';
import type { HistoryAction, Level, Status } from './workflow.js';
import { AREA_LEVELS } from '../areas/levels.js';
import { sqlGridAt, type GridMove, type MovedBy, type PlacedTable } from '../areas/sql.js';
import { sqlRowInScope, type Viewer } from '../auth/scope.js';
import { WORK_TIME_ZONE } from '../calendar/sql.js';
import { metresToDegrees } from '../geo/geodesy.js';
import { sqlHolderAt, sqlHolderId } from '../staff/sql.js';

/** Columns of an incident as the API shows it, from `incidents i` with its category, areas, department and assignee. */
export function sqlIncidentColumns(knex: Knex): (string | Knex.Raw)[] {
  return [
    'i.id', 'i.office_code', 'i.case_no', 'i.status', 'i.level', 'i.description', 'i.source', 'i.grid_code', 'i.community_code',
    'i.department_code', 'i.area_version_id', 'i.near_edge', 'i.near_grid_codes', 'i.due_at', 'i.deferred', 'i.rework_count',
    'i.merged_into', 'i.version', 'i.reported_at', 'i.updated_at', 'i.closed_at', 'i.asset_id', 'i.category_code', 'i.supporters',
    knex.raw('ST_X(i.geom) as lon'),
    knex.raw('ST_Y(i.geom) as lat'),
    knex.raw(`(i.status = 'open' and i.due_at < now()) as overdue`),
    'c.name as category_name', 'c.name_en as category_name_en',
    'g.name as grid_name', 'cm.name as community_name', 'd.name as department_name', 'd.phone as department_phone',
    'g.name_en as grid_name_en', 'cm.name_en as community_name_en', 'd.name_en as department_name_en',
    's.name as assignee_name', 's.phone as assignee_phone',
    // For a list's thumbnail: how many photos, and the first (the report's, when it came with one).
    knex.raw('(select count(*)::int from incident_photos p where p.incident_id = i.id) as photo_count'),
    knex.raw('(select min(p.n) from incident_photos p where p.incident_id = i.id) as first_photo'),
  ];
}

/** `incidents i` joined to what its columns name; the grid's name is that of the version it was routed to. */
export function sqlIncidents(knex: Knex): Knex.QueryBuilder {
  return knex('incidents as i')
    .join('incident_categories as c', 'c.code', 'i.category_code')
    .leftJoin('areas as g', 'g.id', 'i.area_version_id')
    .leftJoin('areas as cm', (j) => j.on('cm.code', 'i.community_code').andOnNull('cm.valid_to'))
    .leftJoin('departments as d', 'd.code', 'i.department_code')
    .leftJoin('staff as s', 's.id', 'i.assignee_staff_id');
}

/** How incidents are placed in grids: by their point; open and handled ones follow a boundary change, finished ones keep the grid they had. */
export const INCIDENT_PLACE: PlacedTable = { table: 'incidents', point: 'x.geom', label: 'x.case_no', follows: `x.status in ('open', 'handled')`, community: true };

/** Log incident moves made by a boundary plan in their audit trail (action `rerouted`, state unchanged). */
export function sqlLogIncidentMoves(knex: Knex, moves: GridMove[], by: MovedBy): Knex.Raw {
  return knex.raw(
    `insert into incident_events (office_code, incident_id, action, from_status, to_status, from_level, to_level, actor_user_id, note)
     select i.office_code, i.id, 'rerouted', i.status, i.status, i.level, i.level, :actor,
            'Boundary plan ' || :plan || ' moved it from grid ' || (m->>'from_grid') || ' to grid ' || (m->>'to_grid')
       from json_array_elements(:moves::json) m join incidents i on i.id = (m->>'id')::int`,
    { moves: JSON.stringify(moves), plan: by.planId, actor: by.actor },
  );
}

/** The columns that place an incident in areas, for the scope rule. */
const INCIDENT_AREA_COLUMNS = { grid: 'i.grid_code', community: 'i.community_code', office: 'i.office_code', near: 'i.near_grid_codes' };

/** The viewer clause: a department sees what is dispatched to it; everyone else their scope and the grids next to it. */
export function sqlVisibleTo(knex: Knex, q: Knex.QueryBuilder, viewer: Viewer): Knex.QueryBuilder {
  if (viewer.role === 'department') return q.where('i.department_code', viewer.department_code ?? '');
  return q.where(sqlRowInScope(knex, viewer, INCIDENT_AREA_COLUMNS));
}

/** Filters of the incident list, one clause each; absent filters add nothing. */
export interface ListFilter {
  status?: Status[];
  level?: Level[];
  grid?: string;
  community?: string;
  category?: string;
  department?: string;
  overdue?: boolean;
  bbox?: [number, number, number, number];
  since?: Date;
}

/** Apply the list filters to a query over `incidents i`. */
export function sqlWhere(q: Knex.QueryBuilder, f: ListFilter): Knex.QueryBuilder {
  if (f.status) q.whereIn('i.status', f.status);
  if (f.level) q.whereIn('i.level', f.level);
  if (f.grid) q.where((w) => w.where('i.grid_code', f.grid!).orWhereRaw('? = any(i.near_grid_codes)', [f.grid!]));
  if (f.community) q.where('i.community_code', f.community);
  if (f.category) q.where('i.category_code', f.category);
  if (f.department) q.where('i.department_code', f.department);
  if (f.overdue === true) q.where('i.status', 'open').andWhere('i.due_at', '<', q.client.raw('now()'));
  if (f.overdue === false) q.whereRaw(`not (i.status = 'open' and coalesce(i.due_at < now(), false))`);
  if (f.bbox) q.whereRaw('i.geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)', f.bbox);
  if (f.since) q.where('i.updated_at', '>=', f.since);
  return q;
}

/** The position of an asset as [lon, lat], or undefined. */
export function sqlAssetPoint(knex: Knex, id: number) {
  return knex('assets').where({ id }).first(knex.raw('ST_X(geom) as lon'), knex.raw('ST_Y(geom) as lat'), 'office_code');
}

/** What an intake inserts. */
export interface NewIncident {
  /**
   * Null: route in the statement, to the grid in force at the point. An office code: the report is outside
   * every grid and goes to that office's command centre.
   */
  centreOffice: string | null;
  category: string;
  description: string;
  source: string;
  lon: number;
  lat: number;
  reporterUserId: number | null;
  contact: Record<string, unknown> | null;
  assetId: number | null;
  nearEdgeMetres: number;
  duplicateRadiusMetres: number;
  duplicateWindowHours: number;
}

/** SQL expressions for the look-up of possible duplicates; by default named bindings. */
export interface OpenNearTerms {
  category?: string;
  metres?: string;
  /** The same distance in degrees, for the index. */
  deg?: string;
  hours?: string;
}

/**
 * The open and handled incidents of a category near a point (`point`, a SQL expression), nearest first:
 * what a new report may duplicate, and what a resident is shown before sending one. The terms default to
 * the bindings `:category`, `:dupMetres`, `:dupDeg` and, with `window`, `:dupHours` (only incidents
 * reported that recently).
 */
export function sqlOpenNear(point: string, opts: { window: boolean } & OpenNearTerms): string {
  const { category = ':category', metres = ':dupMetres', deg = ':dupDeg', hours = ':dupHours' } = opts;
  // The incidents around the point first, by the spatial index alone (`offset 0` keeps the planner from
  // folding the category in): with the category a column of a batch rather than a constant, it otherwise
  // ANDs in the category index and reads every open case of the category for each report.
  return `select i.id, i.case_no, i.status, i.reported_at, i.supporters, ST_Distance(i.geom::geography, ${point}::geography) as distance_m
            from (select * from incidents n where n.geom && ST_Expand(${point}, ${deg}) offset 0) i
           where i.category_code = ${category} and i.status in ('open', 'handled')
             ${opts.window ? `and i.reported_at > now() - make_interval(secs => (${hours})::float8 * 3600)` : ''}
             and ST_DWithin(i.geom::geography, ${point}::geography, ${metres})
           order by distance_m, i.id`;
}

/** The open and handled incidents of a category within `metres` of a point, nearest first, at most `limit`, with their category's names. */
export function sqlNearbyOpen(knex: Knex, q: { lon: number; lat: number; category: string; metres: number; limit: number }): Knex.Raw {
  return knex.raw(
    `with pt as (select ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) as g)
     select d.case_no, d.status, d.reported_at, d.supporters, round(d.distance_m::numeric, 1) as distance_m,
            c.code as category_code, c.name as category_name, c.name_en as category_name_en
       from pt cross join lateral (${sqlOpenNear('pt.g', { window: false })} limit :limit) d
       join incident_categories c on c.code = :category
      order by d.distance_m, d.case_no`,
    { lon: q.lon, lat: q.lat, category: q.category, dupMetres: q.metres, dupDeg: metresToDegrees(q.metres, q.lat), limit: q.limit },
  );
}

/**
 * Route and insert incidents, each with its `report` event, in one statement (one round trip, one commit,
 * however many reports): for each, the grid in force at its point (`sqlGridAt`) with its community and
 * office and the grid version used, the grid's chief as assignee, the category's deadline (working or clock
 * hours, see migration 009), a case number of the office's local date (WORK_TIME_ZONE), the near-edge flag
 * with the neighbouring grids within `nearEdgeMetres` (geography distance, so metres anywhere), and the
 * possible duplicates (open incidents of the category within `duplicateRadiusMetres` and
 * `duplicateWindowHours`). The statement's snapshot holds none of the new rows, so a report is never its
 * own duplicate, nor that of another in the same statement (as with two reports sent at the same moment).
 * Each row answered carries `ord`, the index of its report in `reports`; a report without a row is outside
 * every grid (when routed here) or of a category that does not exist. The text does not depend on the
 * number of reports, so it is prepared once.
 */
export function sqlInsertIncidents(knex: Knex, reports: NewIncident[]): Knex.Raw {
  const input = reports.map((n, ord) => ({
    ord,
    lon: n.lon,
    lat: n.lat,
    centre: n.centreOffice,
    category: n.category,
    description: n.description,
    source: n.source,
    reporter: n.reporterUserId,
    contact: n.contact,
    asset: n.assetId,
    metres: n.nearEdgeMetres,
    deg: metresToDegrees(n.nearEdgeMetres, n.lat),
    dup_metres: n.duplicateRadiusMetres,
    dup_deg: metresToDegrees(n.duplicateRadiusMetres, n.lat),
    dup_hours: n.duplicateWindowHours,
  }));
  return knex.raw(
    `with input as (
       select r.*, ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326) as g,
              to_char(now() at time zone :tz::text, 'YYYYMMDD') || lpad(r.n::text, greatest(6, length(r.n::text)), '0') as case_no
         from (select r.*, nextval('incident_case_no_seq') as n
                 from jsonb_to_recordset(:reports::jsonb) as r(ord int, lon float8, lat float8, centre text, category text, description text,
                                                               source text, reporter int, contact jsonb, asset int, metres float8, deg float8,
                                                               dup_metres float8, dup_deg float8, dup_hours float8)) r
     ),
     loc as (
       select rp.ord, g.area_version_id as version, g.grid_code as grid, g.grid_name, g.community_code as community, c.name as community_name,
              g.office_code as office, 'grid' as level
         from input rp
         cross join lateral (${sqlGridAt('rp.g')}) g
         left join areas c on c.code = g.community_code and c.valid_to is null
        where rp.centre is null
       union all
       select rp.ord, null, null, null, null, null, rp.centre, 'centre' from input rp where rp.centre is not null
     ),
     chief as (select l.ord, h.id, h.user_id, h.name, h.phone from loc l cross join lateral ${sqlHolderAt('chief', 'l.grid')} h),
     edge as (select l.ord, ST_Distance(ST_Boundary(a.geom)::geography, rp.g::geography) as d
                from loc l join input rp on rp.ord = l.ord join areas a on a.id = l.version),
     near as (
       select rp.ord, coalesce(array_agg(a.code order by a.code) filter (where a.code is not null), '{}') as codes
         from input rp join loc l on l.ord = rp.ord
         left join areas a on a.level = ${AREA_LEVELS.grid} and a.valid_to is null and a.code <> coalesce(l.grid, '')
                          and a.geom && ST_Expand(rp.g, rp.deg) and ST_DWithin(a.geom::geography, rp.g::geography, rp.metres)
        group by rp.ord
     ),
     dupes as (
       select rp.ord, coalesce(json_agg(json_build_object('id', d.id, 'case_no', d.case_no, 'status', d.status, 'distance_m', round(d.distance_m::numeric, 1),
                                                        'reported_at', d.reported_at) order by d.distance_m, d.id) filter (where d.id is not null), '[]') as list
         from input rp
         left join lateral (${sqlOpenNear('rp.g', { window: true, category: 'rp.category', metres: 'rp.dup_metres', deg: 'rp.dup_deg', hours: 'rp.dup_hours' })} limit 5) d on true
        group by rp.ord
     ),
     ins as (
       insert into incidents (office_code, case_no, category_code, description, source, status, level, grid_code, community_code,
                              area_version_id, assignee_staff_id, assignee_user_id, reporter_user_id, reporter_contact, asset_id,
                              geom, near_edge, near_grid_codes, due_at)
       select l.office, rp.case_no, rp.category, rp.description, rp.source, 'open', l.level, l.grid, l.community, l.version, ch.id,
              ch.user_id, rp.reporter, rp.contact, rp.asset,
              rp.g, coalesce(e.d <= rp.metres, false) or cardinality(nr.codes) > 0, nr.codes,
              deadline_after(now(), cat.deadline_hours, cat.deadline_kind)
         from input rp
         join incident_categories cat on cat.code = rp.category
         join loc l on l.ord = rp.ord
         join near nr on nr.ord = rp.ord
         left join edge e on e.ord = rp.ord
         left join chief ch on ch.ord = rp.ord
        order by rp.ord
       returning id, office_code, case_no, check_code, status, level, grid_code, community_code, area_version_id, due_at, near_edge, near_grid_codes, assignee_staff_id, reporter_user_id
     ),
     ev as (
       insert into incident_events (office_code, incident_id, action, to_status, to_level, actor_user_id, note)
       select office_code, id, 'report', status, level, reporter_user_id, null from ins
       returning id, incident_id
     )
     select rp.ord, ins.id, ins.office_code, ins.case_no, ins.check_code, ins.status, ins.level, ins.grid_code, ins.community_code,
            ins.area_version_id, ins.due_at, ins.near_edge, ins.near_grid_codes, ins.assignee_staff_id,
            l.grid_name, l.community_name, ch.name as assignee_name, ch.phone as assignee_phone, ev.id as event_id, d.list as possible_duplicates
       from ins
       join input rp on rp.case_no = ins.case_no
       join loc l on l.ord = rp.ord
       join ev on ev.incident_id = ins.id
       join dupes d on d.ord = rp.ord
       left join chief ch on ch.ord = rp.ord
      order by rp.ord`,
    { tz: WORK_TIME_ZONE, reports: JSON.stringify(input) },
  );
}

/** The office in force nearest to a point (for reports outside every grid, when they go to the command centre). */
export function sqlNearestOffice(knex: Knex, lon: number, lat: number): Knex.Raw {
  return knex.raw(
    `select code from areas where level = ${AREA_LEVELS.office} and valid_to is null
      order by geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), code limit 1`,
    { lon, lat },
  );
}

/** The incident row locked for an action (inside a transaction), with whether its category's handling needs a photo (the category row is not locked). */
export function sqlLockIncident(trx: Knex.Transaction, id: number) {
  return trx('incidents')
    .where({ id })
    .forUpdate()
    .first(
      'id', 'office_code', 'status', 'level', 'grid_code', 'community_code', 'department_code', 'near_grid_codes', 'version', 'category_code', 'due_at',
      trx.raw('(select c.handle_requires_photo from incident_categories c where c.code = incidents.category_code) as handle_requires_photo'),
    );
}

/**
 * Lock the rows of the incidents a step touches, in id order: two steps on the same two cases (A merged into
 * B while B is merged into A, or B cancelled) then queue one behind the other instead of each reading the
 * other's case as it was, and they cannot deadlock.
 */
export function sqlLockIncidentsInOrder(trx: Knex.Transaction, ids: number[]) {
  return trx('incidents').whereIn('id', [...new Set(ids)].sort((a, b) => a - b)).orderBy('id').forUpdate().select('id');
}

/** The staff member who works a community's escalated incidents now (its grid leader), or null. */
export function sqlCommunityAssignee(knex: Knex, communityCode: string | null): Knex.Raw {
  return knex.raw(sqlHolderId('grid_leader', '?'), [communityCode]);
}

/** Record one workflow step. */
export function sqlInsertEvent(
  knex: Knex,
  e: { office_code: string; incident_id: number; action: HistoryAction; from_status: string; to_status: string; from_level: string; to_level: string; actor_user_id: number | null; note: string | null; photos: number[] },
) {
  return knex('incident_events').insert({ ...e, photos: JSON.stringify(e.photos) }).returning('id');
}

/** The history of an incident, oldest first, with the actor's display name. */
export function sqlHistory(knex: Knex, incidentId: number) {
  return knex('incident_events as e')
    .leftJoin('users as u', 'u.id', 'e.actor_user_id')
    .where('e.incident_id', incidentId)
    .orderBy([{ column: 'e.created_at' }, { column: 'e.id' }])
    .select('e.id', 'e.action', 'e.from_status', 'e.to_status', 'e.from_level', 'e.to_level', 'e.note', 'e.photos', 'e.created_at', 'u.display_name as actor');
}

/**
 * Photo rows of an incident (or one of them), in order, with the step each came with: its action, and
 * whether a rejection came before it (event ids grow in the order the steps were taken).
 */
export function sqlPhotos(knex: Knex, incidentId: number, n?: number): Knex.QueryBuilder {
  const q = knex('incident_photos as p')
    .leftJoin('incident_events as e', 'e.id', 'p.event_id')
    .where('p.incident_id', incidentId)
    .orderBy('p.n')
    .select(
      'p.n', 'p.storage_key', 'p.thumb_key', 'p.media_type', 'p.width', 'p.height', 'p.hidden', 'p.created_at', knex.raw(`coalesce(e.action, 'report') as action`),
      knex.raw(`exists (select 1 from incident_events r where r.incident_id = p.incident_id and r.action = 'reject' and r.id < p.event_id) as after_reject`),
    );
  if (n !== undefined) q.where('p.n', n);
  return q;
}

/** The next photo number of an incident. */
export async function nextPhotoNumber(knex: Knex, incidentId: number): Promise<number> {
  const row = await knex('incident_photos').where({ incident_id: incidentId }).max('n as n').first();
  return (row?.n ?? 0) + 1;
}

/** The rating a resident gave an incident, if any. */
export function sqlRating(knex: Knex, incidentId: number) {
  return knex('incident_ratings').where({ incident_id: incidentId }).first('rating', 'comment', 'created_at');
}

/** Who reported an incident: the user's display name, or the private contact a resident left. */
export function sqlReporter(knex: Knex, incidentId: number) {
  return knex('incidents as i').leftJoin('users as u', 'u.id', 'i.reporter_user_id').where('i.id', incidentId).first('u.display_name as user', 'i.reporter_contact as contact');
}

/** One incident by case number as its public view needs it: the areas' and department's names in both languages, its check code and rating. */
export function sqlPublicCase(knex: Knex, caseNo: string) {
  return sqlIncidents(knex)
    .leftJoin('incident_ratings as r', (j) => j.on('r.office_code', 'i.office_code').andOn('r.incident_id', 'i.id'))
    .where('i.case_no', caseNo)
    .first(
      'i.id', 'i.office_code', 'i.case_no', 'i.check_code', 'i.status', 'i.level', 'i.description', 'i.grid_code', 'i.community_code', 'i.department_code',
      'i.supporters', 'i.reported_at', 'i.updated_at', 'i.due_at', 'i.closed_at', 'i.category_code', 'c.name as category_name', 'c.name_en as category_name_en',
      'g.name as grid_name', 'g.name_en as grid_name_en', 'cm.name as community_name', 'cm.name_en as community_name_en',
      'd.name as department_name', 'd.name_en as department_name_en', 'r.rating',
    );
}

/** The steps of an incident a resident sees, oldest first: every step but the hiding and showing of photos. */
export function sqlPublicHistory(knex: Knex, incidentId: number) {
  return knex('incident_events')
    .where({ incident_id: incidentId })
    .whereNotIn('action', ['photo_hidden', 'photo_shown'])
    .orderBy([{ column: 'created_at' }, { column: 'id' }])
    .select('action', 'to_status', 'to_level', 'note', 'created_at');
}

/** The incident of a case number, locked (inside a transaction), with what a resident's step needs. */
export function sqlLockCase(trx: Knex.Transaction, caseNo: string) {
  return trx('incidents')
    .where({ case_no: caseNo })
    .forUpdate()
    .first('id', 'office_code', 'case_no', 'check_code', 'status', 'level', 'grid_code', 'community_code', 'department_code', 'near_grid_codes', 'category_code', 'version', 'due_at');
}
