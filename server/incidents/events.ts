import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Relay } from '../db/connect.js';
import { iso } from '../http/wire.js';
import type { Actor, IncidentState, Level, Status } from './workflow.js';
import { isVisibleTo } from './workflow.js';

/** A new or changed incident, as the live stream sends it (no personal data). */
export interface IncidentChange extends IncidentState {
  type: 'created' | 'updated';
  id: number;
  case_no: string;
  category_code: string;
  action: string;
  version: number;
  due_at: string | null;
  at: string;
}

/** The NOTIFY channel that carries incident changes between server processes. */
export const INCIDENT_CHANNEL = 'gridwork_incidents';
/**
 * Changes go to the other processes in batches, one NOTIFY statement per this many milliseconds at most:
 * a notifying commit takes a database-wide lock, which one statement per report made intake 30 % slower.
 */
const RELAY_BATCH_MS = 50;
/** Largest payload of one NOTIFY (PostgreSQL's limit is 8,000 bytes). */
const RELAY_PAYLOAD_BYTES = 7_000;

/**
 * Fan-out of incident changes to the live streams. A change reaches this bus's streams at once, and goes
 * out by NOTIFY too, so that every other server process behind a load balancer (or, embedded, every other
 * app over the same database) streams it as well; each bus ignores its own. A bus starts listening when its
 * first stream opens.
 */
export class IncidentBus {
  private readonly emitter = new EventEmitter();
  private readonly id = randomUUID();
  private listening = false;
  private outbox: string[] = [];
  private flushing: NodeJS.Timeout | undefined;

  constructor(
    private readonly relay?: Relay,
    private readonly logger?: Logger,
  ) {
    // One listener per open stream; a command centre may hold many.
    this.emitter.setMaxListeners(0);
  }

  /** Announce a change to every subscriber, in this process and (through the database) the others. */
  publish(change: IncidentChange): void {
    this.emitter.emit('change', change);
    if (!this.relay) return;
    this.outbox.push(JSON.stringify(change));
    this.flushing ??= setTimeout(() => this.flush(), RELAY_BATCH_MS);
  }

  /** Send the changes waiting in the outbox, as few payloads as fit. */
  private flush(): void {
    this.flushing = undefined;
    const payloads: string[] = [];
    let batch: string[] = [];
    let bytes = 0;
    for (const change of this.outbox) {
      const size = Buffer.byteLength(change) + 1;
      if (batch.length && bytes + size > RELAY_PAYLOAD_BYTES) {
        payloads.push(`{"from":"${this.id}","changes":[${batch.join(',')}]}`);
        batch = [];
        bytes = 0;
      }
      batch.push(change);
      bytes += size;
    }
    if (batch.length) payloads.push(`{"from":"${this.id}","changes":[${batch.join(',')}]}`);
    this.outbox = [];
    this.relay?.notify(INCIDENT_CHANNEL, payloads).catch((err) => {
      this.logger?.warn({ err }, 'incident changes not relayed to the other server processes');
    });
  }

  /** Stream the changes other processes announce, from the first subscription on. */
  private listen(): void {
    if (!this.relay || this.listening) return;
    this.listening = true;
    const onMessage = (payload: string) => {
      const message = JSON.parse(payload) as { from: string; changes: IncidentChange[] };
      if (message.from !== this.id) for (const change of message.changes) this.emitter.emit('change', change);
    };
    const onError = (err: Error) => this.logger?.warn({ err }, 'listening for incident changes failed; retrying');
    this.relay.listen(INCIDENT_CHANNEL, onMessage, onError).catch(onError);
  }

  /** Receive the changes a viewer may see; returns the function that stops it. */
  subscribe(viewer: Actor, listener: (change: IncidentChange) => void): () => void {
    this.listen();
    const filtered = (c: IncidentChange) => {
      if (isVisibleTo(c, viewer)) listener(c);
    };
    this.emitter.on('change', filtered);
    return () => this.emitter.off('change', filtered);
  }

  /** Number of open subscriptions (for health and tests). */
  get size(): number {
    return this.emitter.listenerCount('change');
  }
}

/** A change event for the live stream. */
export function toChange(type: 'created' | 'updated', action: string, r: Record<string, unknown>): IncidentChange {
  return {
    type,
    action,
    id: r.id as number,
    case_no: r.case_no as string,
    status: r.status as Status,
    level: r.level as Level,
    office_code: r.office_code as string,
    grid_code: (r.grid_code as string | null) ?? null,
    community_code: (r.community_code as string | null) ?? null,
    department_code: (r.department_code as string | null) ?? null,
    near_grid_codes: (r.near_grid_codes as string[]) ?? [],
    category_code: r.category_code as string,
    version: r.version as number,
    due_at: iso(r.due_at as Date | null),
    at: new Date().toISOString(),
  };
}
