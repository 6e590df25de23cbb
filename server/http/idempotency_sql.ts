import type { Knex } from 'knex';

/** A key as stored: which request it was first sent with, and the answer once there is one. */
export interface KeyRow {
  request_hash: string;
  status: 'in_progress' | 'done';
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
}

/** Which key of which scope, and how long keys live. */
export interface KeyRef {
  scope: string;
  key: string;
}

/**
 * Claim a key for a request: insert it as `in_progress`, or take over a row of the same key that has
 * expired (older than `ttlHours`) or was left in progress by a request that never finished (older than
 * `abandonedSeconds`). The unique key decides between concurrent claims: exactly one gets a row back.
 */
export function sqlClaimKey(knex: Knex, ref: KeyRef & { hash: string; ttlHours: number; abandonedSeconds: number }): Knex.Raw {
  return knex.raw(
    `insert into idempotency_keys as k (scope, key, request_hash, status) values (:scope, :key, :hash, 'in_progress')
     on conflict (scope, key) do update
       set request_hash = excluded.request_hash, status = 'in_progress', response_status = null, response_headers = null,
           response_body = null, created_at = now()
     where k.created_at < now() - make_interval(hours => :ttlHours)
        or (k.status = 'in_progress' and k.created_at < now() - make_interval(secs => :abandonedSeconds))
     returning 1 as claimed`,
    { scope: ref.scope, key: ref.key, hash: ref.hash, ttlHours: ref.ttlHours, abandonedSeconds: ref.abandonedSeconds },
  );
}

/** The stored row of a key, unless it has expired. */
export function sqlKeyRow(knex: Knex, ref: KeyRef, ttlHours: number) {
  return knex('idempotency_keys')
    .where({ scope: ref.scope, key: ref.key })
    .andWhereRaw('created_at >= now() - make_interval(hours => ?)', [ttlHours])
    .first<KeyRow | undefined>('request_hash', 'status', 'response_status', 'response_headers', 'response_body');
}

/** Store the answer of a claimed key (in the transaction that wrote what it answers, when there is one). */
export function sqlKeepAnswer(knex: Knex, ref: KeyRef, answer: { status: number; headers: Record<string, string>; body: string }) {
  return knex('idempotency_keys')
    .where({ scope: ref.scope, key: ref.key, status: 'in_progress' })
    .update({ status: 'done', response_status: answer.status, response_headers: JSON.stringify(answer.headers), response_body: answer.body });
}

/** Give up a claim whose request failed, so that the key may be sent again. */
export function sqlReleaseKey(knex: Knex, ref: KeyRef) {
  return knex('idempotency_keys').where({ scope: ref.scope, key: ref.key, status: 'in_progress' }).delete();
}

/** Delete the keys older than `ttlHours`. */
export function sqlPurgeExpiredKeys(knex: Knex, ttlHours: number) {
  return knex('idempotency_keys').whereRaw('created_at < now() - make_interval(hours => ?)', [ttlHours]).delete();
}
