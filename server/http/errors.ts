/** Base of the errors services throw; the problem middleware maps each class to a status. */
export class DomainError extends Error {
  /** Extra members for the problem document (RFC 9457 extension members). */
  readonly extra: Record<string, unknown>;
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.extra = extra;
  }
}

/** The request is malformed: bad parameters, bad GeoJSON, out-of-range coordinates (400). */
export class Invalid extends DomainError {}
/** The request is well-formed but cannot be processed as it stands (422), e.g. a point outside every grid. */
export class Unprocessable extends DomainError {}
/** No such thing (404). */
export class NotFound extends DomainError {}
/** Not logged in, or the session has expired (401). */
export class Unauthorized extends DomainError {}
/** Logged in, but not allowed to do this here (403). */
export class Forbidden extends DomainError {}
/** The state changed under the request, or the step is not allowed now (409). */
export class Conflict extends DomainError {}
/** The body is larger than allowed (413). */
export class TooLarge extends DomainError {}
/** The media type is not accepted (415). */
export class UnsupportedMedia extends DomainError {}
/** Too many requests from this client (429). */
export class TooManyRequests extends DomainError {}

/** The one error table: each typed error, its HTTP status and its problem title. */
export const ERROR_TABLE: ReadonlyArray<readonly [new (...args: never[]) => DomainError, number, string]> = [
  [Invalid, 400, 'Bad request'],
  [Unauthorized, 401, 'Unauthorized'],
  [Forbidden, 403, 'Forbidden'],
  [NotFound, 404, 'Not found'],
  [Conflict, 409, 'Conflict'],
  [TooLarge, 413, 'Content too large'],
  [UnsupportedMedia, 415, 'Unsupported media type'],
  [Unprocessable, 422, 'Unprocessable content'],
  [TooManyRequests, 429, 'Too many requests'],
];

/** Look up the status and title of an error; undefined for anything that is not a domain error. */
export function statusOf(err: unknown): { status: number; title: string } | undefined {
  for (const [cls, status, title] of ERROR_TABLE) {
    if (err instanceof cls) return { status, title };
  }
  return undefined;
}

/** Throw NotFound when a statement that must return one row returned none. */
export function one<T>(rows: T[], what: string): T {
  if (rows.length === 0) throw new NotFound(what);
  return rows[0];
}
