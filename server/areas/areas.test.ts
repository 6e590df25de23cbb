import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/app.js';
import { DEMO_DIR } from '../demo/load.js';

const t = useTestApp();

describe('GET /api/areas', () => {
  it('answers the 91 grids of the demo office as GeoJSON with their chiefs', async () => {
    const res = await request(t.app).get('/api/areas?level=grid');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/geo\+json/);
    const body = JSON.parse(res.text);
    expect(body.type).toBe('FeatureCollection');
    expect(body.features).toHaveLength(91);
    for (const f of body.features) {
      expect(f.id).toBe(f.properties.code);
      expect(f.properties.level).toBe('grid');
      expect(f.properties.parent_code).toMatch(/^\d+$/);
      expect(f.properties.chief).toMatchObject({ name: expect.any(String), phone: expect.stringMatching(/^\d{11}$/) });
      expect(f.geometry.type).toBe('MultiPolygon');
    }
    const codes = body.features.map((f: { id: string }) => f.id);
    expect([...codes].sort()).toEqual(codes);
  });

  it('answers one office and 8 to 12 communities, each community the parent of its grids', async () => {
    const office = JSON.parse((await request(t.app).get('/api/areas?level=office')).text);
    expect(office.features).toHaveLength(1);
    expect(office.features[0].properties.parent_code).toBeNull();
    const communities = JSON.parse((await request(t.app).get('/api/areas?level=community')).text).features;
    expect(communities.length).toBeGreaterThanOrEqual(8);
    expect(communities.length).toBeLessThanOrEqual(12);
    for (const c of communities) {
      expect(c.properties.parent_code).toBe(office.features[0].id);
      expect(c.id.startsWith(office.features[0].id)).toBe(true);
    }
    const grids = JSON.parse((await request(t.app).get(`/api/areas?parent=${communities[0].id}`)).text).features;
    expect(grids.length).toBeGreaterThan(0);
    for (const g of grids) expect(g.id.startsWith(communities[0].id)).toBe(true);
  });

  it('writes outer rings counter-clockwise with at most 7 decimals (RFC 7946)', async () => {
    const body = JSON.parse((await request(t.app).get('/api/areas?level=grid')).text);
    for (const f of body.features.slice(0, 10)) {
      for (const polygon of f.geometry.coordinates) {
        const ring: number[][] = polygon[0];
        let twiceArea = 0;
        for (let i = 0; i < ring.length - 1; i++) twiceArea += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
        expect(twiceArea).toBeGreaterThan(0);
        for (const [x, y] of ring) {
          expect(Math.round(x * 1e7) / 1e7).toBe(x);
          expect(Math.round(y * 1e7) / 1e7).toBe(y);
        }
      }
    }
  });

  it('answers the boundaries in force at a past instant, and none before the first version', async () => {
    const now = JSON.parse((await request(t.app).get('/api/areas?level=grid&at=2026-06-01T00:00:00Z')).text);
    expect(now.features).toHaveLength(91);
    const before = JSON.parse((await request(t.app).get('/api/areas?level=grid&at=2020-01-01')).text);
    expect(before.features).toHaveLength(0);
  });

  it('refuses a bad level or instant with a problem that names the parameter', async () => {
    for (const q of ['level=district', 'at=yesterday', 'at=2026-13-45']) {
      const res = await request(t.app).get(`/api/areas?${q}`);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.detail).toContain(q.split('=')[0]);
    }
  });
});

describe('GET /api/areas/{code}', () => {
  it('answers one grid as a Feature, and its history', async () => {
    const first = JSON.parse((await request(t.app).get('/api/areas?level=grid')).text).features[0];
    const res = await request(t.app).get(`/api/areas/${first.id}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ type: 'Feature', id: first.id, properties: { level: 'grid' } });
    const history = await request(t.app).get(`/api/areas/${first.id}/history`);
    expect(history.status).toBe(200);
    expect(history.body).toHaveLength(1);
    expect(history.body[0]).toMatchObject({ code: first.id, valid_to: null, level: 'grid' });
    expect(history.body[0].area_m2).toBeGreaterThan(10_000);
  });

  it('answers 404 problem for an unknown code', async () => {
    for (const path of ['/api/areas/999999', '/api/areas/999999/history']) {
      const res = await request(t.app).get(path);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.detail).toContain('999999');
    }
  });
});

describe('the demo grids tile the office', () => {
  it('the union of the grids equals the office, to within a square metre', async () => {
    const { rows } = await t.db.knex.raw(`
      with o as (select geom from areas where level = 1 and valid_to is null),
           u as (select ST_Union(geom) as geom from areas where level = 3 and valid_to is null)
      select ST_Area(ST_SymDifference(o.geom, u.geom)::geography) as diff_m2, ST_Area(o.geom::geography) as office_m2
        from o, u`);
    expect(rows).toHaveLength(1);
    expect(rows[0].office_m2).toBeGreaterThan(50e6);
    expect(rows[0].diff_m2).toBeLessThan(1);
  });

  it('no two grids overlap by more than a square metre in total', async () => {
    const { rows } = await t.db.knex.raw(`
      select count(*)::int as pairs, coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0) as overlap_m2
        from areas a join areas b on a.id < b.id and ST_Intersects(a.geom, b.geom)
       where a.level = 3 and b.level = 3 and a.valid_to is null and b.valid_to is null`);
    expect(rows).toHaveLength(1);
    expect(rows[0].pairs).toBeGreaterThan(91);
    expect(rows[0].overlap_m2).toBeLessThan(1);
  });

  it('every community is the union of its grids', async () => {
    const { rows } = await t.db.knex.raw(`
      select c.code, ST_Area(ST_SymDifference(c.geom, ST_Union(g.geom))::geography) as diff_m2
        from areas c join areas g on g.parent_code = c.code and g.valid_to is null
       where c.level = 2 and c.valid_to is null
       group by c.code, c.geom`);
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const r of rows) expect(r.diff_m2).toBeLessThan(1);
  });

  it('every demo asset lies in a grid', async () => {
    // Only the demo's own assets: on native PostGIS other test files write into the same tables meanwhile.
    const demo = JSON.parse(fs.readFileSync(path.join(DEMO_DIR, 'assets.geojson'), 'utf8')).features as { properties: { code: string; category_code: string } }[];
    const codes = demo.map((f) => f.properties.code);
    const { rows } = await t.db.knex.raw(
      `select count(*)::int as n, count(grid_code)::int as routed, count(*) filter (where category_code = '0312')::int as boards
         from assets where office_code = ? and code = any(?)`,
      ['210103007', codes],
    );
    expect(rows[0].n).toBe(codes.length);
    expect(rows[0].routed).toBe(codes.length);
    expect(rows[0].boards).toBe(197);
  });
});
