import { gunzipSync } from 'node:zlib';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { testApp, useTestApp } from '../../test/app.js';
import { decode, features, tileOf } from './test_helpers.js';
import { tileBounds } from './tile_math.js';

const ctx = useTestApp();

/** Collect a binary body (supertest buffers only text by default). */
function binary(res: request.Response, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}

async function getTile(path: string, headers: Record<string, string> = {}) {
  return request(ctx.app).get(path).set(headers).buffer(true).parse(binary);
}


let centre: [number, number];
let asset: { id: number; code: string; category_code: string; lon: number; lat: number };

beforeAll(async () => {
  const { rows } = await ctx.db.knex.raw(`select ST_X(c) as lon, ST_Y(c) as lat from (select ST_Centroid(geom) c from areas where level = 1 and valid_to is null) x`);
  centre = [rows[0].lon, rows[0].lat];
  const a = await ctx.db.knex.raw(`select id, code, category_code, ST_X(geom) as lon, ST_Y(geom) as lat from assets order by id limit 1`);
  asset = a.rows[0];
});

describe('GET /tiles/map-config.json', () => {
  it('answers no basemap by default: the map needs nothing from outside', async () => {
    const res = await request(ctx.app).get('/tiles/map-config.json');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(res.body).toEqual({ basemap: null });
  });

  it('answers the basemap BASEMAP_URL configures', async () => {
    const basemap = parseConfig({ BASEMAP_URL: 'https://tiles.example.gov.cn/{z}/{x}/{y}.png', BASEMAP_ATTRIBUTION: '© 沈阳市测绘院' }, []).basemap;
    const res = await request(testApp(ctx.db, { basemap })).get('/tiles/map-config.json');
    expect(res.body).toEqual({ basemap: { tiles: ['https://tiles.example.gov.cn/{z}/{x}/{y}.png'], tile_size: 256, attribution: '© 沈阳市测绘院' } });
  });

  it('refuses to start with a basemap URL that is not a tile template', () => {
    for (const url of ['tiles.example.gov.cn/{z}/{x}/{y}.png', 'https://tiles.example.gov.cn/tile.png', 'file:///{z}/{x}/{y}.png']) {
      expect(() => parseConfig({ BASEMAP_URL: url }, []), url).toThrow(/BASEMAP_URL must be an http\(s\) raster tile URL template/);
    }
  });
});

describe('GET /tiles/{layer}.json', () => {
  it('answers TileJSON 3.0.0 with bounds around the office and the layer fields', async () => {
    const res = await request(ctx.app).get('/tiles/grids.json');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(res.body.tilejson).toBe('3.0.0');
    expect(res.body.tiles[0]).toMatch(/\/tiles\/grids\/\{z\}\/\{x\}\/\{y\}\.mvt$/);
    const [w, s, e, n] = res.body.bounds;
    expect(w).toBeLessThan(centre[0]);
    expect(e).toBeGreaterThan(centre[0]);
    expect(s).toBeLessThan(centre[1]);
    expect(n).toBeGreaterThan(centre[1]);
    expect(res.body.vector_layers.map((l: { id: string }) => l.id)).toEqual(['grids', 'grids_label']);
    expect(res.body.vector_layers[0].fields).toHaveProperty('code');
  });

  it('keeps point filters in the tile URL', async () => {
    const res = await request(ctx.app).get('/tiles/incidents.json?status=open');
    expect(res.status).toBe(200);
    expect(res.body.tiles[0]).toMatch(/incidents\/\{z\}\/\{x\}\/\{y\}\.mvt\?status=open$/);
  });

  it('answers 404 naming the layers for an unknown layer', async () => {
    const res = await request(ctx.app).get('/tiles/roads.json');
    expect(res.status).toBe(404);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.detail).toMatch(/grids/);
  });
});

describe('GET /tiles/grids/{z}/{x}/{y}.mvt', () => {
  it('serves the grids of a tile with their codes and one label point inside each', async () => {
    const t = tileOf(centre[0], centre[1], 13);
    const res = await getTile(`/tiles/grids/${t.z}/${t.x}/${t.y}.mvt`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.mapbox-vector-tile');
    const vt = decode(res.body);
    const [w, s, e, n] = tileBounds(t);
    const { rows } = await ctx.db.knex.raw(
      `select code, ST_X(ST_PointOnSurface(geom)) as lon, ST_Y(ST_PointOnSurface(geom)) as lat from areas
        where level = 3 and valid_to is null and ST_Intersects(geom, ST_MakeEnvelope(?, ?, ?, ?, 4326)) order by code`,
      [w, s, e, n],
    );
    const polys = features(vt.layers.grids);
    expect(polys.map((f) => f.properties.code).sort()).toEqual(rows.map((r: { code: string }) => r.code));
    expect(polys.every((f) => f.type === 3 && f.properties.level === 'grid' && typeof f.properties.name === 'string')).toBe(true);
    const labels = features(vt.layers.grids_label);
    for (const f of labels) {
      const geo = f.toGeoJSON(t.x, t.y, t.z);
      const want = rows.find((r: { code: string }) => r.code === f.properties.code);
      expect(geo.geometry.type).toBe('Point');
      const [lon, lat] = (geo.geometry as { coordinates: number[] }).coordinates;
      expect(Math.abs(lon - want.lon)).toBeLessThan(1e-3);
      expect(Math.abs(lat - want.lat)).toBeLessThan(1e-3);
    }
  });

  it('answers 204 for a tile with nothing in it', async () => {
    const res = await getTile('/tiles/grids/10/0/0.mvt');
    expect(res.status).toBe(204);
  });

  it('answers 400 for a tile outside the pyramid', async () => {
    const res = await request(ctx.app).get('/tiles/grids/3/8/1.mvt');
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.detail).toMatch(/between 0 and 7/);
  });

  it('answers 400 for a zoom beyond the layer\'s maxzoom (16: maps over-zoom) or a non-numeric coordinate', async () => {
    for (const z of [17, 22, 23]) {
      const over = await request(ctx.app).get(`/tiles/grids/${z}/0/0.mvt`);
      expect(over.status, `z${z}`).toBe(400);
      expect(over.body).toMatchObject({ code: 'zoom_out_of_range', params: { z, max_zoom: 16 } });
    }
    expect((await request(ctx.app).get('/tiles/grids/16/0/0.mvt')).status).toBe(204);
    const res = await request(ctx.app).get('/tiles/grids/3/a/1.mvt');
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/x must be a non-negative integer/);
  });

  it('gzips when asked and answers 304 to a matching If-None-Match', async () => {
    const t = tileOf(centre[0], centre[1], 12);
    const path = `/tiles/grids/${t.z}/${t.x}/${t.y}.mvt`;
    const zipped = await getTile(path, { 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    const plain = await getTile(path, { 'accept-encoding': 'identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    // superagent may already have inflated the body; either way it must be the same tile.
    const inflated = zipped.body[0] === 0x1f && zipped.body[1] === 0x8b ? gunzipSync(zipped.body) : zipped.body;
    expect(inflated.equals(plain.body)).toBe(true);
    expect(Number(zipped.headers['content-length'] ?? 0)).not.toBe(plain.body.length);
    expect(plain.headers.etag).toBeTruthy();
    expect(plain.headers['cache-control']).toMatch(/max-age/);
    const again = await getTile(path, { 'if-none-match': plain.headers.etag });
    expect(again.status).toBe(304);
  });
});

describe('GET /tiles/assets/{z}/{x}/{y}.mvt', () => {
  it('serves every asset of a high-zoom tile at its position with its category', async () => {
    const t = tileOf(asset.lon, asset.lat, 16);
    const res = await getTile(`/tiles/assets/${t.z}/${t.x}/${t.y}.mvt`);
    expect(res.status).toBe(200);
    const fs = features(decode(res.body).layers.assets);
    const [w, s, e, n] = tileBounds(t, 64 / 4096);
    const { rows } = await ctx.db.knex.raw(`select id from assets where geom && ST_MakeEnvelope(?, ?, ?, ?, 4326) order by id`, [w, s, e, n]);
    expect(fs.map((f) => f.id).sort((a, b) => a! - b!)).toEqual(rows.map((r: { id: number }) => r.id));
    const mine = fs.find((f) => f.id === asset.id)!;
    expect(mine.properties).toEqual({ category_code: asset.category_code, status: expect.any(String) });
    const [lon, lat] = (mine.toGeoJSON(t.x, t.y, t.z).geometry as { coordinates: number[] }).coordinates;
    expect(Math.abs(lon - asset.lon)).toBeLessThan(1e-5);
    expect(Math.abs(lat - asset.lat)).toBeLessThan(1e-5);
  });

  it('clusters a low-zoom tile with counts that add up to the assets in it', async () => {
    const t = tileOf(centre[0], centre[1], 11);
    const res = await getTile(`/tiles/assets/${t.z}/${t.x}/${t.y}.mvt`);
    expect(res.status).toBe(200);
    expect(res.body.length).toBeLessThan(256 * 1024);
    const fs = features(decode(res.body).layers.assets);
    expect(fs.every((f) => f.properties.cluster === true && Number(f.properties.count) >= 1)).toBe(true);
    const [w, s, e, n] = tileBounds(t);
    const { rows } = await ctx.db.knex.raw(`select count(*)::int as n from assets where geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)`, [w, s, e, n]);
    expect(fs.reduce((sum, f) => sum + Number(f.properties.count), 0)).toBe(rows[0].n);
  });

  it('filters by category', async () => {
    const t = tileOf(centre[0], centre[1], 11);
    const res = await getTile(`/tiles/assets/${t.z}/${t.x}/${t.y}.mvt?category=${asset.category_code}`);
    const fs = features(decode(res.body).layers.assets);
    expect(fs.every((f) => f.properties.category_code === asset.category_code)).toBe(true);
  });

  it('refuses an unknown status with a 400 that lists the statuses', async () => {
    const res = await request(ctx.app).get('/tiles/assets/14/0/0.mvt?status=broken');
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/damaged/);
  });
});

describe('GET /tiles/incidents/{z}/{x}/{y}.mvt', () => {
  async function insertIncident(status: string, due: string) {
    const { rows } = await ctx.db.knex.raw(
      `insert into incidents (office_code, case_no, category_code, description, source, status, level, grid_code, reporter_contact, geom, due_at)
       select '210103', 'T' || floor(random() * 1e9)::text, (select code from incident_categories order by code limit 1),
              'call Mr Wang on 13800000000', 'resident', ?, 'grid', 'g', '{"name":"王先生","phone":"13800000000"}',
              ST_SetSRID(ST_MakePoint(?, ?), 4326), now() + ?::interval
       returning id`,
      [status, asset.lon + 0.0001, asset.lat + 0.0001, due],
    );
    return rows[0].id as number;
  }

  it('shows a new incident after invalidation, with status and overdue and no personal data', async () => {
    const t = tileOf(asset.lon + 0.0001, asset.lat + 0.0001, 15);
    const path = `/tiles/incidents/${t.z}/${t.x}/${t.y}.mvt`;
    await getTile(path);
    const id = await insertIncident('open', '-1 hour');
    ctx.tiles.invalidate(['incidents'], [asset.lon, asset.lat, asset.lon + 0.001, asset.lat + 0.001]);
    const res = await getTile(path);
    expect(res.status).toBe(200);
    const f = features(decode(res.body).layers.incidents).find((x) => x.id === id)!;
    expect(f.properties).toMatchObject({ status: 'open', level: 'grid', overdue: true });
    expect(Object.keys(f.properties).sort()).toEqual(['age_hours', 'category_code', 'grid_code', 'level', 'overdue', 'status']);
    expect(res.body.toString('utf8')).not.toMatch(/13800000000|Wang|王/);
  });

  it('leaves closed incidents out unless asked for', async () => {
    const id = await insertIncident('closed', '1 hour');
    const t = tileOf(asset.lon + 0.0001, asset.lat + 0.0001, 15);
    ctx.tiles.invalidate(['incidents']);
    const dflt = await getTile(`/tiles/incidents/${t.z}/${t.x}/${t.y}.mvt`);
    const ids = dflt.status === 200 ? features(decode(dflt.body).layers.incidents).map((f) => f.id) : [];
    expect(ids).not.toContain(id);
    const closed = await getTile(`/tiles/incidents/${t.z}/${t.x}/${t.y}.mvt?status=closed`);
    expect(features(decode(closed.body).layers.incidents).map((f) => f.id)).toContain(id);
  });
});
