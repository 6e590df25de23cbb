import { describe, expect, it } from 'vitest';
import { metresToDegrees } from './geodesy.js';

const RAD = Math.PI / 180;

/** The point `metres` from [lon, lat] along `bearing` (degrees) on the WGS84 ellipsoid: Vincenty's direct formula. */
function destination(lon: number, lat: number, bearing: number, metres: number): [number, number] {
  const a = 6_378_137;
  const f = 1 / 298.257223563;
  const b = (1 - f) * a;
  const alpha1 = bearing * RAD;
  const tanU1 = (1 - f) * Math.tan(lat * RAD);
  const cosU1 = 1 / Math.sqrt(1 + tanU1 * tanU1);
  const sinU1 = tanU1 * cosU1;
  const sigma1 = Math.atan2(tanU1, Math.cos(alpha1));
  const sinAlpha = cosU1 * Math.sin(alpha1);
  const cos2Alpha = 1 - sinAlpha * sinAlpha;
  const u2 = (cos2Alpha * (a * a - b * b)) / (b * b);
  const A = 1 + (u2 / 16384) * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
  const B = (u2 / 1024) * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
  let sigma = metres / (b * A);
  let cos2SigmaM = 0;
  for (let i = 0; i < 200; i++) {
    cos2SigmaM = Math.cos(2 * sigma1 + sigma);
    const sinS = Math.sin(sigma);
    const cosS = Math.cos(sigma);
    const dSigma =
      B * sinS * (cos2SigmaM + (B / 4) * (cosS * (-1 + 2 * cos2SigmaM ** 2) - (B / 6) * cos2SigmaM * (-3 + 4 * sinS ** 2) * (-3 + 4 * cos2SigmaM ** 2)));
    const next = metres / (b * A) + dSigma;
    if (Math.abs(next - sigma) < 1e-13) break;
    sigma = next;
  }
  const sinS = Math.sin(sigma);
  const cosS = Math.cos(sigma);
  const x = sinU1 * sinS - cosU1 * cosS * Math.cos(alpha1);
  const lat2 = Math.atan2(sinU1 * cosS + cosU1 * sinS * Math.cos(alpha1), (1 - f) * Math.sqrt(sinAlpha * sinAlpha + x * x));
  const lambda = Math.atan2(sinS * Math.sin(alpha1), cosU1 * cosS - sinU1 * sinS * Math.cos(alpha1));
  const C = (f / 16) * cos2Alpha * (4 + f * (4 - 3 * cos2Alpha));
  const L = lambda - (1 - C) * f * sinAlpha * (sigma + C * sinS * (cos2SigmaM + C * cosS * (-1 + 2 * cos2SigmaM ** 2)));
  return [lon + L / RAD, lat2 / RAD];
}

/** The largest lon and lat offsets of the circle of `metres` around [120, lat], sampled every degree of bearing. */
function circleReach(lat: number, metres: number): { lon: number; lat: number } {
  let dLon = 0;
  let dLat = 0;
  for (let bearing = 0; bearing < 360; bearing += 1) {
    const [x, y] = destination(120, lat, bearing, metres);
    dLon = Math.max(dLon, Math.abs(x - 120));
    dLat = Math.max(dLat, Math.abs(y - lat));
  }
  return { lon: dLon, lat: dLat };
}

const CASES: Array<[number, number]> = [0, 18.2, 41.8, -41.8, 53.5, 70, 85].flatMap((lat) => [1, 30, 500, 50_000].map((m): [number, number] => [lat, m]));

describe('metresToDegrees', () => {
  it.each(CASES)('at latitude %d, a box of ±d degrees covers the circle of %d m on the WGS84 ellipsoid', (lat, metres) => {
    const d = metresToDegrees(metres, lat);
    const reach = circleReach(lat, metres);
    expect(d).toBeGreaterThanOrEqual(reach.lon);
    expect(d).toBeGreaterThanOrEqual(reach.lat);
  });

  it.each(CASES)('at latitude %d, the box for %d m is at most 2 percent wider than the circle', (lat, metres) => {
    const reach = circleReach(lat, metres);
    expect(metresToDegrees(metres, lat)).toBeLessThanOrEqual(1.02 * Math.max(reach.lon, reach.lat));
  });

  it('answers the whole circle of longitude, 180, when the circle reaches a pole', () => {
    expect(metresToDegrees(20_000, 89.9)).toBe(180);
    expect(metresToDegrees(20_000, -90)).toBe(180);
  });

  it('grows with the latitude, as the meridians converge', () => {
    expect(metresToDegrees(30, 60)).toBeGreaterThan(metresToDegrees(30, 30));
    expect(metresToDegrees(30, 30)).toBeGreaterThan(metresToDegrees(30, 0));
  });
});
