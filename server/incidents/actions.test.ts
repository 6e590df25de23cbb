import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';
import { act, jpeg, pointIn, report, tempDataDir } from './test_helpers.js';

const GRID = '210103007001001';
const t = useTestApp({ dataDir: tempDataDir() });
const tokens: Record<string, string> = {};

beforeAll(async () => {
  for (const u of ['chief01', 'chief02', 'community01', 'community02', 'admin', 'planner', 'municipal', 'sanitation']) tokens[u] = await loginAs(t.app, u);
});

/** A new open incident in GRID, well inside it (no neighbour sees it), reported by its chief. */
async function newIncident(category = '0101'): Promise<number> {
  const p = await pointIn(t.db, GRID, 60);
  const res = await report(t.app, tokens.chief01, { category, description: 'test', lon: p.lon, lat: p.lat });
  expect(res.status).toBe(201);
  return res.body.id;
}

const row = (id: number) => t.db.knex('incidents').where({ id }).first();

/** Expect a problem with a status and the allowed actions listed. */
function expectProblem(res: request.Response, status: number, allowed?: string[]) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  if (allowed) expect(res.body.allowed_actions).toEqual(allowed);
}

describe('grid level', () => {
  it('the chief handles with a note, then confirms: closed, with both steps in the history', async () => {
    const id = await newIncident();
    const handled = await act(t.app, tokens.chief01, id, { action: 'handle', note: 'Swept it up' }, [await jpeg()]);
    expect(handled.status).toBe(200);
    expect(handled.body).toMatchObject({ id, status: 'handled', level: 'grid', version: 2, allowed_actions: ['confirm', 'reject'] });
    const closed = await act(t.app, tokens.chief01, id, { action: 'confirm' });
    expect(closed.body).toMatchObject({ status: 'closed', version: 3, allowed_actions: [] });
    expect(closed.body.history.map((h: { action: string }) => h.action)).toEqual(['report', 'handle', 'confirm']);
    expect(closed.body.history[1]).toMatchObject({ actor: expect.any(String), note: 'Swept it up', from_status: 'open', to_status: 'handled' });
    const r = await row(id);
    expect(r).toMatchObject({ status: 'closed', version: 3 });
    expect(r.closed_at).not.toBeNull();
  });

  it('handling needs a note (400)', async () => {
    const id = await newIncident();
    const res = await act(t.app, tokens.chief01, id, { action: 'handle' });
    expectProblem(res, 400);
    expect(res.body.detail).toMatch(/note is required to handle/);
    expect((await row(id)).status).toBe('open');
  });

  it('handling with a photo records it on the step', async () => {
    const id = await newIncident();
    const res = await request(t.app)
      .post(`/api/incidents/${id}/actions`)
      .set('Authorization', `Bearer ${tokens.chief01}`)
      .field('action', 'handle')
      .field('note', 'Fixed, see photo')
      .attach('photos', await jpeg(), { filename: 'after.jpg' });
    expect(res.status).toBe(200);
    expect(res.body.history.at(-1).photos).toEqual([`/api/incidents/${id}/photos/1`]);
    expect(res.body.photos).toHaveLength(1);
  });

  it('handling a category that asks for a photo of the result without one is 422, writing nothing', async () => {
    const id = await newIncident('0101');
    const res = await act(t.app, tokens.chief01, id, { action: 'handle', note: 'Swept it up' });
    expectProblem(res, 422);
    expect(res.body).toMatchObject({ code: 'photo_required', params: { category: '0101' } });
    expect(res.body.detail).toMatch(/needs a photo of the result/);
    expect(await row(id)).toMatchObject({ status: 'open', version: 1 });
    expect(await t.db.knex('incident_events').where({ incident_id: id }).pluck('action')).toEqual(['report']);
    // A category that does not ask for one is handled without.
    const lamp = await newIncident('0603');
    expect((await act(t.app, tokens.chief01, lamp, { action: 'handle', note: 'Bulb changed' })).status).toBe(200);
  });

  it('community staff may see but not handle a grid-level incident (403, allowed actions listed)', async () => {
    const id = await newIncident();
    expectProblem(await act(t.app, tokens.community01, id, { action: 'handle', note: 'x' }), 403, []);
  });

  it('the command centre may cancel, merge or defer at grid level, not handle (403)', async () => {
    const id = await newIncident();
    const res = await act(t.app, tokens.admin, id, { action: 'handle', note: 'x' });
    expectProblem(res, 403, ['cancel', 'merge', 'defer']);
    expect(res.body.detail).toMatch(/Only the chief of the grid may handle/);
  });

  it("another grid's chief and another community do not see it (404)", async () => {
    const id = await newIncident();
    expectProblem(await act(t.app, tokens.chief02, id, { action: 'handle', note: 'x' }), 404);
    expectProblem(await act(t.app, tokens.community02, id, { action: 'escalate' }), 404);
  });

  it('a planner sees it but may take no action (403)', async () => {
    const id = await newIncident();
    expectProblem(await act(t.app, tokens.planner, id, { action: 'cancel', note: 'x' }), 403, []);
  });

  it('a department does not see an incident not dispatched to it (404)', async () => {
    const id = await newIncident();
    expectProblem(await act(t.app, tokens.municipal, id, { action: 'handle', note: 'x' }), 404);
  });

  it('confirm or reject of an open incident is 409 with the allowed actions', async () => {
    const id = await newIncident();
    for (const action of ['confirm', 'reject']) {
      const res = await act(t.app, tokens.chief01, id, { action, note: 'x' });
      expectProblem(res, 409, ['handle', 'escalate', 'merge']);
    }
  });

  it('dispatch at grid level is 409: it is the command centre step', async () => {
    const id = await newIncident();
    expectProblem(await act(t.app, tokens.admin, id, { action: 'dispatch', department: 'municipal' }), 409, ['cancel', 'merge', 'defer']);
  });

  it('an unknown action is 400 naming the actions', async () => {
    const id = await newIncident();
    const res = await act(t.app, tokens.chief01, id, { action: 'archive' });
    expectProblem(res, 400);
    expect(res.body.detail).toMatch(/handle, escalate, dispatch/);
  });
});

describe('escalation, dispatch and verification', () => {
  it('grid → community: the community handles it and the chief confirms', async () => {
    const id = await newIncident();
    const up = await act(t.app, tokens.chief01, id, { action: 'escalate', note: 'Needs the community' });
    expect(up.body).toMatchObject({ status: 'open', level: 'community' });
    expectProblem(await act(t.app, tokens.chief01, id, { action: 'handle', note: 'x' }), 403, []);
    const handled = await act(t.app, tokens.community01, id, { action: 'handle', note: 'Talked to the shop owner' }, [await jpeg()]);
    expect(handled.body).toMatchObject({ status: 'handled', level: 'community' });
    expectProblem(await act(t.app, tokens.community01, id, { action: 'confirm' }), 403, []);
    expect((await act(t.app, tokens.chief01, id, { action: 'confirm' })).body.status).toBe('closed');
  });

  it('community → centre → department with a deadline; rework after a rejection counts; then closed', async () => {
    const id = await newIncident('0603');
    await act(t.app, tokens.chief01, id, { action: 'escalate' });
    expect((await act(t.app, tokens.community01, id, { action: 'escalate' })).body.level).toBe('centre');
    expectProblem(await act(t.app, tokens.community01, id, { action: 'escalate' }), 409, []);
    expectProblem(await act(t.app, tokens.admin, id, { action: 'dispatch' }), 400);
    const unknown = await act(t.app, tokens.admin, id, { action: 'dispatch', department: 'nasa' });
    expectProblem(unknown, 400);
    expect(unknown.body.detail).toMatch(/GET \/api\/departments/);
    const sent = await act(t.app, tokens.admin, id, { action: 'dispatch', department: 'municipal', deadline_hours: 10, note: 'Replace the lamp' });
    expect(sent.body).toMatchObject({ level: 'department', department: { code: 'municipal' }, assignee: { name: expect.any(String) } });
    // 10 working hours from the dispatch (the streetlight category counts working hours).
    const { rows: [sentRow] } = await t.db.knex.raw(`select due_at = deadline_after(dispatched_at, 10, 'working') as ok, due_at - dispatched_at >= interval '10 hours' as longer from incidents where id = ?`, [id]);
    expect(sentRow).toEqual({ ok: true, longer: true });
    expectProblem(await act(t.app, tokens.sanitation, id, { action: 'handle', note: 'x' }), 404);
    expect((await act(t.app, tokens.municipal, id, { action: 'handle', note: 'Lamp replaced' })).body.status).toBe('handled');
    const back = await act(t.app, tokens.chief01, id, { action: 'reject', note: 'Still dark at night' });
    expect(back.body).toMatchObject({ status: 'open', level: 'department', rework_count: 1 });
    await act(t.app, tokens.municipal, id, { action: 'handle', note: 'Cable fixed too' });
    const done = await act(t.app, tokens.chief01, id, { action: 'confirm' });
    expect(done.body).toMatchObject({ status: 'closed', rework_count: 1 });
    expect(done.body.history.map((h: { action: string }) => h.action)).toEqual(['report', 'escalate', 'escalate', 'dispatch', 'handle', 'reject', 'handle', 'confirm']);
    expect(await row(id)).toMatchObject({ status: 'closed', rework_count: 1, department_code: 'municipal' });
  });

  it('the command centre cancels with a reason (required); nothing is allowed afterwards (409)', async () => {
    const id = await newIncident();
    expectProblem(await act(t.app, tokens.admin, id, { action: 'cancel' }), 400);
    expect((await act(t.app, tokens.admin, id, { action: 'cancel', note: 'Not in our remit' })).body.status).toBe('cancelled');
    expectProblem(await act(t.app, tokens.chief01, id, { action: 'handle', note: 'x' }), 409, []);
    expect((await row(id)).closed_at).not.toBeNull();
  });

  it('the command centre defers the deadline with a reason', async () => {
    const id = await newIncident();
    const before = await row(id);
    const res = await act(t.app, tokens.admin, id, { action: 'defer', hours: 24, note: 'Waiting for parts' });
    expect(res.body.deferred).toBe(true);
    const after = await row(id);
    const { rows: [expected] } = await t.db.knex.raw(
      `select deadline_after(?::timestamptz, 24, c.deadline_kind) as due from incidents i join incident_categories c on c.code = i.category_code where i.id = ?`,
      [before.due_at, id],
    );
    expect(after.due_at.getTime()).toBe(new Date(expected.due).getTime());
    expect(after.deferred_reason).toBe('Waiting for parts');
  });
});

describe('merge', () => {
  it('the chief merges a duplicate into the original', async () => {
    const a = await newIncident();
    const b = await newIncident();
    const res = await act(t.app, tokens.chief01, b, { action: 'merge', into: a });
    expect(res.body).toMatchObject({ status: 'merged', merged_into: a });
    expect(await row(b)).toMatchObject({ status: 'merged', merged_into: a });
  });

  it('refuses a merge into itself (422) or into a finished incident (409)', async () => {
    const a = await newIncident();
    const b = await newIncident();
    expectProblem(await act(t.app, tokens.chief01, b, { action: 'merge', into: b }), 422);
    await act(t.app, tokens.admin, a, { action: 'cancel', note: 'duplicate call' });
    expectProblem(await act(t.app, tokens.chief01, b, { action: 'merge', into: a }), 409);
    expect((await row(b)).status).toBe('open');
  });
});

describe('concurrency', () => {
  it('of two people acting at once on the same version, exactly one wins and the other gets 409', async () => {
    const id = await newIncident();
    const [a, b] = await Promise.all([
      act(t.app, tokens.chief01, id, { action: 'escalate', version: 1 }),
      act(t.app, tokens.admin, id, { action: 'cancel', note: 'not valid', version: 1 }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const r = await row(id);
    expect(r.version).toBe(2);
    const events = await t.db.knex('incident_events').where({ incident_id: id });
    expect(events).toHaveLength(2);
  });

  it('a double-clicked escalate: one goes through, the second is 409 incident_changed, not 403', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await newIncident();
      const results = await Promise.all([act(t.app, tokens.chief01, id, { action: 'escalate' }), act(t.app, tokens.chief01, id, { action: 'escalate' })]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(results.find((r) => r.status === 409)!.body).toMatchObject({ code: 'incident_changed', allowed_actions: [] });
      expect(await row(id)).toMatchObject({ level: 'community', version: 2 });
    }
    // Without a step in between, not being the one who may act is still 403.
    const id = await newIncident();
    expectProblem(await act(t.app, tokens.community01, id, { action: 'escalate' }), 403);
  });

  it('A merged into B while B is merged into A: one merge goes through, one case stays open (20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      const a = await newIncident();
      const b = await newIncident();
      const results = await Promise.all([act(t.app, tokens.chief01, a, { action: 'merge', into: b }), act(t.app, tokens.chief01, b, { action: 'merge', into: a })]);
      expect(results.map((r) => r.status).sort(), `round ${round}`).toEqual([200, 409]);
      const statuses = [(await row(a)).status, (await row(b)).status].sort();
      expect(statuses, `round ${round}`).toEqual(['merged', 'open']);
    }
  });

  it('A merged into B while B is cancelled: never a merge into a case already cancelled (20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      const a = await newIncident();
      const b = await newIncident();
      const [merge] = await Promise.all([act(t.app, tokens.chief01, a, { action: 'merge', into: b }), act(t.app, tokens.admin, b, { action: 'cancel', note: 'not a case' })]);
      const events = await t.db.knex('incident_events').whereIn('incident_id', [a, b]).whereIn('action', ['merge', 'cancel']).orderBy('id').select('action');
      if (merge.status === 200) expect(events.map((e) => e.action), `round ${round}`).toEqual(['merge', 'cancel']);
      else {
        expect(merge.body.code, `round ${round}`).toBe('merge_target_closed');
        expect((await row(a)).status).toBe('open');
      }
    }
  });

  it('ten simultaneous handles of one incident: one succeeds', async () => {
    const id = await newIncident();
    const photo = await jpeg();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => act(t.app, tokens.chief01, id, { action: 'handle', note: `try ${i}` }, [photo])));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    expect((await t.db.knex('incident_events').where({ incident_id: id, action: 'handle' })).length).toBe(1);
  });

  it('a stale version is 409 with the current version', async () => {
    const id = await newIncident();
    await act(t.app, tokens.chief01, id, { action: 'escalate' });
    const res = await act(t.app, tokens.community01, id, { action: 'handle', note: 'x', version: 1 });
    expectProblem(res, 409);
    expect(res.body.current_version).toBe(2);
  });
});
