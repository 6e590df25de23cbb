import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import type { Db } from '../db/connect.js';
import type { testApp } from '../../test/app.js';

/** The app type of the test helpers. */
export type App = ReturnType<typeof testApp>;

/** A fresh directory for this test file's photos. */
export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gridwork-incidents-'));
}

/** A random point at least `inset` metres inside a grid in force (a different one each call). */
export async function pointIn(db: Db, code: string, inset = 40): Promise<{ lon: number; lat: number }> {
  const { rows } = await db.knex.raw(
    `select ST_X(p) as lon, ST_Y(p) as lat from (
       select (ST_Dump(ST_GeneratePoints(ST_Buffer(geom::geography, 0 - ?::float8)::geometry, 1, ?::integer))).geom as p
         from areas where code = ? and valid_to is null) t`,
    [inset, Math.floor(Math.random() * 1e6) + 1, code],
  );
  if (!rows.length) throw new Error(`no point inside ${code}`);
  return { lon: Number(rows[0].lon), lat: Number(rows[0].lat) };
}

/** Two grids in force that share an edge, and a vertex they share exactly. */
export async function sharedVertex(db: Db, skip = 0): Promise<{ a: string; b: string; lon: number; lat: number }> {
  const { rows } = await db.knex.raw(
    `select a.code as a, b.code as b, ST_X(v.geom) as lon, ST_Y(v.geom) as lat
       from areas a join areas b on a.code < b.code and ST_Touches(a.geom, b.geom)
        and a.level = 3 and b.level = 3 and a.valid_to is null and b.valid_to is null
        and a.code like '210103007%' and b.code like '210103007%',
       lateral (select (ST_DumpPoints(a.geom)).geom) v
      where ST_Intersects(v.geom, b.geom)
        and not exists (select 1 from areas c where c.level = 3 and c.valid_to is null and c.code not in (a.code, b.code) and ST_DWithin(c.geom, v.geom, 0.0005))
      order by a.code, b.code
      offset ? limit 1`,
    [skip],
  );
  if (!rows.length) throw new Error('no shared vertex between two grids');
  return { a: rows[0].a, b: rows[0].b, lon: Number(rows[0].lon), lat: Number(rows[0].lat) };
}

/** A small JPEG, optionally with an EXIF orientation and GPS position. */
export async function jpeg(opts: { width?: number; height?: number; orientation?: number; gps?: { lon: number; lat: number } } = {}): Promise<Buffer> {
  let img = sharp({ create: { width: opts.width ?? 64, height: opts.height ?? 32, channels: 3, background: '#3a7' } }).jpeg();
  if (opts.orientation) img = img.withMetadata({ orientation: opts.orientation });
  if (opts.gps) {
    img = img.withExif({
      IFD0: { Make: 'Gridwork test' },
      IFD3: {
        GPSLatitudeRef: opts.gps.lat >= 0 ? 'N' : 'S',
        GPSLatitude: dms(Math.abs(opts.gps.lat)),
        GPSLongitudeRef: opts.gps.lon >= 0 ? 'E' : 'W',
        GPSLongitude: dms(Math.abs(opts.gps.lon)),
      },
    });
  }
  return img.toBuffer();
}

/** Degrees as EXIF rational degrees, minutes, seconds. */
function dms(deg: number): string {
  const d = Math.floor(deg);
  const m = Math.floor((deg - d) * 60);
  const s = Math.round(((deg - d) * 60 - m) * 60 * 1e6);
  return `${d}/1 ${m}/1 ${s}/1000000`;
}

/** Report an incident as a logged-in user (JSON). */
export function report(app: App, token: string, body: Record<string, unknown>) {
  return request(app).post('/api/incidents').set('Authorization', `Bearer ${token}`).send(body);
}

/** Take a workflow step: JSON, or with photos a multipart form of the same fields. */
export function act(app: App, token: string, id: number, body: Record<string, unknown>, photos: Buffer[] = []) {
  const req = request(app).post(`/api/incidents/${id}/actions`).set('Authorization', `Bearer ${token}`);
  if (!photos.length) return req.send(body);
  for (const [k, v] of Object.entries(body)) req.field(k, String(v));
  photos.forEach((p, i) => req.attach('photos', p, { filename: `step-${i + 1}.jpg`, contentType: 'image/jpeg' }));
  return req;
}
