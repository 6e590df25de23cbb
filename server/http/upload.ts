import type { RequestHandler } from 'express';
import multer from 'multer';
import { Invalid, TooLarge } from './errors.js';

/** What an upload route takes: its files, their limits, and the words its messages use for them. */
export interface UploadOptions {
  /** The form field the files come in. */
  field: string;
  /** Largest file, in bytes. */
  maxBytes: number;
  /** Most files in one request. */
  maxFiles: number;
  /** What one file is, for messages: `photo`, `file`. */
  noun: string;
  /** The kinds of file the route reads, for messages: `.csv or .xlsx`. */
  types: string;
  /** What to do with a file over `maxBytes`, for its message (default: send a smaller one). */
  tooLargeFix?: string;
  /** Refuse a request that is not multipart/form-data (default: let it through to the route's other body parsers). */
  required?: boolean;
  /** Most text fields beside the files (default 50). */
  maxFields?: number;
  /** Longest text field, in bytes (default 64 KiB). */
  maxFieldBytes?: number;
  /** The form may come without a file (photos on a report); documented so, the route decides what that means. */
  optional?: boolean;
}

const OPTIONS = new WeakMap<RequestHandler, UploadOptions>();

/** The options of an `upload` middleware, or undefined for any other: the route registry documents the form from them. */
export function uploadOptionsOf(handler: RequestHandler): UploadOptions | undefined {
  return OPTIONS.get(handler);
}

/** A size for a message, in MB, KB or bytes (1 MB = 1,048,576 bytes, as the limits are set). */
export function formatBytes(bytes: number): string {
  const [size, unit] = bytes >= 1024 * 1024 ? [bytes / 1024 / 1024, 'MB'] : bytes >= 1024 ? [bytes / 1024, 'KB'] : [bytes, 'bytes'];
  return `${Number.isInteger(size) ? size : size.toFixed(1)} ${unit}`;
}

const DEFAULTS = { tooLargeFix: 'send a smaller one', maxFields: 50, maxFieldBytes: 64 * 1024 };

/** The files a route takes, in words: `one photo (JPEG, PNG, WebP or HEIC) in the form field "media"`. */
export function describeFiles(o: UploadOptions): string {
  return `${o.maxFiles === 1 ? `one ${o.noun}` : `at most ${o.maxFiles} ${o.noun}s`} (${o.types}) in the form field "${o.field}"`;
}

/** The problem a multer or busboy error becomes: each names the limit it hit and what to send instead. */
export function toUploadProblem(err: unknown, opts: UploadOptions): Invalid | TooLarge {
  const o = { ...DEFAULTS, ...opts };
  const files = describeFiles(o);
  if (!(err instanceof multer.MulterError)) {
    const why = err instanceof Error ? ` (${err.message})` : '';
    return new Invalid('upload_malformed', `The multipart form could not be read${why}; check its boundary and that the upload was complete, then send ${files}.`, { params: { field: o.field } });
  }
  switch (err.code) {
    case 'LIMIT_FILE_SIZE':
      return new TooLarge(o.noun === 'photo' ? 'photo_too_large' : 'file_too_large', `A ${o.noun} is larger than ${formatBytes(o.maxBytes)}, the limit; ${o.tooLargeFix}.`, {
        params: { max_bytes: o.maxBytes },
      });
    case 'LIMIT_FILE_COUNT':
    case 'LIMIT_UNEXPECTED_FILE':
      return new Invalid(
        o.noun === 'photo' ? 'too_many_photos' : 'too_many_files',
        err.field && err.field !== o.field ? `Send ${files}; this form has a file in "${err.field}".` : `Send ${files}; this form has more.`,
        { params: { max_files: o.maxFiles, field: o.field } },
      );
    case 'LIMIT_FIELD_VALUE':
      return new TooLarge('form_field_too_large', `The form field "${err.field ?? '?'}" is longer than ${formatBytes(o.maxFieldBytes)}, the limit; shorten it, and send ${files} as a file, not as text.`, {
        params: { field: err.field ?? '?', max_bytes: o.maxFieldBytes },
      });
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_PART_COUNT':
      return new Invalid('too_many_form_fields', `The form has more than ${o.maxFields} text fields, the limit; send only the fields the route takes, and ${files}.`, { params: { max_fields: o.maxFields } });
    default:
      return new Invalid('upload_malformed', `The multipart form could not be read (${err.message}); send its fields as text and ${files}.`, { params: { field: o.field } });
  }
}

/**
 * Accept `multipart/form-data` with up to `maxFiles` files in `field`, kept in memory, every part bounded
 * (file size and count, text field size and count, parts), so that no form can take unbounded memory.
 * Requests of other types pass through unless `required`. Multer's and busboy's errors become 413/400
 * problems that say the limit and the fix. Read the files with `uploadedFiles`.
 */
export function upload(opts: UploadOptions): RequestHandler {
  const o = { ...DEFAULTS, ...opts };
  const accept = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: o.maxBytes, files: o.maxFiles, fields: o.maxFields, fieldSize: o.maxFieldBytes, parts: o.maxFiles + o.maxFields },
  }).array(o.field, o.maxFiles);
  const handler: RequestHandler = (req, res, next) => {
    if (!req.is('multipart/form-data')) {
      return next(o.required ? new Invalid('file_missing', `Send the request as multipart/form-data, with ${describeFiles(o)}.`, { params: { field: o.field } }) : undefined);
    }
    accept(req, res, (err?: unknown) => next(err ? toUploadProblem(err, o) : undefined));
  };
  OPTIONS.set(handler, o);
  return handler;
}

/** The files `upload` accepted, in the order they were sent (none when the request was not multipart). */
export function uploadedFiles(req: { files?: unknown }): Express.Multer.File[] {
  return Array.isArray(req.files) ? req.files : [];
}
