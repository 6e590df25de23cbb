/**
 * Idempotent POSTs by the `Idempotency-Key` request header (draft-ietf-httpapi-idempotency-key-header):
 * a client that did not hear the answer (a phone losing signal on the street) sends the same request
 * with the same key again and gets the first answer, and nothing is written twice.
 *
 * The key is claimed before the request runs (a unique-key insert, so of two concurrent requests with
 * the same key exactly one runs); the answer is stored in the transaction that writes what it answers,
 * so that a request either wrote its rows and its answer or neither. A request that fails answers its
 * error and gives the key up (nothing was written, so the client may fix the request and send it again
 * with the same key); only successful answers are replayed.
 */
import { createHash } from 'node:crypto';
import type { Response } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import { Conflict, Unprocessable } from './errors.js';
import { queryPrepared } from '../db/connect.js';
import { sqlClaimKey, sqlKeepAnswer, sqlKeyRow, sqlPurgeExpiredKeys, sqlReleaseKey, type KeyRef } from './idempotency_sql.js';

/** Hours a key and its answer are kept. */
export const IDEMPOTENCY_TTL_HOURS = 24;
/** Seconds after which a claim whose request never finished (its server process died) may be taken over. */
const ABANDONED_SECONDS = 300;
/** Seconds a client is told to wait (Retry-After) while the first request with its key is still running. */
export const IN_PROGRESS_RETRY_AFTER = 2;
/** Longest key. */
export const IDEMPOTENCY_KEY_MAX = 200;

/** Schema of the request headers of an idempotent route. */
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(
      new RegExp(`^[\\x21-\\x7e]{1,${IDEMPOTENCY_KEY_MAX}}$`),
      `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX} visible ASCII characters (no spaces), e.g. a UUID`,
    )
    .optional()
    .meta({
      description:
        `A key of your choosing (e.g. a UUID), 1–${IDEMPOTENCY_KEY_MAX} visible ASCII characters: the same request sent again with the same key ` +
        `within ${IDEMPOTENCY_TTL_HOURS} h answers the first answer again (header Idempotency-Replayed: true) and writes nothing; ` +
        'another request with the same key is 422, and one sent while the first is still running is 409 with Retry-After.',
    }),
});

/** An answer to send (and to keep for the key). */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** Keep the answer of a keyed request, in the transaction that writes what it answers. */
export type KeepAnswer = (trx: Knex, answer: Answer) => Promise<void>;

/** Which request an idempotent route runs: the key (when the client sent one), the scope it is unique in, and what the request sent. */
export interface KeyedRequest {
  key: string | undefined;
  scope: string;
  /** The parsed fields and the files: the same key with other fields or other file bytes is another request. */
  fields: unknown;
  files?: { bytes: Buffer }[];
}

/** JSON with every object's keys in order, so that equal values hash the same. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** The hash of a request: its parsed fields and the bytes of its files, in order. */
export function requestHash(fields: unknown, files: { bytes: Buffer }[] = []): string {
  const hash = createHash('sha256').update(canonicalJson(fields) ?? '');
  for (const f of files) hash.update(createHash('sha256').update(f.bytes).digest());
  return hash.digest('hex');
}

/** Send an answer as JSON text (the same text that is kept and replayed). */
function send(res: Response, status: number, headers: Record<string, string>, text: string): void {
  res.status(status).set(headers).type('application/json').send(text);
}

/** Claim the key, or answer what the request already sent with it says: its answer again, 422 or 409. */
async function claimOrReplay(knex: Knex, res: Response, ref: KeyRef, hash: string): Promise<boolean> {
  // A claim fails while another request holds the key; if that one gives it up meanwhile, claim again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const rows = await queryPrepared(knex, sqlClaimKey(knex, { ...ref, hash, ttlHours: IDEMPOTENCY_TTL_HOURS, abandonedSeconds: ABANDONED_SECONDS }));
    if (rows.length) return true;
    const row = await sqlKeyRow(knex, ref, IDEMPOTENCY_TTL_HOURS);
    if (!row) continue;
    if (row.request_hash !== hash) {
      throw new Unprocessable(
        'idempotency_key_reused',
        `This Idempotency-Key was sent with a different request in the last ${IDEMPOTENCY_TTL_HOURS} hours; use a new key for a new request.`,
        { params: { hours: IDEMPOTENCY_TTL_HOURS } },
      );
    }
    if (row.status === 'in_progress') {
      throw new Conflict('idempotency_in_progress', `The first request with this Idempotency-Key is still running; send it again in ${IN_PROGRESS_RETRY_AFTER} seconds for its answer.`, {
        params: { retry_after: IN_PROGRESS_RETRY_AFTER },
        headers: { 'Retry-After': String(IN_PROGRESS_RETRY_AFTER) },
      });
    }
    send(res, row.response_status ?? 200, { ...(row.response_headers ?? {}), 'Idempotency-Replayed': 'true' }, row.response_body ?? 'null');
    return false;
  }
  throw new Conflict('idempotency_in_progress', `Another request with this Idempotency-Key keeps starting; send it again in ${IN_PROGRESS_RETRY_AFTER} seconds.`, {
    params: { retry_after: IN_PROGRESS_RETRY_AFTER },
    headers: { 'Retry-After': String(IN_PROGRESS_RETRY_AFTER) },
  });
}

/**
 * Expired keys are deleted by the requests that use keys, at most once a minute per database handle: keys
 * live a day (an expired one is taken over by its next claim anyway), so a delete on every request would only
 * cost each a round trip.
 */
const PURGE_EVERY_MS = 60_000;
const lastPurge = new WeakMap<Knex, number>();

async function purgeNowAndThen(knex: Knex): Promise<void> {
  const now = Date.now();
  if (now - (lastPurge.get(knex) ?? 0) < PURGE_EVERY_MS) return;
  lastPurge.set(knex, now);
  await sqlPurgeExpiredKeys(knex, IDEMPOTENCY_TTL_HOURS);
}

/**
 * Answer a request at most once per key: without a key, run it and send its answer; with a key, claim it
 * and run, or replay the answer kept for it. `run` gets a `keep` to call inside its own transaction (none
 * without a key); an answer it did not keep is kept when it returns.
 */
export async function answerOnce(knex: Knex, res: Response, req: KeyedRequest, run: (keep: KeepAnswer | undefined) => Promise<Answer>): Promise<void> {
  if (req.key === undefined) {
    const answer = await run(undefined);
    return send(res, answer.status, answer.headers ?? {}, JSON.stringify(answer.body));
  }
  const ref: KeyRef = { scope: req.scope, key: req.key };
  if (!(await claimOrReplay(knex, res, ref, requestHash(req.fields, req.files)))) return;
  let kept = false;
  const keep = async (trx: Knex, answer: Answer) => {
    await queryPrepared(trx, sqlKeepAnswer(trx, ref, { status: answer.status, headers: answer.headers ?? {}, body: JSON.stringify(answer.body) }));
    kept = true;
  };
  let answer: Answer;
  try {
    answer = await run(keep);
    if (!kept) await keep(knex, answer);
  } catch (err) {
    // Should the release fail too, the key waits out ABANDONED_SECONDS; the request's own error is the one to answer.
    await sqlReleaseKey(knex, ref).catch(() => undefined);
    throw err;
  }
  await purgeNowAndThen(knex);
  send(res, answer.status, answer.headers ?? {}, JSON.stringify(answer.body));
}
