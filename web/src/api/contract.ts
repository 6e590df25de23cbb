/**
 * What the server promises, read from the types generated from its OpenAPI document (schema.d.ts): the
 * parameters, body and answer of each operation by its path, and the URL of a call.
 */
import type { components, paths } from './schema.js';

/** An HTTP method the API uses. */
export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

/** A path of the document, as written there (`/api/assets/{id}`). */
export type ApiPath = keyof paths;

/** The paths that have an operation for a method. */
export type PathWith<M extends Method> = { [P in ApiPath]: paths[P] extends Record<M, unknown> ? P : never }[ApiPath];

type Operation<P extends ApiPath, M extends Method> = paths[P] extends Record<M, infer O> ? O : never;

/** The path and query parameters of an operation (`{ path: { id: number }; query?: { … } }`). */
export type Params<P extends ApiPath, M extends Method> = Operation<P, M> extends { parameters: infer X } ? X : unknown;

/** The JSON body an operation takes (never when the document gives none). */
export type Body<P extends ApiPath, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/** What a call sends: its parameters, and a body as JSON or, for the multipart forms the document leaves out, a FormData. */
export type ApiRequest<P extends ApiPath, M extends Method> = Params<P, M> & { body?: Body<P, M> | FormData };

/** The request as the last argument of a call: optional when nothing in it is required. */
export type RequestArgs<P extends ApiPath, M extends Method> = object extends ApiRequest<P, M> ? [request?: ApiRequest<P, M>] : [request: ApiRequest<P, M>];

type SuccessStatus = 200 | 201 | 202 | 204;
type Responses<P extends ApiPath, M extends Method> = Operation<P, M> extends { responses: infer R } ? R : never;
type ContentOf<R> = R extends { content: infer C } ? ([C] extends [never] ? never : C[keyof C]) : never;
type SuccessBody<R> = { [S in Extract<keyof R, SuccessStatus>]: S extends 204 ? undefined : ContentOf<R[S]> }[Extract<keyof R, SuccessStatus>];

/**
 * What an operation answers on success (undefined for 204). Unknown when the document declares no JSON
 * answer for it, so that a page reading such an answer has to say what it expects.
 */
export type Answer<P extends ApiPath, M extends Method> = [SuccessBody<Responses<P, M>>] extends [never] ? unknown : SuccessBody<Responses<P, M>>;

/** A named schema of the document (`Schema<'Asset'>`). */
export type Schema<N extends keyof components['schemas']> = components['schemas'][N];

/** Path and query values as a call gives them. */
export interface UrlParams {
  path?: Record<string, string | number>;
  query?: Record<string, string | number | boolean | null | undefined>;
}

/** A query string of the values that are defined (`status=open&limit=50`); empty when none is. */
export function queryString(query: UrlParams['query'] = {}): string {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null) q.set(name, String(value));
  return q.toString();
}

/** The URL of a call: each `{name}` of the path filled in (encoded), and the query's defined values appended. */
export function apiUrl(path: string, params: UrlParams = {}): string {
  const filled = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params.path?.[name];
    if (value === undefined) throw new Error(`${path} needs its path parameter "${name}"`);
    return encodeURIComponent(String(value));
  });
  const qs = queryString(params.query);
  return qs ? `${filled}?${qs}` : filled;
}
