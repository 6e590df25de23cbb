/**
 * The smallest radius of curvature of the WGS84 ellipsoid (along the meridian at the equator), in metres:
 * no arc of a given length on the ellipsoid spans more degrees than on a sphere of this radius.
 */
const MIN_RADIUS_M = 6_335_439;

const DEGREES = 180 / Math.PI;

/**
 * Half the side, in degrees, of a lon/lat box centred on a point at `lat` that covers every point within
 * `metres` of it (the whole circle of longitude, 180, once the circle reaches a pole).
 */
export function metresToDegrees(metres: number, lat: number): number {
  const arc = metres / MIN_RADIUS_M;
  const phi = Math.min(Math.abs(lat), 90) / DEGREES;
  // A circle of angular radius `arc` around latitude phi reaches at most asin(sin arc / cos phi) of
  // longitude either way, at the meridians it touches.
  const ratio = Math.sin(arc) / Math.cos(phi);
  const lon = arc >= Math.PI / 2 - phi || ratio >= 1 ? 180 : Math.asin(ratio) * DEGREES;
  return Math.max(lon, arc * DEGREES);
}
