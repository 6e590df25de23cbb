import type { Knex } from 'knex';

/** What the connected PostGIS can do; features that depend on a function check here first. */
export interface Capabilities {
  postgisVersion: string;
  geosVersion: string;
  /** `ST_AsMVT` works (needs protobuf; the embedded build has none). */
  asMvt: boolean;
}

/** Probe the database for the PostGIS functions the product uses optionally. */
export async function detectCapabilities(knex: Knex): Promise<Capabilities> {
  const { rows } = await knex.raw(`select postgis_lib_version() as postgis, postgis_geos_version() as geos`);
  let asMvt = false;
  try {
    const probe = await knex.raw(
      `select ST_AsMVT(t, 'probe') as tile from (select ST_AsMVTGeom(ST_Point(1,1), ST_MakeEnvelope(0,0,2,2)) as geom) t`,
    );
    asMvt = probe.rows.length === 1;
  } catch {
    asMvt = false;
  }
  return { postgisVersion: rows[0].postgis, geosVersion: String(rows[0].geos).split('-')[0], asMvt };
}
