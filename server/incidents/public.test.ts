import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, testApp, useTestApp } from '../../test/app.js';
import { act, jpeg, pointIn, report, tempDataDir } from './test_helpers.js';

const GRID = '210103007001001';
const dataDir = tempDataDir();
const t = useTestApp({ dataDir });
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
