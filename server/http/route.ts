import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { ZodOpenApiOperationObject, ZodOpenApiPathsObject } from 'zod-openapi';
import { Invalid } from './errors.js';

/** A response a route can give: status → description and, optionally, a body schema and media type. */
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
  /** Media type of the body, when not JSON (e.g. multipart/form-data). */
  bodyContentType?: string;
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
    const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      const type = r.contentType ?? (Number(status) >= 400 ? 'application/problem+json' : 'application/json');
      responses[status] = r.schema
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
    if (spec.body) {
      op.requestBody = { content: { [spec.bodyContentType ?? 'application/json']: { schema: spec.body } } };
    }
    this.paths[oaPath] = { ...(this.paths[oaPath] ?? {}), [spec.method]: op };
  }
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
