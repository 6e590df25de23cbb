/**
 * The tiles of one app (`ctx.tiles`): a source per layer, one cache in front of them, and the
 * invalidation the writing services call. Nothing here is shared between apps.
 */
import type { Db } from '../db/connect.js';
import { BoundarySource } from './boundary_source.js';
import { TileCache, type CachedTile } from './cache.js';
import { LAYER_NAMES, TILE_LAYERS, type TileLayer, type LayerName } from './layers.js';
import { PointSource } from './point_source.js';
import type { TileFilters, TileSource } from './source.js';
import type { Bbox, TileAddress } from './tile_math.js';

/** How a tile service makes tiles. */
export interface TileServiceOptions {
  /** Encode point tiles in JS even where ST_AsMVT exists (to compare the two paths in tests). */
  forceJs?: boolean;
  /** At most one look at a source's version per layer in this many ms. */
  stampIntervalMs?: number;
  cacheBytes?: number;
}

/** What a service that writes needs of the app's tiles: dropping the tiles its write made stale. */
export interface TileInvalidation {
  /**
   * Drop the cached tiles of these layers, only those over `bbox` (WGS84 [w, s, e, n]) when given; without
   * a bbox a boundary layer also rebuilds its index on its next tile. Cached tiles also expire by themselves
   * within a second of a change their source's version shows, so a missed call costs freshness, not correctness.
   */
  invalidate(layers: readonly LayerName[], bbox?: Bbox): void;
}

/** The source of a layer, by its kind: the one place that knows the kinds. */
function sourceOf(db: Db, layer: TileLayer, opts: TileServiceOptions): TileSource {
  return layer.kind === 'boundary' ? new BoundarySource(db.knex, layer) : new PointSource(db.knex, layer, db.capabilities.asMvt && !opts.forceJs);
}

/** Makes and caches vector tiles of every layer over one database. */
export class TileService implements TileInvalidation {
  readonly cache: TileCache;
  private readonly sources: Record<LayerName, TileSource>;
  private readonly versions = new Map<LayerName, { version?: string; checkedAt: number; pending?: Promise<void> }>();
  private readonly stampIntervalMs: number;

  constructor(db: Db, opts: TileServiceOptions = {}) {
    this.stampIntervalMs = opts.stampIntervalMs ?? 1000;
    this.cache = new TileCache(opts.cacheBytes);
    this.sources = Object.fromEntries(LAYER_NAMES.map((name) => [name, sourceOf(db, TILE_LAYERS[name], opts)])) as Record<LayerName, TileSource>;
  }

  /** The source of a layer. */
  source(layer: LayerName): TileSource {
    return this.sources[layer];
  }

  /** A tile of a layer under filters its source parsed, from the cache or made now (body null when empty). */
  async getTile(layer: LayerName, t: TileAddress, filters: TileFilters): Promise<CachedTile> {
    const version = this.checkVersion(layer);
    const key = TileCache.key(layer, t, filterKey(filters));
    const hit = this.cache.get(key);
    // A hit never waits for the version: a change seen by that look drops the tile for the next request.
    if (hit) {
      version.catch(() => undefined);
      return hit;
    }
    // A miss makes its tile while the version is looked at; a change the look finds (or any invalidation
    // meanwhile) bumps the layer's generation, and then the tile is answered but not kept.
    const generation = this.cache.generation(layer);
    const [bytes] = await Promise.all([this.sources[layer].tile(t, filters), version]);
    return this.cache.set(key, layer, t, bytes && bytes.length ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length) : null, generation);
  }

  /** Drop cached tiles after a write (see TileInvalidation). */
  invalidate(layers: readonly LayerName[], bbox?: Bbox): void {
    for (const layer of layers) {
      this.cache.invalidate(layer, bbox);
      if (!bbox) this.sources[layer].reset?.();
    }
  }

  /** Look at a source's version at most once per interval; a change drops the cached tiles it feeds. */
  private async checkVersion(layer: LayerName): Promise<void> {
    const now = Date.now();
    const s = this.versions.get(layer) ?? { checkedAt: 0 };
    this.versions.set(layer, s);
    if (s.pending) return s.pending;
    if (now - s.checkedAt < this.stampIntervalMs) return;
    s.pending = (async () => {
      try {
        const version = await this.sources[layer].version();
        if (s.version !== undefined && s.version !== version) this.invalidate([layer]);
        s.version = version;
        s.checkedAt = Date.now();
      } finally {
        s.pending = undefined;
      }
    })();
    return s.pending;
  }
}

/** The canonical query string of filters (sorted lists), part of the cache key and of TileJSON URLs. */
export function filterKey(f: TileFilters): string {
  return (['category', 'grid', 'status'] as const)
    .filter((k) => f[k]?.length)
    .map((k) => `${k}=${[...f[k]!].sort().map(encodeURIComponent).join(',')}`)
    .join('&');
}
