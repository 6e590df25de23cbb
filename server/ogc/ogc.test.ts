import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/app.js';
import { collectionSchema, collectionsSchema, conformanceSchema, itemsSchema, landingSchema } from './schema.js';

const t = useTestApp();

/** Grids in force, counted in the database. */
async function gridCount(): Promise<number> {
  const { rows } = await t.db.knex.raw('select count(*)::int as n from areas where level = 3 and valid_to is null');
  return rows[0].n;
}

/** Path and query of an absolute link, to follow it through supertest. */
const local = (href: string) => {
  const u = new URL(href);
  return u.pathname + u.search;
};

describe('OGC API – Features resources', () => {
  it('answers the landing page with links to the API definition, conformance and collections', async () => {
    const res = await request(t.app).get('/ogc');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = landingSchema.parse(res.body);
    const rels = body.links.map((l) => l.rel);
    expect(rels).toEqual(expect.arrayContaining(['self', 'alternate', 'service-desc', 'conformance', 'data']));
    for (const l of body.links) expect(l.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ogc/);
  });

  it('declares the core, GeoJSON and HTML conformance classes', async () => {
    const res = await request(t.app).get('/ogc/conformance');
    expect(res.status).toBe(200);
    expect(conformanceSchema.parse(res.body).conformsTo).toEqual(
      expect.arrayContaining([
        'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
        'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
        'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html',
      ]),
    );
  });

  it('lists the five collections with CRS84 extents', async () => {
    const res = await request(t.app).get('/ogc/collections');
    expect(res.status).toBe(200);
    const body = collectionsSchema.parse(res.body);
    expect(body.collections.map((c) => c.id)).toEqual(['offices', 'communities', 'grids', 'assets', 'incidents']);
    const grids = body.collections.find((c) => c.id === 'grids')!;
    expect(grids.crs).toEqual(['http://www.opengis.net/def/crs/OGC/1.3/CRS84']);
    const [minx, miny, maxx, maxy] = grids.extent.spatial.bbox[0];
    expect(minx).toBeGreaterThan(123);
    expect(maxx).toBeLessThan(124);
    expect(miny).toBeGreaterThan(41);
    expect(maxy).toBeLessThan(42);
  });

  it('describes one collection with links to its items', async () => {
    const res = await request(t.app).get('/ogc/collections/grids');
    expect(res.status).toBe(200);
    const body = collectionSchema.parse(res.body);
    expect(body.links.filter((l) => l.rel === 'items').map((l) => l.type)).toEqual(['application/geo+json', 'text/html']);
  });

  it('answers 404 for an unknown collection, naming the collections', async () => {
    const res = await request(t.app).get('/ogc/collections/residents/items');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toContain('offices, communities, grids, assets, incidents');
  });

  it('serves its OpenAPI document at /ogc/api, covering only the OGC paths', async () => {
    const res = await request(t.app).get('/ogc/api');
    expect(res.status).toBe(200);
    const doc = JSON.parse(res.text);
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/ogc', '/ogc/collections/{collectionId}/items']));
    for (const p of Object.keys(doc.paths)) expect(p.startsWith('/ogc')).toBe(true);
  });
});

describe('GET /ogc/collections/{id}/items', () => {
  it('answers the first 100 features as GeoJSON with counts and links', async () => {
    const res = await request(t.app).get('/ogc/collections/assets/items');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/geo\+json/);
    const body = itemsSchema.parse(JSON.parse(res.text));
    const { rows } = await t.db.knex.raw('select count(*)::int as n from assets');
    expect(body.numberReturned).toBe(100);
    expect(body.features).toHaveLength(100);
    expect(body.numberMatched).toBe(rows[0].n);
    expect(body.links.map((l) => l.rel)).toEqual(expect.arrayContaining(['self', 'alternate', 'next']));
    expect(body.links.map((l) => l.rel)).not.toContain('prev');
  });

  it('reaches every grid by following next links, without repeats, and offers prev links', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/ogc/collections/grids/items?limit=25';
    let pages = 0;
    while (url) {
      const res = await request(t.app).get(url);
      expect(res.status).toBe(200);
      const body = JSON.parse(res.text);
      seen.push(...body.features.map((f: { id: string }) => f.id));
      if (pages > 0) expect(body.links.some((l: { rel: string }) => l.rel === 'prev')).toBe(true);
      const next = body.links.find((l: { rel: string }) => l.rel === 'next');
      url = next ? local(next.href) : undefined;
      pages++;
    }
    const n = await gridCount();
    expect(seen).toHaveLength(n);
    expect(new Set(seen).size).toBe(n);
    expect(pages).toBe(Math.ceil(n / 25));
  });

  it('filters by bbox', async () => {
    const { rows } = await t.db.knex.raw(
      `select count(*)::int as n from assets where ST_Intersects(geom, ST_MakeEnvelope(123.40, 41.78, 123.45, 41.82, 4326))`,
    );
    const body = JSON.parse((await request(t.app).get('/ogc/collections/assets/items?bbox=123.40,41.78,123.45,41.82&limit=10000')).text);
    expect(body.numberMatched).toBe(rows[0].n);
    expect(body.numberReturned).toBe(rows[0].n);
    for (const f of body.features) {
      const [x, y] = f.geometry.coordinates;
      expect(x).toBeGreaterThanOrEqual(123.4);
      expect(x).toBeLessThanOrEqual(123.45);
      expect(y).toBeGreaterThanOrEqual(41.78);
      expect(y).toBeLessThanOrEqual(41.82);
    }
  });

  it('answers the area versions in force at a datetime, and none before the first', async () => {
    const now = JSON.parse((await request(t.app).get(`/ogc/collections/grids/items?datetime=${new Date().toISOString()}&limit=1000`)).text);
    expect(now.numberMatched).toBe(await gridCount());
    const before = JSON.parse((await request(t.app).get('/ogc/collections/grids/items?datetime=2000-01-01T00:00:00Z')).text);
    expect(before.numberMatched).toBe(0);
    expect(before.features).toEqual([]);
  });

  it('answers one feature by id, and 404 for an unknown one', async () => {
    const page = JSON.parse((await request(t.app).get('/ogc/collections/grids/items?limit=1')).text);
    const id = page.features[0].id;
    const res = await request(t.app).get(`/ogc/collections/grids/items/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/geo\+json/);
    const f = JSON.parse(res.text);
    expect(f).toMatchObject({ type: 'Feature', id, properties: { code: id }, geometry: { type: 'MultiPolygon' } });
    expect(f.links.map((l: { rel: string }) => l.rel)).toEqual(expect.arrayContaining(['self', 'collection']));
    const missing = await request(t.app).get('/ogc/collections/assets/items/999999999');
    expect(missing.status).toBe(404);
    expect((await request(t.app).get('/ogc/collections/assets/items/abc')).status).toBe(404);
  });

  it('answers HTML by Accept header and by f=html', async () => {
    const byAccept = await request(t.app).get('/ogc/collections/grids/items?limit=5').set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
    expect(byAccept.status).toBe(200);
    expect(byAccept.headers['content-type']).toMatch(/^text\/html/);
    expect(byAccept.text).toContain('<table>');
    const byF = await request(t.app).get('/ogc/collections?f=html');
    expect(byF.headers['content-type']).toMatch(/^text\/html/);
    expect(byF.text).toContain('Grids');
  });

  it.each([
    ['limit=0', /limit must be from 1 to 10000/],
    ['limit=10001', /limit must be from 1 to 10000/],
    ['limit=ten', /limit must be a whole number/],
    ['offset=-1', /offset must be a whole number/],
    ['bbox=1,2,3', /4 numbers/],
    ['datetime=tomorrow', /RFC 3339/],
    ['datetime=2026-02-01T00:00:00Z/2026-01-01T00:00:00Z', /starts after it ends/],
    ['f=xml', /f must be json or html/],
    ['colour=red', /colour/],
  ])('refuses %s with 400 and a detail that names it', async (query, detail) => {
    const res = await request(t.app).get(`/ogc/collections/assets/items?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(detail);
  });
});
