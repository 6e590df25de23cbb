import { holds, rowInScope, type Viewer } from '../auth/scope.js';
import { Conflict, Forbidden, Unprocessable } from '../http/errors.js';

/** Statuses of an incident: being worked at a level, awaiting the chief's confirmation, or finished. */
export const INCIDENT_STATUSES = ['open', 'handled', 'closed', 'cancelled', 'merged'] as const;
export type Status = (typeof INCIDENT_STATUSES)[number];

/** Levels an open incident can sit at, bottom up. */
export const INCIDENT_LEVELS = ['grid', 'community', 'centre', 'department'] as const;
export type Level = (typeof INCIDENT_LEVELS)[number];

/** Where a report came from. */
export const SOURCES = ['patrol', 'resident', 'hotline', 'superior', 'media'] as const;
export type Source = (typeof SOURCES)[number];

/** Workflow actions, in the order they are listed to clients. */
export const ACTIONS = ['handle', 'escalate', 'dispatch', 'cancel', 'confirm', 'reject', 'merge', 'defer'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * Steps of an incident's history besides the workflow actions: the report, a resident joining the case,
 * a photo hidden from or shown again to the public, a boundary plan moving it ('rerouted', written in SQL).
 */
export type HistoryAction = Action | 'report' | 'supported' | 'photo_hidden' | 'photo_shown';

/** What the workflow needs to know about an incident. */
export interface IncidentState {
  status: Status;
  level: Level;
  office_code: string;
  grid_code: string | null;
  community_code: string | null;
  department_code: string | null;
  near_grid_codes?: string[];
}

/** What the workflow needs to know about the user acting: the scope rule's viewer. */
export type Actor = Viewer;

/** The chief of the incident's grid. */
const gridChief = (s: IncidentState, a: Actor) => a.role === 'chief' && holds(a, s.grid_code);
/** Community staff over the incident's community. */
const communityStaff = (s: IncidentState, a: Actor) => a.role === 'community' && (holds(a, s.community_code) || holds(a, s.office_code));
/** The command centre over the incident's office. */
const centre = (_s: IncidentState, a: Actor) => a.role === 'admin' && holds(a, _s.office_code);
/** The department the incident is dispatched to. */
const dispatchedDepartment = (s: IncidentState, a: Actor) => a.role === 'department' && a.department_code !== null && a.department_code === s.department_code;

interface Rule {
  /** The states in which the action exists at all (else 409). */
  when: (s: IncidentState) => boolean;
  /** Who may take it in such a state (else 403). */
  who: (s: IncidentState, a: Actor) => boolean;
  /** Who that is, in words, for the 403 message. */
  whoText: (s: IncidentState) => string;
}

const openAt = (...levels: Level[]) => (s: IncidentState) => s.status === 'open' && levels.includes(s.level);
const HANDLER_TEXT: Record<Level, string> = {
  grid: 'the chief of the grid',
  community: 'the community staff',
  centre: 'the command centre',
  department: 'the department it was dispatched to',
};

/** The workflow table: for each action, when it exists and who may take it (design.md, "The incident workflow"). */
export const RULES: Record<Action, Rule> = {
  handle: {
    when: openAt('grid', 'community', 'department'),
    who: (s, a) => (s.level === 'grid' ? gridChief(s, a) : s.level === 'community' ? communityStaff(s, a) : dispatchedDepartment(s, a)),
    whoText: (s) => HANDLER_TEXT[s.level],
  },
  escalate: {
    when: openAt('grid', 'community'),
    who: (s, a) => (s.level === 'grid' ? gridChief(s, a) : communityStaff(s, a)),
    whoText: (s) => HANDLER_TEXT[s.level],
  },
  dispatch: { when: openAt('centre', 'department'), who: centre, whoText: () => HANDLER_TEXT.centre },
  cancel: { when: (s) => s.status === 'open', who: centre, whoText: () => HANDLER_TEXT.centre },
  confirm: { when: (s) => s.status === 'handled', who: gridChief, whoText: () => HANDLER_TEXT.grid },
  reject: { when: (s) => s.status === 'handled', who: gridChief, whoText: () => HANDLER_TEXT.grid },
  merge: {
    when: (s) => s.status === 'open',
    who: (s, a) => centre(s, a) || (s.level === 'grid' && gridChief(s, a)) || (s.level === 'community' && communityStaff(s, a)),
    whoText: (s) => (s.level === 'grid' || s.level === 'community' ? `${HANDLER_TEXT[s.level]} or the command centre` : HANDLER_TEXT.centre),
  },
  defer: { when: (s) => s.status === 'open', who: centre, whoText: () => HANDLER_TEXT.centre },
};

/** The actions this user may take on the incident now. */
export function allowedActions(s: IncidentState, a: Actor): Action[] {
  return ACTIONS.filter((act) => RULES[act].when(s) && RULES[act].who(s, a));
}

/** Throw Conflict (wrong state) or Forbidden (wrong role or scope) unless the user may take the action now; both list the allowed actions. */
export function assertAllowed(action: Action, s: IncidentState, a: Actor): void {
  const allowed_actions = allowedActions(s, a);
  const rule = RULES[action];
  const where = s.status === 'open' ? `open at the ${s.level} level` : s.status;
  const yours = allowed_actions.length ? `you may: ${allowed_actions.join(', ')}` : 'you may take no action on it now';
  const params = { action, status: s.status, level: s.level };
  if (!rule.when(s)) {
    throw new Conflict('action_not_allowed_now', `Cannot ${action} an incident that is ${where}; ${yours}.`, { params, extra: { allowed_actions } });
  }
  if (!rule.who(s, a)) {
    throw new Forbidden('action_not_yours', `Only ${rule.whoText(s)} may ${action} an incident that is ${where}; ${yours}.`, { params, extra: { allowed_actions } });
  }
}

/** Throw Unprocessable when a step lacks the evidence its category asks for: a photo of the result, for a handle of such a category. */
export function assertEvidence(action: Action, category: { code: string; handle_requires_photo: boolean }, photos: number): void {
  if (action === 'handle' && category.handle_requires_photo && photos === 0) {
    throw new Unprocessable('photo_required', `Handling an incident of category ${category.code} needs a photo of the result; send the step as multipart/form-data with the photo in "photos".`, {
      params: { category: category.code },
    });
  }
}

/** Whether the user may hide an incident's photos from the public, or show them again: whoever works it where it lies, or the department it is dispatched to. */
export function mayCurateEvidence(s: IncidentState, a: Actor): boolean {
  return gridChief(s, a) || communityStaff(s, a) || centre(s, a) || dispatchedDepartment(s, a);
}

/**
 * Whether the user may see who reported an incident and how to reach them (a resident's name and phone):
 * the staff who call back, the chief of its grid, its community staff and the command centre. A department
 * gets the job, not the person: it asks the centre when it must reach them. Planners never.
 */
export function mayContactReporter(s: IncidentState, a: Actor): boolean {
  return gridChief(s, a) || communityStaff(s, a) || centre(s, a);
}

/**
 * Whether the public's clients (Open311, the public pages) are shown an incident's description: when the
 * public reported it (a resident, the hotline, the media). A staff report's description (a chief's patrol
 * note, a superior's instruction) is internal work; its category, status, place and times stay public.
 */
export function isPublicReport(source: Source): boolean {
  return source === 'resident' || source === 'hotline' || source === 'media';
}

/** The level above, for escalation. */
export function levelAbove(level: Level): Level {
  if (level === 'grid') return 'community';
  if (level === 'community') return 'centre';
  throw new Conflict('cannot_escalate_further', `An incident at the ${level} level cannot be escalated further.`, { params: { level } });
}

/** Status as Open311 sees it: open until it is finished. */
export function isFinished(status: Status): boolean {
  return status === 'closed' || status === 'cancelled' || status === 'merged';
}

/** Whether the incident is visible to a user: in the user's areas, next to them (near an edge), or dispatched to their department. */
export function isVisibleTo(s: IncidentState, a: Actor): boolean {
  if (a.role === 'department') return a.department_code !== null && s.department_code === a.department_code;
  return rowInScope(a, s, { near: true });
}
