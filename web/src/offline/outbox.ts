/**
 * The outbox: forms (reports with their photos) posted with an Idempotency-Key, and kept in IndexedDB when there
 * is no signal, to be sent again with the same key when there is. The server answers a key it has seen with the
 * answer it gave, so a report whose answer was lost on the way is not filed twice.
 *
 *   const r = await send('/api/public/incidents', form, { label: '井盖破损' });
 *   if (r.status === 'queued') …  // shown by pending() and onChange(), sent by flush()
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { ApiError, postFormTo } from '../api.js';

/** What send() did: sent (with the server's answer), or kept to send later. */
export type SendResult = { status: 'sent'; body: unknown } | { status: 'queued'; id: string };

/** A kept request, as pages show it. */
export interface Pending {
  /** Its id, which is also the Idempotency-Key it is sent with. */
  id: string;
  url: string;
  label: string;
  created_at: string;
  /** Times it was sent and got no answer it could keep. */
  attempts: number;
  /** The last problem, when the server answered one. */
  last_error?: string;
  /** True when the server refused it for good (a 4xx other than 409 and 429): kept to be shown, never sent again. */
  failed: boolean;
  /** What the page that kept it needs when it is sent (the resident's report: its category, for "My reports"). */
  meta?: Record<string, unknown>;
}

/** A field of a kept form: text, or a file (its bytes as a Blob, with its name). */
type StoredField = { name: string; value: string } | { name: string; blob: Blob; filename: string };

interface Stored extends Pending {
  fields: StoredField[];
}

interface OutboxDb extends DBSchema {
  requests: { key: string; value: Stored };
}

/** The header the server reads to answer a repeat with the first answer. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** A fresh key: a random UUID (crypto.randomUUID needs a secure context, so it is made from random bytes). */
export function newKey(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Whether an error means the request got no answer (no signal, server unreachable): status 0, or fetch's TypeError. */
function isNetworkFailure(err: unknown): boolean {
  return (err instanceof ApiError && err.status === 0) || err instanceof TypeError;
}

/** Whether an answered problem may go away by itself (a key still in progress, too many reports, the server unwell). */
function isTransient(status: number): boolean {
  return status === 409 || status === 429 || status >= 500;
}

/** Whether the browser says it is offline (then send() keeps the form without trying). */
function offline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false;
}

/** The fields of a form, with its files as Blobs. */
function toFields(form: FormData): StoredField[] {
  return [...form.entries()].map(([name, v]) =>
    typeof v === 'string' ? { name, value: v } : { name, blob: v.slice(0, v.size, v.type), filename: v.name });
}

/** A form again from its kept fields. */
function toForm(fields: StoredField[]): FormData {
  const form = new FormData();
  for (const f of fields) {
    if ('value' in f) form.append(f.name, f.value);
    else form.append(f.name, f.blob, f.filename);
  }
  return form;
}

/** What an outbox is made over: the IndexedDB database's name (tests give each case its own). */
export interface OutboxOptions {
  dbName?: string;
}

/** An outbox over one IndexedDB database; the app uses the default one below. */
export function createOutbox({ dbName = 'gridwork-outbox' }: OutboxOptions = {}) {
  let db: Promise<IDBPDatabase<OutboxDb>> | undefined;
  const open = () => (db ??= openDB<OutboxDb>(dbName, 1, { upgrade: (d) => void d.createObjectStore('requests', { keyPath: 'id' }) }));
  const listeners = new Set<(items: Pending[]) => void>();
  const sentListeners = new Set<(entry: Pending, body: unknown) => void>();
  // Other tabs of the app hear of changes (a report kept in one, sent from another).
  const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(`${dbName}-changes`);
  let flushing: Promise<{ sent: number; left: number }> | undefined;

  function post(url: string, form: FormData, key: string, onProgress?: (sent: number) => void): Promise<unknown> {
    return postFormTo(url, form, onProgress, { [IDEMPOTENCY_HEADER]: key });
  }

  async function notify(broadcast = true): Promise<void> {
    const items = await pending();
    for (const fn of listeners) fn(items);
    if (broadcast) channel?.postMessage('changed');
  }
  channel?.addEventListener('message', () => void notify(false));

  /** The kept requests, oldest first, without their bodies. */
  async function pending(): Promise<Pending[]> {
    const all = await (await open()).getAll('requests');
    return all.sort((a, b) => a.created_at.localeCompare(b.created_at)).map(({ fields: _fields, ...p }) => p);
  }

  /**
   * Post a form with a fresh Idempotency-Key, telling `onProgress` how far the upload is: the server's answer
   * when it gives one (an error answer throws its ApiError, as postJson does), or, without signal, the form kept
   * on the device with its key, its files and the page's `meta`.
   */
  async function send(url: string, form: FormData, opts: { label: string; meta?: Record<string, unknown>; onProgress?: (sent: number) => void }): Promise<SendResult> {
    const id = newKey();
    if (!offline()) {
      try {
        return { status: 'sent', body: await post(url, form, id, opts.onProgress) };
      } catch (err) {
        if (!isNetworkFailure(err)) throw err;
      }
    }
    const stored: Stored = { id, url, label: opts.label, created_at: new Date().toISOString(), attempts: 0, failed: false, fields: toFields(form), ...(opts.meta ? { meta: opts.meta } : {}) };
    await (await open()).put('requests', stored);
    await notify();
    return { status: 'queued', id };
  }

  async function flushNow(): Promise<{ sent: number; left: number }> {
    const d = await open();
    const all = (await d.getAll('requests')).sort((a, b) => a.created_at.localeCompare(b.created_at));
    let sent = 0;
    for (const entry of all) {
      if (entry.failed) continue;
      // Another tab may have sent it meanwhile.
      if (!(await d.get('requests', entry.id))) continue;
      try {
        const body = await post(entry.url, toForm(entry.fields), entry.id);
        await d.delete('requests', entry.id);
        sent += 1;
        const { fields: _fields, ...kept } = entry;
        for (const fn of sentListeners) fn(kept, body);
      } catch (err) {
        if (isNetworkFailure(err)) break;
        const status = (err as { status?: number }).status ?? 0;
        await d.put('requests', { ...entry, attempts: entry.attempts + 1, last_error: (err as Error).message, failed: !isTransient(status) });
        if (isTransient(status)) break;
      }
    }
    await notify();
    return { sent, left: (await pending()).filter((p) => !p.failed).length };
  }

  /**
   * Send every kept request again, oldest first, each with its own key; stops at the first that gets no answer
   * (still no signal). One flush at a time, in this tab and (with Web Locks) across tabs.
   */
  function flush(): Promise<{ sent: number; left: number }> {
    const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
    flushing ??= (locks ? locks.request(`${dbName}-flush`, flushNow) : flushNow()).finally(() => (flushing = undefined));
    return flushing;
  }

  /** Call `fn` with the kept requests now and whenever they change; answers a function that stops it. */
  function onChange(fn: (items: Pending[]) => void): () => void {
    listeners.add(fn);
    void pending().then(fn);
    return () => listeners.delete(fn);
  }

  /** Call `fn` with the kept request and the server's answer when flush() sends it; answers a function that stops it. */
  function onSent(fn: (entry: Pending, body: unknown) => void): () => void {
    sentListeners.add(fn);
    return () => sentListeners.delete(fn);
  }

  /** Forget a kept request (one the server refused, after the user has read why). */
  async function discard(id: string): Promise<void> {
    await (await open()).delete('requests', id);
    await notify();
  }

  return { send, pending, flush, onChange, onSent, discard };
}

const outbox = createOutbox();

/** Post a form through the app's outbox (see createOutbox). */
export const send = outbox.send;
/** The app's kept requests, oldest first. */
export const pending = outbox.pending;
/** Send the app's kept requests again. */
export const flush = outbox.flush;
/** Follow the app's kept requests ("waiting to send (n)"). */
export const onChange = outbox.onChange;
/** Hear of kept requests sent by flush (e.g. to show the case number). */
export const onSent = outbox.onSent;
/** Forget one of the app's kept requests. */
export const discard = outbox.discard;

let started = false;

/** Send what was kept now (on app start) and whenever the browser is back online. */
export function startOutbox(): void {
  if (started) return;
  started = true;
  window.addEventListener('online', () => void flush().catch(() => undefined));
  void flush().catch(() => undefined);
}
