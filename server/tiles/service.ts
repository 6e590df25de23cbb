/** The tiles of an app: a source per layer and one cache in front of them. */
import type { Db } from '../db/connect.js';
import { BoundarySource } from './boundary_source.js';
import { TileCache, registerTileCache, type CachedTile } from './cache.js';
import { LAYER_NAMES, TILE_LAYERS, type TileLayer, type LayerName } from './layers.js';
import { PointSource } from './point_source.js';
import type { TileFilters, TileSource } from './source.js';
import type { TileAddress } from './tile_math.js';

/** How a tile service makes tiles. */
export interface TileServiceOptions {
  /** Encode point tiles in JS even where ST_AsMVT exists (to compare the two paths in tests). */
  forceJs?: boolean;
  /** At most one look at a source's version per layer in this many ms. */
  stampIntervalMs?: number;
  cacheBytes?: number;
}

/** The source of a layer, by its kind: the one place that knows the kinds. */
function sourceOf(db: Db, layer: TileLayer, opts: TileServiceOptions): TileSource {
  return layer.kind === 'boundary' ? new BoundarySource(db.knex, layer) : new PointSource(db.knex, layer, db.capabilities.asMvt && !opts.forceJs);
}

/** Makes and caches vector tiles of every layer over one database. */
export class TileService {
  readonly cache: TileCache;
  private readonly sources: Record<LayerName, TileSource>;
  private readonly versions = new Map<LayerName, { version?: string; checkedAt: number; pending?: Promise<void> }>();
  private readonly stampIntervalMs: number;

  constructor(db: Db, opts: TileServiceOptions = {}) {
    this.stampIntervalMs = opts.stampIntervalMs ?? 1000;
    this.cache = new TileCache(opts.cacheBytes);
    this.sources = Object.fromEntries(LAYER_NAMES.map((name) => [name, sourceOf(db, TILE_LAYERS[name], opts)])) as Record<LayerName, TileSource>;
    this.cache.onLayerChange = (layer) => {
      for (const name of LAYER_NAMES) if (!layer || layer === name) this.sources[name].reset?.();
    };
    registerTileCache(this.cache);
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
        if (s.version !== undefined && s.version !== version) this.cache.invalidate(layer);
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
