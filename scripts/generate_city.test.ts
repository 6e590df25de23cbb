import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type Db } from '../server/db/connect.js';
import { migrate } from '../server/db/migrate.js';
import { loadDemoOffice } from '../server/demo/load.js';
import { TEST_PASSWORD, openTestDb } from '../test/app.js';
import { CITY_ASSET_CATEGORIES, gridAssets } from './city/assets.js';
import { UsageError, parseCityArgs } from './city/cli.js';
import { CITY_PREFIX, planCity } from './city/plan.js';
import { CityExistsError, childrenFirst, generateCity, type CityResult } from './city/write.js';

// 234 grids: two full offices of 100 and a third of 34, whose last community holds only 4 grids.
const CITY = { grids: 234, assets: 2000, seed: 7 };
const like = `${CITY_PREFIX}%`;

let db: Db;
let dropDb: () => Promise<void>;
let result: CityResult;
let otherAreasBefore: number;

/**
 * A database holding the demo office for the city. Embedded, this file's own copy; native test files
 * share one database and count its grids, so the city gets a database of its own, dropped afterwards.
 */
async function openCityDb(): Promise<{ db: Db; drop: () => Promise<void> }> {
  const target = inject('testDatabase');
  if (target.kind === 'embedded') {
    const own = await openTestDb();
    return { db: own, drop: () => own.close() };
  }
  const shared = await openDatabase({ url: target.url });
  const name = `gridwork_city_test_${process.pid}_${Date.now()}`;
  await shared.knex.raw(`create database ${name}`);
  const url = new URL(target.url);
  url.pathname = `/${name}`;
  const own = await openDatabase({ url: url.toString() });
  await migrate(own);
  await loadDemoOffice(own, TEST_PASSWORD);
  return {
    db: own,
    drop: async () => {
      await own.close();
      await shared.knex.raw(`drop database if exists ${name} with (force)`);
      await shared.close();
    },
  };
}

/** One row from a statement that must answer exactly one (zero rows is a swallowed GEOS error on the embedded build). */
async function one<T>(sql: string, bindings: readonly unknown[] = []): Promise<T> {
  const { rows } = await db.knex.raw(sql, bindings as never);
  expect(rows).toHaveLength(1);
  return rows[0] as T;
}

/** md5 of the city's areas, chiefs and assets, ordered by code: equal digests, equal cities. */
async function cityDigest(): Promise<string> {
  const row = await one<{ digest: string }>(
    `select md5(
       (select string_agg(code || '|' || name || '|' || name_en || '|' || coalesce(parent_code, '') || '|' || encode(ST_AsEWKB(geom), 'hex'), ',' order by code)
          from areas where code like ?) ||
       (select string_agg(code || '|' || name || '|' || phone, ',' order by code) from staff where code like 'C' || ?) ||
       (select string_agg(code || '|' || category_code || '|' || status || '|' || grid_code || '|' || attrs::text || '|' || encode(ST_AsEWKB(geom), 'hex'), ',' order by office_code, code)
          from assets where office_code like ?)) as digest`,
    [like, like, like],
  );
  return row.digest;
}

beforeAll(async () => {
  ({ db, drop: dropDb } = await openCityDb());
  otherAreasBefore = (await one<{ n: number }>(`select count(*)::int as n from areas where code not like ?`, [like])).n;
  result = await generateCity(db, CITY);
});
afterAll(async () => {
  await dropDb();
});

describe('generateCity', () => {
  it('writes exactly the requested grids, with ~10 per community, ~100 per office and one chief each', async () => {
    expect(result).toMatchObject({ grids: 234, communities: 24, offices: 3, staff: 234, assets: 2000, kind: db.kind });
    const counts = await one<{ offices: number; communities: number; grids: number }>(
      `select count(*) filter (where level = 1)::int as offices, count(*) filter (where level = 2)::int as communities,
              count(*) filter (where level = 3)::int as grids
         from areas where code like ? and valid_to is null`,
      [like],
    );
    expect(counts).toEqual({ offices: 3, communities: 24, grids: 234 });
    const { rows } = await db.knex.raw(
      `select code, level, parent_code from areas where code like ? and valid_to is null order by code`,
      [like],
    );
    for (const a of rows as { code: string; level: number; parent_code: string | null }[]) {
      expect(a.code).toMatch(a.level === 1 ? /^9901\d{5}$/ : a.level === 2 ? /^9901\d{8}$/ : /^9901\d{11}$/);
      if (a.level > 1) expect(a.code.startsWith(a.parent_code!)).toBe(true);
    }
    const chiefs = await one<{ grids: number; assigned: number }>(
      `select count(distinct g.code)::int as grids, count(*)::int as assigned
         from areas g join staff_assignments sa on sa.area_code = g.code and sa.valid_to is null
         join staff s on s.id = sa.staff_id and s.role = 'chief'
        where g.level = 3 and g.code like ? and g.valid_to is null`,
      [like],
    );
    expect(chiefs).toEqual({ grids: 234, assigned: 234 });
  });

  it('writes valid MultiPolygons in EPSG:4326', async () => {
    const row = await one<{ n: number; bad: number }>(
      `select count(*)::int as n,
              count(*) filter (where not ST_IsValid(geom) or GeometryType(geom) <> 'MULTIPOLYGON' or ST_SRID(geom) <> 4326)::int as bad
         from areas where code like ?`,
      [like],
    );
    expect(row).toEqual({ n: 261, bad: 0 });
  });

  it('tiles each community exactly with its grids and each office with its communities', async () => {
    for (const [childLevel, parents] of [[3, 24], [2, 3]]) {
      const { rows } = await db.knex.raw(
        `select p.code, ST_Area(ST_SymDifference(p.geom, u.geom)) as diff, ST_Area(p.geom) as area
           from areas p
           join (select parent_code, ST_Union(geom) as geom from areas
                  where level = ? and code like ? and valid_to is null group by parent_code) u on u.parent_code = p.code
          where p.valid_to is null`,
        [childLevel, like],
      );
      expect(rows).toHaveLength(parents);
      for (const r of rows as { diff: number; area: number }[]) {
        expect(r.area).toBeGreaterThan(0);
        expect(r.diff).toBeLessThan(1e-12);
      }
    }
  });

  it('has no two grids whose interiors overlap, while neighbours share their edges', async () => {
    const row = await one<{ overlapping: number; touching: number }>(
      `select count(*) filter (where ST_Relate(a.geom, b.geom, '2********'))::int as overlapping,
              count(*) filter (where ST_Relate(a.geom, b.geom, 'F***1****'))::int as touching
         from areas a join areas b on a.code < b.code and a.geom && b.geom
        where a.level = 3 and b.level = 3 and a.code like ? and b.code like ? and a.valid_to is null and b.valid_to is null`,
      [like, like],
    );
    expect(row.overlapping).toBe(0);
    // A lattice of 234 cells has over 400 shared edges.
    expect(row.touching).toBeGreaterThan(400);
  });

  it('gives neighbouring grids the very same vertices: none lies within 0.1 mm of a neighbour without being one of its vertices', async () => {
    const row = await one<{ near: number; unshared: number }>(
      `with g as (select code, geom from areas where level = 3 and code like ? and valid_to is null),
            near as (
              select p.geom as p, b.geom as nb
                from g a cross join lateral ST_DumpPoints(a.geom) p
                join g b on b.code <> a.code and b.geom && ST_Expand(p.geom, 1e-9) and ST_DWithin(p.geom, b.geom, 1e-9))
       select count(*)::int as near,
              count(*) filter (where not exists (select 1 from ST_DumpPoints(near.nb) q where ST_X(q.geom) = ST_X(near.p) and ST_Y(q.geom) = ST_Y(near.p)))::int as unshared
         from near`,
      [like],
    );
    // 16 vertices a grid, nearly all on an edge it shares.
    expect(row.near).toBeGreaterThan(234 * 10);
    expect(row.unshared).toBe(0);
  });

  it('places every asset strictly inside the one grid recorded on it, with codes unique per office', async () => {
    const row = await one<{ n: number; ok: number; offices_ok: number; codes: number; boards: number }>(
      `select count(*)::int as n,
              count(*) filter (where m.hits = 1 and m.code = a.grid_code and m.id = a.area_version_id)::int as ok,
              count(*) filter (where a.office_code = left(a.grid_code, 9))::int as offices_ok,
              count(distinct a.office_code || '/' || a.code)::int as codes,
              count(distinct a.grid_code) filter (where a.category_code = '0312')::int as boards
         from assets a
         cross join lateral (
           select count(*)::int as hits, min(g.code) as code, min(g.id) as id
             from areas g where g.level = 3 and g.valid_to is null and ST_Intersects(g.geom, a.geom)) m
        where a.office_code like ?`,
      [like],
    );
    expect(row).toEqual({ n: 2000, ok: 2000, offices_ok: 2000, codes: 2000, boards: 234 });
    const { rows } = await db.knex.raw(`select distinct category_code from assets where office_code like ?`, [like]);
    for (const r of rows as { category_code: string }[]) expect(CITY_ASSET_CATEGORIES).toContain(r.category_code);
  });

  it('leaves the demo office and every other area alone', async () => {
    const row = await one<{ n: number }>(`select count(*)::int as n from areas where code not like ?`, [like]);
    expect(row.n).toBe(otherAreasBefore);
    expect(otherAreasBefore).toBeGreaterThan(0);
  });

  it('refuses to write a second city over the first and says to use --replace', async () => {
    await expect(generateCity(db, CITY)).rejects.toThrow(CityExistsError);
    await expect(generateCity(db, CITY)).rejects.toThrow(/--replace/);
  });

  it('rebuilds the identical city from the same seed with replace (loading its assets in bulk)', async () => {
    const before = await cityDigest();
    const again = await generateCity(db, { ...CITY, replace: true, bulk: true });
    expect(again.grids).toBe(234);
    expect(await cityDigest()).toBe(before);
    const counts = await one<{ areas: number; assets: number }>(
      `select (select count(*)::int from areas where code like ?) as areas, (select count(*)::int from assets where office_code like ?) as assets`,
      [like, like],
    );
    expect(counts).toEqual({ areas: 261, assets: 2000 });
  });
});

describe('planCity', () => {
  it('gives the same plan and assets for the same seed and a different city for another', () => {
    const a = planCity(CITY);
    const b = planCity(CITY);
    const c = planCity({ ...CITY, seed: 8 });
    expect(b.grids.map((g) => g.area)).toEqual(a.grids.map((g) => g.area));
    expect(gridAssets(b, 17)).toEqual(gridAssets(a, 17));
    expect(c.grids[0].area.ring).not.toEqual(a.grids[0].area.ring);
    expect(a.grids.reduce((sum, g) => sum + g.assetCount, 0)).toBe(CITY.assets);
  });
});

describe('parseCityArgs', () => {
  it('reads the flags and applies the defaults', () => {
    expect(parseCityArgs([])).toEqual({ grids: 10000, assets: 1000000, seed: 1, replace: false, help: false });
    expect(parseCityArgs(['--grids', '40', '--assets=2000', '--seed', '0', '--replace'])).toMatchObject({ grids: 40, assets: 2000, seed: 0, replace: true });
  });

  it('refuses anything but positive whole numbers, naming the flag', () => {
    for (const argv of [['--grids', '0'], ['--grids', '-5'], ['--assets', 'lots'], ['--assets', '1.5'], ['--grids'], ['--seed', 'x'], ['--towns', '3']]) {
      expect(() => parseCityArgs(argv)).toThrow(UsageError);
    }
    expect(() => parseCityArgs(['--grids', 'ten'])).toThrow(/--grids/);
  });
});

describe('childrenFirst', () => {
  it('puts every table before the tables it references', () => {
    const order = childrenFirst(['assets', 'buildings', 'households', 'residents'], [
      { child: 'residents', parent: 'households' },
      { child: 'households', parent: 'buildings' },
      { child: 'residents', parent: 'residents' },
    ]);
    expect(order.indexOf('residents')).toBeLessThan(order.indexOf('households'));
    expect(order.indexOf('households')).toBeLessThan(order.indexOf('buildings'));
    expect(order).toHaveLength(4);
  });
});
