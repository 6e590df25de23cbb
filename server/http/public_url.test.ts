import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { testApp, useTestApp } from '../../test/app.js';

const t = useTestApp();
const PUBLIC = 'https://wg.example.gov.cn/app';

/** Every href of a list of links. */
const hrefs = (links: { href: string }[]) => links.map((l) => l.href);

/** The absolute URLs of the OGC resources and the TileJSON a client gets from an app, asked with these headers. */
async function absoluteUrls(app: ReturnType<typeof testApp>, headers: Record<string, string>) {
  const get = (url: string) => request(app).get(url).set(headers);
  const landing = await get('/ogc');
  const collections = await get('/ogc/collections');
  const collection = await get('/ogc/collections/grids');
  const items = await get('/ogc/collections/grids/items?limit=1');
  const item = await get(`/ogc/collections/grids/items/${items.body.features[0].id}`);
  const tileJson = await get('/tiles/grids.json');
  for (const res of [landing, collections, collection, items, item, tileJson]) expect(res.status, res.text).toBe(200);
  return {
    responses: { landing, collections, collection, items, item, tileJson },
    urls: [
      ...hrefs(landing.body.links),
      ...hrefs(collections.body.links),
      ...collections.body.collections.flatMap((c: { links: { href: string }[] }) => hrefs(c.links)),
      ...hrefs(collection.body.links),
      ...hrefs(items.body.links),
      ...hrefs(item.body.links),
      ...tileJson.body.tiles,
    ] as string[],
  };
}

describe('absolute URLs with PUBLIC_URL set', () => {
  it('are all on PUBLIC_URL, whatever Host and X-Forwarded-* the client sends', async () => {
    const app = testApp(t.db, { publicUrl: PUBLIC });
    const { urls, responses } = await absoluteUrls(app, { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'http' });
    expect(urls.length).toBeGreaterThan(20);
    for (const url of urls) expect(url.startsWith(`${PUBLIC}/`), url).toBe(true);
    expect(urls.join(' ')).not.toContain('evil.example');
    expect(responses.items.body.links.find((l: { rel: string }) => l.rel === 'next').href).toMatch(new RegExp(`^${PUBLIC}/ogc/collections/grids/items\\?`));
    expect(responses.tileJson.body.tiles).toEqual([`${PUBLIC}/tiles/grids/{z}/{x}/{y}.mvt`]);
    // The answer does not depend on Host, so it is not marked as if it did.
    expect(responses.tileJson.headers.vary ?? '').not.toMatch(/\bHost\b/i);
  });

  it('are on PUBLIC_URL in the OGC HTML pages too', async () => {
    const res = await request(testApp(t.db, { publicUrl: PUBLIC })).get('/ogc?f=html').set('Host', 'evil.example');
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/html');
    expect(res.text).not.toContain('evil.example');
    expect(res.text).toContain(`${PUBLIC}/ogc/collections`);
  });
});

describe('absolute URLs without PUBLIC_URL', () => {
  it('are on the host the client used, and the answers say they vary with it (Vary: Host)', async () => {
    const { urls, responses } = await absoluteUrls(t.app, { Host: 'wg.local:8080' });
    for (const url of urls) expect(url.startsWith('http://wg.local:8080/'), url).toBe(true);
    for (const [name, res] of Object.entries(responses)) {
      const vary = (res.headers.vary ?? '').split(',').map((v: string) => v.trim().toLowerCase());
      expect(vary, name).toEqual(expect.arrayContaining(['host', 'x-forwarded-host', 'x-forwarded-proto']));
    }
    expect(responses.tileJson.headers['cache-control']).toBe('public, max-age=60');
  });
});
