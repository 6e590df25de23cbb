import express, { Router } from 'express';
import { createRequire } from 'node:module';
import { createDocument } from 'zod-openapi';
import type { RouteRegistry } from './route.js';

/** The OpenAPI 3.1 document of every route registered so far. */
export function buildOpenApi(registry: RouteRegistry, version: string) {
  return requirePathParams(createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Gridwork API',
      version,
      description:
        'Grid-based urban management: areas, staff, assets, incidents. Geometry is GeoJSON in WGS84 [lon, lat]; ' +
        'errors are application/problem+json (RFC 9457) with a detail that says what to fix.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Token from POST /api/auth/login' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'gridwork_session' },
      },
    },
    paths: registry.paths,
  }));
}

/**
 * Mark every path parameter `required: true`, as OpenAPI demands (a path cannot match without it): zod-openapi
 * leaves `required` off a parameter whose schema is a z.preprocess (it takes it to accept undefined).
 */
function requirePathParams<D extends ReturnType<typeof createDocument>>(doc: D): D {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(item ?? {})) {
      if (!op || typeof op !== 'object' || !('parameters' in op) || !Array.isArray(op.parameters)) continue;
      for (const p of op.parameters) if (p && 'in' in p && p.in === 'path') p.required = true;
    }
  }
  return doc;
}

// Only the folder of swagger-ui's files: its main module would load the whole browser bundle into the server.
const SWAGGER_UI_DIR: string = createRequire(import.meta.url)('swagger-ui-dist/absolute-path.js')();

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gridwork API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="docs"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body></html>`;

const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#docs', deepLinking: true });`;

/** GET /api/openapi.json and the browsable docs at /api/docs, served from the local swagger-ui package. */
export function openApiRoutes(registry: RouteRegistry, version: string): Router {
  const router = Router();
  let doc: unknown;
  router.get('/api/openapi.json', (_req, res) => {
    doc ??= buildOpenApi(registry, version);
    res.json(doc);
  });
  router.get('/api/docs', (_req, res) => {
    res.type('html').send(DOCS_PAGE);
  });
  router.get('/api/docs/init.js', (_req, res) => {
    res.type('js').send(DOCS_INIT);
  });
  router.use('/api/docs/assets', express.static(SWAGGER_UI_DIR, { index: false }));
  return router;
}
