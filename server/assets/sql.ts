import type { Knex } from 'knex';

/**
 * Give every asset that has no grid (or all, when `all`) the grid in force that contains it, with the
 * grid's version. Runs as one set-based statement so a million assets cost one spatial join.
 */
export function sqlAssignAssetGrids(knex: Knex, opts: { all?: boolean } = {}): Knex.Raw {
  return knex.raw(
    `update assets a
        set grid_code = g.code, area_version_id = g.id, updated_at = now()
       from areas g
      where g.level = 3 and g.valid_to is null
        and ST_Intersects(g.geom, a.geom)
        ${opts.all ? '' : 'and a.grid_code is null'}
        and (a.grid_code is distinct from g.code)`,
  );
}

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
