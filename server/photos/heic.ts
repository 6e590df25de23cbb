import { Worker } from 'node:worker_threads';

/** A HEIC photo decoded to RGBA pixels, or why not. */
export type HeicResult =
  | { width: number; height: number; data: Uint8ClampedArray }
  | { tooLarge: [number, number] }
  | { error: string };

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, (r: HeicResult) => void>();

/** The one decoding thread, started on first use; it never keeps the process alive. */
function decoder(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./heic_worker.mjs', import.meta.url));
  w.unref();
  w.on('message', (msg: HeicResult & { id: number }) => {
    const { id, ...result } = msg;
    pending.get(id)?.(result as HeicResult);
    pending.delete(id);
  });
  const fail = (why: string) => {
    worker = undefined;
    for (const resolve of pending.values()) resolve({ error: why });
    pending.clear();
  };
  w.on('error', (err) => fail(err.message));
  w.on('exit', (code) => fail(`the HEIC decoder stopped (exit ${code})`));
  worker = w;
  return w;
}

/**
 * Decode the first image of a HEIC/HEIF file (as it is meant to be displayed: libheif applies its
 * rotations) in a worker thread, refusing one of more than `maxPixels` before decoding it.
 */
export function decodeHeic(bytes: Buffer, maxPixels: number): Promise<HeicResult> {
  return new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    const w = decoder();
    w.ref();
    const copy = Uint8Array.from(bytes);
    w.postMessage({ id, bytes: copy, maxPixels }, [copy.buffer]);
  }).finally(() => {
    if (pending.size === 0) worker?.unref();
  }) as Promise<HeicResult>;
}
