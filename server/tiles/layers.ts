/** The tile layers: what each holds, its fields, its zooms and how it is made. */

/** Names of the tile layers, the allowlist for the `{layer}` path segment. */
export const LAYER_NAMES = ['offices', 'communities', 'grids', 'assets', 'incidents'] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

/** Boundary layers come from an in-memory geojson-vt index; point layers from SQL. */
export type LayerKind = 'boundary' | 'point';

/** One tile layer. */
export interface LayerDef {
  name: LayerName;
  kind: LayerKind;
  description: string;
  minzoom: number;
  maxzoom: number;
  /** Field name → description, for TileJSON `vector_layers`. */
  fields: Record<string, string>;
  /** Area level of a boundary layer. */
  level?: 1 | 2 | 3;
  /** Point layers: at this zoom and below, points are clustered (count per cluster). */
  clusterMaxZoom?: number;
  /** Query filters the layer accepts (they go into the cache key). */
  filters: readonly ('category' | 'status' | 'grid')[];
  /** Cache-Control of its tiles. */
  cacheControl: string;
}

const AREA_FIELDS = {
  code: 'Area code',
  name: 'Name (Chinese)',
  name_en: 'Name (English)',
  level: 'office, community or grid',
  parent_code: 'Code of the parent area',
};

/** The second layer of every boundary tile: one label point per area, inside the area. */
export const LABEL_SUFFIX = '_label';

const CLUSTER_FIELDS = {
  cluster: 'true on a cluster of points (low zooms)',
  count: 'Number of points in the cluster',
};

/** Every layer by name. */
export const LAYERS: Record<LayerName, LayerDef> = {
  offices: {
    name: 'offices', kind: 'boundary', level: 1, minzoom: 0, maxzoom: 16, filters: [],
    description: 'Street offices (level 1) in force', fields: AREA_FIELDS,
    cacheControl: 'public, max-age=60, stale-while-revalidate=600',
  },
  communities: {
    name: 'communities', kind: 'boundary', level: 2, minzoom: 0, maxzoom: 16, filters: [],
    description: 'Communities (level 2) in force', fields: AREA_FIELDS,
    cacheControl: 'public, max-age=60, stale-while-revalidate=600',
  },
  grids: {
    name: 'grids', kind: 'boundary', level: 3, minzoom: 0, maxzoom: 16, filters: [],
    description: 'Grids (level 3) in force', fields: AREA_FIELDS,
    cacheControl: 'public, max-age=60, stale-while-revalidate=600',
  },
  assets: {
    name: 'assets', kind: 'point', minzoom: 0, maxzoom: 16, clusterMaxZoom: 12, filters: ['category', 'status', 'grid'],
    description: 'City components (城市部件) as points, feature id = asset id (details at /api/assets/{id}); clustered at zoom 12 and below',
    fields: { category_code: 'Component category code (its first two digits are the class)', status: 'normal, damaged, missing, repairing or retired', ...CLUSTER_FIELDS },
    cacheControl: 'public, max-age=30',
  },
  incidents: {
    name: 'incidents', kind: 'point', minzoom: 0, maxzoom: 16, clusterMaxZoom: 11, filters: ['category', 'status', 'grid'],
    description: 'Incidents (open and handled unless status says otherwise); no reporter or contact data; clustered at zoom 11 and below',
    fields: {
      category_code: 'Incident category code', status: 'open, handled, closed, cancelled or merged', level: 'grid, community, centre or department',
      overdue: 'true when past its deadline and not closed (on a cluster: how many are)', age_hours: 'Hours since it was reported', grid_code: 'Grid it was routed to',
      ...CLUSTER_FIELDS,
    },
    cacheControl: 'no-cache',
  },
};

/** Statuses shown on the incidents layer when the request names none. */
export const DEFAULT_INCIDENT_STATUSES = ['open', 'handled'];

/** Whether a string names a layer. */
export function isLayerName(s: string): s is LayerName {
  return (LAYER_NAMES as readonly string[]).includes(s);
}
