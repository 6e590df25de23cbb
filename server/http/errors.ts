import { STATUS_TITLES, type CodeWithStatus, type ParamName, type ParamValue, type ProblemCode, type ProblemParams } from './problem_codes.js';

/** What a throw site gives besides its code and detail: the code's params, and extension members of the problem document. */
export type ProblemOptions<C extends ProblemCode> = {
  /** Extra members for the problem document (RFC 9457 extension members), e.g. `report`, `allowed_actions`. */
  extra?: Record<string, unknown>;
  /** Headers to send with the problem, e.g. Retry-After. */
  headers?: Record<string, string>;
} & ([ParamName<C>] extends [never] ? { params?: undefined } : { params: ProblemParams<C> });

/** The options argument: required when the code has params. */
type OptionsArg<C extends ProblemCode> = [ParamName<C>] extends [never] ? [options?: ProblemOptions<C>] : [options: ProblemOptions<C>];

/** Base of the errors services throw: a catalogue code, an English detail that says what to fix, the code's params. */
export class DomainError<C extends ProblemCode = ProblemCode> extends Error {
  /** The stable code clients translate (see problem_codes.ts). */
  readonly code: C;
  /** The values the code's message needs. */
  readonly params: Record<string, ParamValue>;
  /** Extra members for the problem document (RFC 9457 extension members). */
  readonly extra: Record<string, unknown>;
  /** Headers to send with the problem document. */
  readonly headers: Record<string, string>;
  constructor(code: C, detail: string, ...[options]: OptionsArg<C>) {
    super(detail);
    this.name = new.target.name;
    this.code = code;
    this.params = options?.params ?? {};
    this.extra = options?.extra ?? {};
    this.headers = options?.headers ?? {};
  }
}

/** The request is malformed: bad parameters, bad GeoJSON, out-of-range coordinates (400). */
export class Invalid<C extends CodeWithStatus<400> = CodeWithStatus<400>> extends DomainError<C> {}
/** The request is well-formed but cannot be processed as it stands (422), e.g. a point outside every grid. */
export class Unprocessable<C extends CodeWithStatus<422> = CodeWithStatus<422>> extends DomainError<C> {}
/** No such thing (404). */
export class NotFound<C extends CodeWithStatus<404> = CodeWithStatus<404>> extends DomainError<C> {}
/** Not logged in, or the session has expired (401). */
export class Unauthorized<C extends CodeWithStatus<401> = CodeWithStatus<401>> extends DomainError<C> {}
/** Logged in, but not allowed to do this here (403). */
export class Forbidden<C extends CodeWithStatus<403> = CodeWithStatus<403>> extends DomainError<C> {}
/** The state changed under the request, or the step is not allowed now (409). */
export class Conflict<C extends CodeWithStatus<409> = CodeWithStatus<409>> extends DomainError<C> {}
/** The body is larger than allowed (413). */
export class TooLarge<C extends CodeWithStatus<413> = CodeWithStatus<413>> extends DomainError<C> {}
/** The media type is not accepted (415). */
export class UnsupportedMedia<C extends CodeWithStatus<415> = CodeWithStatus<415>> extends DomainError<C> {}
/** Too many requests from this client (429). */
export class TooManyRequests<C extends CodeWithStatus<429> = CodeWithStatus<429>> extends DomainError<C> {}

/** The one error table: each typed error and its HTTP status. */
export const ERROR_TABLE: ReadonlyArray<readonly [abstract new (...args: never[]) => DomainError, number]> = [
  [Invalid, 400],
  [Unauthorized, 401],
  [Forbidden, 403],
  [NotFound, 404],
  [Conflict, 409],
  [TooLarge, 413],
  [UnsupportedMedia, 415],
  [Unprocessable, 422],
  [TooManyRequests, 429],
];

/** Look up the status and title of an error; undefined for anything that is not a domain error. */
export function statusOf(err: unknown): { status: number; title: string } | undefined {
  for (const [cls, status] of ERROR_TABLE) {
    if (err instanceof cls) return { status, title: STATUS_TITLES[status] };
  }
  return undefined;
}
