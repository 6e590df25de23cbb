import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import type { RouteRegistry } from '../http/route.js';
import { problem } from '../http/schemas.js';
import {
  areaCollection,
  areaFeature,
  areaParams,
  areaVersion,
  getAreaQuery,
  listAreasQuery,
  locateQuery,
  locateResponse,
} from './schema.js';
import { areaHistory, getArea, listAreas, locate } from './service.js';

const GEOJSON = 'application/geo+json';

/** Public area routes: the boundaries in force, one area, its history, and point location. */
export function areaRoutes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();
  const { knex } = ctx.db;

  registry.add(router, {
    method: 'get',
    path: '/api/areas',
    summary: 'Areas in force (or at a past instant) as a GeoJSON FeatureCollection',
    tags: ['areas'],
    auth: 'public',
    query: listAreasQuery,
    responses: { 200: { description: 'The areas', schema: areaCollection, contentType: GEOJSON }, 400: problem('Bad level or instant') },
    handler: async ({ query }, _req, res) => {
      res.type(GEOJSON).send(JSON.stringify(await listAreas(knex, query)));
    },
  });

  registry.add(router, {
    method: 'get',
    path: '/api/areas/:code',
    summary: 'One area in force (or at a past instant) as a GeoJSON Feature',
    tags: ['areas'],
    auth: 'public',
    params: areaParams,
    query: getAreaQuery,
    responses: { 200: { description: 'The area', schema: areaFeature, contentType: GEOJSON }, 404: problem('No such area in force') },
    handler: async ({ params, query }, _req, res) => {
      res.type(GEOJSON).send(JSON.stringify(await getArea(knex, params.code, query.at)));
    },
  });

  registry.add(router, {
    method: 'get',
    path: '/api/areas/:code/history',
    summary: 'Every boundary version of an area with the time span it was in force',
    tags: ['areas'],
    auth: 'public',
    params: areaParams,
    responses: { 200: { description: 'Versions, newest first', schema: z.array(areaVersion) }, 404: problem('No such area') },
    handler: ({ params }) => areaHistory(knex, params.code),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/locate',
    summary: 'The grid, community, office and chief at a point (WGS84, or GCJ-02/BD-09 converted)',
    tags: ['areas'],
    auth: 'public',
    query: locateQuery,
    responses: {
      200: { description: 'Where the point is', schema: locateResponse },
      400: problem('Missing, non-numeric, out-of-range or swapped coordinates, or an unknown crs'),
      404: problem('The point is outside every grid'),
    },
    handler: async ({ query }) => {
      const { grid_version_id: _v, ...where } = await locate(knex, query.lon, query.lat, query.crs);
      return where;
    },
  });
  return router;
}
