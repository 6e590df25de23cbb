-- Asset cell pyramid: the clusters of the asset tiles at zooms 0..12, kept current by the database.
--
-- A cluster cell of a tile at zoom z is one of its 64×64 squares, and those squares are exactly the tiles of
-- zoom z + 6 (Web Mercator in both directions), so every cell of zoom z is the union of four cells of zoom
-- z + 1. A point's cell at zoom 12 is its tile at zoom 18; at lower zooms it is that shifted right.
-- Rows: per cell, category and status, the number of assets and the sums of their lon and lat (for the mean).
-- Statement triggers with transition tables add and subtract whole statements at once (a COPY of a million
-- assets is one statement), aggregating zoom 12 from the points and each lower zoom from the one above.

-- Fraction of the world's width west of a longitude (0..1), and of its Web Mercator height north of a
-- latitude (0..1, clamped to Web Mercator's limit). Times 2^n, floored: the tile column / row at zoom n.
-- Tile SQL uses these same two functions, so cells here and clusters made from raw points agree exactly.
create function tile_frac_x(lon float8) returns float8 language sql immutable parallel safe
  return (lon + 180) / 360;

create function tile_frac_y(lat float8) returns float8 language sql immutable parallel safe
  return (1 - ln(tan(radians(least(85.0511287798066, greatest(-85.0511287798066, lat))))
                 + 1 / cos(radians(least(85.0511287798066, greatest(-85.0511287798066, lat))))) / pi()) / 2;

create table asset_cells (
  z smallint not null,            -- tile zoom 0..12
  tx int not null,                -- tile column and row at zoom z
  ty int not null,
  cell smallint not null,         -- square in the tile: row * 64 + column (the cluster's feature id)
  category_code text collate "C" not null,   -- byte order: cheaper keys, and the sort below matches the index
  status text collate "C" not null,
  n int not null,                 -- assets in the square with that category and status
  sum_lon float8 not null,
  sum_lat float8 not null,
  primary key (z, tx, ty, cell, category_code, status)
);
-- Rows whose count fell to zero are deleted right after each change; this finds them without a scan.
create index asset_cells_empty on asset_cells (z) where n <= 0;

-- One row per cell: all its assets, their mean position's sums and the category with the most assets
-- (ties to the lowest code, as mode() does). Unfiltered cluster tiles read only these (a few thousand rows).
create table asset_cell_sums (
  z smallint not null,
  tx int not null,
  ty int not null,
  cell smallint not null,
  n int not null,
  sum_lon float8 not null,
  sum_lat float8 not null,
  category_code text collate "C" not null,
  primary key (z, tx, ty, cell)
);
create index asset_cell_sums_empty on asset_cell_sums (z) where n <= 0;
-- A tile reads a few thousand rows by primary key; PostGIS's costly-looking MVT functions on top would
-- otherwise tempt the planner into a parallel plan whose worker start-up costs more than the whole read.
alter table asset_cells set (parallel_workers = 0);
alter table asset_cell_sums set (parallel_workers = 0);

-- The statement that adds `src` (rows geom, category_code, status, s with s = +1 to add, -1 to take away)
-- to the pyramid: zoom 12 grouped from the points, each lower zoom grouped from the one above.
create function asset_cells_sql(src text) returns text language plpgsql immutable as $$
declare
  q text;
  parts text[] := '{}';
begin
  q := 'with p as (select floor(tile_frac_x(ST_X(geom)) * 262144)::int as x, floor(tile_frac_y(ST_Y(geom)) * 262144)::int as y,'
    || ' category_code collate "C" as category_code, status collate "C" as status, s, ST_X(geom) as lon, ST_Y(geom) as lat from (' || src || ') src),'
    || ' l12 as (select x, y, category_code, status, sum(s)::int as n, sum(s * lon) as sum_lon, sum(s * lat) as sum_lat'
    || ' from p group by 1, 2, 3, 4)';
  for z in reverse 11..0 loop
    q := q || format(', l%s as (select x >> 1 as x, y >> 1 as y, category_code, status, sum(n)::int as n,'
                     ' sum(sum_lon) as sum_lon, sum(sum_lat) as sum_lat from l%s group by 1, 2, 3, 4)', z, z + 1);
  end loop;
  for z in 0..12 loop
    parts := parts || format('select %s as z, x, y, category_code, status, n, sum_lon, sum_lat from l%s', z, z);
  end loop;
  return q || ', d as (' || array_to_string(parts, ' union all ') || ')'
    || ', dd as (select z, x >> 6 as tx, y >> 6 as ty, ((y & 63) * 64 + (x & 63))::smallint as cell, category_code, status, n, sum_lon, sum_lat from d)'
    || ', up as (insert into asset_cells (z, tx, ty, cell, category_code, status, n, sum_lon, sum_lat)'
    || ' select * from dd order by 1, 2, 3, 4, 5, 6'
    || ' on conflict (z, tx, ty, cell, category_code, status) do update set n = asset_cells.n + excluded.n,'
    || ' sum_lon = asset_cells.sum_lon + excluded.sum_lon, sum_lat = asset_cells.sum_lat + excluded.sum_lat)'
    -- The cells touched and their rows as they are now: this statement sees asset_cells as it was before the
    -- upsert above, so "now" is those rows plus the change.
    || ', k as (select distinct z, tx, ty, cell from dd)'
    || ', cur as (select c.z, c.tx, c.ty, c.cell, c.category_code, c.n, c.sum_lon, c.sum_lat from asset_cells c join k using (z, tx, ty, cell)'
    || ' union all select z, tx, ty, cell, category_code, n, sum_lon, sum_lat from dd)'
    -- Per cell: totals, and its top category as the least of "(2^31 - 1 - n) zero-padded || code" (most assets, then lowest code).
    || ', cats as (select z, tx, ty, cell, category_code, sum(n) as n, sum(sum_lon) as sum_lon, sum(sum_lat) as sum_lat from cur'
    || ' group by 1, 2, 3, 4, 5 having sum(n) > 0)'
    || ', tot as (select k.z, k.tx, k.ty, k.cell, coalesce(sum(c.n), 0)::int as n, coalesce(sum(c.sum_lon), 0) as sum_lon, coalesce(sum(c.sum_lat), 0) as sum_lat,'
    || ' coalesce(substr(min(lpad((2147483647 - c.n)::text, 10, ''0'') || c.category_code), 11), '''') as category_code'
    || ' from k left join cats c using (z, tx, ty, cell) group by 1, 2, 3, 4)'
    || ' insert into asset_cell_sums (z, tx, ty, cell, n, sum_lon, sum_lat, category_code)'
    || ' select z, tx, ty, cell, n, sum_lon, sum_lat, category_code from tot'
    || ' order by 1, 2, 3, 4'
    || ' on conflict (z, tx, ty, cell) do update set n = excluded.n, sum_lon = excluded.sum_lon, sum_lat = excluded.sum_lat, category_code = excluded.category_code';
end $$;

create function asset_cells_on_insert() returns trigger language plpgsql set work_mem = '64MB' as $$
begin
  execute asset_cells_sql('select geom, category_code, status, 1 as s from new_rows');
  return null;
end $$;

-- Deleting most assets (a city replaced) is cheaper as a rebuild from the assets left than as a subtraction.
create function asset_cells_on_delete() returns trigger language plpgsql set work_mem = '64MB' as $$
declare
  gone bigint := (select count(*) from old_rows);
  had bigint := coalesce((select sum(n) from asset_cell_sums where z = 0), 0);
begin
  if gone > 10000 and gone * 2 > had then
    delete from asset_cells;
    delete from asset_cell_sums;
    execute asset_cells_sql('select geom, category_code, status, 1 as s from assets');
    return null;
  end if;
  execute asset_cells_sql('select geom, category_code, status, -1 as s from old_rows');
  delete from asset_cells where n <= 0;
  delete from asset_cell_sums where n <= 0;
  return null;
end $$;

-- Only rows whose position, category or status changed move between cells (a sum changes on any move).
create function asset_cells_on_update() returns trigger language plpgsql set work_mem = '64MB' as $$
begin
  execute asset_cells_sql(
    'select o.geom, o.category_code, o.status, -1 as s from old_rows o join new_rows n on n.id = o.id'
    || ' where (ST_X(o.geom), ST_Y(o.geom), o.category_code, o.status) is distinct from (ST_X(n.geom), ST_Y(n.geom), n.category_code, n.status)'
    || ' union all '
    || 'select n.geom, n.category_code, n.status, 1 as s from old_rows o join new_rows n on n.id = o.id'
    || ' where (ST_X(o.geom), ST_Y(o.geom), o.category_code, o.status) is distinct from (ST_X(n.geom), ST_Y(n.geom), n.category_code, n.status)');
  delete from asset_cells where n <= 0;
  delete from asset_cell_sums where n <= 0;
  return null;
end $$;

create function asset_cells_on_truncate() returns trigger language plpgsql as $$
begin
  delete from asset_cells;
  delete from asset_cell_sums;
  return null;
end $$;

create trigger asset_cells_insert after insert on assets referencing new table as new_rows
  for each statement execute function asset_cells_on_insert();
create trigger asset_cells_update after update on assets referencing old table as old_rows new table as new_rows
  for each statement execute function asset_cells_on_update();
create trigger asset_cells_delete after delete on assets referencing old table as old_rows
  for each statement execute function asset_cells_on_delete();
create trigger asset_cells_truncate after truncate on assets
  for each statement execute function asset_cells_on_truncate();

-- The assets already there.
set local work_mem = '64MB';
do $$ begin execute asset_cells_sql('select geom, category_code, status, 1 as s from assets'); end $$;
analyze asset_cells;
analyze asset_cell_sums;
