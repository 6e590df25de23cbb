import type { Knex } from 'knex';
import { fromGeojsonVt, type VtFeature } from 'vt-pbf';
import type { Db } from '../db/connect.js';
import { boundaryTile, buildBoundaryIndex, type BoundaryIndex } from './boundary_index.js';
import { TileCache, registerTileCache, type CachedTile } from './cache.js';
import { DEFAULT_INCIDENT_STATUSES, LABEL_SUFFIX, LAYERS, type LayerDef, type LayerName } from './layers.js';
import {
  sqlClusterMvt,
  sqlClusterRows,
  sqlOfficeBounds,
  sqlPointMvt,
  sqlPointRows,
  sqlStamp,
  type PointFilters,
} from './sql.js';
import { EXTENT, lonLatToTilePixel, tileBounds, type Bbox, type TileAddress } from './tile_math.js';

/** No tile may be larger than this; a raw point tile above it is served clustered instead. */
export const MAX_TILE_BYTES = 256 * 1024;

/** Squares per tile side when clustering: at most 64×64 clusters in a tile. */
export const CLUSTER_CELLS = 64;

/** Buffer around raw point tiles, in tile units (so symbols at tile edges are not cut). */
export const POINT_BUFFER = 64;

/** How a tile service makes tiles. */
export interface TileServiceOptions {
  /** Encode point tiles in JS even where ST_AsMVT exists (to compare the two paths in tests). */
  forceJs?: boolean;
  /** At most one look at the database's change stamps per table in this many ms. */
  stampIntervalMs?: number;
  cacheBytes?: number;
}

type StampTable = 'areas' | 'assets' | 'incidents';
const LAYERS_OF_TABLE: Record<StampTable, LayerName[]> = {
  areas: ['offices', 'communities', 'grids'],
  assets: ['assets'],
  incidents: ['incidents'],
};

/** TileJSON 3.0.0 document of a layer. */
export interface TileJson {
  tilejson: '3.0.0';
  name: string;
  description: string;
  tiles: string[];
  minzoom: number;
  maxzoom: number;
  bounds: Bbox;
  center: [number, number, number];
  vector_layers: { id: string; description: string; minzoom: number; maxzoom: number; fields: Record<string, string> }[];
}

/** Makes and caches vector tiles of every layer over one database. */
export class TileService {
  readonly cache: TileCache;
  private readonly knex: Knex;
  private readonly useAsMvt: boolean;
  private readonly boundaries = new Map<number, Promise<BoundaryIndex>>();
  private readonly stamps = new Map<StampTable, { stamp?: string; checkedAt: number; pending?: Promise<void> }>();
  private readonly stampIntervalMs: number;

  constructor(db: Db, opts: TileServiceOptions = {}) {
    this.knex = db.knex;
    this.useAsMvt = db.capabilities.asMvt && !opts.forceJs;
    this.stampIntervalMs = opts.stampIntervalMs ?? 1000;
    this.cache = new TileCache(opts.cacheBytes);
    this.cache.onLayerChange = (layer) => {
      for (const def of Object.values(LAYERS)) {
        if (def.level && (!layer || layer === def.name)) this.boundaries.delete(def.level);
      }
    };
    registerTileCache(this.cache);
  }

  /** A tile of a layer with canonical filters, from the cache or made now (body null when empty). */
  async getTile(layer: LayerName, t: TileAddress, filters: PointFilters): Promise<CachedTile> {
    const def = LAYERS[layer];
    const stamp = this.checkStamp(def.kind === 'boundary' ? 'areas' : (layer as 'assets' | 'incidents'));
    const key = TileCache.key(layer, t, filterKey(filters));
    const hit = this.cache.get(key);
    // A hit never waits for the stamp: a change seen by that look drops the tile for the next request.
    if (hit) {
      stamp.catch(() => undefined);
      return hit;
    }
    // A miss makes its tile while the stamp is looked at; a change the look finds (or any invalidation
    // meanwhile) bumps the layer's generation, and then the tile is answered but not kept.
    const generation = this.cache.generation(layer);
    const made = def.kind === 'boundary' ? this.boundaryTile(def, t) : this.pointTile(def, t, filters);
    const [bytes] = await Promise.all([made, stamp]);
    return this.cache.set(key, layer, t, bytes && bytes.length ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length) : null, generation);
  }

  /** Rebuild the in-memory boundary indexes now (after boundaries change). */
  async rebuildBoundaries(): Promise<void> {
    this.cache.invalidate('offices');
    this.cache.invalidate('communities');
    this.cache.invalidate('grids');
    await Promise.all([1, 2, 3].map((level) => this.boundaryIndex(level as 1 | 2 | 3)));
  }

  /** The TileJSON document of a layer; `base` is the server's origin, `query` the filter query to keep. */
  async tileJson(layer: LayerName, base: string, query: string): Promise<TileJson> {
    const def = LAYERS[layer];
    const { rows } = await sqlOfficeBounds(this.knex);
    const bounds: Bbox = rows.length ? [rows[0].w, rows[0].s, rows[0].e, rows[0].n].map((v: number) => Number(v.toFixed(6))) as Bbox : [-180, -85.0511, 180, 85.0511];
    const center: [number, number, number] = [Number(((bounds[0] + bounds[2]) / 2).toFixed(6)), Number(((bounds[1] + bounds[3]) / 2).toFixed(6)), 12];
    const vectorLayers: TileJson["vector_layers"] = [{ id: layer, description: def.description, minzoom: def.minzoom, maxzoom: def.maxzoom, fields: def.fields }];
    if (def.kind === 'boundary') {
      vectorLayers.push({ id: layer + LABEL_SUFFIX, description: `One label point per area of ${layer}`, minzoom: def.minzoom, maxzoom: def.maxzoom, fields: def.fields });
    }
    return {
      tilejson: '3.0.0',
      name: layer,
      description: def.description,
      tiles: [`${base}/tiles/${layer}/{z}/{x}/{y}.mvt${query ? `?${query}` : ''}`],
      minzoom: def.minzoom,
      maxzoom: def.maxzoom,
      bounds,
      center,
      vector_layers: vectorLayers,
    };
  }

  private boundaryIndex(level: 1 | 2 | 3): Promise<BoundaryIndex> {
    let p = this.boundaries.get(level);
    if (!p) {
      p = buildBoundaryIndex(this.knex, level);
      p.catch(() => this.boundaries.delete(level));
      this.boundaries.set(level, p);
    }
    return p;
  }

  private async boundaryTile(def: LayerDef, t: TileAddress): Promise<Uint8Array | null> {
    const index = await this.boundaryIndex(def.level!);
    return boundaryTile(index, def.name, t, MAX_TILE_BYTES);
  }

  private async pointTile(def: LayerDef, t: TileAddress, f: PointFilters): Promise<Uint8Array | null> {
    const layer = def.name as 'assets' | 'incidents';
    const filters = withDefaultStatus(layer, f);
    if (t.z <= (def.clusterMaxZoom ?? -1)) return this.clusterTile(layer, t, filters);
    const raw = await this.rawPointTile(layer, t, filters);
    // A raw tile over the size limit (a very dense area) is served clustered instead.
    return raw && raw.length > MAX_TILE_BYTES ? this.clusterTile(layer, t, filters) : raw;
  }

  private async rawPointTile(layer: 'assets' | 'incidents', t: TileAddress, f: PointFilters): Promise<Uint8Array | null> {
    const bbox = tileBounds(t, POINT_BUFFER / EXTENT);
    if (this.useAsMvt) {
      const { rows } = await sqlPointMvt(this.knex, layer, t, bbox, f);
      return rows[0]?.mvt ?? null;
    }
    const { rows } = await sqlPointRows(this.knex, layer, bbox, f);
    if (rows.length === 0) return null;
    const features = rows.map((r: Record<string, unknown>): VtFeature => {
      const { id, lon, lat, ...props } = r;
      return { id: Number(id), type: 1, geometry: [lonLatToTilePixel(Number(lon), Number(lat), t)], tags: dropNulls(props) };
    });
    return fromGeojsonVt({ [layer]: { features } }, { version: 2, extent: EXTENT });
  }

  private async clusterTile(layer: 'assets' | 'incidents', t: TileAddress, f: PointFilters): Promise<Uint8Array | null> {
    const bbox = tileBounds(t);
    if (this.useAsMvt) {
      // PostGIS's function costs make the planner JIT-compile this small read, which costs more than the read.
      const { rows } = await this.knex.transaction(async (trx) => {
        await trx.raw('set local jit = off');
        return sqlClusterMvt(trx, layer, t, bbox, CLUSTER_CELLS, f);
      });
      return rows[0]?.mvt ?? null;
    }
    const { rows } = await sqlClusterRows(this.knex, layer, t, bbox, CLUSTER_CELLS, f);
    if (rows.length === 0) return null;
    const features = rows.map((r: Record<string, unknown>): VtFeature => {
      const { id, lon, lat, ...props } = r;
      return { id: Number(id), type: 1, geometry: [lonLatToTilePixel(Number(lon), Number(lat), t)], tags: dropNulls({ cluster: true, ...props }) };
    });
    return fromGeojsonVt({ [layer]: { features } }, { version: 2, extent: EXTENT });
  }

  /** Look at a table's change stamp at most once per interval; a change drops the cached tiles it feeds. */
  private async checkStamp(table: StampTable): Promise<void> {
    const now = Date.now();
    const s = this.stamps.get(table) ?? { checkedAt: 0 };
    this.stamps.set(table, s);
    if (s.pending) return s.pending;
    if (now - s.checkedAt < this.stampIntervalMs) return;
    s.pending = (async () => {
      try {
        const { rows } = await sqlStamp(this.knex, table);
        const stamp = String(rows[0]?.stamp ?? '');
        if (s.stamp !== undefined && s.stamp !== stamp) {
          for (const layer of LAYERS_OF_TABLE[table]) this.cache.invalidate(layer);
        }
        s.stamp = stamp;
        s.checkedAt = Date.now();
      } finally {
        s.pending = undefined;
      }
    })();
    return s.pending;
  }
}

/**
 * The ST_AsMVT statement of a point tile on native PostGIS: clusters at low zooms (run with jit off, see
 * clusterTile), raw points above; the tile benchmark times it as the bare SQL.
 */
export function pointTileMvtSql(knex: Knex, layer: 'assets' | 'incidents', t: TileAddress, f: PointFilters): Knex.Raw {
  const filters = withDefaultStatus(layer, f);
  return t.z <= (LAYERS[layer].clusterMaxZoom ?? -1)
    ? sqlClusterMvt(knex, layer, t, tileBounds(t), CLUSTER_CELLS, filters)
    : sqlPointMvt(knex, layer, t, tileBounds(t, POINT_BUFFER / EXTENT), filters);
}

/** The canonical query string of filters (sorted lists), part of the cache key and of TileJSON URLs. */
export function filterKey(f: PointFilters): string {
  return (['category', 'grid', 'status'] as const)
    .filter((k) => f[k]?.length)
    .map((k) => `${k}=${[...f[k]!].sort().map(encodeURIComponent).join(',')}`)
    .join('&');
}

/** The filters a point tile is made with: incidents show only the default statuses when none are asked for. */
function withDefaultStatus(layer: 'assets' | 'incidents', f: PointFilters): PointFilters {
  return layer === 'incidents' && !f.status?.length ? { ...f, status: DEFAULT_INCIDENT_STATUSES } : f;
}

function dropNulls(props: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}
