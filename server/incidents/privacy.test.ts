import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { loginAs, useTestApp } from '../../test/app.js';
import { decode, features, tileOf } from '../tiles/test_helpers.js';
import { act, jpeg, pointIn, tempDataDir } from './test_helpers.js';

/*
 * What a resident leaves with a case stays with the case: its check code, the phones of those who joined
 * it and the comment of their rating are in none of the public layers (Open311, OGC API Features, the
 * exports, the vector tiles), though the case itself is.
 */

const GRID = '210103007001001';
const t = useTestApp({ dataDir: tempDataDir() });
const SUPPORTER_PHONE = '13912340001';
const COMMENT = 'Took them ages, but fine now';
let c: { id: number; case_no: string; check_code: string; lon: number; lat: number };

/** A body as text, whatever its type (an MVT's strings are UTF-8 inside the protobuf). */
function text(res: request.Response, cb: (err: Error | null, body: string) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (b: Buffer) => chunks.push(b));
  res.on('end', () => cb(null, Buffer.concat(chunks).toString('utf8')));
}
const get = (url: string) => request(t.app).get(url).buffer(true).parse(text);

/** The secrets of the case as patterns: the check code as a word of its own (a code of digits could be part of a longer number). */
const secrets = () => [new RegExp(`(?<![0-9A-Za-z])${c.check_code}(?![0-9A-Za-z])`), new RegExp(SUPPORTER_PHONE), new RegExp(COMMENT)];

beforeAll(async () => {
  const chief = await loginAs(t.app, 'chief01');
  const p = await pointIn(t.db, GRID, 60);
  const made = await request(t.app).post('/api/public/incidents').send({ category: '0104', description: 'Graffiti on the wall', lon: p.lon, lat: p.lat });
  expect(made.status).toBe(201);
  c = { id: made.body.id, case_no: made.body.case_no, check_code: made.body.check_code, ...p };
  expect((await request(t.app).post(`/api/public/incidents/${c.case_no}/supporters`).send({ contact_phone: SUPPORTER_PHONE })).status).toBe(201);
  expect((await act(t.app, chief, c.id, { action: 'handle', note: 'Painted over' }, [await jpeg()])).status).toBe(200);
  expect((await act(t.app, chief, c.id, { action: 'confirm' })).status).toBe(200);
  expect((await request(t.app).post(`/api/public/incidents/${c.case_no}/rating`).send({ k: c.check_code, rating: 'satisfied', comment: COMMENT })).status).toBe(201);
  t.tiles.invalidate(['incidents']);
});

describe('the public layers', () => {
  const around = () => `${c.lon - 0.001},${c.lat - 0.001},${c.lon + 0.001},${c.lat + 0.001}`;
  const urls = () => [
    [`/open311/v2/requests.json?service_request_id=${c.id}`, String(c.id)],
    [`/open311/v2/requests/${c.id}.json`, String(c.id)],
    [`/ogc/collections/incidents/items?bbox=${around()}`, c.case_no],
    [`/ogc/collections/incidents/items?bbox=${around()}&f=html`, c.case_no],
    [`/ogc/collections/incidents/items/${c.case_no}`, c.case_no],
    [`/export/incidents.geojson?bbox=${around()}&status=closed`, c.case_no],
    [`/export/incidents.geojsonseq?bbox=${around()}&status=closed`, c.case_no],
    [`/export/incidents.csv?bbox=${around()}&status=closed`, c.case_no],
  ];

  it('show the case, but never its check code, a supporter’s phone or the rating’s comment', async () => {
    for (const [url, shows] of urls()) {
      const res = await get(url);
      expect(res.status, url).toBe(200);
      expect(res.body, url).toContain(shows);
      for (const secret of secrets()) expect(res.body, `${url} shows ${secret}`).not.toMatch(secret);
    }
  });

  it('nor do the vector tiles', async () => {
    const { z, x, y } = tileOf(c.lon, c.lat, 16);
    const res = await request(t.app).get(`/tiles/incidents/${z}/${x}/${y}.mvt?status=closed`).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (b: Buffer) => chunks.push(b));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    const body = res.body as Buffer;
    expect(features(decode(body).layers.incidents).map((f) => f.id)).toContain(c.id);
    for (const secret of secrets()) expect(body.toString('utf8')).not.toMatch(secret);
  });

  it('and the public track view shows the comment to nobody, the phone to nobody, the code only as given', async () => {
    const res = await get(`/api/public/incidents/${c.case_no}?k=${c.check_code}`);
    expect(res.status).toBe(200);
    expect(res.body).not.toContain(SUPPORTER_PHONE);
    expect(res.body).not.toContain(COMMENT);
    expect((await get(`/api/public/incidents/${c.case_no}`)).body).not.toMatch(secrets()[0]);
  });
});
