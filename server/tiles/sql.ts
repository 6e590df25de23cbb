import type { Knex } from 'knex';
import { EXTENT, type Bbox, type TileAddress } from './tile_math.js';

/** Filters a point tile accepts; each list is OR-ed, the lists AND-ed. */
export interface PointFilters {
  category?: string[];
  status?: string[];
  grid?: string[];
}

/** A point layer's table, alias and the properties it puts in tiles (identifiers from code only, never input). */
interface PointSource {
  table: string;
  alias: string;
  /** Select list of the tile properties (no personal data: incidents never carry reporter or contact). */
  props: string;
  /** Property names in `props`, for the outer select of ST_AsMVT. */
  propNames: string[];
  /** The category column, for clustering (the most common category of a cluster). */
  category: string;
  /** Extra aggregate of a cluster beyond count and category. */
  clusterExtra: string;
  clusterExtraNames: string[];
}

const POINT_SOURCES: Record<'assets' | 'incidents', PointSource> = {
  assets: {
    table: 'assets',
    alias: 'a',
    // Lean on purpose (a z14 tile holds thousands): the code and grid come from /api/assets/{id} on click.
    props: `a.category_code, a.status`,
    propNames: ['category_code', 'status'],
    category: 'a.category_code',
    clusterExtra: '',
    clusterExtraNames: [],
  },
  incidents: {
    table: 'incidents',
    alias: 'a',
    props: `a.category_code, a.status, a.level, (a.status = 'open' and a.due_at is not null and a.due_at < now()) as overdue,
            floor(extract(epoch from (now() - a.reported_at)) / 3600)::int as age_hours, a.grid_code`,
    propNames: ['category_code', 'status', 'level', 'overdue', 'age_hours', 'grid_code'],
    category: 'a.category_code',
    clusterExtra: `, count(*) filter (where a.status = 'open' and a.due_at is not null and a.due_at < now())::int as overdue,
                     mode() within group (order by a.status) as status`,
    clusterExtraNames: ['overdue', 'status'],
  },
};

/** Bound SQL text: `?` placeholders with their values in order. */
interface Clause {
  sql: string;
  bindings: Knex.Value[];
}

/** `col in (?, ?, …)` for a non-empty list; nothing when the list is empty or absent. */
function sqlIn(column: string, values: string[] | undefined): Clause | undefined {
  if (!values || values.length === 0) return undefined;
  return { sql: `${column} in (${values.map(() => '?').join(', ')})`, bindings: values };
}

/** The index-friendly bbox filter: `geom && envelope` in the table's own SRID (4326), so the GiST index is used. */
function sqlBboxFilter(alias: string, b: Bbox): Clause {
  return { sql: `${alias}.geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)`, bindings: b };
}

/** The WHERE clause of a point tile: bbox and the optional filters. */
function sqlWhere(src: PointSource, bbox: Bbox, f: PointFilters): Clause {
  const parts = [
    sqlBboxFilter(src.alias, bbox),
    sqlIn(`${src.alias}.category_code`, f.category),
    sqlIn(`${src.alias}.status`, f.status),
    sqlIn(`${src.alias}.grid_code`, f.grid),
  ].filter((c): c is Clause => c !== undefined);
  return { sql: parts.map((p) => p.sql).join(' and '), bindings: parts.flatMap((p) => p.bindings) };
}

/** Raw points of a tile (one row per feature, lon/lat in WGS84), for encoding in JS. */
export function sqlPointRows(knex: Knex, layer: 'assets' | 'incidents', bbox: Bbox, f: PointFilters): Knex.Raw {
  const src = POINT_SOURCES[layer];
  const where = sqlWhere(src, bbox, f);
  return knex.raw(
    `select ${src.alias}.id, ${src.props}, ST_X(${src.alias}.geom) as lon, ST_Y(${src.alias}.geom) as lat
       from ${src.table} ${src.alias}
      where ${where.sql}
      order by ${src.alias}.id`,
    where.bindings,
  );
}

/**
 * Raw points of a tile as an MVT made by ST_AsMVT (native PostGIS only). The filter runs in 4326 on the
 * index; only the rows found are transformed to 3857 for ST_AsMVTGeom.
 */
export function sqlPointMvt(knex: Knex, layer: 'assets' | 'incidents', t: TileAddress, bbox: Bbox, bufferUnits: number, f: PointFilters): Knex.Raw {
  const src = POINT_SOURCES[layer];
  const where = sqlWhere(src, bbox, f);
  return knex.raw(
    `select ST_AsMVT(q, ?, ${EXTENT}, 'geom', 'id') as mvt from (
       select ${src.alias}.id, ${src.props},
              ST_AsMVTGeom(ST_Transform(${src.alias}.geom, 3857), ST_TileEnvelope(?, ?, ?), ${EXTENT}, ?, true) as geom
         from ${src.table} ${src.alias}
        where ${where.sql}
     ) q where q.geom is not null`,
    [layer, t.z, t.x, t.y, bufferUnits, ...where.bindings],
  );
}

/**
 * Clusters of a tile: the tile cut into `cells`×`cells` squares (the same SQL on both backends), one
 * row per non-empty square with its count, most common category and mean position.
 */
export function sqlClusterRows(knex: Knex, layer: 'assets' | 'incidents', t: TileAddress, bbox: Bbox, cells: number, f: PointFilters): Knex.Raw {
  const { sql, bindings } = clusterSql(layer, t, bbox, cells, f);
  return knex.raw(sql, bindings);
}

/** Clusters of a tile as an MVT made by ST_AsMVT (native PostGIS only). */
export function sqlClusterMvt(knex: Knex, layer: 'assets' | 'incidents', t: TileAddress, bbox: Bbox, cells: number, f: PointFilters): Knex.Raw {
  const src = POINT_SOURCES[layer];
  const inner = clusterSql(layer, t, bbox, cells, f);
  const extra = src.clusterExtraNames.map((n) => `c.${n}, `).join('');
  return knex.raw(
    `select ST_AsMVT(q, ?, ${EXTENT}, 'geom', 'id') as mvt from (
       select c.id, true as cluster, c.count, c.category_code, ${extra}
              ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326), 3857), ST_TileEnvelope(?, ?, ?), ${EXTENT}, 0, true) as geom
         from (${inner.sql}) c
     ) q where q.geom is not null`,
    [layer, t.z, t.x, t.y, ...inner.bindings],
  );
}

function clusterSql(layer: 'assets' | 'incidents', t: TileAddress, bbox: Bbox, cells: number, f: PointFilters): Clause {
  const src = POINT_SOURCES[layer];
  const where = sqlWhere(src, bbox, f);
  const [w, s, e, n] = bbox;
  // The square a point falls in: linear in lon and lat across the tile. Across one tile Web Mercator's
  // y is linear in latitude to well under a pixel, and this costs no trigonometry per point.
  const cx = `floor((ST_X(${src.alias}.geom) - ?) / ?)`;
  const cy = `floor((? - ST_Y(${src.alias}.geom)) / ?)`;
  return {
    sql: `select (cy * ? + cx)::int as id, count::int as count, category_code, lon, lat ${src.clusterExtraNames.map((x) => `, ${x}`).join('')}
            from (select least(?, greatest(0, ${cx}))::int as cx,
                         least(?, greatest(0, ${cy}))::int as cy,
                         count(*) as count,
                         mode() within group (order by ${src.category}) as category_code,
                         avg(ST_X(${src.alias}.geom)) as lon, avg(ST_Y(${src.alias}.geom)) as lat
                         ${src.clusterExtra}
                    from ${src.table} ${src.alias}
                   where ${where.sql}
                   group by 1, 2) g
           order by id`,
    bindings: [cells, cells - 1, w, (e - w) / cells, cells - 1, n, (n - s) / cells, ...where.bindings],
  };
}

/** Areas of one level in force as GeoJSON features with their label point, for the boundary index. */
export function sqlBoundaryFeatures(knex: Knex, level: number): Knex.Raw {
  return knex.raw(
    `select a.id, a.code, a.name, a.name_en, a.level, a.parent_code,
            ST_AsGeoJSON(a.geom, 7)::json as geometry,
            ST_AsGeoJSON(ST_PointOnSurface(a.geom), 7)::json as label
       from areas a
      where a.level = ? and a.valid_to is null
      order by a.code`,
    [level],
  );
}

/** A cheap fingerprint of a table's state: changes when rows are added or edited (used to expire cached tiles). */
export function sqlStamp(knex: Knex, layer: 'areas' | 'assets' | 'incidents'): Knex.Raw {
  if (layer === 'areas') {
    // New versions are new rows and retiring one sets valid_to: the newest id and the newest end say it all.
    return knex.raw(`select coalesce((select max(id) from areas), 0) || ':' || coalesce((select max(valid_to) from areas)::text, '') as stamp`);
  }
  return knex.raw(`select coalesce(max(id), 0) || ':' || coalesce((select max(updated_at) from ${layer})::text, '') as stamp from ${layer}`);
}

/** WGS84 bounds of the offices in force (null when there are none), for TileJSON. */
export function sqlOfficeBounds(knex: Knex): Knex.Raw {
  return knex.raw(
    `select ST_XMin(e) as w, ST_YMin(e) as s, ST_XMax(e) as e, ST_YMax(e) as n
       from (select ST_Extent(geom) as e from areas where level = 1 and valid_to is null) x
      where e is not null`,
  );
}
