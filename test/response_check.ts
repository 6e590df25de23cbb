import { match } from 'path-to-regexp';
import type { Response } from 'supertest';
import type { z } from 'zod';
import type { ResponseSpec, RouteSpec } from '../server/http/route.js';
import type { RouteRegistry } from '../server/http/route.js';

type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

/** The route of the registry that answered `method path`: the first registered that matches, as express picks it. */
export function routeOf(registry: RouteRegistry, method: string, path: string): AnyRoute | undefined {
  const m = method.toLowerCase();
  return registry.routes.find((r) => r.method === m && match(r.path, { decode: decodeURIComponent })(path) !== false);
}

/** Whether a sent media type is the declared one (`image/*` takes any image), parameters (charset) aside. */
function sameType(sent: string, declared: string): boolean {
  const [s, d] = [sent, declared].map((t) => t.split(';')[0].trim().toLowerCase());
  return d.endsWith('/*') ? s.startsWith(d.slice(0, -1)) : s === d;
}

/** The declared media type of a response, as the document gives it (route.ts: problem+json for a problem). */
function declaredType(status: number, spec: ResponseSpec): string {
  return spec.contentType ?? (status >= 400 ? 'application/problem+json' : 'application/json');
}

/**
 * Where `sent` holds a key that `parsed` (its parse by the declared schema) lost: a field the schema does
 * not declare, which zod strips silently and the generated types then miss.
 */
export function undeclaredKeys(sent: unknown, parsed: unknown, at = ''): string[] {
  if (Array.isArray(sent) && Array.isArray(parsed)) return sent.flatMap((v, i) => undeclaredKeys(v, parsed[i], `${at}[${i}]`));
  if (!sent || typeof sent !== 'object' || !parsed || typeof parsed !== 'object' || Array.isArray(sent)) return [];
  return Object.entries(sent).flatMap(([k, v]) =>
    k in parsed ? undeclaredKeys(v, (parsed as Record<string, unknown>)[k], `${at}.${k}`) : [`${at}.${k}`],
  );
}

/**
 * What is wrong with an answer against the route's declaration (empty when it matches): its status is one the
 * route declares, its media type the declared one, and its body parses by the declared schema with no
 * undeclared field. `res` is a supertest answer; its request's method and path find the route.
 */
export function responseMismatches(registry: RouteRegistry, res: Response): string[] {
  const req = (res as unknown as { req: { method: string; path: string } }).req;
  const path = new URL(req.path, 'http://x').pathname;
  const what = `${req.method} ${req.path} → ${res.status}`;
  const route = routeOf(registry, req.method, path);
  if (!route) return [`${what}: no route of the registry answers it`];
  const spec = route.responses[res.status];
  if (!spec) return [`${what}: ${route.method.toUpperCase()} ${route.path} declares only ${Object.keys(route.responses).join(', ')}`];
  if (!spec.schema) return res.text || (res.body && Object.keys(res.body).length) ? [`${what}: declared without a body, sent one`] : [];
  const sent = String(res.headers['content-type'] ?? '');
  const declared = declaredType(res.status, spec);
  if (!sameType(sent, declared)) return [`${what}: sent as ${sent || 'no media type'}, declared as ${declared}`];
  const isJson = /[/+]json$/.test(declared.split(';')[0]);
  if (!isJson) return [];
  const parsed = spec.schema.safeParse(res.body);
  if (!parsed.success) return parsed.error.issues.map((i) => `${what}: body.${i.path.join('.')}: ${i.message}`);
  return undeclaredKeys(res.body, parsed.data).map((k) => `${what}: body${k} is not in the declared schema`);
}

/** Throw unless the answer is as its route declares it (see `responseMismatches`); answers `res` to chain. */
export function expectAsDeclared(registry: RouteRegistry, res: Response): Response {
  const wrong = responseMismatches(registry, res);
  if (wrong.length) throw new Error(`The answer is not as declared:\n${wrong.slice(0, 20).join('\n')}`);
  return res;
}
