// Typings for vt-pbf (the package ships none): the one function the tile service uses.
declare module 'vt-pbf' {
  /** A feature as geojson-vt hands it out: type 1 point, 2 line, 3 polygon; geometry in tile units. */
  export interface VtFeature {
    id?: number;
    type: 1 | 2 | 3;
    geometry: unknown;
    tags: Record<string, unknown> | null;
  }
  /** Serialise layers of geojson-vt tiles (name → tile) to an MVT protobuf. */
  export function fromGeojsonVt(layers: Record<string, { features: readonly VtFeature[] }>, options?: { version?: number; extent?: number }): Uint8Array;
}
