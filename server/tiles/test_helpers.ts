/** What the tile tests share: decoding a tile and finding the tile of a point. */
import { VectorTile, type VectorTileLayer } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import type { TileAddress } from './tile_math.js';

/** Decode an MVT body. */
export function decode(body: Buffer | Uint8Array): VectorTile {
  return new VectorTile(new PbfReader(body));
}

/** Every feature of a decoded layer. */
export function features(layer: VectorTileLayer) {
  return Array.from({ length: layer.length }, (_, i) => layer.feature(i));
}

/** The tile at zoom z that holds a WGS84 point. */
export function tileOf(lon: number, lat: number, z: number): TileAddress {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return { z, x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n) };
}
