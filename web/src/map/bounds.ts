/** Bounds of geometries and layers as MapLibre takes them ([west, south, east, north] in degrees). */
import { bbox } from '@turf/turf';
import type { Geometry } from 'geojson';

/** West, south, east, north in WGS84 degrees. */
export type Bounds = [number, number, number, number];

/** The whole world, for a layer that gives no bounds. */
export const WORLD: Bounds = [-180, -85.051129, 180, 85.051129];

/** Bounds of a GeoJSON geometry. */
export function boundsOf(geometry: Geometry): Bounds {
  const [w, s, e, n] = bbox(geometry);
  return [w, s, e, n];
}

/** A TileJSON's bounds (an array in the document) as the four numbers MapLibre fits; the world when they are not four finite numbers. */
export function tileJsonBounds(bounds: number[] | undefined): Bounds {
  return bounds?.length === 4 && bounds.every(Number.isFinite) ? [bounds[0], bounds[1], bounds[2], bounds[3]] : WORLD;
}
