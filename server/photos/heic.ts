import { Worker } from 'node:worker_threads';

/** A HEIC photo decoded to RGBA pixels, or why not. */
export type HeicResult =
  | { width: number; height: number; data: Uint8ClampedArray }
  | { tooLarge: [number, number] }
  | { error: string };

/**
 * Pixels above which the decoding thread is ended once it has decoded an image. libheif's WebAssembly
 * memory grows to the largest image decoded and is never given back while the thread lives: a 30 KB HEIC
 * of 49 megapixels left the process 600 MB larger for good.
 */
const RESTART_ABOVE_PIXELS = 16_000_000;

let worker: Worker | undefined;
/** The decode running now: decodes run one at a time, so that photos sent at once do not add up their memory. */
let queue: Promise<unknown> = Promise.resolve();

/** The decoding thread, started on first use and after it was ended; it never keeps the process alive when idle. */
function decoder(): Worker {
  if (!worker) {
    worker = new Worker(new URL('./heic_worker.mjs', import.meta.url));
    worker.unref();
  }
  return worker;
}

/** End the decoding thread, giving its memory back before the next decode starts another. */
async function endDecoder(): Promise<void> {
  const w = worker;
  worker = undefined;
  await w?.terminate();
}

/** Decode one photo on the decoding thread. */
function decodeOne(bytes: Buffer, maxPixels: number): Promise<HeicResult> {
  return new Promise<HeicResult>((resolve) => {
    const w = decoder();
    const settle = (r: HeicResult) => {
      w.off('message', onMessage).off('error', onError).off('exit', onExit);
      w.unref();
      resolve(r);
    };
    const onMessage = ({ id: _id, ...result }: HeicResult & { id: number }) => settle(result as HeicResult);
    const onError = (err: Error) => {
      worker = undefined;
      settle({ error: err.message });
    };
    const onExit = (code: number) => {
      worker = undefined;
      settle({ error: `the HEIC decoder stopped (exit ${code})` });
    };
    w.on('message', onMessage).on('error', onError).on('exit', onExit);
    w.ref();
    const copy = Uint8Array.from(bytes);
    w.postMessage({ id: 0, bytes: copy, maxPixels }, [copy.buffer]);
  }).then(async (r) => {
    if ('data' in r && r.width * r.height > RESTART_ABOVE_PIXELS) await endDecoder();
    return r;
  });
}

/**
 * Decode the first image of a HEIC/HEIF file (as it is meant to be displayed: libheif applies its
 * rotations) in a worker thread, one photo at a time, refusing one of more than `maxPixels` before
 * decoding it.
 */
export function decodeHeic(bytes: Buffer, maxPixels: number): Promise<HeicResult> {
  const run = queue.then(() => decodeOne(bytes, maxPixels));
  queue = run.catch(() => undefined);
  return run;
}
