import type { RequestHandler } from 'express';
import multer from 'multer';
import { Invalid, TooLarge } from '../http/errors.js';

/**
 * Accept `multipart/form-data` with up to `maxFiles` files in `field` (kept in memory: photos are
 * re-encoded before they are stored); other content types pass through untouched. Multer's own errors
 * become 413/400 problems that say the limit.
 */
export function acceptPhotos(opts: { field: string; maxBytes: number; maxFiles: number; alsoFields?: string[] }): RequestHandler {
  const fields = [opts.field, ...(opts.alsoFields ?? [])].map((name) => ({ name, maxCount: opts.maxFiles }));
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: opts.maxBytes, files: opts.maxFiles, fields: 50, fieldSize: 64 * 1024 },
  }).fields(fields);
  return (req, res, next) => {
    if (!req.is('multipart/form-data')) return next();
    upload(req, res, (err?: unknown) => {
      if (!err) return next();
      if (err instanceof multer.MulterError) {
        if (err.code === 'LIMIT_FILE_SIZE') {
          return next(new TooLarge('photo_too_large', `A photo is larger than ${Math.floor(opts.maxBytes / 1024 / 1024)} MB; send a smaller one.`, { params: { max_bytes: opts.maxBytes } }));
        }
        if (err.code === 'LIMIT_FILE_COUNT' || err.code === 'LIMIT_UNEXPECTED_FILE') {
          return next(new Invalid('too_many_photos', `Send at most ${opts.maxFiles} photos, as files in the form field "${opts.field}" (got one in "${err.field ?? '?'}").`, {
            params: { max_files: opts.maxFiles, field: opts.field },
          }));
        }
        return next(new Invalid('upload_malformed', `The multipart form could not be read (${err.message}); send fields as text and photos as files in "${opts.field}".`, {
          params: { field: opts.field },
        }));
      }
      next(new Invalid('upload_malformed', 'The multipart form could not be read; check the boundary and that the upload was complete.', { params: { field: opts.field } }));
    });
  };
}

/** The uploaded files of a request (from `acceptPhotos`), in the order they were sent. */
export function uploadedFiles(req: { files?: unknown }): Express.Multer.File[] {
  const files = req.files;
  if (!files) return [];
  if (Array.isArray(files)) return files;
  return Object.values(files as Record<string, Express.Multer.File[]>).flat();
}
