import type { Feature, FeatureCollection, Geometry } from 'geojson';
import GeoJSONVT, { type LegacyFeature } from 'geojson-vt';
import type { Knex } from 'knex';
import { fromGeojsonVt, type VtFeature } from 'vt-pbf';
import { AREA_LEVEL_NAMES, type AreaLevel } from '../areas/levels.js';
import { sqlBoundaryFeatures } from './boundary_sql.js';
import { LABEL_SUFFIX } from './layers.js';
import { EXTENT, type TileAddress } from './tile_math.js';

interface BoundaryRow {
  id: number;
  code: string;
  name: string;
  name_en: string;
  level: AreaLevel;
  parent_code: string | null;
  geometry: Geometry;
  label: Geometry;
}

/** An in-memory tile index of one boundary level: the polygons and a label point per area. */
export interface BoundaryIndex {
  polygons: GeoJSONVT;
  labels: GeoJSONVT;
  count: number;
}

// Simplification tolerance in pixels and a 64-unit buffer so polygon edges join cleanly across tiles.
const VT_OPTIONS = { maxZoom: 18, indexMaxZoom: 5, indexMaxPoints: 100_000, tolerance: 1, extent: EXTENT, buffer: 64 };

/** Read the areas of a level in force and index them with geojson-vt. */
export async function buildBoundaryIndex(knex: Knex, level: AreaLevel): Promise<BoundaryIndex> {
  const { rows } = (await sqlBoundaryFeatures(knex, level)) as { rows: BoundaryRow[] };
  const props = (r: BoundaryRow) => ({ code: r.code, name: r.name, name_en: r.name_en, level: AREA_LEVEL_NAMES[r.level], ...(r.parent_code ? { parent_code: r.parent_code } : {}) });
  const polygons: FeatureCollection = {
    type: 'FeatureCollection',
    features: rows.map((r): Feature => ({ type: 'Feature', id: r.id, properties: props(r), geometry: r.geometry })),
  };
  const labels: FeatureCollection = {
    type: 'FeatureCollection',
    features: rows.map((r): Feature => ({ type: 'Feature', id: r.id, properties: props(r), geometry: r.label })),
  };
  return {
    polygons: new GeoJSONVT(polygons, VT_OPTIONS),
    labels: new GeoJSONVT(labels, { ...VT_OPTIONS, buffer: 0 }),
    count: rows.length,
  };
}

/**
 * One tile of a boundary index as MVT bytes (layers `{name}` and `{name}_label`), or null when empty.
 * A tile over `maxBytes` (thousands of grids at a low zoom) is thinned: first the polygons keep only
 * their code and the labels go; then only the outlines of the largest areas that fit are kept.
 */
export function boundaryTile(index: BoundaryIndex, layer: string, t: TileAddress, maxBytes = Infinity): Uint8Array | null {
  const poly = index.polygons.getTile(t.z, t.x, t.y);
  if (!poly || poly.features.length === 0) return null;
  const label = index.labels.getTile(t.z, t.x, t.y);
  const layers: Record<string, { features: readonly VtFeature[] }> = { [layer]: { features: poly.features.map((f) => toVtFeature(f)) } };
  if (label && label.features.length) layers[layer + LABEL_SUFFIX] = { features: label.features.map((f) => toVtFeature(f)) };
  const full = fromGeojsonVt(layers, { version: 2, extent: EXTENT });
  if (full.length <= maxBytes) return full;
  const codesOnly = poly.features.map((f) => toVtFeature(f, true));
  const thin = fromGeojsonVt({ [layer]: { features: codesOnly } }, { version: 2, extent: EXTENT });
  if (thin.length <= maxBytes) return thin;
  // Keep the share of features that fits, largest first (by vertex count), so the outline stays readable.
  const bySize = [...codesOnly].sort((a, b) => size(b) - size(a));
  let keep = Math.floor(((bySize.length * maxBytes) / thin.length) * 0.9);
  let bytes = fromGeojsonVt({ [layer]: { features: bySize.slice(0, keep) } }, { version: 2, extent: EXTENT });
  while (bytes.length > maxBytes && keep > 1) {
    keep = Math.floor(keep * 0.8);
    bytes = fromGeojsonVt({ [layer]: { features: bySize.slice(0, keep) } }, { version: 2, extent: EXTENT });
  }
  return bytes;
}

function size(f: VtFeature): number {
  return (f.geometry as unknown[][]).reduce((n, ring) => n + ring.length, 0);
}

function toVtFeature(f: LegacyFeature, codeOnly = false): VtFeature {
  const tags = codeOnly && f.tags ? { code: f.tags.code } : f.tags;
  return { id: typeof f.id === 'number' ? f.id : undefined, type: f.type, geometry: f.geometry, tags };
}
