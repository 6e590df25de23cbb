/**
 * The feature catalogue, shared by the exports (/export) and OGC API – Features (/ogc): the layers, each a
 * table, the columns it may show (an allowlist: nothing else ever leaves the database) and the filters
 * that make sense on it.
 */
import { AREA_LEVELS, type AreaLevel } from '../areas/levels.js';
import { ASSET_STATUSES } from '../assets/sql.js';
import { INCIDENT_STATUSES } from '../incidents/workflow.js';

/** The layers that can be exported and served as OGC collections. */
export const LAYER_IDS = ['offices', 'communities', 'grids', 'assets', 'incidents', 'buildings'] as const;
export type LayerId = (typeof LAYER_IDS)[number];
/** The layers without personal data: exportable without a session and served as OGC collections. */
export const PUBLIC_LAYER_IDS = ['offices', 'communities', 'grids', 'assets', 'incidents'] as const satisfies readonly LayerId[];

/** Filters a request can apply; each layer says which of them mean something on it. */
export type FilterName = 'bbox' | 'grid' | 'community' | 'category' | 'status' | 'updated_since' | 'at' | 'datetime';

/** The type of a property, for CSV, OGC schemas and the HTML view. */
export type PropertyType = 'string' | 'integer' | 'number' | 'boolean' | 'datetime' | 'json';

/** One property of a layer: its name in `properties` and the SQL expression on alias `t` that gives it. */
export interface PropertyDef {
  name: string;
  sql: string;
  type: PropertyType;
}

/** A layer: where its rows live, what it shows and what can filter it. */
export interface FeatureLayer {
  id: LayerId;
  title: string;
  description: string;
  /** Table, aliased `t`; every table here has an integer `id` used as the keyset for paging. */
  table: 'areas' | 'assets' | 'incidents' | 'buildings';
  /** Geometry type of every row; `Geometry` when rows mix points and polygons. */
  geometryType: 'MultiPolygon' | 'Point' | 'Geometry';
  /** Area level (1 office, 2 community, 3 grid) for the area layers. */
  level?: AreaLevel;
  /** SQL of the feature id (GeoJSON `id`, OGC featureId) and its type. */
  featureId: { sql: string; type: 'string' | 'integer' };
  properties: PropertyDef[];
  filters: ReadonlySet<FilterName>;
  /** Column holding the grid code of a row, for `grid=`/`community=` (areas use their own code). */
  areaColumn: string;
  categoryColumn?: string;
  /** Allowed values of `status=`, for layers that have one. */
  statuses?: readonly string[];
  /** Column compared by `updated_since=`. */
  updatedColumn: string;
  /** What `datetime=` filters: the span in force (areas) or one timestamp column. */
  temporal: { kind: 'in_force' } | { kind: 'column'; column: string };
  /**
   * Who may read it: `public` layers hold no personal data and need no session; `scoped` layers (the
   * population domain) need a session and show only the rows in the user's scope, never in public.
   */
  access: 'public' | 'scoped';
}

const AREA_PROPERTIES: PropertyDef[] = [
  { name: 'code', sql: 't.code', type: 'string' },
  { name: 'name', sql: 't.name', type: 'string' },
  { name: 'name_en', sql: 't.name_en', type: 'string' },
  { name: 'level', sql: `(case t.level when 1 then 'office' when 2 then 'community' else 'grid' end)`, type: 'string' },
  { name: 'parent_code', sql: 't.parent_code', type: 'string' },
  { name: 'valid_from', sql: 't.valid_from', type: 'datetime' },
  { name: 'valid_to', sql: 't.valid_to', type: 'datetime' },
];

const AREA_FILTERS: ReadonlySet<FilterName> = new Set(['bbox', 'grid', 'community', 'updated_since', 'at', 'datetime']);

function areaLayer(id: LayerId, level: AreaLevel, title: string, description: string): FeatureLayer {
  return {
    id,
    title,
    description,
    table: 'areas',
    geometryType: 'MultiPolygon',
    level,
    featureId: { sql: 't.code', type: 'string' },
    properties: AREA_PROPERTIES,
    filters: AREA_FILTERS,
    areaColumn: 't.code',
    updatedColumn: 't.valid_from',
    temporal: { kind: 'in_force' },
    access: 'public',
  };
}

/** Every layer, by id. Incidents show only their public fields: no reporter, contact, description or assignee. */
export const FEATURE_LAYERS: Record<LayerId, FeatureLayer> = {
  offices: areaLayer('offices', AREA_LEVELS.office, 'Offices', 'Street offices (command-centre territories), boundaries in force'),
  communities: areaLayer('communities', AREA_LEVELS.community, 'Communities', 'Communities, each the union of its grids, boundaries in force'),
  grids: areaLayer('grids', AREA_LEVELS.grid, 'Grids', 'Management grids, tiling their community, boundaries in force'),
  assets: {
    id: 'assets',
    title: 'Assets',
    description: 'City components (城市部件): manhole covers, streetlights, poles, garbage stations…',
    table: 'assets',
    geometryType: 'Point',
    featureId: { sql: 't.id', type: 'integer' },
    properties: [
      { name: 'id', sql: 't.id', type: 'integer' },
      { name: 'code', sql: 't.code', type: 'string' },
      { name: 'office_code', sql: 't.office_code', type: 'string' },
      { name: 'category_code', sql: 't.category_code', type: 'string' },
      { name: 'status', sql: 't.status', type: 'string' },
      { name: 'department_code', sql: 't.department_code', type: 'string' },
      { name: 'grid_code', sql: 't.grid_code', type: 'string' },
      { name: 'attrs', sql: 't.attrs', type: 'json' },
      { name: 'created_at', sql: 't.created_at', type: 'datetime' },
      { name: 'updated_at', sql: 't.updated_at', type: 'datetime' },
    ],
    filters: new Set(['bbox', 'grid', 'community', 'category', 'status', 'updated_since', 'datetime']),
    areaColumn: 't.grid_code',
    categoryColumn: 't.category_code',
    statuses: ASSET_STATUSES,
    updatedColumn: 't.updated_at',
    temporal: { kind: 'column', column: 't.updated_at' },
    access: 'public',
  },
  incidents: {
    id: 'incidents',
    title: 'Incidents',
    description: 'Reported problems with their public status (no reporter, contact or description)',
    table: 'incidents',
    geometryType: 'Point',
    featureId: { sql: 't.case_no', type: 'string' },
    properties: [
      { name: 'case_no', sql: 't.case_no', type: 'string' },
      { name: 'office_code', sql: 't.office_code', type: 'string' },
      { name: 'category_code', sql: 't.category_code', type: 'string' },
      { name: 'source', sql: 't.source', type: 'string' },
      { name: 'status', sql: 't.status', type: 'string' },
      { name: 'level', sql: 't.level', type: 'string' },
      { name: 'grid_code', sql: 't.grid_code', type: 'string' },
      { name: 'community_code', sql: 't.community_code', type: 'string' },
      { name: 'department_code', sql: 't.department_code', type: 'string' },
      { name: 'near_edge', sql: 't.near_edge', type: 'boolean' },
      { name: 'rework_count', sql: 't.rework_count', type: 'integer' },
      { name: 'reported_at', sql: 't.reported_at', type: 'datetime' },
      { name: 'due_at', sql: 't.due_at', type: 'datetime' },
      { name: 'updated_at', sql: 't.updated_at', type: 'datetime' },
      { name: 'closed_at', sql: 't.closed_at', type: 'datetime' },
    ],
    filters: new Set(['bbox', 'grid', 'community', 'category', 'status', 'updated_since', 'datetime']),
    areaColumn: 't.grid_code',
    categoryColumn: 't.category_code',
    statuses: INCIDENT_STATUSES,
    updatedColumn: 't.updated_at',
    temporal: { kind: 'column', column: 't.reported_at' },
    access: 'public',
  },
  buildings: {
    id: 'buildings',
    title: 'Buildings',
    description: 'Buildings (points or footprints) of the population domain: only inside the viewer\'s scope',
    table: 'buildings',
    geometryType: 'Geometry',
    featureId: { sql: 't.id', type: 'integer' },
    properties: [
      { name: 'id', sql: 't.id', type: 'integer' },
      { name: 'office_code', sql: 't.office_code', type: 'string' },
      { name: 'address', sql: 't.address', type: 'string' },
      { name: 'use', sql: 't.use', type: 'string' },
      { name: 'floors', sql: 't.floors', type: 'integer' },
      { name: 'grid_code', sql: 't.grid_code', type: 'string' },
      { name: 'updated_at', sql: 't.updated_at', type: 'datetime' },
    ],
    filters: new Set(['bbox', 'grid', 'community', 'updated_since', 'datetime']),
    areaColumn: 't.grid_code',
    updatedColumn: 't.updated_at',
    temporal: { kind: 'column', column: 't.updated_at' },
    access: 'scoped',
  },
};

/** The CSV columns of a layer: WKT geometry first, then every property as text (ISO 8601 times, JSON as text). */
export function csvColumns(layer: FeatureLayer): string[] {
  return ['WKT', ...layer.properties.map((p) => p.name)];
}
