import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proj4 from 'proj4';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../../test/app.js';
import { useOwnDatabaseApp } from './test_support.js';

const t = useOwnDatabaseApp();
let planner: string;
let pairs: [string, string][];

/** Adjacent grid pairs of one community (sharing more than 200 m of edge), each grid used once. */
async function adjacentPairs(): Promise<[string, string][]> {
  const { rows } = await t.db.knex.raw(
    `select a.code as a, b.code as b
       from areas a join areas b on b.level = 3 and b.valid_to is null and a.code < b.code and b.parent_code = a.parent_code
                             and a.geom && b.geom and ST_Intersects(a.geom, b.geom)
      where a.level = 3 and a.valid_to is null
        and ST_Length(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 2)::geography) > 200
      order by a.code, b.code`,
  );
  const used = new Set<string>();
  const out: [string, string][] = [];
  for (const r of rows as { a: string; b: string }[]) {
    if (used.has(r.a) || used.has(r.b)) continue;
    used.add(r.a);
    used.add(r.b);
    out.push([r.a, r.b]);
  }
  return out;
}

/** A plan that redraws two adjacent grids: their union cut in two by a north-south line through its middle. */
async function redrawPair([a, b]: [string, string]) {
  const { rows } = await t.db.knex.raw(
    `with g as (select code, name, parent_code, geom from areas where level = 3 and valid_to is null and code in (:a, :b)),
          u as (select ST_Union(geom) as g from g),
          m as (select g, ST_XMin(g) - 1 as x0, ST_YMin(g) - 1 as y0, ST_XMax(g) + 1 as x1, ST_YMax(g) + 1 as y1,
                       (ST_XMin(g) + ST_XMax(g)) / 2 as xm from u)
     select ST_AsGeoJSON(ST_CollectionExtract(ST_Intersection(m.g, ST_MakeEnvelope(x0, y0, xm, y1, 4326)), 3), 15)::json as west,
            ST_AsGeoJSON(ST_CollectionExtract(ST_Intersection(m.g, ST_MakeEnvelope(xm, y0, x1, y1, 4326)), 3), 15)::json as east,
            (select parent_code from g where code = :a) as parent_a, (select parent_code from g where code = :b) as parent_b
       from m`,
    { a, b },
  );
  const r = rows[0];
  return {
    type: 'FeatureCollection',
    features: [
      { type: 'Feature', properties: { code: a, name: `${a} redrawn`, parent_code: r.parent_a }, geometry: r.west },
      { type: 'Feature', properties: { code: b, name: `${b} redrawn`, parent_code: r.parent_b }, geometry: r.east },
    ],
  };
}

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  planner = await loginAs(t.app, 'planner');
  pairs = await adjacentPairs();
});

describe('POST /api/plans', () => {
  it('refuses without a session', async () => {
    const res = await request(t.app).post('/api/plans').send(await redrawPair(pairs[0]));
    expect(res.status).toBe(401);
    expect(res.type).toBe('application/problem+json');
  });

  it('refuses a grid chief: only planners and admins make plans', async () => {
    const chief = await loginAs(t.app, 'chief01');
    const res = await request(t.app).post('/api/plans').set(auth(chief)).send(await redrawPair(pairs[0]));
    expect(res.status).toBe(403);
    expect(res.body.detail).toMatch(/planner or admin/);
  });

  it('creates a plan that redraws two grids and reports it valid', async () => {
    const res = await request(t.app).post('/api/plans').set(auth(planner)).send(await redrawPair(pairs[0]));
    expect(res.status).toBe(201);
    expect(res.type).toBe('application/json');
    expect(res.body.id).toBeGreaterThan(0);
    expect(res.body.report).toMatchObject({ valid: true, invalid: [], overlaps: [], gaps: [], outside_parent: [], grids: 2 });
    // Cut through a union and sent with 15 decimals, the halves may overlap their neighbours by noise, listed but not blocking.
    expect(res.body.report.slivers.every((s: { kind: string; noise: boolean }) => s.kind === 'overlap' && s.noise)).toBe(true);
    expect(res.body.report.replaces).toEqual([...pairs[0]].sort());
    expect(res.body.report.uncovered_parent_m2).toBeLessThan(1);
    const rows = await t.db.knex('plan_grids').where({ plan_id: res.body.id }).orderBy('code').pluck('code');
    expect(rows).toEqual([...pairs[0]].sort());
  });

  it('answers 400 naming the fix for a FeatureCollection of points', async () => {
    const res = await request(t.app)
      .post('/api/plans')
      .set(auth(planner))
      .send({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: 'x' }, geometry: { type: 'Point', coordinates: [123.4, 41.8] } }] });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/Polygon or MultiPolygon/);
  });

  it('answers 400 for projected coordinates sent without a crs', async () => {
    const res = await request(t.app)
      .post('/api/plans')
      .set(auth(planner))
      .send({
        type: 'FeatureCollection',
        features: [{ type: 'Feature', properties: { code: 'x' }, geometry: { type: 'Polygon', coordinates: [[[13741000, 5124000], [13742000, 5124000], [13742000, 5125000], [13741000, 5124000]]] } }],
      });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/crs=EPSG:3857/);
  });

  it('answers 400 for a plan with the same code twice', async () => {
    const fc = await redrawPair(pairs[0]);
    fc.features[1].properties.code = fc.features[0].properties.code;
    const res = await request(t.app).post('/api/plans').set(auth(planner)).send(fc);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/more than once/);
  });
});

describe('POST /api/plans from files and other coordinate systems', () => {
  const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

  it('reads an uploaded zipped Shapefile with GBK attributes (.cpg) and a CGCS2000 .prj', async () => {
    const res = await request(t.app).post('/api/plans').set(auth(planner)).attach('file', fs.readFileSync(path.join(fixtures, 'gbk_cgcs2000_grids.zip')), 'grids.zip');
    expect(res.status).toBe(201);
    expect(res.body.report).toMatchObject({ valid: true, grids: 2, replaces: ['210103007001001', '210103007001002'] });
    const plan = await request(t.app).get(`/api/plans/${res.body.id}`).set(auth(planner));
    expect(plan.body.source).toBe('shapefile');
    expect(plan.body.features.features.map((f: { properties: { name: string } }) => f.properties.name)).toEqual(['文化路第一网格', '文化路第二网格']);
  });

  it('reprojects a Web Mercator Shapefile, which then matches the grids in force', async () => {
    const res = await request(t.app).post('/api/plans').set(auth(planner)).attach('file', fs.readFileSync(path.join(fixtures, 'gbk_epsg3857_grids.zip')), 'merc.zip');
    expect(res.status).toBe(201);
    expect(res.body.report).toMatchObject({ valid: true, overlaps: [], gaps: [] });
  });

  it('reprojects a GeoJSON plan declared as crs=EPSG:3857', async () => {
    const fc = await redrawPair(pairs[6]);
    const toMerc = proj4('EPSG:4326', 'EPSG:3857');
    const project = (g: { type: string; coordinates: unknown }) => ({
      type: g.type,
      coordinates: g.type === 'Polygon'
        ? (g.coordinates as number[][][]).map((r) => r.map((p) => toMerc.forward(p)))
        : (g.coordinates as number[][][][]).map((poly) => poly.map((r) => r.map((p) => toMerc.forward(p)))),
    });
    const merc = { ...fc, features: fc.features.map((f) => ({ ...f, geometry: project(f.geometry) })) };
    const res = await request(t.app).post('/api/plans?crs=EPSG:3857').set(auth(planner)).send(merc);
    expect(res.status).toBe(201);
    expect(res.body.report.valid).toBe(true);
    const { rows } = await t.db.knex.raw(
      `select max(ST_HausdorffDistance(p.geom, ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326))) as d
         from plan_grids p join json_array_elements(:fc::json) f on f->'properties'->>'code' = p.code where p.plan_id = :id`,
      { fc: JSON.stringify(fc.features), id: res.body.id },
    );
    expect(Number(rows[0].d)).toBeLessThan(1e-7);
  });

  it('reads an uploaded GeoPackage in EPSG:3857, which then matches the grids in force', async () => {
    const res = await request(t.app).post('/api/plans').set(auth(planner)).attach('file', fs.readFileSync(path.join(fixtures, 'epsg3857_grids.gpkg')), 'grids.gpkg');
    expect(res.status).toBe(201);
    expect(res.body.report).toMatchObject({ valid: true, grids: 2, overlaps: [], gaps: [] });
    const plan = await request(t.app).get(`/api/plans/${res.body.id}`).set(auth(planner));
    expect(plan.body.source).toBe('geopackage');
  });

  it('answers 415 for an upload that is neither a zip nor GeoJSON', async () => {
    const res = await request(t.app).post('/api/plans').set(auth(planner)).attach('file', Buffer.from('not a plan'), 'grids.txt');
    expect(res.status).toBe(415);
    expect(res.body.detail).toMatch(/zipped Shapefile/);
  });
});

describe('GET /api/plans/{id}', () => {
  /** Twice the signed area of a ring (shoelace): positive when counter-clockwise. */
  const signedArea = (ring: number[][]) => ring.slice(1).reduce((s, [x, y], i) => s + (ring[i][0] * y - x * ring[i][1]), 0);

  it('answers the grids with exterior rings counter-clockwise and holes clockwise (RFC 7946 §3.1.6), whatever was uploaded', async () => {
    const fc = await redrawPair(pairs[0]);
    // The west half with a hole at its middle, both rings turned the wrong way: exterior clockwise, hole counter-clockwise.
    const { rows } = await t.db.knex.raw(
      `with g as (select ST_GeomFromGeoJSON(:g) as g)
       select ST_AsGeoJSON(ST_ForcePolygonCW(ST_Difference(g, ST_Buffer(ST_PointOnSurface(g), 0.0002))), 15)::json as g from g`,
      { g: JSON.stringify(fc.features[0].geometry) },
    );
    const uploaded = rows[0].g as { type: string; coordinates: number[][][][] };
    const polygonsOf = (g: { type: string; coordinates: unknown }) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as number[][][][];
    expect(polygonsOf(uploaded).some((p) => p.length > 1)).toBe(true);
    expect(polygonsOf(uploaded).every((p) => signedArea(p[0]) < 0 && p.slice(1).every((h) => signedArea(h) > 0))).toBe(true);
    fc.features[0].geometry = uploaded;
    const created = await request(t.app).post('/api/plans').set(auth(planner)).send(fc);
    expect(created.status, created.text).toBe(201);

    const res = await request(t.app).get(`/api/plans/${created.body.id}`).set(auth(planner));
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    const grid = res.body.features.features.find((f: { id: string }) => f.id === pairs[0][0]);
    const polygons = polygonsOf(grid.geometry);
    expect(polygons.some((p) => p.length > 1)).toBe(true);
    for (const [exterior, ...holes] of polygons) {
      expect(signedArea(exterior)).toBeGreaterThan(0);
      for (const hole of holes) expect(signedArea(hole)).toBeLessThan(0);
    }
  });
});

describe('GET /api/plans/{id}/report', () => {
  it('reports an overlap between two proposed grids with its area and place', async () => {
    const fc = await redrawPair(pairs[1]);
    const { rows } = await t.db.knex.raw(
      `select ST_AsGeoJSON(ST_Buffer(ST_GeomFromGeoJSON(:g), 0.0003), 15)::json as g,
              ST_Area(ST_Intersection(ST_Buffer(ST_GeomFromGeoJSON(:g), 0.0003), ST_GeomFromGeoJSON(:h))::geography) as m2`,
      { g: JSON.stringify(fc.features[0].geometry), h: JSON.stringify(fc.features[1].geometry) },
    );
    fc.features[0].geometry = rows[0].g;
    const created = await request(t.app).post('/api/plans').set(auth(planner)).send(fc);
    const res = await request(t.app).get(`/api/plans/${created.body.id}/report`).set(auth(planner));
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    const mine = res.body.overlaps.filter((o: { a: string; b: string }) => o.a === pairs[1][0] && o.b === pairs[1][1]);
    const total = mine.reduce((s: number, o: { area_m2: number }) => s + o.area_m2, 0);
    expect(Math.abs(total - Number(rows[0].m2)) / Number(rows[0].m2)).toBeLessThan(0.01);
    expect(mine[0].location).toHaveLength(2);
  });

  it('lists an overlap below the noise threshold as a sliver, where it is, and does not block publishing for it', async () => {
    const [a, b] = pairs[9];
    // A half disc of 0.5 m radius (about 0.39 m², under MIN_PIECE_M2) taken from b into a, at the middle of their shared edge.
    const { rows } = await t.db.knex.raw(
      `with ga as (select parent_code, geom from areas where level = 3 and valid_to is null and code = :a),
            gb as (select geom from areas where level = 3 and valid_to is null and code = :b),
            edge as (select ST_GeometryN(ST_Multi(ST_LineMerge(ST_CollectionExtract(ST_Intersection(ga.geom, gb.geom), 2))), 1) as l from ga, gb),
            mid as (select ST_LineInterpolatePoint(l, 0.5) as p from edge),
            bump as (select ST_CollectionExtract(ST_Intersection(gb.geom, ST_Buffer(mid.p::geography, 0.5)::geometry), 3) as g from gb, mid)
       select ST_AsGeoJSON(ST_Union(ga.geom, bump.g), 15)::json as geometry, ga.parent_code, ST_Area(bump.g::geography) as m2,
              ST_X(mid.p) as lon, ST_Y(mid.p) as lat
         from ga, bump, mid`,
      { a, b },
    );
    const bump = rows[0];
    expect(Number(bump.m2)).toBeGreaterThan(0.3);
    expect(Number(bump.m2)).toBeLessThan(1);
    const fc = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: a, parent_code: bump.parent_code }, geometry: bump.geometry }] };
    const created = await request(t.app).post('/api/plans').set(auth(planner)).send(fc);
    expect(created.status, created.text).toBe(201);
    const res = await request(t.app).get(`/api/plans/${created.body.id}/report`).set(auth(planner));
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(res.body.overlaps).toEqual([]);
    const mine = res.body.slivers.filter((s: { kind: string; a?: string; b?: string }) => s.kind === 'overlap' && s.a === a && s.b === b);
    expect(mine).toHaveLength(1);
    expect(mine[0].noise).toBe(true);
    expect(Math.abs(mine[0].area_m2 - Number(bump.m2))).toBeLessThan(0.01);
    expect(Math.abs(mine[0].location[0] - bump.lon)).toBeLessThan(1e-5);
    expect(Math.abs(mine[0].location[1] - bump.lat)).toBeLessThan(1e-5);
    // Noise does not block, as gaps under the threshold do not: the plan stays publishable.
    expect(res.body.slivers.every((s: { noise: boolean }) => s.noise)).toBe(true);
    expect(res.body.valid).toBe(true);
  });

  it('answers 404 for a plan that does not exist', async () => {
    const res = await request(t.app).get('/api/plans/999999/report').set(auth(planner));
    expect(res.status).toBe(404);
    expect(res.type).toBe('application/problem+json');
  });
});

describe('POST /api/plans/{id}/repair', () => {
  it('snaps a grid drawn 40 cm off back onto its neighbours', async () => {
    const code = pairs[7][0];
    const { rows } = await t.db.knex.raw(
      `select parent_code, ST_AsGeoJSON(ST_Translate(geom, 0.4 / (111320 * cos(radians(41.8))), 0), 15)::json as g from areas where code = :code and valid_to is null`,
      { code },
    );
    const fc = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code, parent_code: rows[0].parent_code }, geometry: rows[0].g }] };
    const created = await request(t.app).post('/api/plans').set(auth(planner)).send(fc);
    expect(created.body.report.valid).toBe(false);
    expect(created.body.report.overlaps.length + created.body.report.gaps.length).toBeGreaterThan(0);
    const res = await request(t.app).post(`/api/plans/${created.body.id}/repair`).set(auth(planner)).send({ snap_m: 1 });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ valid: true, overlaps: [], gaps: [] });
  });

  it('answers 400 when no repair is chosen', async () => {
    const created = await request(t.app).post('/api/plans').set(auth(planner)).send(await redrawPair(pairs[8]));
    expect(created.status, created.text).toBe(201);
    const res = await request(t.app).post(`/api/plans/${created.body.id}/repair`).set(auth(planner)).send({});
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/make_valid/);
  });
});

describe('POST /api/plans/{id}/publish', () => {
  it('publishes atomically: closes old versions, opens new ones, moves exactly the assets and open incidents impact listed', async () => {
    const pair = pairs[2];
    const { knex } = t.db;
    // An open and a closed incident at the same point in the first grid, far enough from its edges to move with the east half.
    const { rows: pts } = await knex.raw(
      `select ST_X(p) as lon, ST_Y(p) as lat, :a as grid from (
         select (ST_Dump(ST_GeneratePoints(geom, 40, 7))).geom as p, geom from areas where code = :a and valid_to is null) s
        order by ST_X(p) desc limit 1`,
      { a: pair[0] },
    );
    const pt = pts[0];
    const office = (await knex('areas').where({ level: 1 }).whereNull('valid_to').first('code')).code;
    const ids: number[] = [];
    for (const status of ['open', 'closed']) {
      const [row] = await knex('incidents')
        .insert({
          office_code: office, case_no: `PLAN-T-${status}-${Date.now()}`, category_code: '0101', source: 'patrol', status, level: 'grid',
          grid_code: pair[0], community_code: null, geom: knex.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)', [pt.lon, pt.lat]),
        })
        .returning('id');
      ids.push(row.id);
    }
    const created = await request(t.app).post('/api/plans').set(auth(planner)).send(await redrawPair(pair));
    expect(created.body.report.valid).toBe(true);
    const id = created.body.id;

    const impact = await request(t.app).get(`/api/plans/${id}/impact`).set(auth(planner));
    expect(impact.status).toBe(200);
    expect(impact.body.changed_grids).toEqual([...pair].sort());
    const before = await knex('assets').whereIn('grid_code', pair).select('id', 'grid_code');

    const res = await request(t.app).post(`/api/plans/${id}/publish`).set(auth(planner));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'published', closed_versions: 2, opened_versions: 2 });
    expect(res.body.moved.assets).toBe(impact.body.assets.total);
    expect(res.body.moved.incidents).toBe(impact.body.incidents.total);

    // Exactly the listed assets changed grid, each with a logged move.
    const after = new Map((await knex('assets').whereIn('id', before.map((a) => a.id)).select('id', 'grid_code')).map((a) => [a.id, a.grid_code]));
    const changed = before.filter((a) => after.get(a.id) !== a.grid_code).map((a) => a.id).sort((x, y) => x - y);
    expect(changed).toEqual(impact.body.assets.items.map((i: { id: number }) => i.id).sort((x: number, y: number) => x - y));
    const logged = await knex('asset_events').where({ plan_id: id, action: 'regrid' }).pluck('asset_id');
    expect(logged.sort((x: number, y: number) => x - y)).toEqual(changed);

    // Versions: the old ones closed, the new ones in force from the same instant, tied to the plan.
    const versions = await knex('areas').whereIn('code', pair).orderBy(['code', 'valid_from']).select('code', 'valid_from', 'valid_to', 'plan_id');
    expect(versions).toHaveLength(4);
    expect(versions[0].valid_to).toEqual(versions[1].valid_from);
    expect(versions[1]).toMatchObject({ valid_to: null, plan_id: id });
    // Every asset of the two grids lies in its grid in force.
    const { rows: wrong } = await knex.raw(
      `select count(*) as n from assets a join areas g on g.code = a.grid_code and g.valid_to is null
        where a.id = any(:ids) and not ST_Intersects(g.geom, a.geom)`,
      { ids: before.map((a) => a.id) },
    );
    expect(wrong[0].n).toBe(0);
    // Incidents: the closed one keeps its grid; the open one follows the redraw, with a history entry if it moved.
    const inc = await knex('incidents').whereIn('id', ids).orderBy('id').select('id', 'grid_code', 'status');
    expect(inc[1].grid_code).toBe(pair[0]);
    const moved = impact.body.incidents.items.some((i: { id: number }) => i.id === ids[0]);
    const events = await knex('incident_events').where({ incident_id: ids[0], action: 'rerouted' });
    expect(events).toHaveLength(moved ? 1 : 0);
    // The community was recomputed as the union of its grids.
    const community = await knex('areas').where({ level: 2, code: (await knex('areas').where({ code: pair[0] }).first('parent_code')).parent_code }).orderBy('valid_from');
    expect(community.length).toBeGreaterThanOrEqual(2);
    expect(community[community.length - 1]).toMatchObject({ valid_to: null, plan_id: id });
  });

  it('answers 409 stale to the second of two plans over the same grids, and applies nothing of it', async () => {
    const pair = pairs[3];
    const first = await request(t.app).post('/api/plans').set(auth(planner)).send(await redrawPair(pair));
    const fc = await redrawPair(pair);
    fc.features.reverse();
    const second = await request(t.app).post('/api/plans').set(auth(planner)).send(fc);
    expect((await request(t.app).post(`/api/plans/${first.body.id}/publish`).set(auth(planner))).status).toBe(200);
    const inForce = await t.db.knex('areas').whereNull('valid_to').orderBy('id').pluck('id');
    const res = await request(t.app).post(`/api/plans/${second.body.id}/publish`).set(auth(planner));
    expect(res.status).toBe(409);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.stale).toBe(true);
    expect(await t.db.knex('areas').whereNull('valid_to').orderBy('id').pluck('id')).toEqual(inForce);
    expect((await t.db.knex('plans').where({ id: second.body.id }).first('status')).status).toBe('draft');
  });

  it('answers 409 with the report for an invalid plan', async () => {
    const fc = await redrawPair(pairs[4]);
    fc.features.pop();
    const created = await request(t.app).post('/api/plans').set(auth(planner)).send(fc);
    expect(created.body.report.valid).toBe(false);
    const res = await request(t.app).post(`/api/plans/${created.body.id}/publish`).set(auth(planner));
    expect(res.status).toBe(409);
    expect(res.body.report.gaps.length).toBeGreaterThan(0);
  });

  it('leaves nothing changed when it fails half way (after the new versions, while re-routing)', async () => {
    const pair = pairs[5];
    const { knex } = t.db;
    const created = await request(t.app).post('/api/plans').set(auth(planner)).send(await redrawPair(pair));
    const impact = await request(t.app).get(`/api/plans/${created.body.id}/impact`).set(auth(planner));
    expect(impact.body.assets.total).toBeGreaterThan(0);
    const inForce = await knex('areas').whereNull('valid_to').orderBy('id').pluck('id');
    const grids = await knex('assets').whereIn('grid_code', pair).orderBy('id').select('id', 'grid_code', 'area_version_id');
    // Fail the step that logs asset moves, which runs after areas and assets have been rewritten.
    await knex.raw(`create function fail_asset_event() returns trigger language plpgsql as $$ begin raise exception 'injected failure'; end $$`);
    await knex.raw(`create trigger fail_asset_event before insert on asset_events for each row execute function fail_asset_event()`);
    try {
      const res = await request(t.app).post(`/api/plans/${created.body.id}/publish`).set(auth(planner));
      expect(res.status, res.text).toBe(500);
    } finally {
      await knex.raw('drop trigger fail_asset_event on asset_events');
      await knex.raw('drop function fail_asset_event()');
    }
    expect(await knex('areas').whereNull('valid_to').orderBy('id').pluck('id')).toEqual(inForce);
    expect(await knex('assets').whereIn('id', grids.map((g) => g.id)).orderBy('id').select('id', 'grid_code', 'area_version_id')).toEqual(grids);
    expect((await knex('plans').where({ id: created.body.id }).first('status')).status).toBe('draft');
    // And the same plan publishes once the fault is gone.
    expect((await request(t.app).post(`/api/plans/${created.body.id}/publish`).set(auth(planner))).status).toBe(200);
  });
});
