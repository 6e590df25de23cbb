import Flatbush from 'flatbush';
import pointInPolygon from 'point-in-polygon-hao';
import type { Knex } from 'knex';

/** A grid in force, as the in-memory index holds it. */
export interface IndexedGrid {
  /** Id of the grid's version in force (areas.id). */
  id: number;
  code: string;
  office_code: string;
  geometry: { type: 'MultiPolygon'; coordinates: number[][][][] };
}

/** The grids in force with their office, as GeoJSON, ordered by code. */
export function sqlGridsForIndex(knex: Knex): Knex.Raw {
  return knex.raw(
    `select g.id, g.code, coalesce(c.parent_code, g.parent_code) as office_code, ST_AsGeoJSON(g.geom)::json as geometry
       from areas g
       left join areas c on c.level = 2 and c.valid_to is null and c.code = g.parent_code
      where g.level = 3 and g.valid_to is null
      order by g.code`,
  );
}

/**
 * Point-in-polygon over the grids in force, in memory: a Flatbush index of the grid boxes, then an exact
 * test on the few candidates. A point on a shared edge goes to the lowest code, as /api/locate does.
 */
export class GridIndex {
  private constructor(
    private readonly grids: IndexedGrid[],
    private readonly index: Flatbush | undefined,
  ) {}

  /** Load the grids in force and index them. */
  static async load(knex: Knex): Promise<GridIndex> {
    const { rows } = await sqlGridsForIndex(knex);
    return GridIndex.of(rows as IndexedGrid[]);
  }

  /** Index grids already loaded (ordered by code). */
  static of(grids: IndexedGrid[]): GridIndex {
    if (grids.length === 0) return new GridIndex(grids, undefined);
    const index = new Flatbush(grids.length);
    for (const g of grids) {
      let minX = Infinity;
      let minY = Infinity;
      let maxX = -Infinity;
      let maxY = -Infinity;
      for (const poly of g.geometry.coordinates) {
        for (const [x, y] of poly[0]) {
          if (x < minX) minX = x;
          if (y < minY) minY = y;
          if (x > maxX) maxX = x;
          if (y > maxY) maxY = y;
        }
      }
      index.add(minX, minY, maxX, maxY);
    }
    index.finish();
    return new GridIndex(grids, index);
  }

  /** How many grids are indexed. */
  get size(): number {
    return this.grids.length;
  }

  /** The grid containing [lon, lat], or undefined outside every grid. */
  locate(lon: number, lat: number): IndexedGrid | undefined {
    if (!this.index) return undefined;
    const hits = this.index.search(lon, lat, lon, lat);
    if (hits.length === 0) return undefined;
    // Flatbush answers in index order; the grids were added by code, so the lowest index is the lowest code.
    hits.sort((a, b) => a - b);
    const point = [lon, lat];
    for (const i of hits) {
      // true inside, 0 on an edge (which counts as inside, as ST_Intersects has it), false outside.
      for (const polygon of this.grids[i].geometry.coordinates) if (pointInPolygon(point, polygon) !== false) return this.grids[i];
    }
    return undefined;
  }
}
