import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, apiDocument, apiTypes } from './gen_api_types.js';

describe('the generated API types (web/src/api/schema.d.ts)', () => {
  it('are those of the current server, so that the pages are type-checked against its contract', async () => {
    const committed = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, 'utf8') : '';
    expect(committed, 'The server\'s OpenAPI document changed: run `npm run gen:api`, then `npm run typecheck` and fix the pages it reports').toBe(await apiTypes());
  });

  it('come from a document of every route, built without a database', async () => {
    const doc = await apiDocument();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths ?? {})).toEqual(expect.arrayContaining(['/api/assets', '/api/assets/{id}', '/api/incidents/{id}', '/api/appraisal', '/tiles/{layer}.json']));
  });
});
