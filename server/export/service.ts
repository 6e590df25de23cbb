import type { Knex } from 'knex';
import type { Db } from '../db/connect.js';
import type { SessionUser } from '../auth/store.js';
import { Invalid, Unauthorized } from '../http/errors.js';
import { csvColumns, FEATURE_LAYERS, type FeatureLayer, type FilterName, type LayerId } from '../features/catalogue.js';
import type { FeatureFilter, RowShape } from '../features/sql.js';
import { rowBatches, type Row } from '../features/stream.js';
import { EXPORT_FORMATS, type ExportFormat, type ExportQuery } from './schema.js';

/** Filters as they arrive from a query, before they are checked against a layer. */
export type FilterInput = Partial<{
  bbox: FeatureFilter['bbox'];
  grid: string;
  community: string;
  category: string[];
  status: string[];
  updated_since: Date;
  at: Date;
  datetime: FeatureFilter['datetime'];
}>;

const FILTER_OF_PARAM: Record<keyof FilterInput, FilterName> = {
  bbox: 'bbox',
  grid: 'grid',
  community: 'community',
  category: 'category',
  status: 'status',
  updated_since: 'updated_since',
  at: 'at',
  datetime: 'datetime',
};

/** Which layers take a filter, for messages. */
function layersTaking(name: FilterName): string {
  return Object.values(FEATURE_LAYERS).filter((l) => l.filters.has(name)).map((l) => l.id).join(', ');
}

/**
 * Check the filters against a layer (each must apply, statuses must exist, area codes must be areas of
 * the right level) and turn them into a FeatureFilter. Throws Invalid naming what to change.
 */
export async function parseFilter(knex: Knex, layer: FeatureLayer, input: FilterInput): Promise<FeatureFilter> {
  for (const [param, name] of Object.entries(FILTER_OF_PARAM) as [keyof FilterInput, FilterName][]) {
    if (input[param] !== undefined && !layer.filters.has(name)) {
      throw new Invalid('filter_not_applicable', `${param}= does not apply to the ${layer.id} layer; it filters ${layersTaking(name)}.`, { params: { param, layer: layer.id } });
    }
  }
  if (input.status && layer.statuses) {
    const bad = input.status.filter((s) => !layer.statuses!.includes(s));
    if (bad.length) {
      throw new Invalid('status_unknown', `Unknown ${layer.id} status ${bad.join(', ')}; use ${layer.statuses.join(', ')}.`, {
        params: { layer: layer.id, statuses: bad, known: layer.statuses },
      });
    }
  }
  if (input.grid) await assertAreaCode(knex, input.grid, 3, 'grid', input.at);
  if (input.community) await assertAreaCode(knex, input.community, 2, 'community', input.at);
  return {
    bbox: input.bbox,
    grid: input.grid,
    community: input.community,
    category: input.category,
    status: input.status,
    updatedSince: input.updated_since,
    at: input.at,
    datetime: input.datetime,
  };
}

/** Throw Invalid unless the code is an area of that level in force (now, or at the instant). */
async function assertAreaCode(knex: Knex, code: string, level: number, param: string, at: Date | undefined): Promise<void> {
  const q = knex('areas').first('level').where({ code });
  if (at) q.where('valid_from', '<=', at).andWhere((w) => w.whereNull('valid_to').orWhere('valid_to', '>', at));
  else q.whereNull('valid_to');
  const row = (await q) as { level: number } | undefined;
  if (!row) {
    throw new Invalid('area_code_unknown', `${param}=${code} is not an area code in force${at ? ` at ${at.toISOString()}` : ''}; list them at /api/areas.`, { params: { param, code } });
  }
  if (row.level !== level) {
    throw new Invalid('area_level_mismatch', `${param}=${code} is not a ${param}; pass a ${param} code (see /api/areas?level=${param}).`, { params: { param, code } });
  }
}

/** A prepared export: what to call the download and the body as text chunks. */
export interface ExportBody {
  filename: string;
  contentType: string;
  chunks: AsyncIterable<string>;
}

/** Byte order mark, so spreadsheet software reads the CSV as UTF-8 (and shows Chinese). */
const BOM = '\ufeff';
/** RFC 8142 record separator, written before every GeoJSON text in a sequence. */
const RS = '\x1e';

/** The download file name: layer, date and extension, e.g. gridwork-assets-2026-11-27.geojson. */
export function exportFilename(layer: LayerId, format: ExportFormat, now = new Date()): string {
  return `gridwork-${layer}-${now.toISOString().slice(0, 10)}.${format}`;
}

/**
 * Open a streamed export of a layer. The first batch is read before answering, so a bad query becomes
 * an error response instead of a truncated file; the rest is read as the client consumes it. A scoped
 * layer (personal data) needs a user and holds only the rows under the user's scope.
 */
export async function openExport(
  db: Db,
  layerId: LayerId,
  format: ExportFormat,
  query: ExportQuery,
  user: SessionUser | undefined,
): Promise<ExportBody> {
  const layer = FEATURE_LAYERS[layerId];
  if (layer.access === 'scoped' && !user) {
    throw new Unauthorized('layer_needs_login', `The ${layerId} layer holds personal data: log in (POST /api/auth/login) and send the token; you get the rows in your scope.`, { params: { layer: layerId } });
  }
  const filter = await parseFilter(db.knex, layer, query);
  if (layer.access === 'scoped') filter.scope = user!.scope;
  const shape: RowShape = format === 'csv' ? 'csv' : 'feature';
  const batches = rowBatches(db, layer, { shape, precision: query.precision, filter });
  let first: IteratorResult<Row[]>;
  try {
    first = await batches.next();
  } catch (err) {
    await batches.return(undefined);
    throw err;
  }
  return {
    filename: exportFilename(layerId, format),
    contentType: EXPORT_FORMATS[format],
    chunks: formatChunks(layer, format, first, batches),
  };
}

/**
 * Rows per chunk written: about 100 kB, below V8's large-object size, so chunks die young in the
 * nursery instead of piling up until a full garbage collection (which kept the heap 50 MB larger).
 */
const CHUNK_ROWS = 200;

/** A batch cut into chunks of CHUNK_ROWS rows. */
function* slices<T>(batch: T[]): Generator<T[]> {
  for (let i = 0; i < batch.length; i += CHUNK_ROWS) yield batch.slice(i, i + CHUNK_ROWS);
}

/** The body of an export in its format, in chunks of a few hundred rows. */
async function* formatChunks(
  layer: FeatureLayer,
  format: ExportFormat,
  first: IteratorResult<Row[]>,
  rest: AsyncGenerator<Row[]>,
): AsyncGenerator<string> {
  try {
    const all = (async function* () {
      if (!first.done) yield first.value;
      yield* rest;
    })();
    if (format === 'geojson') {
      // RFC 7946: WGS84 only, so no `crs` member; `bbox` is optional and left out to keep the stream single-pass.
      yield '{"type":"FeatureCollection","features":[\n';
      let sep = '';
      for await (const batch of all) {
        for (const rows of slices(batch)) {
          yield sep + rows.map((r) => r[1]).join(',\n');
          sep = ',\n';
        }
      }
      yield '\n]}\n';
    } else if (format === 'geojsonseq') {
      for await (const batch of all) for (const rows of slices(batch)) yield rows.map((r) => `${RS}${r[1]}\n`).join('');
    } else {
      yield `${BOM}${csvColumns(layer).join(',')}\n`;
      for await (const batch of all) for (const rows of slices(batch)) yield rows.map((r) => `${r[1]}\n`).join('');
    }
  } finally {
    await rest.return(undefined);
  }
}
