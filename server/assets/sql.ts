import type { Knex } from 'knex';
import type { PlacedTable } from '../areas/sql.js';

/** How assets are placed in grids: by their position; every asset follows a boundary change. */
export const ASSET_PLACE: PlacedTable = { table: 'assets', point: 'x.geom', label: 'x.code', follows: 'true' };


/**
 * Insert assets from a JSON array of GeoJSON Point features in one statement
 * (properties: code, category_code, status, attrs; department from the category unless given).
 */
export function sqlInsertAssetFeatures(knex: Knex, officeCode: string, features: unknown[]): Knex.Raw {
  return knex.raw(
    `insert into assets (office_code, code, category_code, status, department_code, attrs, geom)
     select :office, f->'properties'->>'code', f->'properties'->>'category_code',
            coalesce(f->'properties'->>'status', 'normal'),
            coalesce(f->'properties'->>'department_code', c.department_code),
            coalesce(f->'properties'->'attrs', '{}'::json)::jsonb,
            ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326)
       from json_array_elements(:features::json) f
       left join asset_categories c on c.code = f->'properties'->>'category_code'`,
    { office: officeCode, features: JSON.stringify(features) },
  );
}

/** Asset statuses, as the table's check constraint allows them. */
export const ASSET_STATUSES = ['normal', 'damaged', 'missing', 'repairing', 'retired'] as const;
export type AssetStatus = (typeof ASSET_STATUSES)[number];

/** Which of some codes an office already has. */
export function sqlExistingCodes(knex: Knex, officeCode: string, codes: string[]): Knex.Raw {
  return knex.raw(
    `select a.code from assets a join unnest(:codes::text[]) as c(code) on a.code = c.code where a.office_code = :office`,
    { office: officeCode, codes },
  );
}

/** How many of some area versions are no longer in force. */
export function sqlStaleVersions(knex: Knex, ids: number[]): Knex.Raw {
  return knex.raw(`select count(*) as n from areas where id = any(:ids::int[]) and valid_to is not null`, { ids });
}

/** Filters of the asset list. */
export interface AssetFilter {
  bbox?: [number, number, number, number];
  category?: string[];
  code?: string[];
  grid?: string[];
  status?: string[];
  office?: string;
}

/** The asset columns every answer carries, with the position as lon/lat. */
function assetColumns(knex: Knex): (string | Knex.Raw)[] {
  return [
    'a.id', 'a.office_code', 'a.code', 'a.category_code', 'c.name as category_name', 'c.name_en as category_name_en', 'a.status',
    'a.department_code', 'a.grid_code', 'a.area_version_id', 'a.attrs', knex.raw('ST_X(a.geom) as lon'), knex.raw('ST_Y(a.geom) as lat'),
    'a.created_at', 'a.updated_at',
  ];
}

/** The where clauses of the asset list, one per filter; the bbox uses the spatial index. */
function sqlAssetWhere(knex: Knex, q: Knex.QueryBuilder, f: AssetFilter): Knex.QueryBuilder {
  if (f.bbox) q.whereRaw('a.geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)', f.bbox);
  if (f.category?.length) q.whereIn('a.category_code', f.category);
  if (f.code?.length) q.whereIn('a.code', f.code);
  if (f.grid?.length) q.whereIn('a.grid_code', f.grid);
  if (f.status?.length) q.whereIn('a.status', f.status);
  if (f.office) q.where('a.office_code', f.office);
  return q;
}

/** A page of assets, ordered by id. */
export function sqlListAssets(knex: Knex, f: AssetFilter, limit: number, offset: number): Knex.QueryBuilder {
  const q = knex('assets as a').leftJoin('asset_categories as c', 'c.code', 'a.category_code').select(assetColumns(knex));
  return sqlAssetWhere(knex, q, f).orderBy('a.id').limit(limit).offset(offset);
}

/** How many assets match the filters. */
export function sqlCountAssets(knex: Knex, f: AssetFilter): Knex.QueryBuilder {
  return sqlAssetWhere(knex, knex('assets as a').count({ n: '*' }), f);
}

/** One asset by id. */
export function sqlGetAsset(knex: Knex, id: number): Knex.QueryBuilder {
  return knex('assets as a').leftJoin('asset_categories as c', 'c.code', 'a.category_code').select(assetColumns(knex)).where('a.id', id).first();
}

/** The change log of one asset, oldest first. */
export function sqlAssetEvents(knex: Knex, id: number): Knex.QueryBuilder {
  return knex('asset_events')
    .select('id', 'action', 'from_status', 'to_status', 'from_grid', 'to_grid', 'plan_id', 'actor_user_id', 'note', 'created_at')
    .where({ asset_id: id })
    .orderBy(['created_at', 'id']);
}

/**
 * The indexes and the unique, primary-key and foreign-key constraints of a table that a bulk load may drop
 * and build again afterwards: every one except keys another table's foreign keys point at. Definitions as
 * the catalog prints them, so whatever a later migration adds is rebuilt exactly.
 */
export function sqlRebuildableIndexes(knex: Knex, table: string): Knex.Raw {
  return knex.raw(
    `select 'constraint' as kind, k.conname as name, pg_get_constraintdef(k.oid) as def, k.contype as type
       from pg_constraint k
      where k.conrelid = ?::regclass and k.contype in ('p', 'u', 'f')
        and not exists (select 1 from pg_constraint r where r.contype = 'f' and r.conindid = k.conindid and r.conrelid <> k.conrelid and k.contype <> 'f')
     union all
     select 'index', c.relname, pg_get_indexdef(i.indexrelid), null
       from pg_index i join pg_class c on c.oid = i.indexrelid
      where i.indrelid = ?::regclass
        and not exists (select 1 from pg_constraint k where k.conrelid = i.indrelid and k.conindid = i.indexrelid)`,
    [table, table],
  );
}

/**
 * What keeps the assets table from being replaced by a copy loaded beside it (see loadBeside): objects that
 * hang on the table itself and that the copy would not carry. None, usually.
 */
export function sqlSwapBlockers(knex: Knex): Knex.Raw {
  return knex.raw(
    `select array_remove(array[
       case when exists (select 1 from pg_depend d join pg_rewrite r on r.oid = d.objid
                          where d.classid = 'pg_rewrite'::regclass and d.refobjid = 'assets'::regclass and r.ev_class <> 'assets'::regclass) then 'views' end,
       case when exists (select 1 from pg_policy where polrelid = 'assets'::regclass)
              or (select relrowsecurity from pg_class where oid = 'assets'::regclass) then 'row security' end,
       case when exists (select 1 from pg_constraint where confrelid = 'assets'::regclass and conrelid <> 'assets'::regclass) then 'foreign keys of other tables' end,
       case when exists (select 1 from pg_inherits where inhrelid = 'assets'::regclass or inhparent = 'assets'::regclass) then 'inheritance' end,
       case when exists (select 1 from pg_publication_rel where prrelid = 'assets'::regclass) then 'a publication' end,
       case when exists (select 1 from pg_attribute where attrelid = 'assets'::regclass and attacl is not null) then 'column privileges' end,
       case when (select relowner from pg_class where oid = 'assets'::regclass) <> (select oid from pg_roles where rolname = current_user) then 'another owner' end
     ], null) as blockers`,
  );
}

/**
 * What the assets table carries besides rows, indexes and keys, to give its replacement: triggers (as
 * CREATE TRIGGER statements), privileges (as GRANTs), its comment (as COMMENT ON, or null), the name of its
 * id sequence, and the tables its foreign keys point at (locked when it is dropped).
 */
export function sqlAssetTableExtras(knex: Knex): Knex.Raw {
  return knex.raw(
    `select array(select pg_get_triggerdef(t.oid) from pg_trigger t where t.tgrelid = c.oid and not t.tgisinternal order by t.tgname) as triggers,
            array(select format('grant %s on assets to %s%s', a.privilege_type,
                                 case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end,
                                 case when a.is_grantable then ' with grant option' else '' end)
                    from aclexplode(c.relacl) a where a.grantee <> c.relowner) as grants,
            (select format('comment on table assets is %L', d) from obj_description(c.oid, 'pg_class') d where d is not null) as comment,
            pg_get_serial_sequence('assets', 'id') as sequence,
            array(select distinct k.confrelid::regclass::text from pg_constraint k where k.conrelid = c.oid and k.contype = 'f') as references
       from pg_class c where c.oid = 'assets'::regclass`,
  );
}

/** The finest (zoom 12) rows of the asset cell pyramid: every coarser row is their sum. */
export function sqlTopAssetCells(knex: Knex): Knex.Raw {
  return knex.raw(`select tx, ty, cell, category_code, status, n, sum_lon, sum_lat from asset_cells where z = 12 and n > 0`);
}
