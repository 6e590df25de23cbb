/**
 * Layer definitions and feature SQL, shared by the exports (/export) and OGC API – Features (/ogc).
 *
 * A layer is a table, the columns it may show (an allowlist: nothing else ever leaves the database),
 * and the filters that make sense on it. The SQL is built from one small function per clause, each
 * answering nothing when unused; values are always bound (`?` placeholders for knex.raw), identifiers
 * come only from the definitions below. Features are serialised to JSON text by PostgreSQL itself
 * (ST_AsGeoJSON + json_build_object): one text row per feature, no parsing in Node.
 */
import type { Knex } from 'knex';

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
export interface LayerDef {
  id: LayerId;
  title: string;
  description: string;
  /** Table, aliased `t`; every table here has an integer `id` used as the keyset for paging. */
  table: 'areas' | 'assets' | 'incidents' | 'buildings';
  /** Geometry type of every row; `Geometry` when rows mix points and polygons. */
  geometryType: 'MultiPolygon' | 'Point' | 'Geometry';
  /** Area level (1 office, 2 community, 3 grid) for the area layers. */
  level?: 1 | 2 | 3;
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

function areaLayer(id: LayerId, level: 1 | 2 | 3, title: string, description: string): LayerDef {
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

/** Asset statuses (the check constraint of `assets.status`). */
export const ASSET_STATUSES = ['normal', 'damaged', 'missing', 'repairing', 'retired'] as const;
/** Incident statuses of the workflow. */
export const INCIDENT_STATUSES = ['open', 'handled', 'closed', 'cancelled', 'merged'] as const;

/** Every layer, by id. Incidents show only their public fields: no reporter, contact, description or assignee. */
export const LAYERS: Record<LayerId, LayerDef> = {
  offices: areaLayer('offices', 1, 'Offices', 'Street offices (command-centre territories), boundaries in force'),
  communities: areaLayer('communities', 2, 'Communities', 'Communities, each the union of its grids, boundaries in force'),
  grids: areaLayer('grids', 3, 'Grids', 'Management grids, tiling their community, boundaries in force'),
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

/** A bbox in WGS84: [minLon, minLat, maxLon, maxLat]; minLon > maxLon crosses the antimeridian. */
export type BBox = [number, number, number, number];

/** A time interval; an open end is undefined. An instant has start === end. */
export interface Interval {
  start?: Date;
  end?: Date;
}

/** What selects the rows of a layer. Every member is optional; absent means no restriction. */
export interface FeatureFilter {
  bbox?: BBox;
  /** Grid code: that grid (areas) or the rows in it. */
  grid?: string;
  /** Community code: the community and its grids (areas) or the rows in its grids. */
  community?: string;
  category?: string[];
  status?: string[];
  updatedSince?: Date;
  /** Area boundaries in force at this instant (default: now). */
  at?: Date;
  /** OGC `datetime`: in-force span (areas) or the layer's timestamp column within the interval. */
  datetime?: Interval;
  /** Scoped layers: the user's scope area codes; only rows under them (none when empty). */
  scope?: string[];
}

/** A piece of SQL with its `?` bindings. */
export interface Sql {
  text: string;
  values: unknown[];
}

const EMPTY: Sql = { text: '', values: [] };

/** Join non-empty pieces with a separator, keeping bindings in order. */
function joinSql(parts: Sql[], separator: string): Sql {
  const used = parts.filter((p) => p.text !== '');
  return { text: used.map((p) => p.text).join(separator), values: used.flatMap((p) => p.values) };
}

/** The in-force condition of area rows: now, or at an instant. Empty for non-area layers. */
export function sqlInForce(layer: LayerDef, at: Date | undefined): Sql {
  if (layer.table !== 'areas') return EMPTY;
  if (!at) return { text: 't.valid_to is null', values: [] };
  return { text: 't.valid_from <= ? and (t.valid_to is null or t.valid_to > ?)', values: [at, at] };
}

/** The level condition of an area layer. */
export function sqlLevel(layer: LayerDef): Sql {
  return layer.level ? { text: 't.level = ?', values: [layer.level] } : EMPTY;
}

/**
 * Rows whose geometry meets the bbox. The envelope is built in the table's SRID (4326) so the GiST
 * index serves it; a bbox across the antimeridian is two boxes. Points are tested with the index
 * operator `&&` (whose float4 boxes are rounded outwards) plus an exact test of the coordinates:
 * ST_Intersects would do, but its high declared cost pushes small queries into parallel plans whose
 * worker start-up costs more than the query.
 */
export function sqlBBoxFilter(layer: LayerDef, bbox: BBox | undefined): Sql {
  if (!bbox) return EMPTY;
  const [minx, miny, maxx, maxy] = bbox;
  const box = (x0: number, x1: number): Sql =>
    layer.geometryType === 'Point'
      ? {
          text: '(t.geom && ST_MakeEnvelope(?, ?, ?, ?, 4326) and ST_X(t.geom) between ? and ? and ST_Y(t.geom) between ? and ?)',
          values: [x0, miny, x1, maxy, x0, x1, miny, maxy],
        }
      : { text: 'ST_Intersects(t.geom, ST_MakeEnvelope(?, ?, ?, ?, 4326))', values: [x0, miny, x1, maxy] };
  if (minx <= maxx) return box(minx, maxx);
  const east = box(minx, 180);
  const west = box(-180, maxx);
  return { text: `(${east.text} or ${west.text})`, values: [...east.values, ...west.values] };
}

/** Rows in an area and everything under it (the area's subtree of codes in force at `at`, or now). */
export function sqlAreaFilter(layer: LayerDef, code: string | undefined, at: Date | undefined): Sql {
  if (!code) return EMPTY;
  const span = at ? 'valid_from <= ? and (valid_to is null or valid_to > ?)' : 'valid_to is null';
  const spanValues = at ? [at, at] : [];
  return {
    text: `${layer.areaColumn} in (
      with recursive sub(code) as (
        select code from areas where code = ? and ${span}
        union
        select x.code from areas x join sub on x.parent_code = sub.code where ${span.replace(/valid_/g, 'x.valid_')}
      ) select code from sub)`,
    values: [code, ...spanValues, ...spanValues],
  };
}

/** Rows under the user's scope areas (scoped layers); an empty scope matches nothing. */
export function sqlScopeFilter(layer: LayerDef, scope: string[] | undefined): Sql {
  if (layer.access !== 'scoped') return EMPTY;
  return {
    text: `${layer.areaColumn} in (
      with recursive sub(code) as (
        select code from areas where code = any(?) and valid_to is null
        union
        select x.code from areas x join sub on x.parent_code = sub.code where x.valid_to is null
      ) select code from sub)`,
    values: [scope ?? []],
  };
}

/** Rows of one of the categories. */
export function sqlCategoryFilter(layer: LayerDef, categories: string[] | undefined): Sql {
  if (!categories?.length || !layer.categoryColumn) return EMPTY;
  return { text: `${layer.categoryColumn} = any(?)`, values: [categories] };
}

/** Rows in one of the statuses. */
export function sqlStatusFilter(layer: LayerDef, statuses: string[] | undefined): Sql {
  if (!statuses?.length || !layer.statuses) return EMPTY;
  return { text: 't.status = any(?)', values: [statuses] };
}

/** Rows changed at or after an instant (for incremental sync). */
export function sqlUpdatedSince(layer: LayerDef, since: Date | undefined): Sql {
  if (!since) return EMPTY;
  return { text: `${layer.updatedColumn} >= ?`, values: [since] };
}

/** OGC `datetime`: area versions whose span meets the interval, or the timestamp column within it. */
export function sqlDatetimeFilter(layer: LayerDef, interval: Interval | undefined): Sql {
  if (!interval || (!interval.start && !interval.end)) return EMPTY;
  const { start, end } = interval;
  if (layer.temporal.kind === 'in_force') {
    const parts: Sql[] = [];
    if (end) parts.push({ text: 't.valid_from <= ?', values: [end] });
    if (start) parts.push({ text: '(t.valid_to is null or t.valid_to > ?)', values: [start] });
    return joinSql(parts, ' and ');
  }
  const column = layer.temporal.column;
  const parts: Sql[] = [];
  if (start) parts.push({ text: `${column} >= ?`, values: [start] });
  if (end) parts.push({ text: `${column} <= ?`, values: [end] });
  return joinSql(parts, ' and ');
}

/** Rows after a keyset position (the integer `id`), for paging in constant time. */
export function sqlKeyset(after: number | undefined): Sql {
  return after === undefined ? EMPTY : { text: 't.id > ?', values: [after] };
}

/**
 * The whole where clause of a layer under a filter. Area layers are in force now unless `at` or
 * `datetime` says otherwise.
 */
export function sqlWhere(layer: LayerDef, filter: FeatureFilter, after?: number): Sql {
  const inForce = filter.datetime && layer.table === 'areas' && !filter.at ? EMPTY : sqlInForce(layer, filter.at);
  const where = joinSql(
    [
      sqlLevel(layer),
      sqlScopeFilter(layer, filter.scope),
      inForce,
      sqlBBoxFilter(layer, filter.bbox),
      sqlAreaFilter(layer, filter.grid, filter.at),
      sqlAreaFilter(layer, filter.community, filter.at),
      sqlCategoryFilter(layer, filter.category),
      sqlStatusFilter(layer, filter.status),
      sqlUpdatedSince(layer, filter.updatedSince),
      sqlDatetimeFilter(layer, filter.datetime),
      sqlKeyset(after),
    ],
    '\n and ',
  );
  return where.text ? { text: `where ${where.text}`, values: where.values } : EMPTY;
}

/** `limit … offset …`, either part left out when unused. */
export function sqlLimitOffset(limit: number | undefined, offset: number | undefined): Sql {
  return joinSql(
    [limit === undefined ? EMPTY : { text: 'limit ?', values: [limit] }, offset ? { text: 'offset ?', values: [offset] } : EMPTY],
    ' ',
  );
}

/** The geometry as RFC 7946 JSON text: WGS84, outer rings counter-clockwise (§3.1.6), rounded. */
function sqlGeometryJson(layer: LayerDef, precision: number): string {
  // ST_ForcePolygonCCW leaves points as they are, so mixed layers can go through it too.
  const geom = layer.geometryType === 'Point' ? 't.geom' : 'ST_ForcePolygonCCW(t.geom)';
  // precision is an integer validated by the caller's schema; it is written as a literal so the
  // expression is identical for every row and the planner can fold it.
  return `ST_AsGeoJSON(${geom}, ${Math.trunc(precision)})`;
}

/**
 * The lateral subquery naming each property; `row_to_json` of it writes compact JSON (no spaces) in
 * property order, faster than json_build_object. Names and expressions come from the definitions only.
 */
function sqlPropertiesLateral(layer: LayerDef): string {
  return `cross join lateral (select ${layer.properties.map((p) => `${p.sql} as "${p.name}"`).join(', ')}) p`;
}

/** One GeoJSON Feature as text per row, built by the database (needs the `p` lateral of sqlFrom). */
export function sqlFeatureText(layer: LayerDef, precision: number): string {
  const id = layer.featureId.type === 'integer' ? `${layer.featureId.sql}::text` : `to_json(${layer.featureId.sql})::text`;
  return `'{"type":"Feature","id":' || ${id} || ',"geometry":' || ${sqlGeometryJson(layer, precision)} || ',"properties":' || row_to_json(p)::text || '}'`;
}

/** The from clause of feature queries: the layer's table as `t` and its properties as `p`. */
export function sqlFrom(layer: LayerDef): string {
  return `from ${layer.table} t ${sqlPropertiesLateral(layer)}`;
}

/** The CSV columns of a layer: WKT geometry first, then every property as text (ISO 8601 times, JSON as text). */
export function csvColumns(layer: LayerDef): string[] {
  return ['WKT', ...layer.properties.map((p) => p.name)];
}

/**
 * One CSV line as text per row (RFC 4180 quoting: every value in double quotes, quotes doubled; NULL
 * as an empty field), built by the database like the GeoJSON features.
 */
function sqlCsvLine(layer: LayerDef, precision: number): string {
  const geom = layer.geometryType === 'Point' ? 't.geom' : 'ST_ForcePolygonCCW(t.geom)';
  const values = [`ST_AsText(${geom}, ${Math.trunc(precision)})`];
  for (const p of layer.properties) values.push(p.type === 'datetime' ? `to_json(${p.sql}) #>> '{}'` : `(${p.sql})::text`);
  return values.map((v) => `coalesce('"' || replace(${v}, '"', '""') || '"', '')`).join(` || ',' || `);
}

/** How rows come out: one GeoJSON Feature text, or one CSV line. */
export type RowShape = 'feature' | 'csv';

/** Options of the feature query. */
export interface FeatureQuery {
  shape: RowShape;
  precision: number;
  filter: FeatureFilter;
  /** Keyset: only rows with id above this. */
  after?: number;
  limit?: number;
  offset?: number;
}

/**
 * The feature query of a layer: rows of [id, text] with the keyset id first, then the feature (or the
 * CSV line), ordered by id. The leading comment names the statement in pg_stat_activity.
 */
export function sqlFeatures(layer: LayerDef, q: FeatureQuery): Sql {
  const select = `${q.shape === 'feature' ? sqlFeatureText(layer, q.precision) : sqlCsvLine(layer, q.precision)} as f`;
  const where = sqlWhere(layer, q.filter, q.after);
  const page = sqlLimitOffset(q.limit, q.offset);
  return {
    text: `/* gridwork:export ${layer.id} */ select t.id as k, ${select} ${sqlFrom(layer)} ${where.text} order by t.id ${page.text}`,
    values: [...where.values, ...page.values],
  };
}

/** The number of rows a filter matches. */
export function sqlCount(layer: LayerDef, filter: FeatureFilter): Sql {
  const where = sqlWhere(layer, filter);
  return { text: `select count(*)::int as n from ${layer.table} t ${where.text}`, values: where.values };
}

/** One feature by its feature id, as text (areas: in force now). */
export function sqlFeatureById(layer: LayerDef, featureId: string | number, precision: number): Sql {
  const where = sqlWhere(layer, {});
  const byId = `${layer.featureId.sql} = ?`;
  return {
    text: `select ${sqlFeatureText(layer, precision)} as f ${sqlFrom(layer)} ${where.text ? `${where.text} and ${byId}` : `where ${byId}`} limit 1`,
    values: [...where.values, featureId],
  };
}

/** The spatial and temporal extent of a layer (rows in force for areas). */
export function sqlExtent(layer: LayerDef): Sql {
  const where = sqlWhere(layer, {});
  const time = layer.temporal.kind === 'in_force' ? 't.valid_from' : layer.temporal.column;
  return {
    text: `select ST_XMin(e) as minx, ST_YMin(e) as miny, ST_XMax(e) as maxx, ST_YMax(e) as maxy, t0, t1
             from (select ST_Extent(t.geom) as e, min(${time}) as t0, max(${time}) as t1 from ${layer.table} t ${where.text}) s`,
    values: where.values,
  };
}

/** Run a piece of SQL through knex. */
export function toRaw(knex: Knex, sql: Sql): Knex.Raw {
  return knex.raw(sql.text, sql.values as Knex.RawBinding[]);
}
