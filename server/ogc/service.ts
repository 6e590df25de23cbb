/**
 * OGC API – Features Part 1 Core over the feature catalogue: landing page, conformance, collections,
 * items and single features. The SQL is the catalogue's (server/features/), as the export's is; this
 * module adds the paging, the counts and the links.
 */
import type { Knex } from 'knex';
import { DEFAULT_PRECISION } from '../export/schema.js';
import { parseFilter } from '../export/service.js';
import { FEATURE_LAYERS, PUBLIC_LAYER_IDS, type FeatureLayer, type LayerId } from '../features/catalogue.js';
import { sqlCount, sqlExtent, sqlFeatureById, sqlFeatures, toRaw } from '../features/sql.js';
import { NotFound } from '../http/errors.js';
import type { ItemsQuery } from './schema.js';

/** The only CRS served: WGS84 longitude, latitude (RFC 7946's). */
export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const GREGORIAN = 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian';

/** Conformance classes implemented. */
export const CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html',
];

const JSON_TYPE = 'application/json';
const GEOJSON_TYPE = 'application/geo+json';
const HTML_TYPE = 'text/html';

/** A link of an OGC resource. */
export interface Link {
  href: string;
  rel: string;
  type?: string;
  title?: string;
}

/** A URL with query parameters set (undefined removes one). */
export function withQuery(href: string, params: Record<string, string | number | undefined>): string {
  const url = new URL(href);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) url.searchParams.delete(k);
    else url.searchParams.set(k, String(v));
  }
  return url.toString();
}

/** Self and alternate links of a resource in JSON (of the given type) and HTML. */
function selfLinks(href: string, type: string, asHtml: boolean): Link[] {
  const json = { href: withQuery(href, { f: 'json' }), type, title: 'This document as JSON' };
  const html = { href: withQuery(href, { f: 'html' }), type: HTML_TYPE, title: 'This document as HTML' };
  return asHtml ? [{ ...html, rel: 'self' }, { ...json, rel: 'alternate' }] : [{ ...json, rel: 'self' }, { ...html, rel: 'alternate' }];
}

/** The landing page. */
export function landing(base: string, asHtml: boolean) {
  return {
    title: 'Gridwork OGC API – Features',
    description: 'Grids, communities, offices, assets and public incident status of the grid-based urban management system.',
    links: [
      ...selfLinks(`${base}/`, JSON_TYPE, asHtml),
      { href: `${base}/api`, rel: 'service-desc', type: 'application/vnd.oai.openapi+json;version=3.1', title: 'The API definition' },
      { href: `${base}/conformance`, rel: 'conformance', type: JSON_TYPE, title: 'Conformance classes' },
      { href: `${base}/collections`, rel: 'data', type: JSON_TYPE, title: 'The collections' },
    ],
  };
}

/** The conformance declaration. */
export function conformance() {
  return { conformsTo: CONFORMANCE };
}

/** Extent of a layer as stored: bbox and the time span of its temporal column. */
export interface Extent {
  bbox: [number, number, number, number];
  interval: [string | null, string | null];
}

const EXTENT_TTL_MS = 60_000;

/** Reads layer extents, remembering each for a minute (an extent of a million rows costs half a second). */
export class ExtentCache {
  private readonly cache = new Map<LayerId, { at: number; extent: Extent }>();
  constructor(private readonly knex: Knex) {}

  /** The extent of a layer, from the cache when fresh. */
  async get(layer: FeatureLayer): Promise<Extent> {
    const hit = this.cache.get(layer.id);
    if (hit && Date.now() - hit.at < EXTENT_TTL_MS) return hit.extent;
    const { rows } = await toRaw(this.knex, sqlExtent(layer));
    const r = rows[0] as { minx: number | null; miny: number; maxx: number; maxy: number; t0: Date | null; t1: Date | null };
    const extent: Extent = {
      bbox: r.minx === null ? [-180, -90, 180, 90] : [r.minx, r.miny, r.maxx, r.maxy],
      interval: [r.t0 ? new Date(r.t0).toISOString() : null, layer.temporal.kind === 'in_force' || !r.t1 ? null : new Date(r.t1).toISOString()],
    };
    this.cache.set(layer.id, { at: Date.now(), extent });
    return extent;
  }
}

/** One collection's description with its extent in CRS84. */
export async function collection(extents: ExtentCache, base: string, id: LayerId, asHtml: boolean) {
  const layer = FEATURE_LAYERS[id];
  const extent = await extents.get(layer);
  const href = `${base}/collections/${id}`;
  return {
    id,
    title: layer.title,
    description: layer.description,
    itemType: 'feature' as const,
    crs: [CRS84],
    storageCrs: CRS84,
    extent: {
      spatial: { bbox: [extent.bbox], crs: CRS84 },
      temporal: { interval: [extent.interval], trs: GREGORIAN },
    },
    links: [
      ...selfLinks(href, JSON_TYPE, asHtml),
      { href: withQuery(`${href}/items`, { f: 'json' }), rel: 'items', type: GEOJSON_TYPE, title: `${layer.title} as GeoJSON` },
      { href: withQuery(`${href}/items`, { f: 'html' }), rel: 'items', type: HTML_TYPE, title: `${layer.title} as HTML` },
      { href: `${base.replace(/\/ogc$/, '')}/export/${id}.geojson`, rel: 'enclosure', type: GEOJSON_TYPE, title: 'The whole layer as one GeoJSON file' },
    ],
  };
}

/** Every collection. */
export async function collections(extents: ExtentCache, base: string, asHtml: boolean) {
  return {
    collections: await Promise.all(PUBLIC_LAYER_IDS.map((id) => collection(extents, base, id, false))),
    links: selfLinks(`${base}/collections`, JSON_TYPE, asHtml),
  };
}

/** A page of items: the FeatureCollection as text (the features are JSON text from the database). */
export interface ItemsPage {
  numberReturned: number;
  numberMatched?: number;
  links: Link[];
  /** The features as text, for the HTML view. */
  features: string[];
}

/**
 * A page of a collection's items. Pages are ordered by the internal id; `next` carries the last id as
 * a keyset (`after`) besides the offset, so following next links never scans the rows skipped.
 * numberMatched is counted unless the request came from such a link (the first page has it).
 */
export async function items(knex: Knex, href: string, id: LayerId, query: ItemsQuery, asHtml: boolean): Promise<ItemsPage> {
  const layer = FEATURE_LAYERS[id];
  const filter = await parseFilter(knex, layer, query);
  const { limit, offset, after } = query;
  const page = toRaw(
    knex,
    sqlFeatures(layer, { shape: 'feature', precision: DEFAULT_PRECISION, filter, after, limit: limit + 1, offset: after === undefined ? offset : 0 }),
  );
  const [{ rows }, count] = await Promise.all([
    page,
    after === undefined ? toRaw(knex, sqlCount(layer, filter)).then((r) => r.rows[0].n as number) : Promise.resolve(undefined),
  ]);
  const more = rows.length > limit;
  const shown = (more ? rows.slice(0, limit) : rows) as { k: number; f: string }[];
  const links: Link[] = selfLinks(href, GEOJSON_TYPE, asHtml);
  const format = asHtml ? 'html' : 'json';
  if (more) {
    links.push({
      href: withQuery(href, { f: format, offset: offset + limit, after: shown[shown.length - 1].k, limit }),
      rel: 'next',
      type: asHtml ? HTML_TYPE : GEOJSON_TYPE,
      title: 'Next page',
    });
  }
  if (offset > 0) {
    links.push({
      href: withQuery(href, { f: format, offset: Math.max(0, offset - limit), after: undefined, limit }),
      rel: 'prev',
      type: asHtml ? HTML_TYPE : GEOJSON_TYPE,
      title: 'Previous page',
    });
  }
  links.push({ href: withQuery(href.replace(/\/items(\?.*)?$/, ''), { f: 'json' }), rel: 'collection', type: JSON_TYPE, title: layer.title });
  return { numberReturned: shown.length, numberMatched: count, links, features: shown.map((r) => r.f) };
}

/** The FeatureCollection text of a page. */
export function itemsText(page: ItemsPage): string {
  const matched = page.numberMatched === undefined ? '' : `"numberMatched":${page.numberMatched},`;
  return (
    `{"type":"FeatureCollection",${matched}"numberReturned":${page.numberReturned},"timeStamp":${JSON.stringify(new Date().toISOString())},` +
    `"links":${JSON.stringify(page.links)},"features":[${page.features.join(',')}]}`
  );
}

/** One feature as text with its links, or NotFound. */
export async function item(knex: Knex, base: string, id: LayerId, featureId: string, asHtml: boolean): Promise<{ feature: string; links: Link[] }> {
  const layer = FEATURE_LAYERS[id];
  if (layer.featureId.type === 'integer' && !/^\d{1,9}$/.test(featureId)) {
    throw new NotFound('feature_not_found', `There is no feature ${featureId} in ${id}; its feature ids are whole numbers.`, { params: { collection: id, id: featureId } });
  }
  const value = layer.featureId.type === 'integer' ? Number(featureId) : featureId;
  const { rows } = await toRaw(knex, sqlFeatureById(layer, value, DEFAULT_PRECISION));
  if (rows.length === 0) {
    throw new NotFound('feature_not_found', `There is no feature ${featureId} in ${id}; list them at ${base}/collections/${id}/items.`, { params: { collection: id, id: featureId } });
  }
  const href = `${base}/collections/${id}/items/${encodeURIComponent(featureId)}`;
  const links: Link[] = [
    ...selfLinks(href, GEOJSON_TYPE, asHtml),
    { href: `${base}/collections/${id}`, rel: 'collection', type: JSON_TYPE, title: layer.title },
  ];
  const f = rows[0].f as string;
  return { feature: `${f.slice(0, -1)},"links":${JSON.stringify(links)}}`, links };
}
