/** The one shape of a tile source, whatever its kind (martin's `Source` trait), and what every kind shares. */
import type { TileLayer } from './layers.js';
import type { TileJson } from './tile_json.js';
import type { TileAddress } from './tile_math.js';

/** Filters of a tile request, each a list of codes: a list is OR-ed, the lists AND-ed. */
export interface TileFilters {
  category?: string[];
  status?: string[];
  grid?: string[];
}

/** No tile may be larger than this: a source thins (boundaries) or clusters (points) a tile above it. */
export const MAX_TILE_BYTES = 256 * 1024;

/**
 * A source of the tiles of one layer. Each kind (boundary, point) implements it in its own file; the
 * tile service and the routes ask only this.
 */
export interface TileSource {
  /** The layer it serves. */
  readonly layer: TileLayer;
  /** The filters of a request as this source takes them; Invalid names a bad one. */
  parseFilters(query: TileFilters): TileFilters;
  /** Its TileJSON 3.0.0; `base` is the server's origin, `query` the canonical filter query its tile URL keeps. */
  tileJson(base: string, query: string): Promise<TileJson>;
  /** One tile as MVT bytes under filters from `parseFilters`, or null when nothing is in it. */
  tile(t: TileAddress, filters: TileFilters): Promise<Uint8Array | null>;
  /** A fingerprint of the data behind its tiles: when it changes, tiles made before are stale. */
  version(): Promise<string>;
  /** Forget what it derived from its data (an in-memory index), after that data changed. */
  reset?(): void;
}
