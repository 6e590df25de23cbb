/** TileJSON 3.0.0 documents of the tile layers. */
import type { Knex } from 'knex';
import type { TileLayer } from './layers.js';
import { sqlOfficeBounds } from './sql.js';
import type { Bbox } from './tile_math.js';

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
  vector_layers: VectorLayer[];
}

/** One entry of TileJSON `vector_layers`: a layer inside the tiles and its fields. */
export interface VectorLayer {
  id: string;
  description: string;
  minzoom: number;
  maxzoom: number;
  fields: Record<string, string>;
}

/** The vector layer of a tile layer's own features, or another one (`id`, `description`) with its zooms and fields. */
export function vectorLayerOf(layer: TileLayer, id: string = layer.name, description = layer.description): VectorLayer {
  return { id, description, minzoom: layer.minzoom, maxzoom: layer.maxzoom, fields: layer.fields };
}

/** The TileJSON of a layer whose tiles hold `vectorLayers`, bounded by the offices in force; `query` is kept in the tile URL. */
export async function tileJsonOf(knex: Knex, layer: TileLayer, vectorLayers: VectorLayer[], base: string, query: string): Promise<TileJson> {
  const { rows } = await sqlOfficeBounds(knex);
  const bounds: Bbox = rows.length ? [rows[0].w, rows[0].s, rows[0].e, rows[0].n].map((v: number) => Number(v.toFixed(6))) as Bbox : [-180, -85.0511, 180, 85.0511];
  const center: [number, number, number] = [Number(((bounds[0] + bounds[2]) / 2).toFixed(6)), Number(((bounds[1] + bounds[3]) / 2).toFixed(6)), 12];
  return {
    tilejson: '3.0.0',
    name: layer.name,
    description: layer.description,
    tiles: [`${base}/tiles/${layer.name}/{z}/{x}/{y}.mvt${query ? `?${query}` : ''}`],
    minzoom: layer.minzoom,
    maxzoom: layer.maxzoom,
    bounds,
    center,
    vector_layers: vectorLayers,
  };
}
