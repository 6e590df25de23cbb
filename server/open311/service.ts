import type { Knex } from 'knex';
import { redactDigits } from '../incidents/public.js';
import { sqlIncidentColumns, sqlIncidents } from '../incidents/sql.js';
import type { Level, Status } from '../incidents/workflow.js';
import { isFinished, isPublicReport } from '../incidents/workflow.js';
import { NotFound } from '../http/errors.js';

/** Days a requests.json query covers when it names no dates (GeoReport v2 suggests 90). */
export const DEFAULT_WINDOW_DAYS = 90;
/** Most requests one requests.json answer holds (GeoReport v2 suggests 1000). */
export const MAX_REQUESTS = 1000;

/**
 * Refuse a `jurisdiction_id` that names no office this server serves (GeoReport v2: the id of the
 * jurisdiction, needed only where a server serves several). Absent, the server's own offices are meant.
 */
export async function assertJurisdiction(knex: Knex, id: string | undefined): Promise<void> {
  if (id === undefined || id === '') return;
  const offices: string[] = (await knex('areas').where({ level: 1 }).whereNull('valid_to').orderBy('code').select('code')).map((r) => r.code);
  if (!offices.includes(id)) {
    throw new NotFound('jurisdiction_unknown', `jurisdiction_id ${id.slice(0, 64)} is not served here; leave it out, or give one of: ${offices.join(', ')}.`, {
      params: { jurisdiction_id: id.slice(0, 64), jurisdictions: offices },
    });
  }
}

/** The category dictionary as GeoReport v2 services. */
export async function listServices(knex: Knex) {
  const rows = await knex('incident_categories').orderBy('code').select('code', 'name', 'name_en', 'class_name', 'class_name_en', 'deadline_hours');
  return rows.map((c) => ({
    service_code: c.code,
    service_name: c.name,
    description: `${c.name_en} (${c.class_name_en}); handled within ${c.deadline_hours} h`,
    metadata: false,
    type: 'realtime' as const,
    keywords: `${c.class_name},${c.name_en}`,
    group: c.class_name,
  }));
}

/** One service definition: no extra attributes are asked for. */
export async function serviceDefinition(knex: Knex, code: string) {
  const c = await knex('incident_categories').where({ code }).first('code');
  if (!c) throw new NotFound('service_not_found', `service_code ${code} does not exist; see services.json.`, { params: { service_code: code } });
  return { service_code: c.code, attributes: [] };
}

const STATUS_NOTES: Record<Status, string | null> = {
  open: null,
  handled: 'Handled; awaiting the grid chief’s confirmation.',
  closed: 'Closed after the grid chief confirmed it was handled.',
  cancelled: 'Not accepted as a case by the command centre.',
  merged: 'Duplicate of another request.',
};

/** Who works an incident at its level, in public words. */
function agencyOf(r: Record<string, any>): string | null {
  const level = r.level as Level;
  if (level === 'department') return r.department_name ?? r.department_code;
  if (level === 'centre') return `${r.office_code} command centre`;
  if (level === 'community') return r.community_name ?? r.community_code;
  return r.grid_name ? `${r.grid_name} grid` : null;
}

/** An incident row as a GeoReport v2 request, without personal data. */
export function toRequest(r: Record<string, any>) {
  const status = r.status as Status;
  return {
    service_request_id: String(r.id),
    status: isFinished(status) ? ('closed' as const) : ('open' as const),
    status_notes: status === 'merged' && r.merged_into ? `Duplicate of request ${r.merged_into}.` : STATUS_NOTES[status],
    service_name: r.category_name,
    service_code: r.category_code,
    description: isPublicReport(r.source) ? redactDigits(r.description ?? '') : '',
    agency_responsible: agencyOf(r),
    service_notice: null,
    requested_datetime: new Date(r.reported_at).toISOString(),
    updated_datetime: new Date(r.updated_at).toISOString(),
    expected_datetime: r.due_at ? new Date(r.due_at).toISOString() : null,
    address: null,
    address_id: null,
    zipcode: null,
    lat: Number(r.lat),
    long: Number(r.lon),
    media_url: null,
  };
}

/** Requests matching a GeoReport v2 query, newest first. */
export async function listRequests(
  knex: Knex,
  q: { service_request_id?: string[]; service_code?: string[]; status?: string[]; start_date?: Date; end_date?: Date },
) {
  const query = sqlIncidents(knex).select(sqlIncidentColumns(knex)).orderBy([{ column: 'i.reported_at', order: 'desc' }, { column: 'i.id', order: 'desc' }]).limit(MAX_REQUESTS);
  if (q.service_request_id) {
    // Asked by id: dates and status do not narrow it (GeoReport v2).
    query.whereIn('i.id', q.service_request_id.map(Number));
  } else {
    if (q.service_code) query.whereIn('i.category_code', q.service_code);
    const end = q.end_date ?? new Date();
    const start = q.start_date ?? new Date(end.getTime() - DEFAULT_WINDOW_DAYS * 86400e3);
    query.where('i.reported_at', '>=', start).andWhere('i.reported_at', '<=', end);
    if (q.status && q.status.length === 1) {
      if (q.status[0] === 'open') query.whereIn('i.status', ['open', 'handled']);
      else query.whereIn('i.status', ['closed', 'cancelled', 'merged']);
    }
  }
  return (await query).map(toRequest);
}

/** One request by id. */
export async function getRequest(knex: Knex, id: number) {
  const row = await sqlIncidents(knex).where('i.id', id).first(sqlIncidentColumns(knex));
  if (!row) throw new NotFound('incident_not_found', `service_request_id ${id} does not exist.`, { params: { id } });
  return [toRequest(row)];
}
