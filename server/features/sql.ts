/**
 * The feature SQL of the catalogue's layers, built from one small function per clause, each answering
 * nothing when unused; values are always bound (`?` placeholders for knex.raw), identifiers come only
 * from the catalogue. Features are serialised to JSON text by PostgreSQL itself (ST_AsGeoJSON +
 * json_build_object): one text row per feature, no parsing in Node.
 */
import type { Knex } from 'knex';
import { areaSubtreeSql } from '../areas/sql.js';
import { sqlGeoJson, sqlRfc7946 } from '../geo/geojson_sql.js';
import type { FeatureLayer } from './catalogue.js';

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
export function sqlInForce(layer: FeatureLayer, at: Date | undefined): Sql {
  if (layer.table !== 'areas') return EMPTY;
  if (!at) return { text: 't.valid_to is null', values: [] };
  return { text: 't.valid_from <= ? and (t.valid_to is null or t.valid_to > ?)', values: [at, at] };
}

/** The level condition of an area layer. */
export function sqlLevel(layer: FeatureLayer): Sql {
  return layer.level ? { text: 't.level = ?', values: [layer.level] } : EMPTY;
}

/**
 * Rows whose geometry meets the bbox. The envelope is built in the table's SRID (4326) so the GiST
 * index serves it; a bbox across the antimeridian is two boxes. Points are tested with the index
 * operator `&&` (whose float4 boxes are rounded outwards) plus an exact test of the coordinates:
 * ST_Intersects would do, but its high declared cost pushes small queries into parallel plans whose
 * worker start-up costs more than the query.
 */
export function sqlBBoxFilter(layer: FeatureLayer, bbox: BBox | undefined): Sql {
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
export function sqlAreaFilter(layer: FeatureLayer, code: string | undefined, at: Date | undefined): Sql {
  if (!code) return EMPTY;
  const sub = areaSubtreeSql([code], { at });
  return { text: `${layer.areaColumn} in (${sub.text})`, values: sub.values };
}

/** Rows under the user's scope areas (scoped layers; the scope rule of auth/scope.ts); an empty scope matches nothing. */
export function sqlScopeFilter(layer: FeatureLayer, scope: string[] | undefined): Sql {
  if (layer.access !== 'scoped') return EMPTY;
  const sub = areaSubtreeSql(scope ?? []);
  return { text: `${layer.areaColumn} in (${sub.text})`, values: sub.values };
}

/** Rows of one of the categories. */
export function sqlCategoryFilter(layer: FeatureLayer, categories: string[] | undefined): Sql {
  if (!categories?.length || !layer.categoryColumn) return EMPTY;
  return { text: `${layer.categoryColumn} = any(?)`, values: [categories] };
}

/** Rows in one of the statuses. */
export function sqlStatusFilter(layer: FeatureLayer, statuses: string[] | undefined): Sql {
  if (!statuses?.length || !layer.statuses) return EMPTY;
  return { text: 't.status = any(?)', values: [statuses] };
}

/** Rows changed at or after an instant (for incremental sync). */
export function sqlUpdatedSince(layer: FeatureLayer, since: Date | undefined): Sql {
  if (!since) return EMPTY;
  return { text: `${layer.updatedColumn} >= ?`, values: [since] };
}

/** OGC `datetime`: area versions whose span meets the interval, or the timestamp column within it. */
export function sqlDatetimeFilter(layer: FeatureLayer, interval: Interval | undefined): Sql {
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
export function sqlWhere(layer: FeatureLayer, filter: FeatureFilter, after?: number): Sql {
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

/**
 * The lateral subquery naming each property; `row_to_json` of it writes compact JSON (no spaces) in
 * property order, faster than json_build_object. Names and expressions come from the definitions only.
 */
function sqlPropertiesLateral(layer: FeatureLayer): string {
  return `cross join lateral (select ${layer.properties.map((p) => `${p.sql} as "${p.name}"`).join(', ')}) p`;
}

/** One GeoJSON Feature as text per row, built by the database (needs the `p` lateral of sqlFrom). */
export function sqlFeatureText(layer: FeatureLayer, precision: number): string {
  const id = layer.featureId.type === 'integer' ? `${layer.featureId.sql}::text` : `to_json(${layer.featureId.sql})::text`;
  return `'{"type":"Feature","id":' || ${id} || ',"geometry":' || ${sqlGeoJson('t.geom', precision, { points: layer.geometryType === 'Point' })} || ',"properties":' || row_to_json(p)::text || '}'`;
}

/** The from clause of feature queries: the layer's table as `t` and its properties as `p`. */
export function sqlFrom(layer: FeatureLayer): string {
  return `from ${layer.table} t ${sqlPropertiesLateral(layer)}`;
}


/**
 * One CSV line as text per row (RFC 4180 quoting: every value in double quotes, quotes doubled; NULL
 * as an empty field), built by the database like the GeoJSON features.
 */
function sqlCsvLine(layer: FeatureLayer, precision: number): string {
  const geom = layer.geometryType === 'Point' ? 't.geom' : sqlRfc7946('t.geom');
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
export function sqlFeatures(layer: FeatureLayer, q: FeatureQuery): Sql {
  const select = `${q.shape === 'feature' ? sqlFeatureText(layer, q.precision) : sqlCsvLine(layer, q.precision)} as f`;
  const where = sqlWhere(layer, q.filter, q.after);
  const page = sqlLimitOffset(q.limit, q.offset);
  return {
    text: `/* gridwork:export ${layer.id} */ select t.id as k, ${select} ${sqlFrom(layer)} ${where.text} order by t.id ${page.text}`,
    values: [...where.values, ...page.values],
  };
}

/** The number of rows a filter matches. */
export function sqlCount(layer: FeatureLayer, filter: FeatureFilter): Sql {
  const where = sqlWhere(layer, filter);
  return { text: `select count(*)::int as n from ${layer.table} t ${where.text}`, values: where.values };
}

/** One feature by its feature id, as text (areas: in force now). */
export function sqlFeatureById(layer: FeatureLayer, featureId: string | number, precision: number): Sql {
  const where = sqlWhere(layer, {});
  const byId = `${layer.featureId.sql} = ?`;
  return {
    text: `select ${sqlFeatureText(layer, precision)} as f ${sqlFrom(layer)} ${where.text ? `${where.text} and ${byId}` : `where ${byId}`} limit 1`,
    values: [...where.values, featureId],
  };
}

/** The spatial and temporal extent of a layer (rows in force for areas). */
export function sqlExtent(layer: FeatureLayer): Sql {
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
