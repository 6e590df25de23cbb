import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { createDocument } from 'zod-openapi';
import type { AppContext } from '../context.js';
import { FEATURE_LAYERS, PUBLIC_LAYER_IDS, type LayerId } from '../features/catalogue.js';
import { NotFound } from '../http/errors.js';
import type { RouteRegistry } from '../http/route.js';
import { publicBaseUrl } from '../http/public_url.js';
import { problem } from '../http/schemas.js';
import { featureTable, page, recordTable } from './html.js';
import {
  collectionParams,
  collectionSchema,
  collectionsSchema,
  conformanceSchema,
  featureParams,
  itemsQuery,
  itemsSchema,
  landingSchema,
  ogcQuery,
} from './schema.js';
import { collection, collections, conformance, ExtentCache, item, items, itemsText, landing } from './service.js';

const GEOJSON = 'application/geo+json';

/** Whether to answer HTML: `f=html`, or no `f` and an Accept header that prefers HTML to JSON. */
export function wantsHtml(req: Request, f: 'json' | 'html' | undefined): boolean {
  if (f) return f === 'html';
  return req.accepts(['application/json', GEOJSON, 'text/html']) === 'text/html';
}

/** The collection id of a path (public layers only: OGC is open to all), or 404 naming the collections. */
function layerOf(id: string): LayerId {
  const ids: readonly string[] = PUBLIC_LAYER_IDS;
  if (!ids.includes(id)) {
    throw new NotFound('collection_not_found', `There is no collection "${id}"; the collections are ${PUBLIC_LAYER_IDS.join(', ')}.`, {
      params: { collection: id, collections: PUBLIC_LAYER_IDS },
    });
  }
  return id as LayerId;
}

/** OGC API – Features Part 1 Core at /ogc, with its OpenAPI document at /ogc/api. */
export function ogcRoutes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();
  const { knex } = ctx.db;
  const extents = new ExtentCache(knex);
  const tags = ['ogc'];
  const badRequest = problem('A parameter is invalid or unknown; the detail names it');
  /** The absolute base of the OGC API, on the server's public address. */
  const baseOf = (req: Request, res: Response) => `${publicBaseUrl(req, res, ctx.config.publicUrl)}/ogc`;

  registry.add(router, {
    method: 'get',
    path: '/ogc',
    summary: 'OGC API – Features landing page',
    tags,
    auth: 'public',
    query: ogcQuery,
    responses: { 200: { description: 'Links to the API definition, conformance and collections', schema: landingSchema }, 400: badRequest },
    handler: ({ query }, req, res) => {
      const html = wantsHtml(req, query.f);
      const body = landing(baseOf(req, res), html);
      if (html) return void res.type('html').send(page(body.title, body.description, body.links));
      return body;
    },
  });

  registry.add(router, {
    method: 'get',
    path: '/ogc/conformance',
    summary: 'Conformance classes implemented',
    tags,
    auth: 'public',
    query: ogcQuery,
    responses: { 200: { description: 'The conformance classes', schema: conformanceSchema }, 400: badRequest },
    handler: ({ query }, req, res) => {
      const body = conformance();
      if (wantsHtml(req, query.f)) {
        return void res.type('html').send(page('Conformance', 'Conformance classes of this API', [], recordTable(body.conformsTo.map((c) => ({ class: c })))));
      }
      return body;
    },
  });

  registry.add(router, {
    method: 'get',
    path: '/ogc/collections',
    summary: 'The feature collections, with their extents in CRS84',
    tags,
    auth: 'public',
    query: ogcQuery,
    responses: { 200: { description: 'The collections', schema: collectionsSchema }, 400: badRequest },
    handler: async ({ query }, req, res) => {
      const html = wantsHtml(req, query.f);
      const body = await collections(extents, baseOf(req, res), html);
      if (html) {
        const links = body.collections.map((c) => ({ href: `${baseOf(req, res)}/collections/${c.id}?f=html`, rel: 'item', title: c.title }));
        return void res.type('html').send(page('Collections', 'The feature collections of Gridwork', [...body.links, ...links]));
      }
      return body;
    },
  });

  registry.add(router, {
    method: 'get',
    path: '/ogc/collections/:collectionId',
    summary: 'One collection: description, extent (CRS84) and links to its items',
    tags,
    auth: 'public',
    params: collectionParams,
    query: ogcQuery,
    responses: { 200: { description: 'The collection', schema: collectionSchema }, 400: badRequest, 404: problem('No such collection') },
    handler: async ({ params, query }, req, res) => {
      const id = layerOf(params.collectionId);
      const html = wantsHtml(req, query.f);
      const body = await collection(extents, baseOf(req, res), id, html);
      if (html) {
        const ext = body.extent;
        const rows = [{ bbox: ext.spatial.bbox[0].join(', '), crs: ext.spatial.crs, interval: ext.temporal.interval[0].map((t) => t ?? '..').join(' / ') }];
        return void res.type('html').send(page(body.title, body.description, body.links, recordTable(rows)));
      }
      return body;
    },
  });

  registry.add(router, {
    method: 'get',
    path: '/ogc/collections/:collectionId/items',
    summary: 'Features of a collection, a page at a time (bbox, datetime, limit, next/prev links)',
    tags,
    auth: 'public',
    params: collectionParams,
    query: itemsQuery,
    responses: { 200: { description: 'A page of features', schema: itemsSchema, contentType: GEOJSON }, 400: badRequest, 404: problem('No such collection') },
    handler: async ({ params, query }, req, res) => {
      const id = layerOf(params.collectionId);
      const html = wantsHtml(req, query.f);
      const href = `${publicBaseUrl(req, res, ctx.config.publicUrl)}${req.originalUrl}`;
      const result = await items(knex, href, id, query, html);
      if (html) {
        const counts = `${result.numberReturned} shown${result.numberMatched === undefined ? '' : ` of ${result.numberMatched}`}`;
        return void res.type('html').send(page(`${FEATURE_LAYERS[id].title}: items`, counts, result.links, featureTable(result.features)));
      }
      res.type(GEOJSON).send(itemsText(result));
    },
  });

  registry.add(router, {
    method: 'get',
    path: '/ogc/collections/:collectionId/items/:featureId',
    summary: 'One feature',
    tags,
    auth: 'public',
    params: featureParams,
    query: ogcQuery,
    responses: { 200: { description: 'The feature', schema: z.unknown(), contentType: GEOJSON }, 400: badRequest, 404: problem('No such collection or feature') },
    handler: async ({ params, query }, req, res) => {
      const id = layerOf(params.collectionId);
      const html = wantsHtml(req, query.f);
      const result = await item(knex, baseOf(req, res), id, params.featureId, html);
      if (html) return void res.type('html').send(page(`${FEATURE_LAYERS[id].title} ${params.featureId}`, '', result.links, featureTable([result.feature])));
      res.type(GEOJSON).send(result.feature);
    },
  });

  let doc: unknown;
  registry.add(router, {
    method: 'get',
    path: '/ogc/api',
    summary: 'The OpenAPI definition of the OGC API',
    tags,
    auth: 'public',
    query: ogcQuery,
    responses: { 200: { description: 'OpenAPI 3.1 document', schema: z.unknown(), contentType: 'application/vnd.oai.openapi+json;version=3.1' } },
    handler: (_input, _req, res) => {
      doc ??= createDocument({
        openapi: '3.1.0',
        info: { title: 'Gridwork OGC API – Features', version: '1.0.0', description: 'OGC API – Features Part 1 Core over the Gridwork layers' },
        paths: Object.fromEntries(Object.entries(registry.paths).filter(([p]) => p === '/ogc' || p.startsWith('/ogc/'))),
      });
      res.type('application/vnd.oai.openapi+json;version=3.1').send(JSON.stringify(doc));
    },
  });
  return router;
}
