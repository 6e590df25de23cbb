import type { Knex } from 'knex';
import type { PointLayerName } from './layers.js';
import type { TileFilters } from './source.js';
import { EXTENT, type Bbox, type TileAddress } from './tile_math.js';

/** A point layer's table, alias and the properties it puts in tiles (identifiers from code only, never input). */
interface PointTable {
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
  /** A cheap fingerprint of the table's state: changes when rows are added, edited or deleted. */
  stamp: string;
}

const POINT_TABLES: Record<PointLayerName, PointTable> = {
  assets: {
    table: 'assets',
    alias: 'a',
    // Lean on purpose (a z14 tile holds thousands): the code and grid come from /api/assets/{id} on click.
    props: `a.category_code, a.status`,
    propNames: ['category_code', 'status'],
    category: 'a.category_code',
    clusterExtra: '',
    clusterExtraNames: [],
    // The zoom 0 cells (a few dozen rows) sum every asset's count, category, status and position: any insert,
    // delete, move, recategorisation or status change shows there, even one that leaves updated_at alone.
    stamp: `select coalesce(max(id), 0) || ':' || coalesce((select max(updated_at) from assets)::text, '') || ':' ||
                   coalesce((select string_agg(category_code || '/' || status || '/' || n || '/' || sum_lon || '/' || sum_lat, ',' order by tx, ty, cell, category_code, status)
                               from asset_cells where z = 0), '') as stamp
              from assets`,
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
    stamp: `select coalesce(max(id), 0) || ':' || coalesce((select max(updated_at) from incidents)::text, '') as stamp from incidents`,
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
function sqlWhere(src: PointTable, bbox: Bbox, f: TileFilters): Clause {
  const parts = [
    sqlBboxFilter(src.alias, bbox),
    sqlIn(`${src.alias}.category_code`, f.category),
    sqlIn(`${src.alias}.status`, f.status),
    sqlIn(`${src.alias}.grid_code`, f.grid),
  ].filter((c): c is Clause => c !== undefined);
  return { sql: parts.map((p) => p.sql).join(' and '), bindings: parts.flatMap((p) => p.bindings) };
}

/** Raw points of a tile (one row per feature, lon/lat in WGS84), for encoding in JS. */
export function sqlPointRows(knex: Knex, layer: PointLayerName, bbox: Bbox, f: TileFilters): Knex.Raw {
  const src = POINT_TABLES[layer];
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
 * index; a point's position in tile units is plain arithmetic on its lon/lat (the same as lonLatToTilePixel
 * in the JS encoder), several times cheaper than ST_Transform and ST_AsMVTGeom on every point. No clipping
 * is needed: the bbox (the tile and its buffer) already bounds the points.
 *
 * The statement also calls set_config, which is parallel unsafe, so it is never planned with parallel
 * workers: their start-up costs more than a tile's read of a few thousand rows (the densest z14 asset tile
 * took 34 ms with them, 10 ms without), and the planner picks them for PostGIS's costly-looking functions.
 * One statement rather than SET LOCAL in a transaction: no extra round trips. (It stays below
 * jit_above_cost: 34,000 for the densest z13 tile of the city, 8,000 points.)
 */
export function sqlPointMvt(knex: Knex, layer: PointLayerName, t: TileAddress, bbox: Bbox, f: TileFilters): Knex.Raw {
  const src = POINT_TABLES[layer];
  const where = sqlWhere(src, bbox, f);
  const n = 2 ** t.z;
  return knex.raw(
    `select ST_AsMVT(q, ?, ${EXTENT}, 'geom', 'id') as mvt from (
       select ${src.alias}.id, ${src.props},
              ST_MakePoint(round((tile_frac_x(ST_X(${src.alias}.geom)) * ? - ?) * ${EXTENT}),
                           round((tile_frac_y(ST_Y(${src.alias}.geom)) * ? - ?) * ${EXTENT})) as geom
         from ${src.table} ${src.alias}
        where ${where.sql}
     ) q
     cross join (select set_config('max_parallel_workers_per_gather', '0', true)) serial`,
    [layer, n, t.x, n, t.y, ...where.bindings],
  );
}

/**
 * Clusters of a tile: the tile cut into `cells`×`cells` squares (the same SQL on both backends), one
 * row per non-empty square with its count, most common category and mean position.
 */
export function sqlClusterRows(knex: Knex, layer: PointLayerName, t: TileAddress, bbox: Bbox, cells: number, f: TileFilters): Knex.Raw {
  const { sql, bindings } = clusterSql(layer, t, bbox, cells, f);
  return knex.raw(sql, bindings);
}

/** Clusters of a tile as an MVT made by ST_AsMVT (native PostGIS only). */
export function sqlClusterMvt(knex: Knex, layer: PointLayerName, t: TileAddress, bbox: Bbox, cells: number, f: TileFilters): Knex.Raw {
  const src = POINT_TABLES[layer];
  const inner = clusterSql(layer, t, bbox, cells, f);
  const extra = src.clusterExtraNames.map((n) => `c.${n}, `).join('');
  // A cluster's mean lies inside its tile: its position in tile units is plain arithmetic (the same as
  // lonLatToTilePixel in the JS encoder), cheaper than ST_Transform and ST_AsMVTGeom on every cluster.
  const n = 2 ** t.z;
  return knex.raw(
    `select ST_AsMVT(q, ?, ${EXTENT}, 'geom', 'id') as mvt from (
       select c.id, true as cluster, c.count, c.category_code, ${extra}
              ST_MakePoint(round((tile_frac_x(c.lon) * ? - ?) * ${EXTENT}), round((tile_frac_y(c.lat) * ? - ?) * ${EXTENT})) as geom
         from (${inner.sql}) c
     ) q`,
    [layer, n, t.x, n, t.y, ...inner.bindings],
  );
}

/** Highest zoom of the asset cell pyramid (table asset_cells, migration 006), whose cells are 64 to a tile side. */
export const ASSET_CELL_MAX_ZOOM = 12;
const ASSET_CELLS_PER_SIDE = 64;

/** Whether a cluster tile can be read from the asset cell pyramid (it holds no grid, so a grid filter cannot). */
export function usesAssetCells(layer: PointLayerName, t: TileAddress, cells: number, f: TileFilters): boolean {
  return layer === 'assets' && t.z <= ASSET_CELL_MAX_ZOOM && cells === ASSET_CELLS_PER_SIDE && !f.grid?.length;
}

function clusterSql(layer: PointLayerName, t: TileAddress, bbox: Bbox, cells: number, f: TileFilters): Clause {
  return usesAssetCells(layer, t, cells, f) ? cellClusterSql(t, f) : rawClusterSql(layer, t, bbox, cells, f);
}

/**
 * Clusters of an asset tile from the cell pyramid: per square, the counts of its category/status rows
 * summed (after the filters), the category with the most assets (ties to the lowest code, as mode() does)
 * and the mean position. The same clusters `rawClusterSql` makes from the points, without reading them.
 */
function cellClusterSql(t: TileAddress, f: TileFilters): Clause {
  if (!f.category?.length && !f.status?.length) {
    // Unfiltered: one precomputed row per square (asset_cell_sums), kept with the category rows by the same triggers.
    return {
      sql: `select cell::int as id, n as count, category_code, sum_lon / n as lon, sum_lat / n as lat
              from asset_cell_sums
             where z = ? and tx = ? and ty = ?
             order by cell`,
      bindings: [t.z, t.x, t.y],
    };
  }
  const parts = [sqlIn('c.category_code', f.category), sqlIn('c.status', f.status)].filter((c): c is Clause => c !== undefined);
  return {
    sql: `select cell::int as id, sum(n)::int as count,
                 (array_agg(category_code order by n desc, category_code))[1] as category_code,
                 sum(sum_lon) / sum(n) as lon, sum(sum_lat) / sum(n) as lat
            from (select c.cell, c.category_code, sum(c.n) as n, sum(c.sum_lon) as sum_lon, sum(c.sum_lat) as sum_lat
                    from asset_cells c
                   where c.z = ? and c.tx = ? and c.ty = ?${parts.map((p) => ` and ${p.sql}`).join('')}
                   group by c.cell, c.category_code) g
           group by cell
           order by cell`,
    bindings: [t.z, t.x, t.y, ...parts.flatMap((p) => p.bindings)],
  };
}

/**
 * Clusters of a tile from its points: the tile cut into `cells`×`cells` squares that are Web Mercator
 * tiles of a deeper zoom (for 64 cells, zoom z + 6; the same squares as the asset cell pyramid), one row
 * per non-empty square with its count, most common category and mean position.
 */
function rawClusterSql(layer: PointLayerName, t: TileAddress, bbox: Bbox, cells: number, f: TileFilters): Clause {
  const src = POINT_TABLES[layer];
  const where = sqlWhere(src, bbox, f);
  // The square of a point: its column/row at the deeper zoom (scale = 2^z * cells) minus the tile's first;
  // clamped, so that points on the tile's edge (in the bbox, floored into the next tile) stay in this one.
  const scale = 2 ** t.z * cells;
  const cx = `floor(tile_frac_x(ST_X(${src.alias}.geom)) * ?) - ?`;
  const cy = `floor(tile_frac_y(ST_Y(${src.alias}.geom)) * ?) - ?`;
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
    bindings: [cells, cells - 1, scale, t.x * cells, cells - 1, scale, t.y * cells, ...where.bindings],
  };
}

/** Clusters of a tile made from its points even where the asset cell pyramid could answer (to compare the two). */
export function sqlRawClusterRows(knex: Knex, layer: PointLayerName, t: TileAddress, bbox: Bbox, cells: number, f: TileFilters): Knex.Raw {
  const { sql, bindings } = rawClusterSql(layer, t, bbox, cells, f);
  return knex.raw(sql, bindings);
}

/** The fingerprint of a point layer's table (used to expire cached tiles). */
export function sqlPointStamp(knex: Knex, layer: PointLayerName): Knex.Raw {
  return knex.raw(POINT_TABLES[layer].stamp);
}
