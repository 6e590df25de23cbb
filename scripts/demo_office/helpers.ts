/** Pure helpers of the demo office generator: seeded random streams, shares, orderings, rounding, failing. */
import { mulberry32, type Rng } from '../../server/demo/synthetic.js';
import { POINT_DECIMALS, SEED, type XY } from './constants.js';

/** A PRNG stream of its own for one purpose, so changing one step does not reshuffle the others. */
export function rngFor(label: string): Rng {
  let h = 0x811c9dc5 ^ SEED;
  for (const ch of label) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return mulberry32(h);
}

/** A random integer in [lo, hi]. */
export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** A random element of a weighted list. */
export function pickWeighted<T>(rng: Rng, items: ReadonlyArray<[T, number]>): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let r = rng() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  return items[items.length - 1][0];
}

/** Zero-padded decimal. */
export function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Split `total` into integer shares proportional to `weights` (largest remainder), each at least
 * `minimum`. Ties go to the lower index, so the result is deterministic.
 */
export function allocate(weights: number[], total: number, minimum: number): number[] {
  if (weights.length * minimum > total) throw new Error(`cannot give ${weights.length} shares ${minimum} each out of ${total}`);
  const sum = weights.reduce((s, w) => s + w, 0);
  const quota = weights.map((w) => (w / sum) * total);
  const shares = quota.map((q) => Math.max(minimum, Math.floor(q)));
  const byRemainder = (sign: number) =>
    quota.map((q, i) => i).sort((a, b) => sign * ((quota[b] - shares[b]) - (quota[a] - shares[a])) || a - b);
  let given = shares.reduce((s, n) => s + n, 0);
  while (given < total) {
    shares[byRemainder(1)[0]] += 1;
    given += 1;
  }
  while (given > total) {
    const i = byRemainder(-1).find((j) => shares[j] > minimum);
    if (i === undefined) throw new Error('allocation cannot meet the minimum');
    shares[i] -= 1;
    given -= 1;
  }
  return shares;
}

/**
 * Give `people` people consecutive runs of 1 or 2 items from each group, covering every item exactly
 * once. Pairs are spread over the groups (never across a group boundary).
 */
export function assignRuns<T>(groups: T[][], people: number): T[][] {
  const items = groups.reduce((s, g) => s + g.length, 0);
  const pairsNeeded = items - people;
  if (pairsNeeded < 0 || people < groups.length) throw new Error(`cannot cover ${items} items with ${people} people`);
  const pairs = groups.map((g) => Math.floor(g.length / 2));
  let total = pairs.reduce((s, n) => s + n, 0);
  if (total < pairsNeeded) throw new Error(`too few people (${people}) to cover ${items} items with runs of at most 2`);
  for (let i = 0; total > pairsNeeded; i = (i + 1) % groups.length) {
    if (pairs[i] > 0) {
      pairs[i] -= 1;
      total -= 1;
    }
  }
  const runs: T[][] = [];
  groups.forEach((g, gi) => {
    let k = 0;
    for (let p = 0; p < pairs[gi]; p++, k += 2) runs.push([g[k], g[k + 1]]);
    for (; k < g.length; k++) runs.push([g[k]]);
  });
  return runs;
}

/** Sort items into reading order: bands from north to south, west to east within a band. */
export function readingOrder<T extends { x: number; y: number }>(items: T[], bands: number): T[] {
  const ys = items.map((p) => p.y);
  const top = Math.max(...ys);
  const height = Math.max(top - Math.min(...ys), 1) * (1 + 1e-9);
  const band = (p: T) => Math.floor(((top - p.y) / height) * bands);
  return [...items].sort((a, b) => band(a) - band(b) || a.x - b.x || b.y - a.y);
}

/** Points every `spacing` metres (±30 % jitter) along a ring, starting at a random distance. */
export function pointsAlong(ring: XY[], spacing: number, rng: Rng): XY[] {
  const out: XY[] = [];
  let next = rng() * spacing;
  let walked = 0;
  for (let i = 1; i < ring.length; i++) {
    const [x0, y0] = ring[i - 1];
    const [x1, y1] = ring[i];
    const len = Math.hypot(x1 - x0, y1 - y0);
    while (next <= walked + len) {
      const t = len === 0 ? 0 : (next - walked) / len;
      out.push([x0 + t * (x1 - x0), y0 + t * (y1 - y0)]);
      next += spacing * (0.7 + 0.6 * rng());
    }
    walked += len;
  }
  return out;
}

/** Round a coordinate to the output precision. */
export function roundCoord(v: number): number {
  const f = 10 ** POINT_DECIMALS;
  return Math.round(v * f) / f;
}

/** Count items by a key, in key order. */
export function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const k of items.map(key).sort()) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
}

/** Stop with a message. */
export function fail(message: string): never {
  throw new Error(`make_demo_office: ${message}`);
}
