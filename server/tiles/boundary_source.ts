/** The boundary source: the areas of one level in force, tiled from an in-memory geojson-vt index. */
import type { Knex } from 'knex';
import { boundaryTile, buildBoundaryIndex, type BoundaryIndex } from './boundary_index.js';
import { sqlAreasStamp } from './boundary_sql.js';
import { LABEL_SUFFIX, type BoundaryLayer } from './layers.js';
import { MAX_TILE_BYTES, type TileFilters, type TileSource } from './source.js';
import { tileJsonOf, vectorLayerOf, type TileJson } from './tile_json.js';
import type { TileAddress } from './tile_math.js';

/** Tiles of a boundary layer: its polygons and one label point per area. */
export class BoundarySource implements TileSource {
  private index?: Promise<BoundaryIndex>;

  constructor(
    private readonly knex: Knex,
    readonly layer: BoundaryLayer,
  ) {}

  /** Boundary layers take no filters: whatever the query holds, none. */
  parseFilters(): TileFilters {
    return {};
  }

  /** TileJSON with the polygons' vector layer and the labels'. */
  tileJson(base: string, query: string): Promise<TileJson> {
    const { name } = this.layer;
    const labels = vectorLayerOf(this.layer, name + LABEL_SUFFIX, `One label point per area of ${name}`);
    return tileJsonOf(this.knex, this.layer, [vectorLayerOf(this.layer), labels], base, query);
  }

  /** A tile of the index, built on first use; thinned when over the size limit. */
  async tile(t: TileAddress): Promise<Uint8Array | null> {
    return boundaryTile(await this.boundaryIndex(), this.layer.name, t, MAX_TILE_BYTES);
  }

  /** The fingerprint of the areas. */
  async version(): Promise<string> {
    const { rows } = await sqlAreasStamp(this.knex);
    return String(rows[0]?.stamp ?? '');
  }

  /** Drop the index: the next tile builds it again from the areas in force. */
  reset(): void {
    this.index = undefined;
  }

  private boundaryIndex(): Promise<BoundaryIndex> {
    if (!this.index) {
      const p = buildBoundaryIndex(this.knex, this.layer.level);
      // A failed build is not kept: the next tile tries again.
      p.catch(() => {
        if (this.index === p) this.index = undefined;
      });
      this.index = p;
    }
    return this.index;
  }
}
