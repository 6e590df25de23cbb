/**
 * The point source: assets and incidents read from their tables. Raw points above the layer's cluster
 * zoom, clusters at and below it (assets from the cell pyramid where it can answer); ST_AsMVT encodes
 * them on native PostGIS, vt-pbf in JS on the embedded build, which has none.
 */
import type { Knex } from 'knex';
import { fromGeojsonVt, type VtFeature } from 'vt-pbf';
import { Invalid } from '../http/errors.js';
import type { PointLayer, PointLayerName } from './layers.js';
import { TILE_LAYERS } from './layers.js';
import { sqlClusterMvt, sqlClusterRows, sqlPointMvt, sqlPointRows, sqlPointStamp } from './point_sql.js';
import { MAX_TILE_BYTES, type TileFilters, type TileSource } from './source.js';
import { tileJsonOf, vectorLayerOf, type TileJson } from './tile_json.js';
import { EXTENT, lonLatToTilePixel, tileBounds, type TileAddress } from './tile_math.js';

/** Squares per tile side when clustering: at most 64×64 clusters in a tile. */
export const CLUSTER_CELLS = 64;

/** Buffer around raw point tiles, in tile units (so symbols at tile edges are not cut). */
export const POINT_BUFFER = 64;

/** Tiles of a point layer. */
export class PointSource implements TileSource {
  constructor(
    private readonly knex: Knex,
    readonly layer: PointLayer,
    /** Encode with ST_AsMVT (native PostGIS) rather than in JS. */
    private readonly useAsMvt: boolean,
  ) {}

  /** The category, status and grid filters; a status the layer does not know is a 400 that lists them. */
  parseFilters(q: TileFilters): TileFilters {
    const layer = this.layer.name;
    const known = this.layer.statuses;
    const bad = q.status?.filter((s) => !known.includes(s)) ?? [];
    if (bad.length) throw new Invalid('status_unknown', `Unknown ${layer} status ${bad.join(', ')}; use one or more of ${known.join(', ')}.`, { params: { layer, statuses: bad, known } });
    return { category: q.category, status: q.status, grid: q.grid };
  }

  /** TileJSON with the layer's one vector layer. */
  tileJson(base: string, query: string): Promise<TileJson> {
    return tileJsonOf(this.knex, this.layer, [vectorLayerOf(this.layer)], base, query);
  }

  /** A raw tile, or clustered at low zooms and when the raw tile would be over the size limit. */
  async tile(t: TileAddress, f: TileFilters): Promise<Uint8Array | null> {
    const filters = withDefaultStatus(this.layer, f);
    if (t.z <= this.layer.clusterMaxZoom) return this.clusterTile(t, filters);
    const raw = await this.rawPointTile(t, filters);
    // A raw tile over the size limit (a very dense area) is served clustered instead.
    return raw && raw.length > MAX_TILE_BYTES ? this.clusterTile(t, filters) : raw;
  }

  /** The fingerprint of the layer's table. */
  async version(): Promise<string> {
    const { rows } = await sqlPointStamp(this.knex, this.layer.name);
    return String(rows[0]?.stamp ?? '');
  }

  private async rawPointTile(t: TileAddress, f: TileFilters): Promise<Uint8Array | null> {
    const bbox = tileBounds(t, POINT_BUFFER / EXTENT);
    if (this.useAsMvt) {
      const { rows } = await sqlPointMvt(this.knex, this.layer.name, t, bbox, f);
      return rows[0]?.mvt ?? null;
    }
    const { rows } = await sqlPointRows(this.knex, this.layer.name, bbox, f);
    return encodePoints(this.layer.name, rows, t);
  }

  private async clusterTile(t: TileAddress, f: TileFilters): Promise<Uint8Array | null> {
    const bbox = tileBounds(t);
    if (this.useAsMvt) {
      // PostGIS's function costs make the planner JIT-compile this small read, which costs more than the read.
      const { rows } = await this.knex.transaction(async (trx) => {
        await trx.raw('set local jit = off');
        return sqlClusterMvt(trx, this.layer.name, t, bbox, CLUSTER_CELLS, f);
      });
      return rows[0]?.mvt ?? null;
    }
    const { rows } = await sqlClusterRows(this.knex, this.layer.name, t, bbox, CLUSTER_CELLS, f);
    return encodePoints(this.layer.name, rows, t, { cluster: true });
  }
}

/**
 * The ST_AsMVT statement of a point tile on native PostGIS: clusters at low zooms (run with jit off, see
 * clusterTile), raw points above; the tile benchmark times it as the bare SQL.
 */
export function pointTileMvtSql(knex: Knex, layer: PointLayerName, t: TileAddress, f: TileFilters): Knex.Raw {
  const def = TILE_LAYERS[layer];
  const filters = withDefaultStatus(def, f);
  return t.z <= def.clusterMaxZoom
    ? sqlClusterMvt(knex, layer, t, tileBounds(t), CLUSTER_CELLS, filters)
    : sqlPointMvt(knex, layer, t, tileBounds(t, POINT_BUFFER / EXTENT), filters);
}

/** The filters a point tile is made with: the layer's default statuses when the request names none. */
function withDefaultStatus(layer: PointLayer, f: TileFilters): TileFilters {
  return layer.defaultStatuses && !f.status?.length ? { ...f, status: layer.defaultStatuses } : f;
}

/** Rows of points (id, lon, lat and properties) as an MVT of one layer, `tags` first on every feature; null when none. */
function encodePoints(layer: string, rows: Record<string, unknown>[], t: TileAddress, tags: Record<string, unknown> = {}): Uint8Array | null {
  if (rows.length === 0) return null;
  const features = rows.map((r): VtFeature => {
    const { id, lon, lat, ...props } = r;
    return { id: Number(id), type: 1, geometry: [lonLatToTilePixel(Number(lon), Number(lat), t)], tags: dropNulls({ ...tags, ...props }) };
  });
  return fromGeojsonVt({ [layer]: { features } }, { version: 2, extent: EXTENT });
}

function dropNulls(props: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}
