import { z } from 'zod';
import { commaList } from '../http/input.js';
import { LAYER_NAMES } from './layers.js';
import { MAX_ZOOM } from './tile_math.js';

const tileNumber = (name: string) =>
  z.string().regex(/^\d{1,8}$/, `${name} must be a non-negative integer`).transform(Number).meta({ description: `Tile ${name}` });

/** Path of a tile request. */
export const tileParams = z.object({
  layer: z.string().meta({ description: `One of ${LAYER_NAMES.join(', ')}` }),
  z: tileNumber('z').meta({ description: `Zoom, 0..${MAX_ZOOM}` }),
  x: tileNumber('x').meta({ description: 'Column, 0..2^z-1' }),
  y: tileNumber('y').meta({ description: 'Row from the north, 0..2^z-1' }),
});

/** Path of a TileJSON request. */
export const tileJsonParams = z.object({ layer: tileParams.shape.layer });

/** A comma-separated list of codes in a query string: letters, digits, `-`, `_` and `.` only. */
const codeList = (what: string, max: number) =>
  commaList(z.string().regex(/^[\w.-]{1,64}$/, `${what} must be a comma-separated list of codes (letters, digits, - _ .)`), { name: what, max }).optional();

/** Optional filters of point layers (ignored by boundary layers); each is a comma-separated list. */
export const tileQuery = z.object({
  category: codeList('category', 100).meta({ description: 'Category codes (assets: component categories; incidents: incident categories)' }),
  status: codeList('status', 100).meta({ description: 'Statuses; incidents default to open,handled' }),
  grid: codeList('grid', 1000).meta({ description: 'Grid codes' }),
});

/** TileJSON 3.0.0 (the members this server writes). */
export const tileJsonSchema = z
  .object({
    tilejson: z.literal('3.0.0'),
    name: z.string(),
    description: z.string(),
    tiles: z.array(z.string()),
    minzoom: z.number().int(),
    maxzoom: z.number().int(),
    bounds: z.array(z.number()).length(4),
    center: z.array(z.number()).length(3),
    vector_layers: z.array(
      z.object({ id: z.string(), description: z.string(), minzoom: z.number().int(), maxzoom: z.number().int(), fields: z.record(z.string(), z.string()) }),
    ),
  })
  .meta({ id: 'TileJSON' });

/** GET /tiles/map-config.json: what the web map needs besides the tiles. */
export const mapConfigSchema = z
  .object({
    basemap: z
      .object({ tiles: z.array(z.string()), tile_size: z.number().int(), attribution: z.string() })
      .nullable()
      .meta({ description: 'A raster basemap under the vector layers (the city\'s own tiles), or null for none' }),
  })
  .meta({ id: 'MapConfig' });
