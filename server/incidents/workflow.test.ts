import { describe, expect, it } from 'vitest';
import { ROLES } from '../auth/store.js';
import { Conflict, Forbidden } from '../http/errors.js';
import { ACTIONS, INCIDENT_LEVELS, INCIDENT_STATUSES, allowedActions, assertAllowed, isVisibleTo, levelAbove, type Action, type Actor, type IncidentState } from './workflow.js';

// The expectations below are written out by hand from design.md ("The incident workflow"), not computed
// from RULES: a wrong rule in workflow.ts makes a row here fail.

const incident = (patch: Partial<IncidentState>): IncidentState => ({
  status: 'open', level: 'grid', office_code: 'O', grid_code: 'O-C-G', community_code: 'O-C', department_code: null, near_grid_codes: ['O-C-H'], ...patch,
});

/** Every state an incident can be in: open at each level, handled at each level it can be handled at, and finished. */
const STATES = {
  'open at grid': incident({}),
  'open at community': incident({ level: 'community' }),
  'open at centre': incident({ level: 'centre' }),
  'open at department': incident({ level: 'department', department_code: 'municipal' }),
  'handled at grid': incident({ status: 'handled' }),
  'handled at community': incident({ status: 'handled', level: 'community' }),
  'handled at department': incident({ status: 'handled', level: 'department', department_code: 'municipal' }),
  closed: incident({ status: 'closed' }),
  cancelled: incident({ status: 'cancelled', level: 'centre' }),
  merged: incident({ status: 'merged', level: 'community' }),
} satisfies Record<string, IncidentState>;
type StateName = keyof typeof STATES;

/** Every role, in the incident's scope and (where scope matters) outside it. */
const ACTORS = {
  chief: { role: 'chief', scope: ['O-C-G'], department_code: null },
  'neighbouring chief': { role: 'chief', scope: ['O-C-H'], department_code: null },
  community: { role: 'community', scope: ['O-C'], department_code: null },
  'community over the office': { role: 'community', scope: ['O'], department_code: null },
  'other community': { role: 'community', scope: ['O-D'], department_code: null },
  centre: { role: 'admin', scope: ['O'], department_code: null },
  'other centre': { role: 'admin', scope: ['P'], department_code: null },
  department: { role: 'department', scope: ['O'], department_code: 'municipal' },
  'other department': { role: 'department', scope: ['O'], department_code: 'police' },
  planner: { role: 'planner', scope: ['O'], department_code: null },
  staff: { role: 'staff', scope: ['O-C-G'], department_code: null },
} satisfies Record<string, Actor>;
type ActorName = keyof typeof ACTORS;

/** The actions that exist in each state, for anyone (the others answer 409 Conflict). */
const EXISTS: Record<StateName, Action[]> = {
  'open at grid': ['handle', 'escalate', 'cancel', 'merge', 'defer'],
  'open at community': ['handle', 'escalate', 'cancel', 'merge', 'defer'],
  'open at centre': ['dispatch', 'cancel', 'merge', 'defer'],
  'open at department': ['handle', 'dispatch', 'cancel', 'merge', 'defer'],
  'handled at grid': ['confirm', 'reject'],
  'handled at community': ['confirm', 'reject'],
  'handled at department': ['confirm', 'reject'],
  closed: [],
  cancelled: [],
  merged: [],
};

/** Who may take which action in each state, in the order of ACTIONS; an actor not listed may take none (403 Forbidden). */
const ALLOWED: Record<StateName, Partial<Record<ActorName, Action[]>>> = {
  'open at grid': {
    chief: ['handle', 'escalate', 'merge'],
    centre: ['cancel', 'merge', 'defer'],
  },
  'open at community': {
    community: ['handle', 'escalate', 'merge'],
    'community over the office': ['handle', 'escalate', 'merge'],
    centre: ['cancel', 'merge', 'defer'],
  },
  'open at centre': {
    centre: ['dispatch', 'cancel', 'merge', 'defer'],
  },
  'open at department': {
    department: ['handle'],
    centre: ['dispatch', 'cancel', 'merge', 'defer'],
  },
  'handled at grid': { chief: ['confirm', 'reject'] },
  'handled at community': { chief: ['confirm', 'reject'] },
  'handled at department': { chief: ['confirm', 'reject'] },
  closed: {},
  cancelled: {},
  merged: {},
};

/** The error `fn` throws (the test fails when it throws none). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected it to throw');
}

/** What assertAllowed answers for each action: allowed, or the class of error it throws. */
function verdicts(s: IncidentState, a: Actor): Record<Action, string> {
  return Object.fromEntries(
    ACTIONS.map((action) => {
      try {
        assertAllowed(action, s, a);
        return [action, 'allowed'];
      } catch (err) {
        return [action, err instanceof Error ? err.constructor.name : String(err)];
      }
    }),
  ) as Record<Action, string>;
}

const PAIRS = (Object.keys(STATES) as StateName[]).flatMap((state) => (Object.keys(ACTORS) as ActorName[]).map((actor): [StateName, ActorName] => [state, actor]));

describe('the workflow table', () => {
  it('covers every role, every status, every level an open incident sits at, and every action', () => {
    expect(new Set(Object.values(ACTORS).map((a) => a.role))).toEqual(new Set(ROLES));
    expect(new Set(Object.values(STATES).map((s) => s.status))).toEqual(new Set(INCIDENT_STATUSES));
    expect(new Set(Object.values(STATES).filter((s) => s.status === 'open').map((s) => s.level))).toEqual(new Set(INCIDENT_LEVELS));
    expect(new Set(Object.values(EXISTS).flat())).toEqual(new Set(ACTIONS));
  });

  it.each(PAIRS)('%s, %s: allowedActions lists exactly the allowed actions', (state, actor) => {
    expect(allowedActions(STATES[state], ACTORS[actor])).toEqual(ALLOWED[state][actor] ?? []);
  });

  it.each(PAIRS)('%s, %s: assertAllowed lets the allowed actions through, 403 for the others that exist, 409 for the rest', (state, actor) => {
    const allowed = ALLOWED[state][actor] ?? [];
    const expected = Object.fromEntries(
      ACTIONS.map((action) => [action, allowed.includes(action) ? 'allowed' : EXISTS[state].includes(action) ? 'Forbidden' : 'Conflict']),
    );
    expect(verdicts(STATES[state], ACTORS[actor])).toEqual(expected);
  });
});

describe('assertAllowed messages', () => {
  it.each<['Forbidden' | 'Conflict', Action, StateName, ActorName, string]>([
    ['Forbidden', 'handle', 'open at grid', 'community', 'Only the chief of the grid may handle an incident that is open at the grid level; you may take no action on it now.'],
    ['Forbidden', 'handle', 'open at community', 'chief', 'Only the community staff may handle an incident that is open at the community level; you may take no action on it now.'],
    ['Forbidden', 'handle', 'open at department', 'centre', 'Only the department it was dispatched to may handle an incident that is open at the department level; you may: dispatch, cancel, merge, defer.'],
    ['Forbidden', 'dispatch', 'open at centre', 'chief', 'Only the command centre may dispatch an incident that is open at the centre level; you may take no action on it now.'],
    ['Forbidden', 'merge', 'open at grid', 'neighbouring chief', 'Only the chief of the grid or the command centre may merge an incident that is open at the grid level; you may take no action on it now.'],
    ['Forbidden', 'merge', 'open at centre', 'community', 'Only the command centre may merge an incident that is open at the centre level; you may take no action on it now.'],
    ['Forbidden', 'confirm', 'handled at grid', 'centre', 'Only the chief of the grid may confirm an incident that is handled; you may take no action on it now.'],
    ['Conflict', 'confirm', 'open at grid', 'chief', 'Cannot confirm an incident that is open at the grid level; you may: handle, escalate, merge.'],
    ['Conflict', 'escalate', 'open at centre', 'centre', 'Cannot escalate an incident that is open at the centre level; you may: dispatch, cancel, merge, defer.'],
    ['Conflict', 'handle', 'closed', 'chief', 'Cannot handle an incident that is closed; you may take no action on it now.'],
  ])('%s to %s at %s for %s, saying who may (or the state) and what you may', (kind, action, state, actor, message) => {
    const err = thrown(() => assertAllowed(action, STATES[state], ACTORS[actor]));
    expect(err).toBeInstanceOf({ Forbidden, Conflict }[kind]);
    expect(err.message).toBe(message);
  });

  it('carries the allowed actions in the problem', () => {
    const err = thrown(() => assertAllowed('confirm', STATES['open at grid'], ACTORS.chief));
    expect((err as Conflict).extra).toEqual({ allowed_actions: ['handle', 'escalate', 'merge'] });
  });
});

describe('levelAbove (where an escalation goes)', () => {
  it.each([
    ['grid', 'community'],
    ['community', 'centre'],
  ] as const)('escalates from %s to %s', (from, to) => {
    expect(levelAbove(from)).toBe(to);
  });

  it.each(['centre', 'department'] as const)('refuses to escalate from %s with Conflict', (from) => {
    expect(() => levelAbove(from)).toThrow(Conflict);
  });
});

describe('isVisibleTo', () => {
  it.each<[ActorName, boolean]>([
    ['chief', true],
    ['neighbouring chief', true],
    ['community', true],
    ['community over the office', true],
    ['other community', false],
    ['centre', true],
    ['other centre', false],
    ['department', false],
    ['planner', true],
    ['staff', true],
  ])('an incident open at its grid, not dispatched: %s sees it: %s', (actor, visible) => {
    expect(isVisibleTo(STATES['open at grid'], ACTORS[actor])).toBe(visible);
  });

  it('shows a dispatched incident to the department it went to, and to no other', () => {
    expect(isVisibleTo(STATES['open at department'], ACTORS.department)).toBe(true);
    expect(isVisibleTo(STATES['open at department'], ACTORS['other department'])).toBe(false);
  });
});
