/**
 * The one SQL expression that turns a stored geometry into GeoJSON for a client. Every answer that
 * carries a polygon (areas, plans, features, exports) writes it through here, so that all of them
 * follow RFC 7946 §3.1.6: exterior rings counter-clockwise, holes clockwise, whatever the orientation
 * the geometry was uploaded or computed with.
 */

/** The geometry `expr` oriented as RFC 7946 §3.1.6 wants (points and lines are left as they are). */
export function sqlRfc7946(expr: string): string {
  return `ST_ForcePolygonCCW(${expr})`;
}

/**
 * `expr` as GeoJSON text, oriented (RFC 7946 §3.1.6) and rounded to `precision` decimals. A column known
 * to hold only points (`points`) skips the orientation, which costs a call per row on a million rows.
 */
export function sqlGeoJson(expr: string, precision: number, opts: { points?: boolean } = {}): string {
  // precision is written as a literal (an integer from the code or a validated query) so the expression is
  // identical for every row and the planner can fold it.
  return `ST_AsGeoJSON(${opts.points ? expr : sqlRfc7946(expr)}, ${Math.trunc(precision)})`;
}
