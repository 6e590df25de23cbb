-- Bulk loads of assets write the cell pyramid themselves (summed in memory, one COPY per table) instead of
-- the insert trigger regrouping a million rows in SQL: the loader sets gridwork.skip_asset_cells = 'on' for
-- its transaction only (set local), and the insert trigger then leaves that transaction's statements alone.
create or replace function asset_cells_on_insert() returns trigger language plpgsql set work_mem = '64MB' as $$
begin
  if current_setting('gridwork.skip_asset_cells', true) = 'on' then
    return null;
  end if;
  execute asset_cells_sql('select geom, category_code, status, 1 as s from new_rows');
  return null;
end $$;
