// Decodes HEIC photos off the main thread: libheif (WebAssembly) takes seconds for a 12-megapixel photo,
// and the server must go on answering meanwhile. Messages: {id, bytes, maxPixels} in; {id, width, height,
// data} (RGBA), {id, tooLarge: [w, h]} or {id, error} out.
import { parentPort } from 'node:worker_threads';
import heic from 'heic-decode';

parentPort.on('message', async ({ id, bytes, maxPixels }) => {
  try {
    const images = await heic.all({ buffer: bytes });
    try {
      const first = images[0];
      if (!first) throw new Error('the file holds no image');
      if (first.width * first.height > maxPixels) {
        parentPort.postMessage({ id, tooLarge: [first.width, first.height] });
        return;
      }
      const { width, height, data } = await first.decode();
      parentPort.postMessage({ id, width, height, data }, [data.buffer]);
    } finally {
      images.dispose();
    }
  } catch (err) {
    parentPort.postMessage({ id, error: String(err?.message ?? err) });
  }
});
