/**
 * The patrol recorder: takes the phone's geolocation fixes, keeps one every 15–30 s (configurable), drops
 * those worse than 50 m, and sends the kept ones to the server in batches. Every kept fix goes to a store
 * first (IndexedDB on the phone) and leaves it only once the server has it, so a patrol walked without
 * signal, or a page closed mid-walk, loses nothing: the fixes are sent when the phone is online again.
 * The server keys fixes by (patrol, time), so a batch sent twice (an answer lost on the way) is stored
 * once. No DOM here: the panel wires it to the Geolocation API, the clock and the network.
 */

/** A fix as the server takes it (POST /api/patrols/{id}/points). */
export interface Fix {
  lon: number;
  lat: number;
  accuracy_m: number;
  at: string;
}

/** A fix waiting to be sent, with its patrol; `key` is the server's key (patrol and time). */
export interface PendingFix {
  key: string;
  patrol_id: number;
  fix: Fix;
}

/** An end of a patrol waiting to be sent (the chief pressed stop without signal). */
export interface PendingEnd {
  patrol_id: number;
  ended_at: string;
}

/** Where unsent fixes and ends wait: IndexedDB on the phone (`idbStore`), memory in tests (`memoryStore`). */
export interface PendingStore {
  /** Keep fixes (a key kept already is kept once). */
  add(items: PendingFix[]): Promise<void>;
  /** The oldest fixes, at most `limit`, in key order. */
  take(limit: number): Promise<PendingFix[]>;
  /** Forget fixes by key (sent). */
  remove(keys: string[]): Promise<void>;
  /** How many fixes wait. */
  count(): Promise<number>;
  /** Keep an end to send. */
  addEnd(end: PendingEnd): Promise<void>;
  /** The ends waiting. */
  ends(): Promise<PendingEnd[]>;
  /** Forget an end (sent). */
  removeEnd(patrolId: number): Promise<void>;
}

/** What the recorder asks of the server. */
export interface PatrolSender {
  /** Send a batch of one patrol's fixes; resolves with the server's receipt. */
  points(patrolId: number, fixes: Fix[]): Promise<{ accepted: number; duplicates: number; dropped: number; outside: number }>;
  /** End a patrol at the time the chief pressed stop. */
  end(patrolId: number, endedAt: string): Promise<unknown>;
}

/** A position as the Geolocation API gives it (only what the recorder reads). */
export interface GeoPosition {
  coords: { longitude: number; latitude: number; accuracy: number };
  timestamp: number;
}

/** How a failed request is taken: `retry` keeps what it carried for later (no signal, server busy), `drop` gives it up (the server refused it for good). */
export type FailureKind = 'retry' | 'drop';

/** Settings of a recorder. */
export interface RecorderOptions {
  store: PendingStore;
  send: PatrolSender;
  /** Keep a fix when at least this long has passed since the last one kept (ms); 15,000–30,000, default 15,000. */
  intervalMs?: number;
  /** Drop fixes whose accuracy radius is larger (m); default 50, as the server. */
  maxAccuracyM?: number;
  /** Fixes per request; default 100, at most the server's 500. */
  batchSize?: number;
  /** Whether a request is worth trying now (navigator.onLine on the phone). */
  isOnline?: () => boolean;
  /** How a failed request is taken; by default, a problem with a 4xx status other than 408 and 429 is dropped, anything else retried. */
  classify?: (err: unknown) => FailureKind;
}

/** What the panel shows. */
export interface RecorderStats {
  /** Fixes kept in this patrol on this phone. */
  recorded: number;
  /** Fixes waiting to be sent (of any patrol). */
  waiting: number;
  /** Fixes the server has confirmed in this session. */
  sent: number;
  /** Fixes the server dropped or refused. */
  refused: number;
}

/** What became of a position offered to the recorder. */
export type Offered = 'kept' | 'inaccurate' | 'too_soon' | 'not_recording';

/** The sampling interval's bounds and default (ms). */
export const MIN_INTERVAL_MS = 15_000;
export const MAX_INTERVAL_MS = 30_000;

/** The default failure rule: a 4xx answer (other than 408 and 429) will not get better by sending it again. */
export function defaultClassify(err: unknown): FailureKind {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429 ? 'drop' : 'retry';
}

/** A fix of a position, coordinates to 7 decimals (about 1 cm) and the time as ISO 8601 UTC. */
export function toFix(p: GeoPosition): Fix {
  const r = (v: number) => Math.round(v * 1e7) / 1e7;
  return { lon: r(p.coords.longitude), lat: r(p.coords.latitude), accuracy_m: Math.round(p.coords.accuracy * 10) / 10, at: new Date(p.timestamp).toISOString() };
}

/** The key of a fix: the server's (patrol, time). */
export const fixKey = (patrolId: number, at: string) => `${String(patrolId).padStart(12, '0')}|${at}`;

/** Records one patrol at a time and sends everything waiting, of this patrol or earlier ones. */
export class PatrolRecorder {
  readonly intervalMs: number;
  readonly maxAccuracyM: number;
  readonly batchSize: number;
  private readonly store: PendingStore;
  private readonly send: PatrolSender;
  private readonly isOnline: () => boolean;
  private readonly classify: (err: unknown) => FailureKind;
  private patrolId: number | null = null;
  private lastKept: number | null = null;
  private recorded = 0;
  private sent = 0;
  private refused = 0;
  private flushing: Promise<void> | null = null;

  constructor(opts: RecorderOptions) {
    const interval = opts.intervalMs ?? MIN_INTERVAL_MS;
    if (!(interval >= MIN_INTERVAL_MS && interval <= MAX_INTERVAL_MS)) {
      throw new RangeError(`intervalMs must be from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS} (one fix every 15–30 s); got ${interval}`);
    }
    const batch = opts.batchSize ?? 100;
    if (!(batch >= 1 && batch <= 500)) throw new RangeError(`batchSize must be from 1 to 500 (the server takes at most 500 fixes a request); got ${batch}`);
    this.intervalMs = interval;
    this.maxAccuracyM = opts.maxAccuracyM ?? 50;
    this.batchSize = batch;
    this.store = opts.store;
    this.send = opts.send;
    this.isOnline = opts.isOnline ?? (() => true);
    this.classify = opts.classify ?? defaultClassify;
  }

  /** The patrol being recorded, or null. */
  get current(): number | null {
    return this.patrolId;
  }

  /** Record fixes for a patrol (a new one, or one resumed after the page reloaded). */
  start(patrolId: number, recorded = 0): void {
    this.patrolId = patrolId;
    this.lastKept = null;
    this.recorded = recorded;
  }

  /** Take a position: keep it (to the store) when recording, accurate enough and far enough in time from the last one kept. */
  async offer(p: GeoPosition): Promise<Offered> {
    if (this.patrolId === null) return 'not_recording';
    if (!(p.coords.accuracy <= this.maxAccuracyM)) return 'inaccurate';
    // Also refuses a position older than the last one kept (the API may hand back a cached one).
    if (this.lastKept !== null && p.timestamp - this.lastKept < this.intervalMs) return 'too_soon';
    const fix = toFix(p);
    this.lastKept = p.timestamp;
    this.recorded++;
    await this.store.add([{ key: fixKey(this.patrolId, fix.at), patrol_id: this.patrolId, fix }]);
    return 'kept';
  }

  /** Stop recording at an instant: the end waits in the store like the fixes, and everything is sent when it can be. */
  async stop(endedAt: Date): Promise<void> {
    if (this.patrolId === null) return;
    await this.store.addEnd({ patrol_id: this.patrolId, ended_at: endedAt.toISOString() });
    this.patrolId = null;
    this.lastKept = null;
    await this.flush();
  }

  /**
   * Send what waits, oldest first, a batch at a time, then the ends of patrols with no fix left to send.
   * Stops at the first failure that is worth retrying (no signal); gives up a batch the server refused
   * for good. Calls made while one runs share it.
   */
  flush(): Promise<void> {
    if (!this.flushing) this.flushing = this.drain().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.isOnline()) {
      const items = await this.store.take(this.batchSize);
      if (items.length === 0) break;
      // One patrol per request: the oldest patrol's fixes among those taken.
      const patrol = items[0].patrol_id;
      const batch = items.filter((i) => i.patrol_id === patrol);
      try {
        const receipt = await this.send.points(patrol, batch.map((i) => i.fix));
        this.sent += receipt.accepted;
        this.refused += receipt.dropped + receipt.outside;
      } catch (err) {
        if (this.classify(err) === 'retry') return;
        this.refused += batch.length;
      }
      await this.store.remove(batch.map((i) => i.key));
    }
    if (!this.isOnline()) return;
    const waiting = new Set((await this.store.take(Number.MAX_SAFE_INTEGER)).map((i) => i.patrol_id));
    for (const end of await this.store.ends()) {
      if (waiting.has(end.patrol_id)) continue;
      try {
        await this.send.end(end.patrol_id, end.ended_at);
      } catch (err) {
        if (this.classify(err) === 'retry') return;
      }
      await this.store.removeEnd(end.patrol_id);
    }
  }

  /** Counts for the panel. */
  async stats(): Promise<RecorderStats> {
    return { recorded: this.recorded, waiting: await this.store.count(), sent: this.sent, refused: this.refused };
  }
}

/** A store in memory (tests, and a browser without IndexedDB: then fixes live as long as the page). */
export function memoryStore(): PendingStore {
  const fixes = new Map<string, PendingFix>();
  const ends = new Map<number, PendingEnd>();
  return {
    async add(items) {
      for (const i of items) if (!fixes.has(i.key)) fixes.set(i.key, i);
    },
    async take(limit) {
      return [...fixes.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, limit);
    },
    async remove(keys) {
      for (const k of keys) fixes.delete(k);
    },
    async count() {
      return fixes.size;
    },
    async addEnd(end) {
      ends.set(end.patrol_id, end);
    },
    async ends() {
      return [...ends.values()];
    },
    async removeEnd(id) {
      ends.delete(id);
    },
  };
}

/** A request of IndexedDB as a promise. */
function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** The phone's store: IndexedDB database `name` with object stores `fixes` (by key) and `ends` (by patrol). */
export async function idbStore(name = 'gridwork-patrol'): Promise<PendingStore> {
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    open.result.createObjectStore('fixes', { keyPath: 'key' });
    open.result.createObjectStore('ends', { keyPath: 'patrol_id' });
  };
  const db = await done(open);
  const os = (store: 'fixes' | 'ends', mode: IDBTransactionMode) => db.transaction(store, mode).objectStore(store);
  return {
    async add(items) {
      const s = os('fixes', 'readwrite');
      await Promise.all(items.map((i) => done(s.put(i))));
    },
    async take(limit) {
      return (await done(os('fixes', 'readonly').getAll(null, Math.min(limit, 2 ** 32 - 1)))) as PendingFix[];
    },
    async remove(keys) {
      const s = os('fixes', 'readwrite');
      await Promise.all(keys.map((k) => done(s.delete(k))));
    },
    async count() {
      return done(os('fixes', 'readonly').count());
    },
    async addEnd(end) {
      await done(os('ends', 'readwrite').put(end));
    },
    async ends() {
      return (await done(os('ends', 'readonly').getAll())) as PendingEnd[];
    },
    async removeEnd(id) {
      await done(os('ends', 'readwrite').delete(id));
    },
  };
}
