/** Tile coordinates, Web Mercator (EPSG:3857) math and the bounds of a tile in WGS84. */

/** A tile address in the XYZ scheme (y from the north). */
export interface TileAddress {
  z: number;
  x: number;
  y: number;
}

/** WGS84 bounds [west, south, east, north]. */
export type Bbox = [number, number, number, number];

/** Tile extent in MVT units, as used by ST_AsMVT's default and by geojson-vt. */
export const EXTENT = 4096;

/** Highest zoom served; deeper requests are refused with a 400. */
export const MAX_ZOOM = 22;

/** Latitude limit of Web Mercator. */
const MAX_LAT = 85.0511287798066;

/** Longitude of the west edge of tile column x at zoom z. */
export function tileLon(x: number, z: number): number {
  return (x / 2 ** z) * 360 - 180;
}

/** Latitude of the north edge of tile row y at zoom z. */
export function tileLat(y: number, z: number): number {
  const n = Math.PI - (2 * Math.PI * y) / 2 ** z;
  return (180 / Math.PI) * Math.atan(Math.sinh(n));
}

/** WGS84 bounds of a tile, grown on each side by `buffer` (a fraction of the tile width). */
export function tileBounds({ z, x, y }: TileAddress, buffer = 0): Bbox {
  return [
    Math.max(-180, tileLon(x - buffer, z)),
    Math.max(-MAX_LAT, tileLat(y + 1 + buffer, z)),
    Math.min(180, tileLon(x + 1 + buffer, z)),
    Math.min(MAX_LAT, tileLat(y - buffer, z)),
  ];
}

/** Position of a WGS84 point in a tile, in MVT units (0..EXTENT; outside the tile when beyond its edges). */
export function lonLatToTilePixel(lon: number, lat: number, { z, x, y }: TileAddress, extent = EXTENT): [number, number] {
  const n = 2 ** z;
  const fx = ((lon + 180) / 360) * n - x;
  const r = (Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI) / 180;
  const fy = ((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n - y;
  return [Math.round(fx * extent), Math.round(fy * extent)];
}

/** Whether z/x/y name a tile that exists: z in 0..MAX_ZOOM, x and y in 0..2^z-1. */
export function isValidTile({ z, x, y }: TileAddress): boolean {
  if (![z, x, y].every(Number.isInteger) || z < 0 || z > MAX_ZOOM) return false;
  const n = 2 ** z;
  return x >= 0 && x < n && y >= 0 && y < n;
}

/** Whether two WGS84 boxes overlap (touching counts). */
export function bboxesIntersect(a: Bbox, b: Bbox): boolean {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}
