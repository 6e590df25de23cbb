import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_HASHED, CACHE_REVALIDATE, cacheControlFor, serveWebApp } from './web_static.js';

/** A built app's folder as the build leaves it: each file with its .br and .gz beside it. */
function fixture(): { dir: string; files: Record<string, Buffer> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridwork-web-'));
  const files: Record<string, Buffer> = {
    'index.html': Buffer.from(`<!doctype html><title>网格通</title>${'<p>shell</p>'.repeat(200)}`),
    'sw.js': Buffer.from(`self.addEventListener('fetch', () => {});${'//'.repeat(600)}`),
    'manifest.webmanifest': Buffer.from(JSON.stringify({ name: 'Gridwork 网格化管理', pad: 'x'.repeat(2000) })),
    'assets/index-AbC_d-12.js': Buffer.from(`export const page = ${JSON.stringify('报'.repeat(3000))};`),
    'assets/index-Zz09Yy87.css': Buffer.from(`body{color:#123}`.repeat(300)),
  };
  for (const [name, bytes] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    fs.writeFileSync(`${file}.br`, zlib.brotliCompressSync(bytes));
    fs.writeFileSync(`${file}.gz`, zlib.gzipSync(bytes));
  }
  // A file the build left uncompressed (too small to gain): served as it is.
  files['assets/tiny-Qq11Ww22.svg'] = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>');
  fs.writeFileSync(path.join(dir, 'assets/tiny-Qq11Ww22.svg'), files['assets/tiny-Qq11Ww22.svg']);
  return { dir, files };
}

/** GET a path over plain HTTP and answer the status, headers and the bytes as sent (not decoded). */
function rawGet(base: string, urlPath: string, acceptEncoding?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${urlPath}`, { headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

describe('serving the built web app', () => {
  let web: { dir: string; files: Record<string, Buffer> };
  let app: express.Express;
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    web = fixture();
    app = express();
    app.use(serveWebApp(web.dir));
    server = await new Promise<http.Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    fs.rmSync(web.dir, { recursive: true, force: true });
  });

  it('sends the brotli copy of a hashed asset to a browser that accepts br, cached for a year, and it decompresses to the file', async () => {
    const res = await rawGet(base, '/assets/index-AbC_d-12.js', 'gzip, deflate, br, zstd');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    expect(res.headers['cache-control']).toBe(CACHE_HASHED);
    expect(res.bytes.length).toBeLessThan(web.files['assets/index-AbC_d-12.js'].length);
    expect(zlib.brotliDecompressSync(res.bytes).equals(web.files['assets/index-AbC_d-12.js'])).toBe(true);
  });

  it('sends the gzip copy to a client that accepts only gzip', async () => {
    const res = await rawGet(base, '/assets/index-Zz09Yy87.css', 'gzip');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-type']).toMatch(/^text\/css/);
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(zlib.gunzipSync(res.bytes).equals(web.files['assets/index-Zz09Yy87.css'])).toBe(true);
  });

  it('sends the file itself to a client that accepts no encoding', async () => {
    const res = await rawGet(base, '/assets/index-AbC_d-12.js');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(res.bytes.equals(web.files['assets/index-AbC_d-12.js'])).toBe(true);
  });

  it('answers / with index.html, compressed, revalidated on every visit', async () => {
    const res = await rawGet(base, '/', 'br');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/i);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['cache-control']).toBe(CACHE_REVALIDATE);
    expect(zlib.brotliDecompressSync(res.bytes).equals(web.files['index.html'])).toBe(true);
  });

  it('revalidates the service worker and the web app manifest, and types the manifest', async () => {
    const sw = await request(app).get('/sw.js').set('accept-encoding', 'gzip');
    expect(sw.status).toBe(200);
    expect(sw.headers['cache-control']).toBe(CACHE_REVALIDATE);
    expect(sw.headers['content-type']).toMatch(/javascript/);
    expect(sw.text).toBe(web.files['sw.js'].toString());
    const manifest = await request(app).get('/manifest.webmanifest').set('accept-encoding', 'br');
    expect(manifest.headers['content-type']).toMatch(/^application\/manifest\+json/);
    expect(manifest.headers['cache-control']).toBe(CACHE_REVALIDATE);
    expect(manifest.headers['content-encoding']).toBe('br');
  });

  it('answers 304 to a revalidation of an unchanged index.html', async () => {
    const first = await request(app).get('/index.html').set('accept-encoding', 'br');
    const again = await request(app).get('/index.html').set('accept-encoding', 'br').set('if-none-match', first.headers.etag);
    expect(again.status).toBe(304);
  });

  it('serves a file that has no compressed copy as it is', async () => {
    const res = await rawGet(base, '/assets/tiny-Qq11Ww22.svg', 'br, gzip');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['cache-control']).toBe(CACHE_HASHED);
    expect(res.bytes.equals(web.files['assets/tiny-Qq11Ww22.svg'])).toBe(true);
  });

  it('passes an unknown path on (the app answers it, e.g. 404 problem)', async () => {
    const res = await request(app).get('/assets/missing-00000000.js');
    expect(res.status).toBe(404);
  });
});

describe('cacheControlFor', () => {
  it('caches only names the build hashed, under assets/', () => {
    expect(cacheControlFor('assets/maplibre-gl-worker-CZtFQQIV.mjs')).toBe(CACHE_HASHED);
    expect(cacheControlFor('assets/index-DPcOKuIg.js')).toBe(CACHE_HASHED);
    expect(cacheControlFor('index.html')).toBe(CACHE_REVALIDATE);
    expect(cacheControlFor('sw.js')).toBe(CACHE_REVALIDATE);
    expect(cacheControlFor('icons/icon-192.png')).toBe(CACHE_REVALIDATE);
    expect(cacheControlFor('assets/unhashed.js')).toBe(CACHE_REVALIDATE);
  });
});
