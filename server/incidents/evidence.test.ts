import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';
import { act, jpeg, pointIn, tempDataDir } from './test_helpers.js';

const GRID = '210103007001001';
const t = useTestApp({ dataDir: tempDataDir() });
const tokens: Record<string, string> = {};

beforeAll(async () => {
  for (const u of ['chief01', 'chief02', 'admin', 'planner']) tokens[u] = await loginAs(t.app, u);
});

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A new incident in GRID reported by its chief with one photo; answers its id. */
async function reportedWithPhoto(category = '0101'): Promise<number> {
  const p = await pointIn(t.db, GRID, 60);
  const res = await request(t.app)
    .post('/api/incidents')
    .set(auth(tokens.chief01))
    .field('category', category)
    .field('lon', String(p.lon))
    .field('lat', String(p.lat))
    .attach('photos', await jpeg(), { filename: 'found.jpg' });
  expect(res.status).toBe(201);
  return res.body.id;
}

const detail = async (id: number, token = tokens.chief01) => (await request(t.app).get(`/api/incidents/${id}`).set(auth(token))).body;
const setVisibility = (id: number, n: number, body: Record<string, unknown>, token = tokens.chief01) =>
  request(t.app).post(`/api/incidents/${id}/photos/${n}/visibility`).set(auth(token)).send(body);

describe('the photos of an incident', () => {
  it('carry the step they came with: the report, the handling, and the rework after a rejection', async () => {
    const id = await reportedWithPhoto();
    expect((await act(t.app, tokens.chief01, id, { action: 'handle', note: 'Swept' }, [await jpeg()])).status).toBe(200);
    expect((await act(t.app, tokens.chief01, id, { action: 'reject', note: 'Still a bag left' }, [await jpeg()])).status).toBe(200);
    expect((await act(t.app, tokens.chief01, id, { action: 'handle', note: 'Bag gone too' }, [await jpeg(), await jpeg()])).status).toBe(200);
    const d = await detail(id);
    expect(d.photos.map((p: Record<string, unknown>) => [p.n, p.step, p.action, p.hidden])).toEqual([
      [1, 'report', 'report', false],
      [2, 'handling', 'handle', false],
      [3, 'handling', 'reject', false],
      [4, 'rework', 'handle', false],
      [5, 'rework', 'handle', false],
    ]);
    expect(d.photos[0]).toEqual({
      n: 1, url: `/api/incidents/${id}/photos/1`, thumb_url: `/api/incidents/${id}/photos/1?size=thumb`, media_type: 'image/jpeg', width: 64, height: 32,
      step: 'report', action: 'report', at: expect.any(String), hidden: false,
    });
    const stored = await t.db.knex('incident_photos').where({ incident_id: id }).orderBy('n').select('created_at');
    expect(d.photos.map((p: { at: string }) => p.at)).toEqual(stored.map((r: { created_at: Date }) => r.created_at.toISOString()));
  });
});

describe('POST /api/incidents/{id}/photos/{n}/visibility', () => {
  it('hides a photo with a reason in the history, keeps it for staff, and shows it again', async () => {
    const id = await reportedWithPhoto();
    const res = await setVisibility(id, 1, { hidden: true, reason: 'A face is recognisable' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ n: 1, hidden: true, step: 'report', url: `/api/incidents/${id}/photos/1` });
    expect(await t.db.knex('incident_photos').where({ incident_id: id, n: 1 }).first('hidden')).toEqual({ hidden: true });
    const d = await detail(id);
    expect(d.version).toBe(1);
    expect(d.photos[0].hidden).toBe(true);
    // The detail tells the screens whether the viewer may do this.
    expect(d.may_hide_photos).toBe(true);
    expect(d.history.at(-1)).toMatchObject({
      action: 'photo_hidden', note: 'A face is recognisable', actor: expect.any(String), from_status: 'open', to_status: 'open', photos: [`/api/incidents/${id}/photos/1`],
    });
    // Staff still get the image.
    expect((await request(t.app).get(`/api/incidents/${id}/photos/1`).set(auth(tokens.chief01))).status).toBe(200);
    // Hiding what is hidden records nothing.
    expect((await setVisibility(id, 1, { hidden: true, reason: 'again' })).status).toBe(200);
    expect((await t.db.knex('incident_events').where({ incident_id: id }).pluck('action'))).toEqual(['report', 'photo_hidden']);
    const shown = await setVisibility(id, 1, { hidden: false, reason: 'Face blurred by the photographer' }, tokens.admin);
    expect(shown.body.hidden).toBe(false);
    expect((await detail(id)).history.at(-1)).toMatchObject({ action: 'photo_shown', note: 'Face blurred by the photographer' });
  });

  it('is for those who work the incident: a planner may not (403), another chief does not see it (404)', async () => {
    const id = await reportedWithPhoto();
    const planner = await setVisibility(id, 1, { hidden: true, reason: 'x' }, tokens.planner);
    expect(planner.status).toBe(403);
    expect(planner.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(planner.body).toMatchObject({ code: 'photo_visibility_not_yours', params: { id } });
    expect((await request(t.app).get(`/api/incidents/${id}`).set(auth(tokens.planner))).body.may_hide_photos).toBe(false);
    expect((await setVisibility(id, 1, { hidden: true, reason: 'x' }, tokens.chief02)).body.code).toBe('incident_not_found');
    expect(await t.db.knex('incident_photos').where({ incident_id: id, n: 1 }).first('hidden')).toEqual({ hidden: false });
  });

  it('answers 404 for a photo the incident does not have and 400 without a reason', async () => {
    const id = await reportedWithPhoto();
    const missing = await setVisibility(id, 9, { hidden: true, reason: 'x' });
    expect([missing.status, missing.body.code]).toEqual([404, 'photo_not_found']);
    const noReason = await setVisibility(id, 1, { hidden: true, reason: ' ' });
    expect([noReason.status, noReason.body.code]).toEqual([400, 'validation_failed']);
    expect(noReason.body.detail).toMatch(/reason is required/);
    expect(await t.db.knex('incident_events').where({ incident_id: id }).pluck('action')).toEqual(['report']);
  });
});

describe('GET /api/incident-categories', () => {
  it('says which categories need a photo of the result to be handled', async () => {
    const res = await request(t.app).get('/api/incident-categories');
    expect(res.status).toBe(200);
    const flag = Object.fromEntries(res.body.map((c: { code: string; handle_requires_photo: boolean }) => [c.code, c.handle_requires_photo]));
    expect(flag).toMatchObject({ '0101': true, '0103': true, '0401': true, '0602': true, '0603': false, '0104': false });
  });
});
