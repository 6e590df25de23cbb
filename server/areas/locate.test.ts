import gcoordModule from 'gcoord';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/connect.js';
import { openTestDb, testApp } from '../../test/app.js';

const gcoord = ((gcoordModule as unknown as { default?: unknown }).default ?? gcoordModule) as typeof gcoordModule.default;

let db: Db;
let app: ReturnType<typeof testApp>;
/** A point well inside the first grid, and that grid's code. */
let inside: { lon: number; lat: number; code: string };

beforeAll(async () => {
  db = await openTestDb();
  app = testApp(db);
  const { rows } = await db.knex.raw(`
    select code, ST_X(p) as lon, ST_Y(p) as lat
      from (select code, ST_PointOnSurface(ST_Buffer(geom::geography, -60)::geometry) as p
              from areas where level = 3 and valid_to is null order by code limit 1) t`);
  inside = rows[0];
});
afterAll(async () => {
  await db.close();
});

describe('GET /api/locate', () => {
  it('answers the grid, community, office and public chief contact of a point', async () => {
    const res = await request(app).get(`/api/locate?lon=${inside.lon}&lat=${inside.lat}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.grid.code).toBe(inside.code);
    expect(res.body.community.code).toBe(inside.code.slice(0, 12));
    expect(res.body.office.code).toBe(inside.code.slice(0, 9));
    expect(res.body.chief).toMatchObject({ name: expect.any(String), phone: expect.stringMatching(/^\d{11}$/) });
    expect(res.body.point).toEqual([inside.lon, inside.lat]);
  });

  it('converts GCJ-02 and BD-09 points to WGS84 before routing', async () => {
    const [gx, gy] = gcoord.transform([inside.lon, inside.lat], gcoord.WGS84, gcoord.GCJ02) as number[];
    const [bx, by] = gcoord.transform([inside.lon, inside.lat], gcoord.WGS84, gcoord.BD09) as number[];
    // The offset is hundreds of metres here: the raw GCJ-02 point must not be taken as WGS84.
    expect(Math.hypot(gx - inside.lon, gy - inside.lat)).toBeGreaterThan(0.003);
    for (const [x, y, crs] of [[gx, gy, 'gcj02'], [bx, by, 'BD09']] as const) {
      const res = await request(app).get(`/api/locate?lon=${x}&lat=${y}&crs=${crs}`);
      expect(res.status).toBe(200);
      expect(res.body.grid.code).toBe(inside.code);
      expect(res.body.point[0]).toBeCloseTo(inside.lon, 5);
      expect(res.body.point[1]).toBeCloseTo(inside.lat, 5);
    }
  });

  it('answers 404 problem for a point outside every grid, suggesting the coordinate system', async () => {
    const res = await request(app).get('/api/locate?lon=116.397&lat=39.909');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/outside every grid/);
    expect(res.body.detail).toMatch(/gcj02/);
  });

  const BAD: Array<[string, RegExp]> = [
    ['', /lon is required/],
    ['lat=41.8', /lon is required/],
    ['lon=123.4', /lat is required/],
    ['lon=&lat=41.8', /lon/],
    ['lon=abc&lat=41.8', /lon must be a number/],
    ['lon=123.4&lat=north', /lat must be a number/],
    ['lon=Infinity&lat=41.8', /lon must be a number/],
    ['lon=NaN&lat=41.8', /lon must be a number/],
    ['lon=0x10&lat=41.8', /lon must be a number/],
    ['lon=200&lat=41.8', /lon 200 is out of range/],
    ['lon=123.4&lat=91', /lat 91 is out of range/],
    ['lon=41.8&lat=123.4', /swapped/],
    ['lon=13742000&lat=5120000', /projected/],
    ['lon=123.4&lat=41.8&crs=epsg3857', /crs/],
    ['lon=123.4&lon=123.5&lat=41.8', /lon/],
  ];
  it.each(BAD)('refuses "%s" with 400 problem+json naming the fix', async (query, detail) => {
    const res = await request(app).get(`/api/locate?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, title: 'Bad request' });
    expect(res.body.detail).toMatch(detail);
  });
});
