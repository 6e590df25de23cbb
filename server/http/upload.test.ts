import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { handleErrors } from './problem.js';
import { upload, uploadedFiles, type UploadOptions } from './upload.js';

/** An app with one upload route that answers what it received, and the problem middleware. */
function appWith(opts: Partial<UploadOptions> = {}) {
  const app = express();
  app.use(express.json());
  const accept = upload({ field: 'photos', noun: 'photo', types: 'JPEG or PNG', maxBytes: 1024, maxFiles: 2, maxFields: 3, maxFieldBytes: 100, ...opts });
  app.post('/up', accept, (req, res) => {
    res.json({ files: uploadedFiles(req).map((f) => [f.originalname, f.size]), body: { ...req.body } });
  });
  app.use(handleErrors(pino({ level: 'silent' })));
  return app;
}

describe('upload', () => {
  it('accepts files within the limits, in the order sent, with the text fields', async () => {
    const res = await request(appWith())
      .post('/up')
      .field('note', 'hello')
      .attach('photos', Buffer.alloc(1024, 1), 'a.jpg')
      .attach('photos', Buffer.alloc(10, 1), 'b.jpg');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ files: [['a.jpg', 1024], ['b.jpg', 10]], body: { note: 'hello' } });
  });

  it('answers 413 naming the size limit for a file over it', async () => {
    const res = await request(appWith({ maxBytes: 2 * 1024 * 1024 })).post('/up').attach('photos', Buffer.alloc(2 * 1024 * 1024 + 1, 1), 'big.jpg');
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/A photo is larger than 2 MB, the limit; send a smaller one/);
  });

  it('says the fix the route gives for a file over the limit', async () => {
    const res = await request(appWith({ maxFiles: 1, noun: 'file', tooLargeFix: 'split it' })).post('/up').attach('photos', Buffer.alloc(1025, 1), 'big.csv');
    expect(res.status).toBe(413);
    expect(res.body.detail).toMatch(/A file is larger than 1 KB, the limit; split it/);
  });

  it('answers 400 naming the count and the field for more files than the limit', async () => {
    const res = await request(appWith())
      .post('/up')
      .attach('photos', Buffer.alloc(1), 'a.jpg')
      .attach('photos', Buffer.alloc(1), 'b.jpg')
      .attach('photos', Buffer.alloc(1), 'c.jpg');
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/Send at most 2 photos \(JPEG or PNG\) in the form field "photos"; this form has more/);
  });

  it('answers 400 naming both fields for a file in another field', async () => {
    const res = await request(appWith()).post('/up').attach('picture', Buffer.alloc(1), 'a.jpg');
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/in the form field "photos"; this form has a file in "picture"/);
  });

  it('answers 413 naming the limit for a text field over it', async () => {
    const res = await request(appWith()).post('/up').field('note', 'x'.repeat(101));
    expect(res.status).toBe(413);
    expect(res.body.detail).toMatch(/The form field "note" is longer than 100 bytes, the limit; shorten it/);
  });

  it('answers 400 naming the limit for more text fields than it', async () => {
    const res = await request(appWith()).post('/up').field('a', '1').field('b', '2').field('c', '3').field('d', '4');
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/more than 3 text fields, the limit/);
  });

  it('answers 400 for a form cut short, saying to check it was complete', async () => {
    const res = await request(appWith())
      .post('/up')
      .set('Content-Type', 'multipart/form-data; boundary=XYZ')
      .send('--XYZ\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n\r\nabc');
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/could not be read.*the upload was complete/);
  });

  it('lets a request that is not multipart through to the next body parser', async () => {
    const res = await request(appWith()).post('/up').send({ note: 'json' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ files: [], body: { note: 'json' } });
  });

  it('answers 400 for a request that is not multipart when the route requires it', async () => {
    const res = await request(appWith({ required: true, maxFiles: 1, noun: 'file', types: '.csv or .xlsx', field: 'file' })).post('/up').send({ note: 'json' });
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe('Send the request as multipart/form-data, with one file (.csv or .xlsx) in the form field "file".');
  });
});
