import type { Knex } from 'knex';
import { Invalid, Unprocessable } from '../http/errors.js';

/** What was wrong with a boundary and what was done about it. */
export interface BoundaryReport {
  valid: boolean;
  /** PostGIS's reason, e.g. "Ring Self-intersection". */
  reason: string | null;
  /** Where the first problem is, [lon, lat]. */
  location: [number, number] | null;
  repaired: boolean;
  area_m2: number;
  /** Polygons in the repaired boundary. */
  parts: number;
}

/** A boundary after import: always a valid MultiPolygon in WGS84, with the report of the repair. */
export interface ImportedBoundary {
  geometry: { type: 'MultiPolygon'; coordinates: number[][][][] };
  report: BoundaryReport;
}

/**
 * Check a boundary polygon with PostGIS, and repair it when invalid (ST_MakeValid, keeping polygons
 * only). Real boundary files are often invalid; every overlay needs valid input, so this runs first.
 */
export async function importBoundary(knex: Knex, geometry: unknown): Promise<ImportedBoundary> {
  const g = geometry as { type?: string } | null;
  if (!g || (g.type !== 'Polygon' && g.type !== 'MultiPolygon')) {
    const type = g?.type ?? typeof geometry;
    throw new Invalid('geometry_not_polygonal', `A boundary must be a GeoJSON Polygon or MultiPolygon, got ${type}`, { params: { type } });
  }
  let rows;
  try {
    ({ rows } = await knex.raw(
      `with src as (select ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326) as geom),
            chk as (select geom, ST_IsValidDetail(geom) as d from src),
            fixed as (
              select chk.*, case when (d).valid then ST_Multi(geom)
                                 else ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3)) end as good
                from chk)
       select (d).valid as valid, (d).reason as reason,
              ST_AsGeoJSON((d).location)::json as location,
              ST_IsValid(good) as good_valid, ST_IsEmpty(good) as good_empty,
              ST_NumGeometries(good) as parts,
              ST_Area(good::geography) as area_m2,
              ST_AsGeoJSON(good, 15)::json as geometry
         from fixed`,
      { g: JSON.stringify(geometry) },
    ));
  } catch (err) {
    throw new Invalid('geometry_unreadable', `The boundary is not readable GeoJSON: ${(err as Error).message}`);
  }
  // On the embedded build a GEOS exception yields zero rows instead of an error.
  if (rows.length !== 1) throw new Unprocessable('geometry_engine_failed', 'The boundary could not be checked: the geometry engine rejected it.');
  const r = rows[0];
  if (!r.good_valid || r.good_empty) {
    throw new Unprocessable('boundary_unrepairable', 'The boundary could not be repaired into a valid polygon; fix it in a GIS and import it again.');
  }
  return {
    geometry: r.geometry,
    report: {
      valid: r.valid,
      reason: r.valid ? null : r.reason,
      location: r.location ? (r.location.coordinates as [number, number]) : null,
      repaired: !r.valid,
      area_m2: Number(r.area_m2),
      parts: Number(r.parts),
    },
  };
}
