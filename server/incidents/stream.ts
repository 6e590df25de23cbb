import type { Request, Response } from 'express';
import { userOf } from '../auth/middleware.js';
import type { IncidentBus } from './events.js';

/** Seconds between keep-alive comments, below the idle timeout of common proxies. */
const HEARTBEAT_SECONDS = 25;

/** Hold an SSE response open and send every change the user may see as `event: incident`. */
export function handleStream(bus: IncidentBus, req: Request, res: Response): void {
  const user = userOf(req);
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // Tell nginx not to buffer the stream.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write(`retry: 5000\n: connected as ${user.username}\n\n`);
  const stop = bus.subscribe(user, (change) => {
    res.write(`id: ${change.id}-${change.version}\nevent: incident\ndata: ${JSON.stringify(change)}\n\n`);
  });
  const beat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_SECONDS * 1000);
  beat.unref();
  req.on('close', () => {
    clearInterval(beat);
    stop();
  });
}
