import { uploadedFiles } from '../http/upload.js';

/** The photos of a request (accepted by `upload` in `server/http/`), in the order they were sent, as name and bytes; their type is read from the bytes later. */
export function uploadedPhotos(req: { files?: unknown }): { name: string; bytes: Buffer }[] {
  return uploadedFiles(req).map((f) => ({ name: f.originalname, bytes: f.buffer }));
}
