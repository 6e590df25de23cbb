import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/app.js';
import { boundaryTile, buildBoundaryIndex } from './boundary_index.js';
import { tileBounds, type TileAddress } from './tile_math.js';

const ctx = useTestApp();

/** The z10 tile holding the office's centre (the demo office is ~8 km across, a z10 tile ~39 km). */
async function officeTile(): Promise<TileAddress> {
  const { rows } = await ctx.db.knex.raw(`select ST_X(c) as lon, ST_Y(c) as lat from (select ST_Centroid(geom) c from areas where level = 1 and valid_to is null) x`);
  const z = 10;
  const r = (rows[0].lat * Math.PI) / 180;
  return { z, x: Math.floor(((rows[0].lon + 180) / 360) * 2 ** z), y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z) };
}

describe('boundary tiles', () => {
  it('index every grid in force and put each one over the tile in it', async () => {
    const index = await buildBoundaryIndex(ctx.db.knex, 3);
    const all = await ctx.db.knex.raw(`select count(*)::int as n from areas where level = 3 and valid_to is null`);
    expect(index.count).toBe(all.rows[0].n);
    const t = await officeTile();
    const [w, s, e, n] = tileBounds(t, 64 / 4096);
    const { rows } = await ctx.db.knex.raw(`select count(*)::int as n from areas where level = 3 and valid_to is null and geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)`, [w, s, e, n]);
    const vt = new VectorTile(new PbfReader(boundaryTile(index, 'grids', t)!));
    expect(vt.layers.grids.length).toBe(rows[0].n);
    expect(vt.layers.grids_label.length).toBeGreaterThan(0);
  });

  it('thin a tile over the size limit: codes only, no labels, then fewer outlines', async () => {
    const index = await buildBoundaryIndex(ctx.db.knex, 3);
    const t = await officeTile();
    const full = boundaryTile(index, 'grids', t)!;
    const thin = boundaryTile(index, 'grids', t, full.length - 1)!;
    const vt = new VectorTile(new PbfReader(thin));
    expect(thin.length).toBeLessThan(full.length);
    expect(vt.layers.grids_label).toBeUndefined();
    expect(Object.keys(vt.layers.grids.feature(0).properties)).toEqual(['code']);
    const tiny = boundaryTile(index, 'grids', t, 2000)!;
    expect(tiny.length).toBeLessThanOrEqual(2000);
    expect(new VectorTile(new PbfReader(tiny)).layers.grids.length).toBeGreaterThan(0);
  });
});
