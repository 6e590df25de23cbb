import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { DomainError, statusOf } from './errors.js';
import { STATUS_TITLES, statusesOf, type ParamValue, type ProblemCode, type ProblemParams } from './problem_codes.js';

/** Media type of every error body (RFC 9457). */
export const PROBLEM_TYPE = 'application/problem+json';

/** Seconds a client is told to wait (Retry-After) when the database cannot be reached. */
export const DATABASE_RETRY_AFTER = 5;

/** What an error answers, before it is written in a format (problem+json, or Open311's error list). */
export interface Described {
  status: number;
  code: ProblemCode;
  params: Record<string, ParamValue>;
  detail: string;
  /** Extension members of the problem document. */
  extra?: Record<string, unknown>;
  /** Headers to send with it (e.g. Retry-After). */
  headers?: Record<string, string>;
}

/** A problem document as sent to clients: the answer's members, the standard ones of RFC 9457, and extension members. */
export interface Problem extends Pick<Described, 'status' | 'code' | 'params' | 'detail'> {
  type: string;
  title: string;
  instance?: string;
  [extension: string]: unknown;
}

/** The answer of a code that no error class carries, with the status the catalogue gives it. */
function answerOf<C extends ProblemCode>(code: C, params: ProblemParams<C>, detail: string, headers?: Record<string, string>): Described {
  return { status: statusesOf(code)[0], code, params, detail, headers };
}

/** Send a problem document (with its headers) in the right media type; its extension members cannot hide a standard one. */
export function sendProblem(req: Request, res: Response, d: Described): void {
  const problem: Problem = {
    ...d.extra,
    type: 'about:blank',
    title: STATUS_TITLES[d.status],
    status: d.status,
    code: d.code,
    params: d.params,
    detail: d.detail,
    instance: req.originalUrl,
  };
  res.status(d.status).set(d.headers ?? {}).type(PROBLEM_TYPE).send(JSON.stringify(problem));
}

/** 404 for any route nobody handled. */
export const handleUnknownRoute: RequestHandler = (req, res) => {
  const detail = `There is no ${req.method} ${req.path}. The API is described at /api/openapi.json (browse it at /api/docs).`;
  sendProblem(req, res, answerOf('route_not_found', { method: req.method, path: req.path }, detail));
};

type ParserError = { type: string; limit?: number };

// Errors raised by express's own body parsers, with what to tell the client.
const PARSER_ERRORS: Record<string, (err: ParserError) => Described> = {
  'entity.too.large': (e) =>
    answerOf('body_too_large', { max_bytes: e.limit ?? null }, `The request body is larger than the limit of ${e.limit} bytes; send a smaller body.`),
  'entity.parse.failed': () => answerOf('body_not_json', {}, 'The request body is not valid JSON; check quotes, commas and brackets.'),
  'parameters.too.many': () => answerOf('too_many_form_fields', { max_fields: 1000 }, 'The form has more than 1000 fields, the limit; send only the fields the route takes.'),
  'encoding.unsupported': () => answerOf('body_encoding_unsupported', {}, 'The request body encoding is not supported; send it uncompressed, or as gzip, deflate or br.'),
  'charset.unsupported': () => answerOf('body_encoding_unsupported', {}, 'The request body charset is not supported; send UTF-8.'),
};

/** The fields of a PostgreSQL error that say what it was about (never its SQL). */
interface DatabaseError {
  code: string;
  detail?: string;
  table?: string;
  constraint?: string;
}

// The column list of a key in a constraint error's detail: `Key (office_code, code)=(…) already exists.`
const KEY_COLUMNS = /^Key \((.*?)\)=\(/;

/** The column names a unique or foreign-key error's detail names. */
function keyFields(detail: string | undefined): string[] {
  const m = detail ? KEY_COLUMNS.exec(detail) : null;
  return m ? m[1].split(', ') : [];
}

/** The table named in a constraint error's detail after `phrase` (e.g. `is not present in table "p"`). */
function detailTable(detail: string | undefined, phrase: string): string | null {
  const m = detail ? new RegExp(`${phrase} "([^"]+)"`).exec(detail) : null;
  return m ? m[1] : null;
}

/** The 503 of a database that cannot be reached, with the Retry-After to wait. */
const unavailable = (): Described =>
  answerOf('database_unavailable', {}, `The database cannot be reached just now; nothing was changed. Try again in ${DATABASE_RETRY_AFTER} seconds.`, {
    'Retry-After': String(DATABASE_RETRY_AFTER),
  });

// PostgreSQL errors by SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html), with what to tell
// the client. Classes whose every code means the same are keyed by their two-character class.
const DATABASE_ERRORS: Record<string, (err: DatabaseError) => Described> = {
  '23505': (e) => {
    const fields = keyFields(e.detail);
    return answerOf(
      'already_exists',
      { table: e.table ?? null, fields, constraint: e.constraint ?? null },
      `There is already a row in ${e.table ?? 'the table'} with this ${fields.join(', ') || 'key'}; choose another value, or change the one there.`,
    );
  },
  '23503': (e) => {
    const fields = keyFields(e.detail);
    const referencing = detailTable(e.detail, 'is still referenced from table');
    if (referencing) {
      return answerOf(
        'still_referenced',
        { fields, referencing_table: referencing, constraint: e.constraint ?? null },
        `This row is still referred to from ${referencing}; change or delete those rows first.`,
      );
    }
    const referenced = detailTable(e.detail, 'is not present in table');
    return answerOf(
      'reference_missing',
      { table: e.table ?? null, fields, referenced_table: referenced, constraint: e.constraint ?? null },
      `The ${fields.join(', ') || 'reference'} given names no row in ${referenced ?? 'the table it refers to'} (or it was deleted meanwhile); pick one that exists.`,
    );
  },
  '40P01': () => answerOf('transaction_conflict', {}, 'Another change ran on the same rows at the same moment (a deadlock); nothing was saved. Send the request again.'),
  '40001': () => answerOf('transaction_conflict', {}, 'Another change ran on the same rows at the same moment; nothing was saved. Send the request again.'),
  '22021': () => answerOf('bad_encoding', {}, 'A value holds a NUL byte (\\u0000) or is not valid UTF-8; remove the character and send it again.'),
  '22P05': () => answerOf('bad_encoding', {}, 'A value holds a character the database cannot store (\\u0000 in JSON); remove it and send it again.'),
  '22003': () => answerOf('value_out_of_range', {}, 'A number is too large for the field it goes in; check the ids and numbers sent.'),
  // A lost or refused connection, a server shutting down, too many connections: wait and retry.
  '08': unavailable,
  '57P01': unavailable,
  '57P02': unavailable,
  '57P03': unavailable,
  '53300': unavailable,
};

// The Node socket errors of a refused or dropped database connection (the only connections a request makes).
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/** The problem of a database error, or undefined when the error is not one the table knows. */
function databaseProblem(err: { code?: unknown; severity?: unknown; name?: unknown; message?: unknown }): Described | undefined {
  if (typeof err.code === 'string' && CONNECTION_ERRORS.has(err.code)) return unavailable();
  // knex when no pooled connection came in time; node-postgres when the server closed the connection (it gives no code).
  if (err.name === 'KnexTimeoutError' || (typeof err.message === 'string' && err.message.includes('Connection terminated'))) return unavailable();
  if (typeof err.code !== 'string' || typeof err.severity !== 'string' || !/^[0-9A-Z]{5}$/.test(err.code)) return undefined;
  const map = DATABASE_ERRORS[err.code] ?? DATABASE_ERRORS[err.code.slice(0, 2)];
  return map?.(err as DatabaseError);
}

/** Describe what was thrown: typed errors by the error table, express's parser errors, database errors; undefined for the rest (a 500). */
export function describeError(err: unknown): Described | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const known = statusOf(err);
  if (known && err instanceof DomainError) return { status: known.status, code: err.code, params: err.params, detail: err.message, extra: err.extra, headers: err.headers };
  const type = (err as { type?: unknown }).type;
  const parser = typeof type === 'string' && Object.hasOwn(PARSER_ERRORS, type) ? PARSER_ERRORS[type] : undefined;
  if (parser) return parser(err as ParserError);
  // express's router, when a path parameter's percent-encoding is broken (e.g. /api/areas/%E0%A4).
  if (err instanceof URIError && (err as { status?: unknown }).status === 400) {
    return answerOf('bad_encoding', {}, 'The path holds a broken percent-encoding; encode each character of it as UTF-8 (encodeURIComponent).');
  }
  return databaseProblem(err);
}

/** Map every error to a problem document: known ones by the error table, the rest as 500 (logged, not shown). */
export function handleErrors(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const described = describeError(err);
    if (!described || described.status >= 500) logger.error({ err, url: req.originalUrl }, described ? described.code : 'unhandled error');
    sendProblem(req, res, described ?? answerOf('internal_error', {}, 'Something went wrong on the server; it has been logged. Try again, and report it if it persists.'));
  };
}
