import { describe, expect, it } from 'vitest';
import { PatrolRecorder, defaultClassify, fixKey, memoryStore, toFix, type Fix, type GeoPosition, type PatrolSender } from './recorder.js';

const T0 = Date.parse('2026-03-02T01:00:00Z');
/** A position `s` seconds after T0, `accuracy` metres. */
const pos = (s: number, accuracy = 8, lon = 123.43, lat = 41.8): GeoPosition => ({ coords: { longitude: lon + s * 1e-6, latitude: lat, accuracy }, timestamp: T0 + s * 1000 });

/** A server that keeps fixes by (patrol, time) as the real one does, and can be switched off. */
function fakeServer() {
  const stored = new Map<string, Fix>();
  const requests: { patrol: number; fixes: Fix[] }[] = [];
  const ended = new Map<number, string>();
  const state = { up: true, refuse: null as number | null };
  const send: PatrolSender = {
    async points(patrol, fixes) {
      if (!state.up) throw new TypeError('Failed to fetch');
      if (state.refuse) throw Object.assign(new Error('refused'), { status: state.refuse });
      requests.push({ patrol, fixes });
      let duplicates = 0;
      for (const f of fixes) {
        const k = `${patrol}|${f.at}`;
        if (stored.has(k)) duplicates++;
        else stored.set(k, f);
      }
      return { accepted: fixes.length, duplicates, dropped: 0, outside: 0 };
    },
    async end(patrol, at) {
      if (!state.up) throw new TypeError('Failed to fetch');
      ended.set(patrol, at);
    },
  };
  return { send, stored, requests, ended, state };
}

describe('PatrolRecorder.offer', () => {
  it('keeps one fix every interval and drops those worse than 50 m', async () => {
    const store = memoryStore();
    const rec = new PatrolRecorder({ store, send: fakeServer().send });
    expect(await rec.offer(pos(0))).toBe('not_recording');
    rec.start(7);
    const answers = [];
    for (const [s, acc] of [[0, 8], [5, 8], [14.9, 8], [15, 60], [16, 50], [20, 5], [31, 5], [47, 5]] as const) answers.push(await rec.offer(pos(s, acc)));
    // 15 s is worse than 50 m; 16 s (exactly 50 m) is kept, so 20 and 31 s are too soon after it.
    expect(answers).toEqual(['kept', 'too_soon', 'too_soon', 'inaccurate', 'kept', 'too_soon', 'kept', 'kept']);
    expect((await store.take(10)).map((i) => i.fix.at)).toEqual([0, 16, 31, 47].map((s) => new Date(T0 + s * 1000).toISOString()));
    expect(await rec.stats()).toMatchObject({ recorded: 4, waiting: 4, sent: 0 });
  });

  it('takes its interval from the options, within 15–30 s', async () => {
    const rec = new PatrolRecorder({ store: memoryStore(), send: fakeServer().send, intervalMs: 30_000 });
    rec.start(1);
    const answers = [];
    for (const s of [0, 15, 29, 30, 45, 61]) answers.push(await rec.offer(pos(s)));
    expect(answers).toEqual(['kept', 'too_soon', 'too_soon', 'kept', 'too_soon', 'kept']);
    expect(() => new PatrolRecorder({ store: memoryStore(), send: fakeServer().send, intervalMs: 5_000 })).toThrow(/15–30 s/);
    expect(() => new PatrolRecorder({ store: memoryStore(), send: fakeServer().send, batchSize: 501 })).toThrow(/at most 500/);
  });

  it('refuses a cached position older than the last one kept', async () => {
    const rec = new PatrolRecorder({ store: memoryStore(), send: fakeServer().send });
    rec.start(1);
    await rec.offer(pos(100));
    expect(await rec.offer(pos(40))).toBe('too_soon');
  });
});

describe('PatrolRecorder.flush', () => {
  it('sends the waiting fixes in batches and forgets them once the server has them', async () => {
    const server = fakeServer();
    const store = memoryStore();
    const rec = new PatrolRecorder({ store, send: server.send, batchSize: 3 });
    rec.start(7);
    for (let s = 0; s < 8 * 15; s += 15) await rec.offer(pos(s));
    await rec.flush();
    expect(server.requests.map((r) => r.fixes.length)).toEqual([3, 3, 2]);
    expect(server.stored.size).toBe(8);
    expect(await rec.stats()).toEqual({ recorded: 8, waiting: 0, sent: 8, refused: 0 });
  });

  it('keeps the fixes while offline and sends them when online again, nothing twice', async () => {
    const server = fakeServer();
    const store = memoryStore();
    let online = false;
    const rec = new PatrolRecorder({ store, send: server.send, isOnline: () => online, batchSize: 2 });
    rec.start(7);
    for (let s = 0; s < 5 * 15; s += 15) await rec.offer(pos(s));
    await rec.flush();
    expect(server.requests).toHaveLength(0);
    expect(await store.count()).toBe(5);

    // Online, but the network fails mid-way: what was not confirmed stays.
    online = true;
    let calls = 0;
    const flaky: PatrolSender = {
      points: async (id, fixes) => {
        if (++calls === 2) throw new TypeError('Failed to fetch');
        return server.send.points(id, fixes);
      },
      end: server.send.end,
    };
    const rec2 = new PatrolRecorder({ store, send: flaky, batchSize: 2 });
    await rec2.flush();
    expect(server.stored.size).toBe(2);
    expect(await store.count()).toBe(3);
    await rec2.flush();
    expect(server.stored.size).toBe(5);
    expect(await store.count()).toBe(0);
  });

  it('resends a batch whose answer was lost, and the server stores it once', async () => {
    const server = fakeServer();
    const store = memoryStore();
    // The request reaches the server but the answer is lost: the phone cannot tell, and sends it again.
    let lose = true;
    const lossy: PatrolSender = {
      points: async (id, fixes) => {
        const r = await server.send.points(id, fixes);
        if (lose) {
          lose = false;
          throw new TypeError('network connection was lost');
        }
        return r;
      },
      end: server.send.end,
    };
    const rec = new PatrolRecorder({ store, send: lossy });
    rec.start(3);
    for (let s = 0; s < 4 * 15; s += 15) await rec.offer(pos(s));
    await rec.flush();
    expect(await store.count()).toBe(4);
    await rec.flush();
    expect(server.requests).toHaveLength(2);
    expect(server.stored.size).toBe(4);
    expect(await store.count()).toBe(0);
  });

  it('gives up a batch the server refuses for good, and goes on', async () => {
    const server = fakeServer();
    const store = memoryStore();
    const rec = new PatrolRecorder({ store, send: server.send });
    rec.start(9);
    await rec.offer(pos(0));
    server.state.refuse = 404;
    await rec.flush();
    expect(await store.count()).toBe(0);
    expect((await rec.stats()).refused).toBe(1);
    expect(defaultClassify({ status: 429 })).toBe('retry');
    expect(defaultClassify({ status: 503 })).toBe('retry');
    expect(defaultClassify(new TypeError('Failed to fetch'))).toBe('retry');
    expect(defaultClassify({ status: 403 })).toBe('drop');
  });

  it('sends the end of a patrol after its last fixes, also when stopped offline', async () => {
    const server = fakeServer();
    const store = memoryStore();
    let online = false;
    const rec = new PatrolRecorder({ store, send: server.send, isOnline: () => online });
    rec.start(5);
    await rec.offer(pos(0));
    await rec.offer(pos(15));
    const stoppedAt = new Date(T0 + 20_000);
    await rec.stop(stoppedAt);
    expect(rec.current).toBeNull();
    expect(await rec.offer(pos(40))).toBe('not_recording');
    expect(server.ended.size).toBe(0);
    online = true;
    await rec.flush();
    expect(server.stored.size).toBe(2);
    expect(server.ended.get(5)).toBe(stoppedAt.toISOString());
    expect(await store.ends()).toEqual([]);
  });

  it('shares one run between calls made while it runs', async () => {
    const server = fakeServer();
    const store = memoryStore();
    const rec = new PatrolRecorder({ store, send: server.send });
    rec.start(1);
    await rec.offer(pos(0));
    await Promise.all([rec.flush(), rec.flush(), rec.flush()]);
    expect(server.requests).toHaveLength(1);
  });
});

describe('toFix and fixKey', () => {
  it('writes a position as the server takes it, and keys it by patrol and time in sending order', () => {
    expect(toFix({ coords: { longitude: 123.456789012, latitude: 41.8000000449, accuracy: 12.345 }, timestamp: T0 })).toEqual({
      lon: 123.456789, lat: 41.8, accuracy_m: 12.3, at: '2026-03-02T01:00:00.000Z',
    });
    expect(fixKey(2, 'b') < fixKey(10, 'a')).toBe(true);
  });
});
