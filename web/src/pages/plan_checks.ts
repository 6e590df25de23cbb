/**
 * The planner's checks in the browser, before a drawn plan is sent: what makes a grid's shape invalid
 * (self-intersections, rings that are not rings, no area), found with turf. The server checks
 * the plan as a whole (overlaps, gaps, parents) and can repair it; these catch a bad drawing at once,
 * without making a draft plan of it.
 */
import { area, cleanCoords, kinks, polygon } from '@turf/turf';
import type { Feature, MultiPolygon, Polygon, Position } from 'geojson';

/** A grid of a plan as the planner sends it: its parts of one code merged into a MultiPolygon. */
export type PlanFeature = Feature<MultiPolygon, Record<string, unknown> & { code: string }>;

/** A polygon as the editor holds it, with the properties it was loaded or drawn with. */
export interface DrawnPolygon {
  coordinates: Position[][];
  properties: Record<string, unknown>;
}

/** A problem the browser finds in one grid, and where it is. */
export interface ShapeProblem {
  code: string;
  kind: 'self_intersection' | 'invalid' | 'no_area';
  location: [number, number];
}

/** Below this a drawn part has no area worth a grid (m²): a click too many, or points on a line. */
const MIN_PART_M2 = 1;

/** The drawn polygons as a plan: parts of one code merged into a MultiPolygon, codes missing from a part given by `newCode`. */
export function planFeatures(drawn: DrawnPolygon[], newCode: () => string): PlanFeature[] {
  const byCode = new Map<string, { properties: PlanFeature['properties']; parts: Position[][][] }>();
  for (const d of drawn) {
    // mode and part are the editor's own: which tool drew it, and which part of a loaded grid it was.
    const { mode: _mode, part: _part, ...properties } = d.properties;
    const code = typeof properties.code === 'string' && properties.code ? properties.code : newCode();
    const entry = byCode.get(code) ?? { properties: { ...properties, code }, parts: [] };
    entry.parts.push(d.coordinates);
    byCode.set(code, entry);
  }
  return [...byCode.values()].map((e) => ({ type: 'Feature', properties: e.properties, geometry: { type: 'MultiPolygon', coordinates: e.parts } }));
}

/** What is wrong with the shape of each grid, part by part, each problem where it is (repeated and collinear vertices are none). */
export function shapeProblems(features: PlanFeature[]): ShapeProblem[] {
  return features.flatMap((f) => f.geometry.coordinates.flatMap((rings) => partProblems(rings).map((p) => ({ code: f.properties.code, ...p }))));
}

/** The problems of one polygon (a part of a grid). */
function partProblems(rings: Position[][]): Omit<ShapeProblem, 'code'>[] {
  const at = (rings[0]?.[0] ?? [0, 0]) as [number, number];
  // What turf's booleanValid checks of a ring; the crossings it finds, kinks finds too (a spike touches its own ring).
  if (!rings.length || rings.some((r) => r.length < 4 || r[0][0] !== r[r.length - 1][0] || r[0][1] !== r[r.length - 1][1])) return [{ kind: 'invalid', location: at }];
  let part: Feature<Polygon>;
  try {
    part = cleanCoords(polygon(rings));
  } catch {
    // Fewer than 4 vertices once the repeated and collinear ones are gone: the points lie on a line.
    return [{ kind: 'no_area', location: at }];
  }
  const crossings = kinks(part).features.map((k) => ({ kind: 'self_intersection' as const, location: k.geometry.coordinates as [number, number] }));
  if (crossings.length) return crossings;
  return area(part) < MIN_PART_M2 ? [{ kind: 'no_area', location: at }] : [];
}
