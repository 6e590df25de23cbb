import 'fake-indexeddb/auto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api.js';
import { IDEMPOTENCY_HEADER, createOutbox, newKey } from './outbox.js';

/** One request as the test server got it: its key and its form, parsed back. */
interface Received {
  key: string | undefined;
  form: FormData;
}

/** A local server that takes posts and answers what `answer` says; it can be stopped and started on its port to play "no signal". */
async function intake(answer: (n: number) => { status: number; body: unknown } = () => ({ status: 201, body: { case_no: '2026000001' } })) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const form = await new Response(Buffer.concat(chunks), { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
      received.push({ key: req.headers[IDEMPOTENCY_HEADER.toLowerCase()] as string | undefined, form });
      const { status, body } = answer(received.length);
      res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/public/incidents`,
    received,
    stop: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
    start: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
  };
}

/** A report's form with a photo. */
function reportForm(description = '井盖破损'): FormData {
  const form = new FormData();
  form.set('category', '0101');
  form.set('description', description);
  form.set('lon', '123.45');
  form.set('lat', '41.8');
  form.set('photos', new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])], { type: 'image/jpeg' }), 'cover.jpg');
  return form;
}

let dbCount = 0;
/** An outbox over a database of its own. */
const freshOutbox = () => createOutbox({ dbName: `outbox-test-${++dbCount}` });

let servers: Awaited<ReturnType<typeof intake>>[] = [];
const serve = async (...args: Parameters<typeof intake>) => {
  const s = await intake(...args);
  servers.push(s);
  return s;
};

beforeEach(() => {
  vi.stubGlobal('localStorage', { getItem: () => 'en', setItem: () => undefined, removeItem: () => undefined });
  vi.stubGlobal('navigator', { onLine: true, languages: ['en'], language: 'en' });
});

afterEach(async () => {
  vi.unstubAllGlobals();
  for (const s of servers) await s.stop().catch(() => undefined);
  servers = [];
});

describe('send', () => {
  it('posts the form with a fresh Idempotency-Key and answers the server\'s answer', async () => {
    const server = await serve();
    const outbox = freshOutbox();
    const first = await outbox.send(server.url, reportForm(), { label: 'cover' });
    await outbox.send(server.url, reportForm(), { label: 'cover again' });
    expect(first).toEqual({ status: 'sent', body: { case_no: '2026000001' } });
    expect(server.received[0].key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(server.received[1].key).not.toBe(server.received[0].key);
    expect(server.received[0].form.get('description')).toBe('井盖破损');
    expect(await outbox.pending()).toEqual([]);
  });

  it('keeps the form, its photo and its key when the server cannot be reached', async () => {
    const server = await serve();
    await server.stop();
    const outbox = freshOutbox();
    const r = await outbox.send(server.url, reportForm(), { label: '井盖破损' });
    expect(r.status).toBe('queued');
    const [p] = await outbox.pending();
    expect(p).toMatchObject({ id: (r as { id: string }).id, url: server.url, label: '井盖破损', attempts: 0, failed: false });
  });

  it('keeps the form without trying when the browser says it is offline', async () => {
    const server = await serve();
    vi.stubGlobal('navigator', { onLine: false, languages: ['en'], language: 'en' });
    const outbox = freshOutbox();
    const r = await outbox.send(server.url, reportForm(), { label: 'offline' });
    expect(r.status).toBe('queued');
    expect(server.received).toEqual([]);
  });

  it('throws the problem of an error answer and keeps nothing', async () => {
    const server = await serve(() => ({ status: 400, body: { status: 400, code: 'invalid_body', detail: 'category is required' } }));
    const outbox = freshOutbox();
    await expect(outbox.send(server.url, reportForm(), { label: 'bad' })).rejects.toBeInstanceOf(ApiError);
    expect(await outbox.pending()).toEqual([]);
  });
});

describe('flush', () => {
  it('sends a kept form again with its own key, fields and photo, once, and forgets it', async () => {
    const server = await serve();
    await server.stop();
    const outbox = freshOutbox();
    const queued = (await outbox.send(server.url, reportForm('路灯不亮'), { label: '路灯', meta: { category: '0301' } })) as { id: string };
    const sent: [string, unknown, unknown][] = [];
    outbox.onSent((entry, body) => sent.push([entry.id, entry.meta, body]));
    await server.start();
    expect(await outbox.flush()).toEqual({ sent: 1, left: 0 });
    expect(server.received).toHaveLength(1);
    const [{ key, form }] = server.received;
    expect(key).toBe(queued.id);
    expect(form.get('description')).toBe('路灯不亮');
    const photo = form.get('photos') as File;
    expect(photo.name).toBe('cover.jpg');
    expect(photo.type).toBe('image/jpeg');
    expect([...new Uint8Array(await photo.arrayBuffer())]).toEqual([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    expect(sent).toEqual([[queued.id, { category: '0301' }, { case_no: '2026000001' }]]);
    expect(await outbox.pending()).toEqual([]);
    expect(await outbox.flush()).toEqual({ sent: 0, left: 0 });
    expect(server.received).toHaveLength(1);
  });

  it('sends each kept request once when flushed twice at the same time', async () => {
    const server = await serve();
    await server.stop();
    const outbox = freshOutbox();
    await outbox.send(server.url, reportForm('a'), { label: 'a' });
    await outbox.send(server.url, reportForm('b'), { label: 'b' });
    await server.start();
    await Promise.all([outbox.flush(), outbox.flush()]);
    expect(server.received.map((r) => r.form.get('description')).sort()).toEqual(['a', 'b']);
  });

  it('keeps everything while there is still no signal', async () => {
    const server = await serve();
    await server.stop();
    const outbox = freshOutbox();
    await outbox.send(server.url, reportForm(), { label: 'x' });
    expect(await outbox.flush()).toEqual({ sent: 0, left: 1 });
    expect(await outbox.pending()).toHaveLength(1);
  });

  it('marks a request the server refuses for good as failed and does not send it again', async () => {
    const server = await serve((n) => (n === 1 ? { status: 201, body: {} } : { status: 422, body: { status: 422, detail: 'the point is outside every grid' } }));
    await server.stop();
    const outbox = freshOutbox();
    const queued = (await outbox.send(server.url, reportForm(), { label: 'outside' })) as { id: string };
    await server.start();
    // The first answer goes to a send of its own, so that the kept one gets the refusal.
    await outbox.send(server.url, reportForm(), { label: 'ok' });
    await outbox.flush();
    await outbox.flush();
    expect(server.received).toHaveLength(2);
    const [p] = await outbox.pending();
    expect(p).toMatchObject({ id: queued.id, failed: true, attempts: 1, last_error: 'the point is outside every grid' });
    await outbox.discard(queued.id);
    expect(await outbox.pending()).toEqual([]);
  });

  it('keeps a request the server could not take just now (503) and sends it on the next flush', async () => {
    const server = await serve((n) => (n === 1 ? { status: 503, body: { status: 503, detail: 'database unavailable' } } : { status: 201, body: { case_no: '2' } }));
    await server.stop();
    const outbox = freshOutbox();
    const queued = (await outbox.send(server.url, reportForm(), { label: 'later' })) as { id: string };
    await server.start();
    expect(await outbox.flush()).toEqual({ sent: 0, left: 1 });
    expect((await outbox.pending())[0]).toMatchObject({ attempts: 1, failed: false });
    expect(await outbox.flush()).toEqual({ sent: 1, left: 0 });
    expect(server.received.map((r) => r.key)).toEqual([queued.id, queued.id]);
  });
});

describe('onChange', () => {
  it('tells the number waiting now, when one is kept and when it is sent', async () => {
    const server = await serve();
    await server.stop();
    const outbox = freshOutbox();
    const counts: number[] = [];
    const stop = outbox.onChange((items) => counts.push(items.length));
    await outbox.send(server.url, reportForm(), { label: 'x' });
    await server.start();
    await outbox.flush();
    stop();
    expect(counts).toEqual([0, 1, 0]);
  });
});

describe('newKey', () => {
  it('makes version-4 UUIDs, a new one each time', () => {
    const keys = new Set(Array.from({ length: 100 }, newKey));
    expect(keys.size).toBe(100);
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
