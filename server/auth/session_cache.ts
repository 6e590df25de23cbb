/**
 * Sessions in this process's memory for a moment after they were looked up: every authenticated request
 * asks who its token belongs to, and a phone sending its patrol's reports or a page loading its lists asks
 * many times a second. A cached answer saves the database round trip on each.
 *
 * What ends a session reaches the cache at once: a logout forgets the token here and tells the other server
 * processes through the database (NOTIFY on SESSIONS_CHANNEL), which forget it too; a session's own expiry
 * is kept exactly (an entry never outlives its `expires_at`). Only a change made in the database by hand
 * (a session row deleted, a user deactivated with SQL) takes up to `ttlMs` to be seen, and an unknown token
 * is never cached (a client sending made-up tokens fills nothing).
 */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Db, Relay } from '../db/connect.js';
import { hashToken, lookUpSession, type LiveSession } from './service.js';
import { sqlDeleteSession } from './store.js';

/** The NOTIFY channel on which a process says which session ended (the token's hash). */
export const SESSIONS_CHANNEL = 'gridwork_sessions';
/** How long a looked-up session is answered from memory. */
export const SESSION_CACHE_MS = 2_000;
/** At most this many sessions in memory; the oldest go first. */
const MAX_ENTRIES = 10_000;

export class SessionCache {
  private readonly entries = new Map<string, { session: LiveSession; until: number }>();
  private listening: Promise<void> | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly relay?: Relay,
    private readonly ttlMs = SESSION_CACHE_MS,
    private readonly logger?: Logger,
  ) {}

  /** The live session of a token, or undefined when the token is unknown, ended or expired. */
  async user(token: string): Promise<LiveSession | undefined> {
    this.listen();
    const hash = hashToken(token);
    const now = Date.now();
    const hit = this.entries.get(hash);
    if (hit && hit.until > now) return hit.session;
    if (hit) this.entries.delete(hash);
    const session = await lookUpSession(this.knex, hash);
    if (session && this.ttlMs > 0) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(hash, { session, until: Math.min(now + this.ttlMs, session.expires_at.getTime()) });
    }
    return session;
  }

  /** End a session: delete it, forget it here, and tell the other processes to forget it. */
  async end(token: string): Promise<void> {
    const hash = hashToken(token);
    await sqlDeleteSession(this.knex, hash);
    this.entries.delete(hash);
    await this.relay?.notify(SESSIONS_CHANNEL, [hash]).catch((err) => {
      this.logger?.warn({ err }, 'the end of a session was not relayed to the other server processes; they forget it within seconds');
    });
  }

  /** Resolves once this cache hears the other processes (at once without a relay); lookups do not wait for it. */
  async ready(): Promise<void> {
    this.listen();
    await this.listening;
  }

  /** Hear which sessions other processes ended, from the first lookup on. */
  private listen(): void {
    if (!this.relay || this.listening) return;
    const onError = (err: Error) => this.logger?.warn({ err }, 'listening for ended sessions failed; retrying');
    this.listening = this.relay.listen(SESSIONS_CHANNEL, (hash) => this.entries.delete(hash), onError).catch(onError);
  }
}

const caches = new WeakMap<Db, SessionCache>();

/** The one session cache of a database, shared by every app over it (so a logout in one is seen by all). */
export function sessionCacheOf(db: Db, logger?: Logger): SessionCache {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new SessionCache(db.knex, db.relay, SESSION_CACHE_MS, logger)));
  return cache;
}
