import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBoundary } from '../areas/boundary.js';
import { loginAs } from '../../test/app.js';
import { useOwnDatabaseApp } from './test_support.js';

/**
 * The must-show case: the real Shenhe District boundary (invalid as published) cut into a lattice of
 * grids by this test, with a sliver gap, an overlap and a self-intersection put in on purpose. The
 * report finds each where it is, with PostGIS's geodesic areas; repair fixes them; publish moves
 * exactly what the impact said.
 */
const SHENHE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data/source/shenhe-district.geojson');
const t = useOwnDatabaseApp();
const COLS = 10;
const ROWS = 8;
/** Degrees of longitude per metre at Shenyang's latitude, and of latitude. */
const LON_M = 1 / (111_320 * Math.cos((41.8 * Math.PI) / 180));
const LAT_M = 1 / 110_950;

interface Cell {
  i: number;
  j: number;
  code: string;
  parent: string;
  interior: boolean;
  env: [number, number, number, number];
  geometry: { type: string; coordinates: unknown };
}

let planner: string;
let cells: Cell[];
const at = (i: number, j: number) => cells.find((c) => c.i === i && c.j === j);
let gapCell: Cell, gapEast: Cell, overCell: Cell, overEast: Cell, badCell: Cell;
let expected: { gap_m2: number; overlap_m2: number; cross: [number, number] };
let planId: number;
let publishedAt: string;

const auth = () => ({ Authorization: `Bearer ${planner}` });
const ring = ([w, s, e, n]: number[]) => [[w, s], [e, s], [e, n], [w, n], [w, s]];

beforeAll(async () => {
  planner = await loginAs(t.app, 'planner');
  const { knex } = t.db;
  const source = JSON.parse(fs.readFileSync(SHENHE, 'utf8')).features[0].geometry;
  const boundary = await importBoundary(knex, source);
  expect(boundary.report.valid).toBe(false);
  const box = (await knex.raw(`select ST_XMin(g) as w, ST_YMin(g) as s, ST_XMax(g) as e, ST_YMax(g) as n from (select ST_GeomFromGeoJSON(:g) as g) x`, { g: JSON.stringify(boundary.geometry) })).rows[0];
  const [w, s, e, n] = [box.w, box.s, box.e, box.n].map(Number);
  const envs: { i: number; j: number; env: [number, number, number, number] }[] = [];
  for (let i = 0; i < COLS; i++) {
    for (let j = 0; j < ROWS; j++) {
      const x0 = w + ((e - w) * i) / COLS;
      const x1 = i === COLS - 1 ? e : w + ((e - w) * (i + 1)) / COLS;
      const y1 = n - ((n - s) * j) / ROWS;
      const y0 = j === ROWS - 1 ? s : n - ((n - s) * (j + 1)) / ROWS;
      envs.push({ i, j, env: [x0, y0, x1, y1] });
    }
  }
  const { rows } = await knex.raw(
    `with b as (select ST_SetSRID(ST_GeomFromGeoJSON(:b), 4326) as g),
          c as (select (e->>'i')::int as i, (e->>'j')::int as j, e->'env' as env,
                        ST_MakeEnvelope((e->'env'->>0)::float8, (e->'env'->>1)::float8, (e->'env'->>2)::float8, (e->'env'->>3)::float8, 4326) as box
                  from json_array_elements(:envs::json) e),
          cut as (select c.i, c.j, c.env, c.box, ST_CollectionExtract(ST_Intersection(b.g, c.box), 3) as g from c, b)
     select i, j, env, ST_CoveredBy(box, (select g from b)) as interior, ST_AsGeoJSON(g, 15)::json as geometry,
            (select a.code from areas a where a.level = 2 and a.valid_to is null and a.geom && cut.g
              order by ST_Area(ST_Intersection(a.geom, ST_PointOnSurface(cut.g))) desc, ST_Distance(a.geom, ST_PointOnSurface(cut.g)), a.code limit 1) as parent
       from cut
      where not ST_IsEmpty(g) and ST_Area(g::geography) > 1
      order by i, j`,
    { b: JSON.stringify(boundary.geometry), envs: JSON.stringify(envs) },
  );
  cells = rows.map((r: Omit<Cell, 'code'>) => ({ ...r, code: `210103007P${String(r.i).padStart(2, '0')}${String(r.j).padStart(2, '0')}` }));

  // Pick interior cells: one with an interior east neighbour for the gap, another for the overlap, one with an interior south neighbour for the bow tie.
  const interior = cells.filter((c) => c.interior);
  const used = new Set<string>();
  const pick = (ok: (c: Cell) => Cell | undefined): [Cell, Cell] => {
    for (const c of interior) {
      const other = ok(c);
      if (other?.interior && ![c.code, other.code].some((x) => used.has(x))) {
        for (const x of [c, other, ...[-1, 1].flatMap((d) => [at(c.i + d, c.j), at(c.i, c.j + d)]).filter((x): x is Cell => !!x)]) used.add(x.code);
        return [c, other];
      }
    }
    throw new Error('no interior pair');
  };
  [gapCell, gapEast] = pick((c) => at(c.i + 1, c.j));
  [overCell, overEast] = pick((c) => at(c.i + 1, c.j));
  [badCell] = pick((c) => at(c.i, c.j + 1));

  // 1. Sliver gap: cut a 2 m strip off the east side of gapCell.
  const [gw, gs, ge, gn] = gapCell.env;
  gapCell.geometry = { type: 'Polygon', coordinates: [ring([gw, gs, ge - 2 * LON_M, gn])] };
  // 2. Overlap: push overCell 30 m into its east neighbour.
  const [ow, os, oe, on] = overCell.env;
  overCell.geometry = { type: 'Polygon', coordinates: [ring([ow, os, oe + 30 * LON_M, on])] };
  // 3. Self-intersection: a bow tie of 10 m hanging under the middle of badCell's south edge.
  const [bw, bs, be, bn] = badCell.env;
  const xm = (bw + be) / 2;
  const dx = 10 * LON_M;
  const dy = 10 * LAT_M;
  badCell.geometry = { type: 'Polygon', coordinates: [[[bw, bs], [xm, bs], [xm + dx, bs - dy], [xm, bs - dy], [xm + dx, bs], [be, bs], [be, bn], [bw, bn], [bw, bs]]] };

  const exp = await knex.raw(
    `select ST_Area(ST_MakeEnvelope(:gx0, :gs, :gx1, :gn, 4326)::geography) as gap_m2,
            ST_Area(ST_MakeEnvelope(:ox0, :os, :ox1, :on, 4326)::geography) as overlap_m2`,
    { gx0: ge - 2 * LON_M, gx1: ge, gs, gn, ox0: oe, ox1: oe + 30 * LON_M, os, on },
  );
  expected = { gap_m2: Number(exp.rows[0].gap_m2), overlap_m2: Number(exp.rows[0].overlap_m2), cross: [xm + dx / 2, bs - dy / 2] };
});

const collection = () => ({
  type: 'FeatureCollection',
  features: cells.map((c) => ({ type: 'Feature', properties: { code: c.code, name: `沈河网格 ${c.i}-${c.j}`, parent_code: c.parent }, geometry: c.geometry })),
});

describe('a plan redrawing the whole Shenhe office', () => {
  it('reports the self-intersection, the overlap and the sliver gap, each where it is, with geodesic areas within 1%', async () => {
    const res = await request(t.app).post('/api/plans').set(auth()).send(collection());
    expect(res.status).toBe(201);
    planId = res.body.id;
    const r = res.body.report;
    expect(r.valid).toBe(false);
    expect(r.replaces).toHaveLength(91);

    expect(r.invalid).toHaveLength(1);
    expect(r.invalid[0].code).toBe(badCell.code);
    expect(r.invalid[0].reason).toMatch(/Self-intersection/);
    expect(Math.abs(r.invalid[0].location[0] - expected.cross[0])).toBeLessThan(1e-6);
    expect(Math.abs(r.invalid[0].location[1] - expected.cross[1])).toBeLessThan(1e-6);

    const overlap = r.overlaps.find((o: { a: string; b: string }) => o.a === overCell.code && o.b === overEast.code);
    expect(Math.abs(overlap.area_m2 - expected.overlap_m2) / expected.overlap_m2).toBeLessThan(0.01);
    expect(overlap.location[0]).toBeGreaterThan(overCell.env[2]);
    expect(overlap.location[0]).toBeLessThan(overCell.env[2] + 30 * LON_M);

    const gap = r.gaps.find((g: { location: number[] }) => g.location[0] > gapCell.env[2] - 2 * LON_M && g.location[0] < gapCell.env[2] + 1e-9);
    expect(Math.abs(gap.area_m2 - expected.gap_m2) / expected.gap_m2).toBeLessThan(0.01);
    expect(r.slivers.some((s: { kind: string; location: number[] }) => s.kind === 'gap' && s.location[0] === gap.location[0])).toBe(true);
    expect(r.slivers.some((s: { kind: string; a: string }) => s.kind === 'overlap' && s.a === overCell.code)).toBe(true);
  });

  it('repair makes the plan valid', async () => {
    const res = await request(t.app).post(`/api/plans/${planId}/repair`).set(auth()).send({ make_valid: true, overlaps_max_m2: 100_000, gaps_max_m2: 100_000 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ invalid: [], overlaps: [], gaps: [], outside_parent: [], valid: true });
    expect(res.body.slivers.every((s: { kind: string; noise: boolean }) => s.kind === 'overlap' && s.noise)).toBe(true);
  });

  it('publish moves exactly the assets and open incidents the impact listed, and the old boundaries stay queryable', async () => {
    const { knex } = t.db;
    const office = '210103007';
    const { rows: pts } = await knex.raw(
      `select ST_X(p) as lon, ST_Y(p) as lat, g.code from areas g, ST_PointOnSurface(g.geom) p where g.level = 3 and g.valid_to is null order by g.code limit 5`,
    );
    const incidents: number[] = [];
    for (const [k, p] of pts.entries()) {
      const [row] = await knex('incidents')
        .insert({ office_code: office, case_no: `SHENHE-${Date.now()}-${k}`, category_code: '0101', source: 'patrol', status: k === 0 ? 'closed' : 'open', level: 'grid', grid_code: p.code, geom: knex.raw('ST_SetSRID(ST_MakePoint(?, ?), 4326)', [p.lon, p.lat]) })
        .returning('id');
      incidents.push(row.id);
    }
    const impact = (await request(t.app).get(`/api/plans/${planId}/impact`).set(auth())).body;
    expect(impact.valid).toBe(true);
    expect(impact.retired_grids).toHaveLength(91);
    expect(impact.assets.total).toBe(Number((await knex('assets').count({ n: '*' }))[0].n));
    expect(impact.incidents.items.map((i: { id: number }) => i.id).sort()).toEqual(incidents.slice(1).sort());

    const before = new Date(Date.now() - 1000).toISOString();
    const res = await request(t.app).post(`/api/plans/${planId}/publish`).set(auth());
    expect(res.status).toBe(200);
    publishedAt = new Date().toISOString();
    expect(res.body.moved).toMatchObject({ assets: impact.assets.total, incidents: impact.incidents.total });

    const moved = new Map<number, string>((await knex('assets').select('id', 'grid_code')).map((a) => [a.id, a.grid_code]));
    for (const item of impact.assets.items.slice(0, 500)) expect(moved.get(item.id)).toBe(item.to_grid);
    const closed = await knex('incidents').where({ id: incidents[0] }).first('grid_code');
    expect(closed.grid_code).toBe(pts[0].code);
    const { rows: outside } = await knex.raw(`select count(*) as n from assets a join areas g on g.code = a.grid_code and g.valid_to is null where not ST_Intersects(g.geom, a.geom)`);
    expect(outside[0].n).toBe(0);

    const old = await request(t.app).get(`/api/areas?level=grid&at=${before}`);
    expect(old.body.features).toHaveLength(91);
    const now = await request(t.app).get('/api/areas?level=grid');
    expect(now.body.features).toHaveLength(cells.length);
    const history = await request(t.app).get(`/api/areas/${office}/history`);
    expect(history.body.length).toBeGreaterThanOrEqual(2);
    expect(publishedAt > before).toBe(true);
  });
});
