import { describe, expect, it } from 'vitest';
import { Conflict, Forbidden } from '../http/errors.js';
import { ACTIONS, RULES, allowedActions, assertAllowed, isVisibleTo, type Actor, type IncidentState } from './workflow.js';

const base: IncidentState = { status: 'open', level: 'grid', office_code: 'O', grid_code: 'O-C-G', community_code: 'O-C', department_code: null, near_grid_codes: ['O-C-H'] };
const chief: Actor = { role: 'chief', scope: ['O-C-G'], department_code: null };
const neighbour: Actor = { role: 'chief', scope: ['O-C-H'], department_code: null };
const community: Actor = { role: 'community', scope: ['O-C'], department_code: null };
const centre: Actor = { role: 'admin', scope: ['O'], department_code: null };
const dept: Actor = { role: 'department', scope: ['O'], department_code: 'municipal' };
const planner: Actor = { role: 'planner', scope: ['O'], department_code: null };

/** The full table: state → actor → allowed actions. */
const TABLE: Array<[string, Partial<IncidentState>, Actor, string[]]> = [
  ['open grid', {}, chief, ['handle', 'escalate', 'merge']],
  ['open grid', {}, neighbour, []],
  ['open grid', {}, community, []],
  ['open grid', {}, centre, ['cancel', 'merge', 'defer']],
  ['open grid', {}, planner, []],
  ['open community', { level: 'community' }, chief, []],
  ['open community', { level: 'community' }, community, ['handle', 'escalate', 'merge']],
  ['open centre', { level: 'centre' }, community, []],
  ['open centre', { level: 'centre' }, centre, ['dispatch', 'cancel', 'merge', 'defer']],
  ['open department', { level: 'department', department_code: 'municipal' }, dept, ['handle']],
  ['open department (other)', { level: 'department', department_code: 'police' }, dept, []],
  ['open department', { level: 'department', department_code: 'municipal' }, centre, ['dispatch', 'cancel', 'merge', 'defer']],
  ['handled', { status: 'handled' }, chief, ['confirm', 'reject']],
  ['handled', { status: 'handled' }, centre, []],
  ['handled at department', { status: 'handled', level: 'department', department_code: 'municipal' }, dept, []],
  ['closed', { status: 'closed' }, chief, []],
  ['cancelled', { status: 'cancelled' }, centre, []],
  ['merged', { status: 'merged' }, centre, []],
];

describe('allowedActions', () => {
  it.each(TABLE)('%s, %o, role %o → %o', (_name, patch, actor, expected) => {
    expect(allowedActions({ ...base, ...patch }, actor)).toEqual(expected);
  });
});

describe('assertAllowed', () => {
  it('answers Conflict when the step does not exist in this state, Forbidden when it is not yours', () => {
    for (const [, patch, actor] of TABLE) {
      const s = { ...base, ...patch };
      const allowed = allowedActions(s, actor);
      for (const action of ACTIONS) {
        if (allowed.includes(action)) expect(() => assertAllowed(action, s, actor)).not.toThrow();
        else expect(() => assertAllowed(action, s, actor)).toThrow(RULES[action].when(s) ? Forbidden : Conflict);
      }
    }
    expect(() => assertAllowed('confirm', base, chief)).toThrow(Conflict);
    expect(() => assertAllowed('handle', base, community)).toThrow(Forbidden);
    expect(() => assertAllowed('dispatch', { ...base, level: 'centre' }, chief)).toThrow(Forbidden);
  });
});

describe('isVisibleTo', () => {
  it('shows an incident to its grid, community, office and neighbouring grid, a department only when dispatched to it', () => {
    expect(isVisibleTo(base, chief)).toBe(true);
    expect(isVisibleTo(base, neighbour)).toBe(true);
    expect(isVisibleTo(base, community)).toBe(true);
    expect(isVisibleTo(base, centre)).toBe(true);
    expect(isVisibleTo(base, { role: 'chief', scope: ['X'], department_code: null })).toBe(false);
    expect(isVisibleTo(base, dept)).toBe(false);
    expect(isVisibleTo({ ...base, department_code: 'municipal' }, dept)).toBe(true);
  });
});
