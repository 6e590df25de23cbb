import { Validator } from '@seriousme/openapi-schema-validator';
import { Router } from 'express';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiDocument } from '../../scripts/gen_api_types.js';
import { buildOpenApi } from './openapi.js';
import { RouteRegistry, type RouteSpec } from './route.js';
import { problem } from './schemas.js';
import { upload } from './upload.js';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Every operation of a document, with its path and method. */
function operations(doc: Json): { path: string; method: string; op: Json }[] {
  return Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] })),
  );
}

/** A schema as the document gives it, its $ref followed. */
function resolve(doc: Json, schema: Json): Json {
  return schema.$ref ? doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')] : schema;
}

/** A document of one route, registered on a throwaway registry. */
function documentOf(spec: Partial<RouteSpec<z.ZodType, z.ZodType, z.ZodType>>): Json {
  const registry = new RouteRegistry();
  registry.add(Router(), { method: 'get', path: '/x', summary: 's', tags: ['t'], responses: { 200: { description: 'ok', schema: z.object({}) } }, handler: () => ({}), ...spec });
  return JSON.parse(JSON.stringify(buildOpenApi(registry, '0')));
}

describe('the OpenAPI document of every route (/api/openapi.json)', () => {
  let doc: Json;
  beforeAll(async () => {
    // The document as GET /api/openapi.json serves it: JSON, without what only a live object has.
    doc = JSON.parse(JSON.stringify(await apiDocument()));
  });

  it('is valid OpenAPI 3.1', async () => {
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('declares every path parameter of a path, each required', () => {
    for (const { path, method, op } of operations(doc)) {
      const inPath = (op.parameters ?? []).filter((p: Json) => p.in === 'path');
      const named = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(inPath.map((p: Json) => p.name).sort(), `${method} ${path}`).toEqual(named.sort());
      for (const p of inPath) expect(p.required, `${method} ${path} {${p.name}}`).toBe(true);
    }
  });

  it('declares the multipart form of every upload, its files as binary beside its other fields', () => {
    const form = (path: string, method = 'post') => resolve(doc, doc.paths[path][method].requestBody?.content?.['multipart/form-data']?.schema ?? {});
    const expected: [string, string, 'one' | 'many', string[]][] = [
      ['/api/incidents', 'photos', 'many', ['category', 'lon', 'lat', 'description']],
      ['/api/public/incidents', 'photos', 'many', ['category', 'lon', 'lat', 'contact_name', 'contact_phone']],
      ['/api/incidents/{id}/actions', 'photos', 'many', ['action', 'note']],
      ['/open311/v2/requests.json', 'media', 'one', ['service_code', 'lat', 'long', 'description']],
      ['/api/plans', 'file', 'one', ['title', 'crs']],
      ['/api/assets/import', 'file', 'one', []],
      ['/api/population/import', 'file', 'one', []],
    ];
    for (const [path, field, count, fields] of expected) {
      const schema = form(path);
      expect(Object.keys(schema.properties ?? {}), path).toEqual(expect.arrayContaining([field, ...fields]));
      const file = count === 'one' ? schema.properties[field] : schema.properties[field].items;
      expect(file, `${path} ${field}`).toMatchObject({ type: 'string', format: 'binary' });
    }
    // Every multipart body of the document is one of those.
    const multipart = operations(doc).filter(({ op }) => op.requestBody?.content?.['multipart/form-data']).map(({ path }) => path);
    expect(multipart.sort()).toEqual(expected.map(([p]) => p).sort());
    expect(doc.paths['/api/assets/import'].post.requestBody.content).toHaveProperty(['text/csv']);
  });

  it('gives every request body and every answer with a body a schema', () => {
    for (const { path, method, op } of operations(doc)) {
      for (const [type, media] of Object.entries<Json>(op.requestBody?.content ?? {})) expect(media.schema, `${method} ${path} body ${type}`).toBeDefined();
      for (const [status, r] of Object.entries<Json>(op.responses)) {
        if (status === '204' || status.startsWith('3')) continue;
        expect(Object.keys(r.content ?? {}), `${method} ${path} ${status}`).not.toEqual([]);
        for (const [type, media] of Object.entries<Json>(r.content)) expect(media.schema, `${method} ${path} ${status} ${type}`).toBeDefined();
      }
    }
  });

  it('declares errors with the media type they are sent with: problem+json, Open311\'s lists as JSON', () => {
    for (const { path, method, op } of operations(doc)) {
      for (const [status, r] of Object.entries<Json>(op.responses)) {
        if (Number(status) < 400) continue;
        const types = Object.keys(r.content);
        if (path.startsWith('/open311/')) {
          expect(types, `${method} ${path} ${status}`).toEqual(['application/json']);
          expect(r.content['application/json'].schema, `${method} ${path} ${status}`).toMatchObject({ type: 'array', items: { required: ['code', 'description'] } });
        } else {
          expect(types, `${method} ${path} ${status}`).toEqual(['application/problem+json']);
        }
      }
    }
  });
});

describe('RouteRegistry refuses a route the document could not describe', () => {
  const noop = () => ({});

  it('marks a path parameter required even when its schema accepts undefined (z.preprocess)', () => {
    const id = z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().optional());
    const d = documentOf({ path: '/x/:id', params: z.object({ id }) });
    expect(d.paths['/x/{id}'].get.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'id', required: true })]);
  });

  it('refuses a path parameter missing from params', () => {
    expect(() => documentOf({ path: '/x/:id/photos/:n', params: z.object({ id: z.string() }) })).toThrow(/declare the path parameter\(s\) n in params/);
  });

  it('refuses a multipart body declared by hand, and a content type without a body', () => {
    expect(() => documentOf({ method: 'post', bodyContentType: 'multipart/form-data' })).toThrow(/put upload\(\{\.\.\.\}\) in before/);
    expect(() => documentOf({ method: 'post', bodyContentType: 'text/csv' })).toThrow(/needs a body schema/);
  });

  it('documents an upload from its middleware: the form\'s fields and the file, required unless optional', () => {
    const file = upload({ field: 'file', noun: 'file', types: 'CSV', maxBytes: 10, maxFiles: 1 });
    const d = documentOf({ method: 'post', before: [file], body: z.object({ title: z.string() }) });
    const form = d.paths['/x'].post.requestBody.content['multipart/form-data'].schema;
    expect(form.properties).toMatchObject({ title: { type: 'string' }, file: { type: 'string', format: 'binary' } });
    expect(form.required).toEqual(['title', 'file']);
    const photos = upload({ field: 'photos', noun: 'photo', types: 'JPEG', maxBytes: 10, maxFiles: 3, optional: true });
    const p = documentOf({ method: 'post', before: [photos] }).paths['/x'].post.requestBody.content['multipart/form-data'].schema;
    expect(p.properties.photos).toMatchObject({ type: 'array', maxItems: 3, items: { type: 'string', format: 'binary' } });
    expect(p.required ?? []).toEqual([]);
  });

  it('refuses an answer with a body but no schema, and a non-problem error without its media type', () => {
    expect(() => documentOf({ responses: { 200: { description: 'The image', contentType: 'image/*' } } })).toThrow(/give the response a schema/);
    expect(() => documentOf({ responses: { 200: { description: 'ok', schema: z.object({}) }, 404: { description: 'gone', schema: z.array(z.string()) } } })).toThrow(/name the contentType/);
    const d = documentOf({ responses: { 204: { description: 'Nothing' }, 404: problem('gone'), 400: { description: 'bad', schema: z.array(z.string()), contentType: 'application/json' } } });
    expect(d.paths['/x'].get.responses).toEqual({
      204: { description: 'Nothing' },
      400: { description: 'bad', content: { 'application/json': { schema: expect.any(Object) } } },
      404: { description: 'gone', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
    });
  });
});
