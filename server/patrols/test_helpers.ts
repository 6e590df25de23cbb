import { booleanPointInPolygon } from '@turf/turf';
import type { MultiPolygon } from 'geojson';
import proj4 from 'proj4';

/** WGS 84 to UTM zone 51N (EPSG:32651), the demo office's zone, for coverage worked out by hand. */
export const toUtm51 = proj4('WGS84', '+proj=utm +zone=51 +datum=WGS84 +units=m +no_defs');

/**
 * The 50 m lattice squares (column, row) of UTM 51N whose centre lies in a polygon, as `"i,j"`, counted
 * with proj4 and turf (the server uses PostGIS for both): a grid's cells, for tests that check coverage.
 */
export function cellsInside(poly: MultiPolygon): Set<string> {
  const utm: MultiPolygon = { type: 'MultiPolygon', coordinates: poly.coordinates.map((p) => p.map((r) => r.map((c) => toUtm51.forward(c as [number, number])))) };
  const xs = utm.coordinates.flat(2).map((c) => c[0]);
  const ys = utm.coordinates.flat(2).map((c) => c[1]);
  const inside = new Set<string>();
  for (let i = Math.floor(Math.min(...xs) / 50) - 1; i <= Math.ceil(Math.max(...xs) / 50); i++) {
    for (let j = Math.floor(Math.min(...ys) / 50) - 1; j <= Math.ceil(Math.max(...ys) / 50); j++) {
      if (booleanPointInPolygon([i * 50 + 25, j * 50 + 25], utm)) inside.add(`${i},${j}`);
    }
  }
  return inside;
}
