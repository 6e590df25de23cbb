import express, { Router } from 'express';
import { z } from 'zod';
import { requireRole, requireUser, userOf } from '../auth/middleware.js';
import { officesInScope } from '../auth/scope.js';
import type { AppContext } from '../context.js';
import { Invalid, Unprocessable } from '../http/errors.js';
import type { RouteRegistry } from '../http/route.js';
import { problem } from '../http/schemas.js';
import { upload, uploadedFiles } from '../http/upload.js';
import { decodeImportFile, detectFormat } from './import_read.js';
import { assetCategory, assetDetail, assetPage, assetParams, importQuery, importResult, listAssetsQuery, newAssetBody, patchAssetBody } from './schema.js';
import { createAsset, getAsset, importAssetFile, listAssets, listCategories, patchAsset } from './service.js';

/** Largest import upload (a million rows of CSV or GeoJSONSeq fit). */
export const MAX_IMPORT_BYTES = 400 * 1024 * 1024;
const TEXT_TYPES = ['text/csv', 'text/plain', 'application/geo+json-seq', 'application/json-seq', 'application/x-ndjson', 'application/geojsonl'];

/** Assets: list, one, change, import; and the category dictionary. */
export function assetRoutes(ctx: AppContext, registry: RouteRegistry): Router {
  const router = Router();
  const { db } = ctx;

  registry.add(router, {
    method: 'get',
    path: '/api/asset-categories',
    summary: 'The component classes (城市部件) assets are filed under',
    tags: ['assets'],
    auth: 'public',
    responses: { 200: { description: 'Categories by code', schema: z.array(assetCategory) } },
    handler: () => listCategories(db.knex),
  });

  registry.add(router, {
    method: 'get',
    path: '/api/assets',
    summary: 'Assets by bbox, category, grid and status, a page at a time',
    tags: ['assets'],
    auth: 'public',
    query: listAssetsQuery,
    responses: { 200: { description: 'A page of assets and the total', schema: assetPage }, 400: problem('Bad bbox, status or paging') },
    handler: ({ query }) => {
      const { limit, offset, ...filter } = query;
      return listAssets(db.knex, filter, limit, offset);
    },
  });

  registry.add(router, {
    method: 'post',
    path: '/api/assets',
    summary: 'Add one asset (a GeoJSON Point Feature), checked as an imported row is and given its grid',
    tags: ['assets'],
    auth: 'session',
    before: [requireRole('admin', 'planner')],
    body: newAssetBody,
    responses: {
      201: { description: 'The asset, with its grid', schema: assetDetail },
      400: problem('Not a Point Feature with code and category_code'),
      401: problem('Not logged in'),
      403: problem('Not an admin or planner, or the point is outside your offices'),
      409: problem('The code is taken in that office'),
      422: problem('Unknown category or status, bad coordinates, or outside every grid'),
    },
    handler: async ({ body }, req, res) => {
      const asset = await createAsset(db, ctx.tiles, await officesInScope(db.knex, userOf(req)), body);
      res.status(201).json(asset);
    },
  });

  registry.add(router, {
    method: 'get',
    path: '/api/assets/:id',
    summary: 'One asset with its change log (status changes, moves between grids)',
    tags: ['assets'],
    auth: 'public',
    params: assetParams,
    responses: { 200: { description: 'The asset', schema: assetDetail }, 404: problem('No such asset') },
    handler: ({ params }) => getAsset(db.knex, params.id),
  });

  registry.add(router, {
    method: 'patch',
    path: '/api/assets/:id',
    summary: 'Change an asset: status (logged), department, attributes',
    tags: ['assets'],
    auth: 'session',
    before: [requireUser],
    params: assetParams,
    body: patchAssetBody,
    responses: {
      200: { description: 'The asset after the change', schema: assetDetail },
      400: problem('Nothing to change, or a bad value'),
      401: problem('Not logged in'),
      403: problem('The asset is outside your scope'),
      404: problem('No such asset'),
    },
    handler: ({ params, body }, req) => patchAsset(db.knex, ctx.tiles, userOf(req), params.id, body),
  });

  registry.add(router, {
    method: 'post',
    path: '/api/assets/import',
    summary: 'Import assets from GeoJSON, GeoJSONSeq or CSV (up to 1,000,000 rows): every row checked, all or nothing, each given its grid',
    tags: ['assets'],
    auth: 'session',
    before: [requireRole('admin', 'planner'), upload({ field: 'file', noun: 'file', types: 'CSV, GeoJSON or GeoJSONSeq', maxBytes: MAX_IMPORT_BYTES, maxFiles: 1, tooLargeFix: 'split it' }), express.text({ type: TEXT_TYPES, limit: MAX_IMPORT_BYTES })],
    query: importQuery,
    otherBodies: {
      'text/csv': z.string().meta({ description: 'The CSV file, with its header row' }),
      'application/geo+json': z.record(z.string(), z.unknown()).meta({ description: 'A GeoJSON FeatureCollection of points' }),
      'application/geo+json-seq': z.string().meta({ description: 'GeoJSONSeq: one GeoJSON Feature per line' }),
    },
    responses: {
      200: { description: 'Dry run: what would be imported', schema: importResult },
      201: { description: 'Imported', schema: importResult },
      400: problem('Unreadable file, no rows, too many rows'),
      415: problem('Not a text file (a workbook, an image, a database): what it looks like and what to send'),
      401: problem('Not logged in'),
      403: problem('Not an admin or planner'),
      409: problem('Codes or boundaries changed during the import; nothing imported'),
      413: problem('The file is too large'),
      422: problem('Some rows are bad: each listed with its line number and reason; nothing imported'),
    },
    handler: async ({ query }, req, res) => {
      let text: string;
      let name: string | undefined;
      let mediaType = req.headers['content-type'];
      const [file] = uploadedFiles(req);
      if (file) {
        text = decodeImportFile(file.buffer);
        name = file.originalname;
        mediaType = file.mimetype;
      } else if (typeof req.body === 'string') {
        text = req.body;
      } else if (req.body && typeof req.body === 'object' && Object.keys(req.body).length) {
        text = JSON.stringify(req.body);
      } else {
        throw new Invalid(
          'file_missing',
          'Send the file as multipart/form-data in the field "file", or as the body (text/csv, application/geo+json, application/geo+json-seq).',
          { params: { field: 'file' } },
        );
      }
      const user = userOf(req);
      const offices = await officesInScope(db.knex, user);
      const format = query.format ?? detectFormat(name, mediaType, text.slice(0, 2000));
      const result = await importAssetFile(db, ctx.tiles, text, { format, crs: query.crs, skipInvalid: query.skip_invalid || query.dry_run, offices, dryRun: query.dry_run });
      if (result.error_count && !query.skip_invalid && !query.dry_run) {
        throw new Unprocessable(
          'import_rows_invalid',
          `${result.error_count} of ${result.rows} rows are bad, so nothing was imported; fix the rows listed (by line) and send the file again, or add skip_invalid=true.`,
          { params: { bad: result.error_count, rows: result.rows }, extra: { ...result } },
        );
      }
      res.status(query.dry_run ? 200 : 201).json(result);
    },
  });

  return router;
}
