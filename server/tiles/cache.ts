import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { bboxesIntersect, tileBounds, type Bbox, type TileAddress } from './tile_math.js';

/** A tile as served: its bytes (null for an empty tile), gzipped bytes made on first ask, and its ETag. */
export interface CachedTile {
  body: Buffer | null;
  gzip?: Buffer;
  etag: string;
}

interface Entry extends CachedTile {
  layer: string;
  tile: TileAddress;
  bytes: number;
}

/** Strong ETag of tile bytes (an empty tile has its own). */
export function etagOf(body: Buffer | null): string {
  if (!body) return '"empty"';
  return `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
}

/** The gzipped bytes of a cached tile, compressed once. */
export function gzipOf(tile: CachedTile): Buffer | null {
  if (!tile.body) return null;
  tile.gzip ??= gzipSync(tile.body, { level: 6 });
  return tile.gzip;
}

/**
 * An LRU cache of tiles by layer, address and filters, bounded in bytes. Entries are dropped by
 * `invalidate` (a layer, optionally only the tiles over a bbox).
 */
export class TileCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  /** Invalidations so far, of every layer ('') and per layer: a tile made across one may be stale. */
  private readonly generations = new Map<string, number>();

  constructor(readonly maxBytes = 64 * 1024 * 1024) {}

  /** Key of a tile: layer, z/x/y and the canonical filter query. */
  static key(layer: string, t: TileAddress, filters: string): string {
    return `${layer}/${t.z}/${t.x}/${t.y}?${filters}`;
  }

  /** The cached tile, marked as recently used; undefined on a miss. */
  get(key: string): CachedTile | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  /** The invalidation count of a layer: take it before making a tile and hand it to `set`. */
  generation(layer: string): number {
    return (this.generations.get('') ?? 0) + (this.generations.get(layer) ?? 0);
  }

  /**
   * Store a tile, evicting the least recently used beyond the byte budget. With the `generation` taken
   * before the tile was made, a tile whose layer was invalidated meanwhile is answered but not stored
   * (it may have been read before the change).
   */
  set(key: string, layer: string, tile: TileAddress, body: Buffer | null, generation?: number): CachedTile {
    const e: Entry = { body, etag: etagOf(body), layer, tile, bytes: (body?.length ?? 0) * 1.5 + 200 };
    if (generation !== undefined && generation !== this.generation(layer)) return e;
    this.delete(key);
    this.entries.set(key, e);
    this.bytes += e.bytes;
    for (const [k] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(k);
    }
    return e;
  }

  /** Drop the tiles of a layer (every layer when absent), only those over `bbox` when given. */
  invalidate(layer?: string, bbox?: Bbox): number {
    this.generations.set(layer ?? '', (this.generations.get(layer ?? '') ?? 0) + 1);
    let dropped = 0;
    for (const [k, e] of this.entries) {
      if (layer && e.layer !== layer) continue;
      if (bbox && !bboxesIntersect(tileBounds(e.tile), bbox)) continue;
      this.delete(k);
      dropped++;
    }
    return dropped;
  }

  /** Number of cached tiles. */
  get size(): number {
    return this.entries.size;
  }

  private delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.bytes;
  }
}
