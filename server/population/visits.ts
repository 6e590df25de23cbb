import type { Knex } from 'knex';
import type { SessionUser } from '../auth/store.js';
import { Invalid, Unprocessable } from '../http/errors.js';
import { iso } from '../http/wire.js';
import { populationGrids, type Page } from './access.js';
import { scopedResident } from './residents.js';
import { sqlLimitOffset, sqlVisits, sqlWhereGrid } from './sql.js';

interface VisitRow {
  id: number;
  resident_id: number;
  grid_code: string | null;
  visitor_name: string;
  visited_at: Date;
  kind: string;
  note: string;
}

/** A care visit row as answered. */
export function toVisit(r: VisitRow) {
  return { id: r.id, resident_id: r.resident_id, grid_code: r.grid_code, visitor_name: r.visitor_name, visited_at: iso(r.visited_at)!, kind: r.kind, note: r.note };
}

/** Care visits in the viewer's scope, newest first. */
export async function listVisits(
  knex: Knex,
  user: SessionUser,
  q: { grid?: string; resident_id?: number; since?: Date; until?: Date } & Page,
) {
  const scope = await populationGrids(knex, user, q.grid);
  const filter = (qb: Knex.QueryBuilder) => {
    sqlWhereGrid(qb, scope);
    if (q.resident_id) qb.where('v.resident_id', q.resident_id);
    if (q.since) qb.where('v.visited_at', '>=', q.since);
    if (q.until) qb.where('v.visited_at', '<', q.until);
    return qb;
  };
  const [rows, [{ n }]] = await Promise.all([
    sqlLimitOffset(filter(sqlVisits(knex)).orderBy([{ column: 'v.visited_at', order: 'desc' }, { column: 'v.id', order: 'desc' }]), q),
    filter(
      knex('care_visits as v')
        .join('residents as r', 'r.id', 'v.resident_id')
        .join('households as h', 'h.id', 'r.household_id')
        .join('buildings as b', 'b.id', 'h.building_id')
        .count<{ n: number }[]>({ n: '*' }),
    ),
  ]);
  return { items: (rows as VisitRow[]).map(toVisit), total: Number(n) };
}

/** Record a care visit to a resident in the viewer's scope, by the viewer. */
export async function createVisit(knex: Knex, user: SessionUser, body: { resident_id: number; visited_at?: Date; kind: string; note: string }) {
  const scope = await populationGrids(knex, user);
  const r = await scopedResident(knex, scope, body.resident_id).catch(() => {
    throw new Unprocessable('resident_id_unknown', `resident_id ${body.resident_id} is not a resident in your scope.`, { params: { resident_id: body.resident_id } });
  });
  if (body.visited_at && body.visited_at.getTime() > Date.now() + 5 * 60_000) throw new Invalid('visit_in_future', 'visited_at is in the future; record a visit after it took place.');
  const [row] = await knex('care_visits')
    .insert({
      office_code: r.office_code,
      resident_id: r.id,
      visitor_user_id: user.id,
      visitor_name: user.display_name,
      visited_at: body.visited_at ?? knex.fn.now(),
      kind: body.kind,
      note: body.note,
    })
    .returning('id');
  const visit = await sqlVisits(knex).where('v.id', row.id).first();
  return toVisit(visit);
}
