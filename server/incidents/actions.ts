/** Acting on an incident: one workflow step, checked against the rules, recorded with its note and photos. */
import type { Knex } from 'knex';
import type { SessionUser } from '../auth/store.js';
import { Conflict, Forbidden, Invalid, Unprocessable } from '../http/errors.js';
import { toChange } from './events.js';
import { photoNotFound, processUploads, storePhotos, toPhotoRef, type PhotoRow, type Upload } from './evidence.js';
import { getIncident, notInScope, type IncidentDeps } from './service.js';
import { sqlCommunityAssignee, sqlInsertEvent, sqlLockIncident, sqlLockIncidentsInOrder, sqlPhotos } from './sql.js';
import { allowedActions, assertAllowed, assertEvidence, isVisibleTo, levelAbove, mayCurateEvidence, type Action, type IncidentState } from './workflow.js';

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
 * Take a workflow step. The row is locked (with a merge, both cases, in id order) and its version compared,
 * and the update is conditional on that version, so of two people acting at once exactly one wins and the
 * other gets 409.
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
    // A merge reads a second case and decides on its state: both are locked first, in id order, so that the
    // rule below is checked on what is committed when this step commits.
    if (input.action === 'merge' && input.into !== undefined) await sqlLockIncidentsInOrder(trx, [id, input.into]);
    const row = await sqlLockIncident(trx, id);
    if (!row || !isVisibleTo(row, viewer)) throw notInScope(id);
    if (input.version !== undefined && input.version !== row.version) {
      throw new Conflict('incident_changed', `Incident ${id} changed meanwhile (it is at version ${row.version}, you acted on ${input.version}); reload it and decide again.`, {
        params: { id },
        extra: { current_version: row.version, allowed_actions: allowedActions(row, viewer) },
      });
    }
    await assertAllowedOrChanged(trx, input.action, row, viewer);
    assertEvidence(input.action, { code: row.category_code, handle_requires_photo: row.handle_requires_photo === true }, photos.length);
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

/**
 * Hide a photo of an incident from the public view, or show it again, with the reason in the incident's
 * history (`photo_hidden` / `photo_shown`); staff keep seeing it. The incident's row is locked so the entry
 * takes its place among concurrent steps; its version stays, as no workflow state changes. Setting what
 * is already set records nothing.
 */
export async function setPhotoVisibility(deps: IncidentDeps, viewer: SessionUser, id: number, n: number, input: { hidden: boolean; reason: string }) {
  const { knex } = deps;
  await knex.transaction(async (trx) => {
    const row = await sqlLockIncident(trx, id);
    if (!row || !isVisibleTo(row, viewer)) throw notInScope(id);
    if (!mayCurateEvidence(row, viewer)) {
      throw new Forbidden('photo_visibility_not_yours', `Only the chief of its grid, its community staff, the command centre or the department it is dispatched to may hide or show the photos of incident ${id}.`, {
        params: { id },
      });
    }
    const photo = await trx('incident_photos').where({ incident_id: id, n }).first('hidden');
    if (!photo) throw photoNotFound(id, n);
    if (photo.hidden === input.hidden) return;
    await trx('incident_photos').where({ incident_id: id, n }).update({ hidden: input.hidden });
    await sqlInsertEvent(trx, {
      office_code: row.office_code, incident_id: id, action: input.hidden ? 'photo_hidden' : 'photo_shown', from_status: row.status, to_status: row.status,
      from_level: row.level, to_level: row.level, actor_user_id: viewer.id, note: input.reason, photos: [n],
    });
  });
  const [photo] = (await sqlPhotos(knex, id, n)) as PhotoRow[];
  return toPhotoRef(id, photo);
}

/**
 * Check the step against the workflow rules. When the rules refuse it as not this user's (403) because the
 * very same step was just taken (the second click of a double-clicked escalate, two staff pressing at
 * once), and the user could take it before that step, the request lost a race: that is a conflict (409),
 * said as one, not a lack of rights.
 */
async function assertAllowedOrChanged(trx: Knex.Transaction, action: Action, row: IncidentState & { id: number; version: number }, viewer: SessionUser): Promise<void> {
  try {
    assertAllowed(action, row, viewer);
  } catch (err) {
    if (!(err instanceof Forbidden) || row.version < 2) throw err;
    const last = await trx('incident_events').where({ incident_id: row.id }).whereNotIn('action', ['photo_hidden', 'photo_shown']).orderBy('id', 'desc').first('action', 'from_status', 'from_level');
    if (last?.action !== action || !allowedActions({ ...row, status: last.from_status, level: last.from_level }, viewer).includes(action)) throw err;
    throw new Conflict('incident_changed', `Incident ${row.id} changed meanwhile: the step "${action}" was just taken by someone else (or by an earlier click); reload it.`, {
      params: { id: row.id },
      extra: { current_version: row.version, allowed_actions: allowedActions(row, viewer) },
    });
  }
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

