import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, testApp, useTestApp } from '../../test/app.js';
import { act, jpeg, pointIn, report, tempDataDir } from './test_helpers.js';

const GRID = '210103007001001';
const dataDir = tempDataDir();
// Many public posts in this file; the limit itself is tested on apps of their own.
const t = useTestApp({ dataDir, publicReportsPerHour: 1000 });
let chief: string;

beforeAll(async () => {
  chief = await loginAs(t.app, 'chief01');
});

describe('POST /api/public/incidents', () => {
  it('takes a resident report without an account, keeps the contact private and answers a receipt', async () => {
    const p = await pointIn(t.db, GRID);
    const res = await request(t.app)
      .post('/api/public/incidents')
      .send({ category: '0101', description: 'Rubbish by the gate', lon: p.lon, lat: p.lat, contact: { name: '王女士', phone: '13800001111' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'open', level: 'grid', grid: { code: GRID }, case_no: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toMatch(/13800001111|王女士/);
    const row = await t.db.knex('incidents').where({ id: res.body.id }).first();
    expect(row).toMatchObject({ source: 'resident', reporter_user_id: null, reporter_contact: { name: '王女士', phone: '13800001111' } });
    // The chief in scope sees the contact to call back.
    const detail = await request(t.app).get(`/api/incidents/${res.body.id}`).set('Authorization', `Bearer ${chief}`);
    expect(detail.body.reporter.contact).toEqual({ name: '王女士', phone: '13800001111' });
    expect(detail.body.source).toBe('resident');
  });

  it('accepts a multipart form with contact fields', async () => {
    const p = await pointIn(t.db, GRID);
    const res = await request(t.app)
      .post('/api/public/incidents')
      .field('category', '0104')
      .field('lon', String(p.lon))
      .field('lat', String(p.lat))
      .field('contact_phone', '13800002222');
    expect(res.status).toBe(201);
    expect((await t.db.knex('incidents').where({ id: res.body.id }).first()).reporter_contact).toEqual({ phone: '13800002222' });
  });

  it('refuses a bad phone with 400', async () => {
    const p = await pointIn(t.db, GRID);
    const res = await request(t.app).post('/api/public/incidents').send({ category: '0101', lon: p.lon, lat: p.lat, contact: { phone: 'call me' } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/contact.phone/);
  });

  it('limits reports per client: over the limit is 429 problem+json', async () => {
    const limited = testApp(t.db, { dataDir, publicReportsPerHour: 2 });
    const p = await pointIn(t.db, GRID);
    const send = () => request(limited).post('/api/public/incidents').send({ category: '0101', lon: p.lon, lat: p.lat });
    expect((await send()).status).toBe(201);
    expect((await send()).status).toBe(201);
    const third = await send();
    expect(third.status).toBe(429);
    expect(third.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(third.body.detail).toMatch(/at most 2 an hour/);
  });
});

describe('GET /api/public/incidents/{case_no}', () => {
  it('answers status and steps without notes, people or contacts', async () => {
    const p = await pointIn(t.db, GRID);
    const made = await request(t.app).post('/api/public/incidents').send({ category: '0101', lon: p.lon, lat: p.lat, contact: { phone: '13800003333' } });
    await act(t.app, chief, made.body.id, { action: 'handle', note: 'Called 13800003333, cleaned up' }, [await jpeg()]);
    const res = await request(t.app).get(`/api/public/incidents/${made.body.case_no}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      case_no: made.body.case_no, status: 'handled', level: 'grid', category: { code: '0101' }, grid: { code: GRID },
      history: [{ action: 'report', to_status: 'open' }, { action: 'handle', to_status: 'handled' }],
    });
    expect(JSON.stringify(res.body)).not.toMatch(/13800003333|Called|reporter|assignee|phone/);
  });

  it('answers 404 for an unknown case number and 400 for a malformed one', async () => {
    expect((await request(t.app).get('/api/public/incidents/19990101999999')).status).toBe(404);
    expect((await request(t.app).get('/api/public/incidents/abc')).status).toBe(400);
  });
});

const tokens: Record<string, string> = {};
beforeAll(async () => {
  for (const u of ['community01', 'admin', 'sanitation']) tokens[u] = await loginAs(t.app, u);
});

/** A resident's report in GRID with one photo; answers the receipt. */
async function residentReport(category = '0101', extra: Record<string, string> = {}) {
  const p = await pointIn(t.db, GRID, 60);
  const req = request(t.app).post('/api/public/incidents').field('category', category).field('lon', String(p.lon)).field('lat', String(p.lat));
  for (const [k, v] of Object.entries(extra)) req.field(k, v);
  const res = await req.attach('photos', await jpeg(), { filename: 'found.jpg' });
  expect(res.status).toBe(201);
  return res.body as { id: number; case_no: string; check_code: string; track_url: string };
}

const track = (caseNo: string, k?: string) => request(t.app).get(`/api/public/incidents/${caseNo}`).query(k === undefined ? {} : { k });

/** Take a case the whole way: escalated, dispatched to sanitation, handled there, confirmed by the chief. */
async function closeByDepartment(id: number) {
  await act(t.app, chief, id, { action: 'escalate' });
  await act(t.app, tokens.community01, id, { action: 'escalate' });
  await act(t.app, tokens.admin, id, { action: 'dispatch', department: 'sanitation' });
  expect((await act(t.app, tokens.sanitation, id, { action: 'handle', note: 'Cleared; the shop owner 13800005555 was told' }, [await jpeg()])).status).toBe(200);
  expect((await act(t.app, chief, id, { action: 'confirm' })).body.status).toBe('closed');
}

describe('the check code', () => {
  it('is on the resident’s receipt with the track page, and stored with the incident', async () => {
    const r = await residentReport();
    expect(r.check_code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/);
    expect(r.track_url).toBe(`/#/track/${r.case_no}?k=${r.check_code}`);
    expect(await t.db.knex('incidents').where({ id: r.id }).first('check_code')).toEqual({ check_code: r.check_code });
  });

  it('opens the details: description, photos, closure note, rating; without it details are null', async () => {
    const r = await residentReport('0101', { description: 'Bags by the gate' });
    const plain = await track(r.case_no);
    expect(plain.status).toBe(200);
    expect(plain.body.details).toBeNull();
    expect(JSON.stringify(plain.body)).not.toMatch(/Bags by the gate|photos/);
    const res = await track(r.case_no, r.check_code);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const photo = `/api/public/incidents/${r.case_no}/photos/1?k=${r.check_code}`;
    expect(res.body.details).toEqual({
      description: 'Bags by the gate', photos: [{ n: 1, step: 'report', url: photo, thumb_url: `${photo}&size=thumb`, at: expect.any(String) }],
      closure_note: null, closed_at: null, rating: null,
    });
    // Typed from the receipt by hand: lower case does as well.
    expect((await track(r.case_no, r.check_code.toLowerCase())).body.details).not.toBeNull();
  });

  it('answers 403 check_code_wrong for a wrong code', async () => {
    const r = await residentReport();
    const wrong = r.check_code === 'ZZZZZZ' ? 'YYYYYY' : 'ZZZZZZ';
    const res = await track(r.case_no, wrong);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'check_code_wrong', params: { case_no: r.case_no } });
    expect(JSON.stringify(res.body)).not.toContain(r.check_code);
  });

  it('shows who has the case after each step, and the closure note without phone numbers', async () => {
    const r = await residentReport();
    await closeByDepartment(r.id);
    const res = await track(r.case_no, r.check_code);
    const names = await t.db.knex('areas').whereIn('code', [GRID, GRID.slice(0, 12)]).whereNull('valid_to').select('code', 'name', 'name_en');
    const name = Object.fromEntries(names.map((a: { code: string; name: string; name_en: string }) => [a.code, [a.name, a.name_en]]));
    expect(res.body.history.map((h: { action: string; holder: Record<string, unknown> }) => [h.action, h.holder])).toEqual([
      ['report', { kind: 'grid', name: name[GRID][0], name_en: name[GRID][1] }],
      ['escalate', { kind: 'community', name: name[GRID.slice(0, 12)][0], name_en: name[GRID.slice(0, 12)][1] }],
      ['escalate', { kind: 'centre', name: '指挥中心', name_en: 'Command centre' }],
      ['dispatch', { kind: 'department', name: '环卫中心', name_en: 'Sanitation Centre' }],
      // Handled: back with the grid's chief to confirm it.
      ['handle', { kind: 'grid', name: name[GRID][0], name_en: name[GRID][1] }],
      ['confirm', { kind: null, name: null, name_en: null }],
    ]);
    expect(res.body.details).toMatchObject({ closure_note: 'Cleared; the shop owner *** was told', closed_at: expect.any(String) });
    expect(res.body.details.photos.map((p: { n: number; step: string }) => [p.n, p.step])).toEqual([[1, 'report'], [2, 'handling']]);
    expect(JSON.stringify(res.body)).not.toMatch(/13800005555/);
  });
});

describe('GET /api/public/incidents/{case_no}/photos/{n}', () => {
  it('serves a photo with the check code, and not once staff hid it', async () => {
    const r = await residentReport();
    const url = `/api/public/incidents/${r.case_no}/photos/1`;
    const img = await request(t.app).get(url).query({ k: r.check_code }).buffer(true);
    expect(img.status).toBe(200);
    expect(img.headers['content-type']).toBe('image/jpeg');
    const thumb = await request(t.app).get(url).query({ k: r.check_code, size: 'thumb' });
    expect(thumb.headers['content-type']).toBe('image/webp');
    expect((await request(t.app).get(url).query({ k: 'ZZZZZ2' === r.check_code ? 'ZZZZZ3' : 'ZZZZZ2' })).status).toBe(403);
    expect((await request(t.app).get(url)).status).toBe(400);
    expect((await request(t.app).get(`/api/public/incidents/${r.case_no}/photos/2`).query({ k: r.check_code })).body.code).toBe('photo_not_found');
    const hide = await request(t.app).post(`/api/incidents/${r.id}/photos/1/visibility`).set('Authorization', `Bearer ${chief}`).send({ hidden: true, reason: 'Licence plate' });
    expect(hide.status).toBe(200);
    const hidden = await request(t.app).get(url).query({ k: r.check_code });
    expect([hidden.status, hidden.body.code]).toEqual([404, 'photo_not_found']);
    const view = await track(r.case_no, r.check_code);
    expect(view.body.details.photos).toEqual([]);
    expect(view.body.history.map((h: { action: string }) => h.action)).toEqual(['report']);
  });
});

describe('GET /api/public/incidents/nearby', () => {
  it('lists the open reports of the category nearby, nearest first, without description, photos or people', async () => {
    const p = await pointIn(t.db, '210103007001002', 80);
    const category = '0503';
    const far = await request(t.app).post('/api/public/incidents').send({ category, description: 'far one', lon: p.lon + 0.0003, lat: p.lat, contact: { phone: '13800006666' } });
    const near = await request(t.app).post('/api/public/incidents').send({ category, description: 'near one', lon: p.lon + 0.0001, lat: p.lat });
    const other = await request(t.app).post('/api/public/incidents').send({ category: '0502', lon: p.lon, lat: p.lat });
    const closed = await request(t.app).post('/api/public/incidents').send({ category, lon: p.lon, lat: p.lat });
    await act(t.app, tokens.admin, closed.body.id, { action: 'cancel', note: 'not a case' });
    const res = await request(t.app).get('/api/public/incidents/nearby').query({ lon: p.lon, lat: p.lat, category, radius_m: 100 });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const mine = res.body.items.filter((i: { case_no: string }) => [far.body.case_no, near.body.case_no, other.body.case_no, closed.body.case_no].includes(i.case_no));
    expect(mine.map((i: { case_no: string }) => i.case_no)).toEqual([near.body.case_no, far.body.case_no]);
    expect(mine[0]).toEqual({
      case_no: near.body.case_no, category: { code: category, name: expect.any(String), name_en: 'Materials piled in public space' }, status: 'open',
      distance_m: expect.any(Number), reported_at: expect.any(String), supporters: 0,
    });
    expect(mine[0].distance_m).toBeGreaterThan(5);
    expect(mine[0].distance_m).toBeLessThan(12);
    expect(JSON.stringify(res.body)).not.toMatch(/far one|near one|13800006666|check_code|photo/);
    // The default radius is the duplicate radius (50 m): the far one, about 25 m off, is in; 10 m leaves it out.
    const narrow = await request(t.app).get('/api/public/incidents/nearby').query({ lon: p.lon, lat: p.lat, category, radius_m: 10 });
    expect(narrow.body.items.map((i: { case_no: string }) => i.case_no)).toContain(near.body.case_no);
    expect(narrow.body.items.map((i: { case_no: string }) => i.case_no)).not.toContain(far.body.case_no);
  });

  it.each([
    ['no category', { lon: '123.43', lat: '41.8' }, 'validation_failed'],
    ['an unknown category', { lon: '123.43', lat: '41.8', category: '9999' }, 'category_unknown'],
    ['a radius over 500 m', { lon: '123.43', lat: '41.8', category: '0101', radius_m: '501' }, 'validation_failed'],
    ['swapped coordinates', { lon: '41.8', lat: '123.43', category: '0101' }, 'validation_failed'],
  ])('refuses %s with 400', async (_name, query, code) => {
    const res = await request(t.app).get('/api/public/incidents/nearby').query(query);
    expect([res.status, res.body.code]).toEqual([400, code]);
  });
});

describe('POST /api/public/incidents/{case_no}/supporters', () => {
  it('counts a resident who joins the case, with a supported step; the phone stays private', async () => {
    const r = await residentReport();
    const res = await request(t.app).post(`/api/public/incidents/${r.case_no}/supporters`).send({ contact_phone: '13800007777' });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ case_no: r.case_no, supporters: 1 });
    expect((await request(t.app).post(`/api/public/incidents/${r.case_no}/supporters`).send({})).body.supporters).toBe(2);
    const row = await t.db.knex('incidents').where({ id: r.id }).first('supporters', 'version');
    expect(row).toEqual({ supporters: 2, version: 1 });
    expect(await t.db.knex('incident_supporters').where({ incident_id: r.id }).orderBy('id').pluck('contact_phone')).toEqual(['13800007777', null]);
    const staff = await request(t.app).get(`/api/incidents/${r.id}`).set('Authorization', `Bearer ${chief}`);
    expect(staff.body.supporters).toBe(2);
    expect(staff.body.history.map((h: { action: string }) => h.action)).toEqual(['report', 'supported', 'supported']);
    const list = await request(t.app).get(`/api/incidents?grid=${GRID}&limit=500`).set('Authorization', `Bearer ${chief}`);
    expect(list.body.items.find((i: { id: number }) => i.id === r.id).supporters).toBe(2);
    const view = await track(r.case_no);
    expect(view.body.supporters).toBe(2);
    expect(view.body.history.map((h: { action: string }) => h.action)).toEqual(['report', 'supported', 'supported']);
    expect(JSON.stringify(view.body)).not.toMatch(/13800007777/);
  });

  it('refuses a finished case (409 incident_not_open), an unknown one (404) and a bad phone (400)', async () => {
    const r = await residentReport();
    await act(t.app, tokens.admin, r.id, { action: 'cancel', note: 'not our case' });
    const res = await request(t.app).post(`/api/public/incidents/${r.case_no}/supporters`).send({});
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'incident_not_open', params: { case_no: r.case_no, status: 'cancelled' } });
    expect((await request(t.app).post('/api/public/incidents/19990101999999/supporters').send({})).status).toBe(404);
    expect((await request(t.app).post(`/api/public/incidents/${r.case_no}/supporters`).send({ contact_phone: 'call me' })).status).toBe(400);
    expect(await t.db.knex('incident_supporters').where({ incident_id: r.id }).count('* as n').first()).toEqual({ n: 0 });
  });

  it('is limited per client with the public reports', async () => {
    const limited = testApp(t.db, { dataDir, publicReportsPerHour: 1 });
    const r = await residentReport();
    const send = () => request(limited).post(`/api/public/incidents/${r.case_no}/supporters`).send({});
    expect((await send()).status).toBe(201);
    const second = await send();
    expect([second.status, second.body.code]).toEqual([429, 'too_many_reports']);
  });
});

describe('POST /api/public/incidents/{case_no}/rating', () => {
  it('takes one rating of a closed case with its check code, shown in the details and to staff', async () => {
    const r = await residentReport();
    const early = await request(t.app).post(`/api/public/incidents/${r.case_no}/rating`).send({ k: r.check_code, rating: 'satisfied' });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'incident_not_closed', params: { case_no: r.case_no, status: 'open' } });
    await closeByDepartment(r.id);
    const wrong = await request(t.app).post(`/api/public/incidents/${r.case_no}/rating`).send({ k: r.check_code === 'ZZZZZZ' ? 'YYYYYY' : 'ZZZZZZ', rating: 'dissatisfied' });
    expect([wrong.status, wrong.body.code]).toEqual([403, 'check_code_wrong']);
    const res = await request(t.app).post(`/api/public/incidents/${r.case_no}/rating`).send({ k: r.check_code, rating: 'basically_satisfied', comment: 'Took a while' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ case_no: r.case_no, rating: 'basically_satisfied' });
    expect(await t.db.knex('incident_ratings').where({ incident_id: r.id }).select('rating', 'comment')).toEqual([{ rating: 'basically_satisfied', comment: 'Took a while' }]);
    const again = await request(t.app).post(`/api/public/incidents/${r.case_no}/rating`).send({ k: r.check_code, rating: 'dissatisfied' });
    expect([again.status, again.body.code]).toEqual([409, 'already_rated']);
    expect((await track(r.case_no, r.check_code)).body.details.rating).toBe('basically_satisfied');
    expect(JSON.stringify((await track(r.case_no, r.check_code)).body)).not.toMatch(/Took a while/);
    const staff = await request(t.app).get(`/api/incidents/${r.id}`).set('Authorization', `Bearer ${chief}`);
    expect(staff.body.rating).toEqual({ rating: 'basically_satisfied', comment: 'Took a while', at: expect.any(String) });
  });

  it('of two ratings sent at once, keeps one', async () => {
    const r = await residentReport('0603');
    await act(t.app, chief, r.id, { action: 'handle', note: 'Bulb changed' });
    await act(t.app, chief, r.id, { action: 'confirm' });
    const answers = await Promise.all(['satisfied', 'dissatisfied'].map((rating) => request(t.app).post(`/api/public/incidents/${r.case_no}/rating`).send({ k: r.check_code, rating })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    expect(await t.db.knex('incident_ratings').where({ incident_id: r.id }).count('* as n').first()).toEqual({ n: 1 });
  });
});

/** Open an SSE stream and collect its `incident` events. */
async function openStream(app: ReturnType<typeof testApp>, token: string) {
  const server = app.listen(0);
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  const controller = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}/api/incidents/stream`, { headers: { Authorization: `Bearer ${token}` }, signal: controller.signal });
  const events: Array<Record<string, unknown>> = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (block.includes('event: incident') && data) events.push(JSON.parse(data.slice(6)));
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    res,
    events,
    async until(pred: (e: Record<string, unknown>) => boolean, ms = 5000) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if (events.some(pred)) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('event not received');
    },
    async close() {
      controller.abort();
      await pump;
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('GET /api/incidents/stream', () => {
  it('streams new and changed incidents in the viewer’s scope, and not others', async () => {
    const mine = await openStream(t.app, chief);
    const other = await openStream(t.app, await loginAs(t.app, 'chief20'));
    try {
      expect(mine.res.status).toBe(200);
      expect(mine.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const p = await pointIn(t.db, GRID, 60);
      const made = await report(t.app, chief, { category: '0101', lon: p.lon, lat: p.lat });
      await mine.until((e) => e.id === made.body.id && e.type === 'created');
      await act(t.app, chief, made.body.id, { action: 'escalate' });
      await mine.until((e) => e.id === made.body.id && e.type === 'updated' && e.level === 'community');
      expect(mine.events.find((e) => e.id === made.body.id)).toMatchObject({ case_no: made.body.case_no, grid_code: GRID, status: 'open' });
      expect(JSON.stringify(mine.events)).not.toMatch(/contact|phone/);
      expect(other.events.filter((e) => e.id === made.body.id)).toEqual([]);
    } finally {
      await mine.close();
      await other.close();
    }
  });

  it('needs a session', async () => {
    expect((await request(t.app).get('/api/incidents/stream')).status).toBe(401);
  });

  // Two apps over one database stand for two server processes behind a load balancer: a report made
  // through one streams from the other, by LISTEN/NOTIFY (native: a connection each; embedded: PGlite's).
  it('streams changes made through another server process (LISTEN/NOTIFY)', async () => {
    const other = testApp(t.db, { dataDir });
    const stream = await openStream(other, await loginAs(other, 'chief01'));
    try {
      const p = await pointIn(t.db, GRID, 60);
      // The other app starts listening with its first stream; report until its LISTEN is in place.
      let made: request.Response | undefined;
      for (let i = 0; i < 50 && !made; i++) {
        const res = await report(t.app, chief, { category: '0101', lon: p.lon, lat: p.lat });
        try {
          await stream.until((e) => e.id === res.body.id && e.type === 'created', 200);
          made = res;
        } catch {
          // not relayed yet: the LISTEN is not in place
        }
      }
      expect(made).toBeDefined();
      await act(t.app, chief, made!.body.id, { action: 'escalate' });
      await stream.until((e) => e.id === made!.body.id && e.type === 'updated' && e.level === 'community');
      expect(stream.events.filter((e) => e.id === made!.body.id && e.type === 'created')).toHaveLength(1);
    } finally {
      await stream.close();
    }
  });
});

describe('what the public and each role see of a case (one rule: workflow.ts mayContactReporter, isPublicReport)', () => {
  it('the reporter’s contact: the chief, the community and the centre who call back; not the department it is dispatched to, nor a planner', async () => {
    const p = await pointIn(t.db, GRID);
    const filed = await request(t.app).post('/api/public/incidents').send({ category: '0101', description: 'Rubbish', lon: p.lon, lat: p.lat, contact: { name: '赵先生', phone: '13800005555' } });
    const id = filed.body.id;
    const tokens = Object.fromEntries(await Promise.all(['community01', 'admin', 'municipal', 'planner'].map(async (u) => [u, await loginAs(t.app, u)] as const)));
    await act(t.app, chief, id, { action: 'escalate' });
    await act(t.app, tokens.community01, id, { action: 'escalate' });
    await act(t.app, tokens.admin, id, { action: 'dispatch', department: 'municipal' });
    const contactOf = async (token: string) => (await request(t.app).get(`/api/incidents/${id}`).set('Authorization', `Bearer ${token}`)).body.reporter?.contact;
    expect(await contactOf(chief)).toEqual({ name: '赵先生', phone: '13800005555' });
    expect(await contactOf(tokens.community01)).toEqual({ name: '赵先生', phone: '13800005555' });
    expect(await contactOf(tokens.admin)).toEqual({ name: '赵先生', phone: '13800005555' });
    const dept = await request(t.app).get(`/api/incidents/${id}`).set('Authorization', `Bearer ${tokens.municipal}`);
    expect(dept.status).toBe(200);
    expect(dept.body.reporter.contact).toBeNull();
    expect(JSON.stringify(dept.body)).not.toMatch(/13800005555|赵先生/);
    const planner = await request(t.app).get(`/api/incidents/${id}`).set('Authorization', `Bearer ${tokens.planner}`);
    expect(planner.status).toBe(200);
    expect(planner.body.reporter.contact).toBeNull();
    expect(JSON.stringify(planner.body)).not.toMatch(/13800005555|赵先生/);
  });

  it('Open311 shows a staff patrol report’s category, status and place, never its description; a resident report’s description, digits redacted', async () => {
    const p = await pointIn(t.db, GRID);
    const patrol = await report(t.app, chief, { category: '0101', description: 'Shop owner Liu at No. 12 keeps dumping, warned twice', lon: p.lon, lat: p.lat });
    const resident = await request(t.app).post('/api/public/incidents').send({ category: '0101', description: 'Bags by gate 3, call 13800006666', lon: p.lon, lat: p.lat });
    const listed = (await request(t.app).get(`/open311/v2/requests.json?service_request_id=${patrol.body.id},${resident.body.id}`)).body as { service_request_id: string; description: string; status: string; lat: number }[];
    const byId = new Map(listed.map((r) => [Number(r.service_request_id), r]));
    expect(byId.get(patrol.body.id)).toMatchObject({ description: '', status: 'open', lat: expect.any(Number) });
    expect(byId.get(resident.body.id)!.description).toMatch(/^Bags by gate/);
    expect(byId.get(resident.body.id)!.description).not.toMatch(/13800006666/);
    const one = (await request(t.app).get(`/open311/v2/requests/${patrol.body.id}.json`)).body;
    expect(one[0].description).toBe('');
    expect(JSON.stringify(one)).not.toMatch(/Liu|dumping/);
  });
});
