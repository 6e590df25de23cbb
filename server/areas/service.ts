import type { Knex } from 'knex';
import { NotFound } from '../http/errors.js';
import { toWgs84, type InputCrs } from '../geo/crs.js';
import { AREA_LEVEL_NAMES, AREA_LEVELS, type AreaLevelName } from './levels.js';
import { sqlAreaFeatures, sqlAreaHistory, sqlLocate, sqlRegrid, type GridMove, type RegridSpec } from './sql.js';

interface AreaRow {
  id: number;
  code: string;
  name: string;
  name_en: string;
  level: number;
  parent_code: string | null;
  valid_from: Date;
  valid_to: Date | null;
  geometry: unknown;
  chief: { name: string; name_en: string; phone: string | null } | null;
}

/** An area row as a GeoJSON Feature; the chief only on grids. */
export function toAreaFeature(row: AreaRow) {
  const level = AREA_LEVEL_NAMES[row.level];
  return {
    type: 'Feature' as const,
    id: row.code,
    properties: {
      code: row.code,
      name: row.name,
      name_en: row.name_en,
      level,
      parent_code: row.parent_code,
      valid_from: new Date(row.valid_from).toISOString(),
      valid_to: row.valid_to ? new Date(row.valid_to).toISOString() : null,
      ...(level === 'grid' ? { chief: row.chief } : {}),
    },
    geometry: row.geometry,
  };
}

/** The areas in force (now or at `at`), optionally of one level or under one parent. */
export async function listAreas(knex: Knex, filter: { level?: AreaLevelName; parent?: string; at?: Date }) {
  const rows: AreaRow[] = await sqlAreaFeatures(knex, {
    level: filter.level ? AREA_LEVELS[filter.level] : undefined,
    parentCode: filter.parent,
    at: filter.at,
  });
  return { type: 'FeatureCollection' as const, features: rows.map(toAreaFeature) };
}

/** One area in force (now or at `at`). */
export async function getArea(knex: Knex, code: string, at?: Date) {
  const rows: AreaRow[] = await sqlAreaFeatures(knex, { code, at });
  if (rows.length === 0) {
    throw at
      ? new NotFound('area_not_in_force_at', `No area with code ${code} was in force at ${at.toISOString()}; see /api/areas/${code}/history for its versions.`, {
        params: { code, at: at.toISOString() },
      })
      : new NotFound('area_not_found', `No area with code ${code} is in force; list the codes with GET /api/areas.`, { params: { code } });
  }
  return toAreaFeature(rows[0]);
}

/** Every version of an area, newest first. */
export async function areaHistory(knex: Knex, code: string) {
  const rows = await sqlAreaHistory(knex, code);
  if (rows.length === 0) throw new NotFound('area_not_found', `No area has ever had the code ${code}.`, { params: { code } });
  return rows.map((r: AreaRow & { plan_id: number | null; area_m2: number }) => ({
    id: r.id,
    code: r.code,
    name: r.name,
    name_en: r.name_en,
    level: AREA_LEVEL_NAMES[r.level],
    parent_code: r.parent_code,
    valid_from: new Date(r.valid_from).toISOString(),
    valid_to: r.valid_to ? new Date(r.valid_to).toISOString() : null,
    plan_id: r.plan_id,
    area_m2: Number(r.area_m2),
  }));
}

/** The grid in force at a point, with its community, office, chief and the version that was used. */
export interface Location {
  point: [number, number];
  grid: { code: string; name: string; name_en: string };
  community: { code: string; name: string; name_en: string } | null;
  office: { code: string; name: string; name_en: string } | null;
  chief: { name: string; name_en: string; phone: string | null } | null;
  grid_version_id: number;
}

/** Find the grid of a point given in any accepted coordinate system; NotFound outside every grid. */
export async function locate(knex: Knex, lon: number, lat: number, crs: InputCrs = 'wgs84', at?: Date): Promise<Location> {
  const [x, y] = toWgs84(lon, lat, crs);
  const { rows } = await sqlLocate(knex, x, y, at);
  if (rows.length === 0) {
    const point = [x, y];
    throw new NotFound(
      'point_outside_grids',
      `The point [${x.toFixed(6)}, ${y.toFixed(6)}] (WGS84) is outside every grid. ` +
        (crs === 'wgs84'
          ? 'If it came from a Chinese web map, declare crs=gcj02 (or bd09 for Baidu).'
          : 'Check the coordinates and the declared crs.'),
      { params: { point, crs }, extra: { point } },
    );
  }
  const r = rows[0];
  return {
    point: [x, y],
    grid: { code: r.grid_code, name: r.grid_name, name_en: r.grid_name_en },
    community: r.community_code ? { code: r.community_code, name: r.community_name, name_en: r.community_name_en } : null,
    office: r.office_code ? { code: r.office_code, name: r.office_name, name_en: r.office_name_en } : null,
    chief: r.chief ?? null,
    grid_version_id: r.grid_version_id,
  };
}

/**
 * Give rows of a table the grid in force at their point (one statement, see `sqlRegrid`); answers the rows
 * that changed grid (a row whose grid kept its code but got a new version is updated, not listed).
 */
export async function regrid(knex: Knex, spec: RegridSpec): Promise<GridMove[]> {
  const { rows } = await sqlRegrid(knex, spec);
  return (rows as GridMove[]).filter((m) => m.from_grid !== m.to_grid);
}
