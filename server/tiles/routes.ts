import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../context.js';
import { Invalid, NotFound } from '../http/errors.js';
import { publicBaseUrl } from '../http/public_url.js';
import type { RouteRegistry } from '../http/route.js';
import { binary, problem } from '../http/schemas.js';
import { gzipOf, type CachedTile } from './cache.js';
import { LAYER_NAMES, isLayerName, type LayerName } from './layers.js';
import { mapConfigSchema, tileJsonParams, tileJsonSchema, tileParams, tileQuery } from './schema.js';
import { filterKey } from './service.js';
import { MAX_ZOOM, isValidTile, type TileAddress } from './tile_math.js';

/** Media type of Mapbox vector tiles. */
export const MVT_TYPE = 'application/vnd.mapbox-vector-tile';

/** The layer named in a path, or a 404 that lists the layers. */
export function parseLayer(name: string): LayerName {
  if (!isLayerName(name)) {
    throw new NotFound('tile_layer_not_found', `There is no tile layer "${name}"; the layers are ${LAYER_NAMES.join(', ')}.`, { params: { layer: name, layers: LAYER_NAMES } });
  }
  return name;
}

/**
 * The tile address of a request, or a 400 that says which number is out of range. Above the layer's
 * `maxzoom` (its TileJSON's) nothing is served: a map over-zooms the tiles of that zoom instead.
 */
export function parseTileAddress(t: TileAddress, maxZoom = MAX_ZOOM): TileAddress {
  if (t.z > maxZoom) throw new Invalid('zoom_out_of_range', `z must be between 0 and ${maxZoom} for this layer (its TileJSON's maxzoom; maps over-zoom beyond it), got ${t.z}.`, { params: { z: t.z, max_zoom: maxZoom } });
  if (!isValidTile(t)) {
    const max = 2 ** t.z - 1;
    throw new Invalid('tile_out_of_range', `At zoom ${t.z}, x and y must be between 0 and ${max}; got x=${t.x}, y=${t.y}.`, { params: { z: t.z, x: t.x, y: t.y, max } });
  }
  return t;
}

/** Send a tile: 204 when empty, 304 when the client has it, gzip when asked. */
function sendTile(req: Request, res: Response, tile: CachedTile, cacheControl: string): void {
  res.set({ 'Cache-Control': cacheControl, ETag: tile.etag }).vary('Accept-Encoding');
  if (!tile.body) {
    res.status(204).end();
    return;
  }
  if (req.headers['if-none-match'] === tile.etag) {
    res.status(304).end();
    return;
  }
  res.type(MVT_TYPE);
  if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    res.set('Content-Encoding', 'gzip').send(gzipOf(tile));
    return;
  }
  res.send(tile.body);
}

/** Vector tile routes: `/tiles/{layer}/{z}/{x}/{y}.mvt` and `/tiles/{layer}.json` (TileJSON 3.0.0), over the app's tiles. */
export function tileRoutes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();
  const { tiles } = ctx;

  registry.add(router, {
    method: 'get',
    path: '/tiles/:layer/:z/:x/:y.mvt',
    summary: 'A Mapbox vector tile of a layer (offices, communities, grids, assets, incidents); no personal data',
    tags: ['tiles'],
    auth: 'public',
    params: tileParams,
    query: tileQuery,
    responses: {
      200: { description: 'The tile (gzip when the client accepts it)', schema: binary, contentType: MVT_TYPE },
      204: { description: 'Nothing in this tile' },
      304: { description: 'The client has this tile (If-None-Match)' },
      400: problem('z/x/y out of range, or a bad filter'),
      404: problem('No such layer'),
    },
    handler: async ({ params, query }, req, res) => {
      const source = tiles.source(parseLayer(params.layer));
      const t = parseTileAddress({ z: params.z, x: params.x, y: params.y }, source.layer.maxzoom);
      const tile = await tiles.getTile(source.layer.name, t, source.parseFilters(query));
      sendTile(req, res, tile, source.layer.cacheControl);
    },
  });

  registry.add(router, {
    method: 'get',
    path: '/tiles/map-config.json',
    summary: "The web map's settings: the optional raster basemap (BASEMAP_URL) under the vector layers",
    tags: ['tiles'],
    auth: 'public',
    responses: { 200: { description: 'Map settings', schema: mapConfigSchema } },
    handler: (_input, _req, res) => {
      res.set('Cache-Control', 'public, max-age=300');
      const b = ctx.config.basemap;
      return { basemap: b ? { tiles: [b.url], tile_size: 256, attribution: b.attribution } : null };
    },
  });

  registry.add(router, {
    method: 'get',
    path: '/tiles/:layer.json',
    summary: 'TileJSON 3.0.0 of a tile layer: tile URL, bounds, zooms, vector_layers and their fields',
    tags: ['tiles'],
    auth: 'public',
    params: tileJsonParams,
    query: tileQuery,
    responses: { 200: { description: 'TileJSON', schema: tileJsonSchema }, 400: problem('Bad filter'), 404: problem('No such layer') },
    handler: async ({ params, query }, req, res) => {
      const source = tiles.source(parseLayer(params.layer));
      const filters = source.parseFilters(query);
      res.set('Cache-Control', 'public, max-age=60');
      return source.tileJson(publicBaseUrl(req, res, ctx.config.publicUrl), filterKey(filters));
    },
  });
  return router;
}
