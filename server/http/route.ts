import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { ZodOpenApiOperationObject, ZodOpenApiPathsObject } from 'zod-openapi';
import { Invalid } from './errors.js';
import { binary, problemSchema } from './schemas.js';
import { describeFiles, formatBytes, uploadOptionsOf, type UploadOptions } from './upload.js';

/**
 * A response a route can give: status → description, body schema and media type. Every answer with a body
 * (any but 204 and 3xx) has a schema (`binary` for bytes); the media type is JSON by default, and
 * application/problem+json for an error whose schema is `problemSchema` (any other error body names its type).
 */
export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
}

/** One route: its method and path, the schemas that parse its input, its responses and its handler. */
export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, H extends z.ZodType = z.ZodType> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express path, e.g. `/api/areas/:code`; written as `{code}` in the OpenAPI document. */
  path: string;
  summary: string;
  tags: string[];
  params?: P;
  query?: Q;
  body?: B;
  /** Request headers the route reads, keyed in lower case (as Node gives them), e.g. `idempotency-key`. */
  headers?: H;
  /**
   * Media type of `body`, when not JSON (e.g. application/x-www-form-urlencoded). Not multipart/form-data:
   * a route with an `upload` middleware in `before` is documented as taking its form (its fields and files).
   */
  bodyContentType?: string;
  /** The text fields of the route's multipart form, when they are not those of `body` (a ZodObject). */
  form?: z.ZodObject;
  /** Further media types the body may come in, read by the handler from the request itself (not parsed by `body`). */
  otherBodies?: Record<string, z.ZodType>;
  /** Who may call it, for the document (`public` needs no session). */
  auth?: 'public' | 'session';
  responses: Record<number, ResponseSpec>;
  /** Middleware to run before the input is parsed (auth, uploads). */
  before?: RequestHandler[];
  handler: (
    input: { params: z.output<P>; query: z.output<Q>; body: z.output<B>; headers: z.output<H> },
    req: Request,
    res: Response,
  ) => Promise<unknown> | unknown;
}

/** Collects routes for an express router and for the OpenAPI document. */
export class RouteRegistry {
  readonly paths: ZodOpenApiPathsObject = {};
  /** Every route registered so far, in order (the tests walk them). */
  readonly routes: RouteSpec<z.ZodType, z.ZodType, z.ZodType>[] = [];

  /** Register a route on the router: parse params, query, headers and body with their schemas, then run the handler. */
  add<P extends z.ZodType = z.ZodObject, Q extends z.ZodType = z.ZodObject, B extends z.ZodType = z.ZodUnknown, H extends z.ZodType = z.ZodObject>(
    router: Router,
    spec: RouteSpec<P, Q, B, H>,
  ): void {
    const run = async (req: Request, res: Response, next: NextFunction) => {
      try {
        refuseNulBytes({ path: req.params, query: req.query, body: req.body });
        const params = spec.params ? parseInput(spec.params, req.params, 'path') : req.params;
        const query = spec.query ? parseInput(spec.query, req.query, 'query') : req.query;
        const headers = spec.headers ? parseInput(spec.headers, req.headers, 'header') : {};
        const body = spec.body ? parseInput(spec.body, req.body, 'body') : req.body;
        const out = await spec.handler({ params, query, body, headers } as never, req, res);
        if (out !== undefined && !res.headersSent) res.json(out);
      } catch (err) {
        next(err);
      }
    };
    router[spec.method](spec.path, ...(spec.before ?? []), run);
    this.routes.push(spec);
    this.document(spec);
  }

  private document(spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>): void {
    const oaPath = spec.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const where = `${spec.method.toUpperCase()} ${spec.path}`;
    checkPathParams(where, spec);
    const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      const type = responseType(where, Number(status), r);
      responses[status] = type && r.schema
        ? { description: r.description, content: { [type]: { schema: r.schema } } }
        : { description: r.description };
    }
    const op: ZodOpenApiOperationObject = {
      summary: spec.summary,
      tags: spec.tags,
      responses: responses as ZodOpenApiOperationObject['responses'],
      ...(spec.auth === 'session' ? { security: [{ bearer: [] }, { cookie: [] }] } : {}),
    };
    const requestParams: Record<string, z.ZodObject> = {};
    if (spec.params instanceof z.ZodObject) requestParams.path = spec.params;
    if (spec.query instanceof z.ZodObject) requestParams.query = spec.query;
    if (spec.headers instanceof z.ZodObject) requestParams.header = spec.headers;
    if (Object.keys(requestParams).length) op.requestParams = requestParams;
    const content = requestContent(where, spec);
    if (Object.keys(content).length) op.requestBody = { content };
    this.paths[oaPath] = { ...(this.paths[oaPath] ?? {}), [spec.method]: op };
  }
}

/** Refuse a route whose path names a parameter its `params` schema does not declare: the document could not describe it. */
function checkPathParams(where: string, spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>): void {
  const names = [...spec.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]);
  const declared = spec.params instanceof z.ZodObject ? Object.keys(spec.params.shape) : [];
  const missing = names.filter((n) => !declared.includes(n));
  if (missing.length) throw new Error(`${where}: declare the path parameter(s) ${missing.join(', ')} in params (a z.object)`);
}

/**
 * The media type a response is documented with, or undefined when it has no body (204, 3xx). Refuses a
 * response with a body but no schema, and an error whose body is not a problem but names no media type
 * (the default, application/problem+json, would then be wrong).
 */
function responseType(where: string, status: number, r: ResponseSpec): string | undefined {
  if (status === 204 || (status >= 300 && status < 400)) return r.schema ? (r.contentType ?? 'application/json') : undefined;
  if (!r.schema) throw new Error(`${where} ${status}: give the response a schema (binary for bytes, z.string() for text)`);
  if (r.contentType) return r.contentType;
  if (status < 400) return 'application/json';
  if (r.schema !== problemSchema) throw new Error(`${where} ${status}: this error is not a problem (problemSchema); name the contentType it is sent with`);
  return 'application/problem+json';
}

/** The object a body schema reads, through preprocessing and transforms (`z.preprocess(f, z.object(…))`). */
function objectOf(schema: z.ZodType | undefined): z.ZodObject | undefined {
  if (schema instanceof z.ZodObject) return schema;
  if (schema instanceof z.ZodPipe) return objectOf(schema.in as z.ZodType) ?? objectOf(schema.out as z.ZodType);
  return undefined;
}

/** The multipart form of a route that takes an upload: its text fields and its file field(s), as binary. */
function formSchema(spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>, o: UploadOptions): z.ZodType {
  const fields = spec.form ?? objectOf(spec.body) ?? z.object({});
  const description = `${describeFiles(o)}, at most ${formatBytes(o.maxBytes)} each`;
  const file = o.maxFiles === 1 ? binary.meta({ description }) : z.array(binary).max(o.maxFiles).meta({ description });
  return fields.safeExtend({ [o.field]: o.optional ? file.optional() : file });
}

/**
 * The request body of a route, by media type: `body` (JSON unless `bodyContentType`), the multipart form of
 * its `upload` middleware, and its `otherBodies`. Refuses a media type without a schema, and a multipart
 * type declared by hand (only `upload` reads one, so only its options can describe it).
 */
function requestContent(where: string, spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>): Record<string, { schema: z.ZodType }> {
  if (spec.bodyContentType?.startsWith('multipart/')) throw new Error(`${where}: put upload({...}) in before instead of bodyContentType ${spec.bodyContentType}; the form is documented from it`);
  if (spec.bodyContentType && !spec.body) throw new Error(`${where}: bodyContentType ${spec.bodyContentType} needs a body schema`);
  const content: Record<string, { schema: z.ZodType }> = {};
  if (spec.body) content[spec.bodyContentType ?? 'application/json'] = { schema: spec.body };
  const uploads = (spec.before ?? []).map(uploadOptionsOf).filter((o): o is UploadOptions => o !== undefined);
  if (uploads.length > 1) throw new Error(`${where}: one upload middleware per route`);
  if (uploads.length) content['multipart/form-data'] = { schema: formSchema(spec, uploads[0]) };
  if (spec.form && !uploads.length) throw new Error(`${where}: form is documented only for a route with an upload middleware`);
  for (const [type, schema] of Object.entries(spec.otherBodies ?? {})) content[type] = { schema };
  return content;
}

/** Parse one part of a request; a failure becomes a 400 problem naming each bad field and what is expected. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const errors = result.error.issues.map((i) => ({
    in: where,
    field: i.path.join('.') || where,
    message: i.message,
  }));
  const detail = errors.map((e) => (e.field === where ? e.message : `${e.field}: ${e.message}`)).join('; ');
  throw new Invalid('validation_failed', `Invalid ${where}: ${detail}`, { extra: { errors } });
}

/** Where in a request a value sits, for messages: `query.grid`, `body.attrs.note`. */
function nulPath(value: unknown, at: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? at : undefined;
  if (!value || typeof value !== 'object' || depth > 64) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\u0000')) return `${at} (a key)`;
    const found = nulPath(v, `${at}.${k}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Refuse a request with a NUL byte in any string of its path, query or body (keys included): no field
 * stores one (PostgreSQL refuses it in text and JSON), so it is a client's mistake or an attack, and it is
 * answered before any route reads the request, the same way for every route.
 */
export function refuseNulBytes(parts: Record<string, unknown>): void {
  for (const [where, value] of Object.entries(parts)) {
    const at = nulPath(value, where);
    if (at) throw new Invalid('bad_encoding', `${at} holds a NUL byte (\\u0000); remove the character and send it again.`, { extra: { errors: [{ in: where, field: at.replace(/^[a-z]+\.?/, '') || where, message: 'holds a NUL byte' }] } });
  }
}
