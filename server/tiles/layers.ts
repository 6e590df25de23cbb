/** The tile layers: what each holds, its fields, its zooms and how it is made. */
import { AREA_LEVEL_LIST, AREA_LEVELS, type AreaLevel } from '../areas/levels.js';
import { ASSET_STATUSES } from '../assets/sql.js';
import { INCIDENT_LEVELS, INCIDENT_STATUSES } from '../incidents/workflow.js';

/** Names of the tile layers, the allowlist for the `{layer}` path segment. */
export const LAYER_NAMES = ['offices', 'communities', 'grids', 'assets', 'incidents'] as const;
export type LayerName = (typeof LAYER_NAMES)[number];
/** The layers of area polygons. */
export type BoundaryLayerName = 'offices' | 'communities' | 'grids';
/** The layers of points. */
export type PointLayerName = Exclude<LayerName, BoundaryLayerName>;

/** What every tile layer says about itself. */
interface LayerInfo {
  description: string;
  minzoom: number;
  maxzoom: number;
  /** Field name → description, for TileJSON `vector_layers`. */
  fields: Record<string, string>;
  /** Cache-Control of its tiles. */
  cacheControl: string;
}

/** A layer of the areas of one level in force, served from an in-memory geojson-vt index. */
export interface BoundaryLayer extends LayerInfo {
  name: BoundaryLayerName;
  kind: 'boundary';
  level: AreaLevel;
}

/** A layer of points read from their table, clustered at low zooms; it takes category, status and grid filters. */
export interface PointLayer extends LayerInfo {
  name: PointLayerName;
  kind: 'point';
  /** At this zoom and below, points are clustered (count per cluster). */
  clusterMaxZoom: number;
  /** The statuses its rows may have, to refuse a misspelt one with a 400. */
  statuses: readonly string[];
  /** Statuses shown when the request names none (all when absent). */
  defaultStatuses?: string[];
}

/** One tile layer. */
export type TileLayer = BoundaryLayer | PointLayer;

/** "a, b or c", for field descriptions. */
function orList(words: readonly string[]): string {
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

const AREA_FIELDS = {
  code: 'Area code',
  name: 'Name (Chinese)',
  name_en: 'Name (English)',
  level: orList(AREA_LEVEL_LIST),
  parent_code: 'Code of the parent area',
};

/** The second layer of every boundary tile: one label point per area, inside the area. */
export const LABEL_SUFFIX = '_label';

const CLUSTER_FIELDS = {
  cluster: 'true on a cluster of points (low zooms)',
  count: 'Number of points in the cluster',
};

/** Every layer by name. */
export const TILE_LAYERS = {
  offices: {
    name: 'offices', kind: 'boundary', level: AREA_LEVELS.office, minzoom: 0, maxzoom: 16,
    description: 'Street offices (level 1) in force', fields: AREA_FIELDS,
    cacheControl: 'public, max-age=60, stale-while-revalidate=600',
  },
  communities: {
    name: 'communities', kind: 'boundary', level: AREA_LEVELS.community, minzoom: 0, maxzoom: 16,
    description: 'Communities (level 2) in force', fields: AREA_FIELDS,
    cacheControl: 'public, max-age=60, stale-while-revalidate=600',
  },
  grids: {
    name: 'grids', kind: 'boundary', level: AREA_LEVELS.grid, minzoom: 0, maxzoom: 16,
    description: 'Grids (level 3) in force', fields: AREA_FIELDS,
    cacheControl: 'public, max-age=60, stale-while-revalidate=600',
  },
  assets: {
    name: 'assets', kind: 'point', minzoom: 0, maxzoom: 16, clusterMaxZoom: 12, statuses: ASSET_STATUSES,
    description: 'City components (城市部件) as points, feature id = asset id (details at /api/assets/{id}); clustered at zoom 12 and below',
    fields: { category_code: 'Component category code (its first two digits are the class)', status: orList(ASSET_STATUSES), ...CLUSTER_FIELDS },
    cacheControl: 'public, max-age=30',
  },
  incidents: {
    name: 'incidents', kind: 'point', minzoom: 0, maxzoom: 16, clusterMaxZoom: 11, statuses: INCIDENT_STATUSES, defaultStatuses: ['open', 'handled'],
    description: 'Incidents (open and handled unless status says otherwise); no reporter or contact data; clustered at zoom 11 and below',
    fields: {
      category_code: 'Incident category code', status: orList(INCIDENT_STATUSES), level: orList(INCIDENT_LEVELS),
      overdue: 'true when past its deadline and not closed (on a cluster: how many are)', age_hours: 'Hours since it was reported', grid_code: 'Grid it was routed to',
      ...CLUSTER_FIELDS,
    },
    cacheControl: 'no-cache',
  },
} satisfies Record<LayerName, TileLayer>;

/** Whether a string names a layer. */
export function isLayerName(s: string): s is LayerName {
  return (LAYER_NAMES as readonly string[]).includes(s);
}
