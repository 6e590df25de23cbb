import { EventEmitter } from 'node:events';
import type { Actor, IncidentState } from './workflow.js';
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

/**
 * In-process fan-out of incident changes to the live streams of this server instance. Behind a load
 * balancer each instance only sees its own writes; a PostgreSQL LISTEN/NOTIFY bridge would feed every
 * instance from this same interface.
 */
export class IncidentBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open stream; a command centre may hold many.
    this.emitter.setMaxListeners(0);
  }

  /** Announce a change to every subscriber. */
  publish(change: IncidentChange): void {
    this.emitter.emit('change', change);
  }

  /** Receive the changes a viewer may see; returns the function that stops it. */
  subscribe(viewer: Actor, listener: (change: IncidentChange) => void): () => void {
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
