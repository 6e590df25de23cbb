import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { UnsupportedMedia } from '../http/errors.js';
import { PHOTO_MAX_SIDE, processPhoto, THUMB_SIDE } from './process.js';
import { DiskPhotoStorage } from './storage.js';

const image = (format: 'png' | 'webp' | 'jpeg', width = 800, height = 600) =>
  sharp({ create: { width, height, channels: 3, background: '#48c' } })[format]().toBuffer();

describe('processPhoto', () => {
  it('keeps PNG and WebP as they are and makes a WebP thumbnail no larger than the thumbnail side', async () => {
    for (const format of ['png', 'webp'] as const) {
      const p = await processPhoto(await image(format));
      expect(p.mediaType).toBe(`image/${format}`);
      expect([p.width, p.height]).toEqual([800, 600]);
      const thumb = await sharp(p.thumb).metadata();
      expect(thumb.format).toBe('webp');
      expect(Math.max(thumb.width!, thumb.height!)).toBe(THUMB_SIDE);
    }
  });

  it('turns a photo upright by its EXIF orientation', async () => {
    const rotated = await sharp({ create: { width: 60, height: 20, channels: 3, background: '#000' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const p = await processPhoto(rotated);
    expect([p.width, p.height]).toEqual([20, 60]);
    expect((await sharp(p.image).metadata()).orientation).toBeUndefined();
  });

  it('judges the type by the bytes, not the name: text, PDF and GIF are refused', async () => {
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).gif().toBuffer();
    for (const bytes of [Buffer.from('hello, I am a photo'), Buffer.from('%PDF-1.4\n%âãÏÓ\n'), gif]) {
      await expect(processPhoto(bytes, 'photo.jpg')).rejects.toThrow(UnsupportedMedia);
    }
    await expect(processPhoto(gif, 'photo.jpg')).rejects.toThrow(/really image\/gif/);
  });

  it('decodes an iPhone-style HEIC photo (HEVC) and keeps it as JPEG', async () => {
    // 64×48, red on the left half and green on the right, encoded by libheif's heif-enc.
    const heic = fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'red-green-64x48.heic'));
    const p = await processPhoto(heic, 'IMG_0001.HEIC');
    expect(p.mediaType).toBe('image/jpeg');
    expect([p.width, p.height]).toEqual([64, 48]);
    const { data, info } = await sharp(p.image).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    const [r1, g1] = at(8, 24);
    const [r2, g2] = at(56, 24);
    expect(r1).toBeGreaterThan(200);
    expect(g1).toBeLessThan(60);
    expect(r2).toBeLessThan(60);
    expect(g2).toBeGreaterThan(90);
    expect((await sharp(p.thumb).metadata()).format).toBe('webp');
  });

  it('decodes HEIC photos sent at once one after the other, a 49-megapixel one (30 KB) among them, and goes on after it', async () => {
    // 7000×7000 grey, heif-enc -q 50 (x265): a photo bomb just under PHOTO_MAX_PIXELS. Its decoding thread is ended after it,
    // giving back the WebAssembly memory it grew to, and the next photo starts another.
    const bomb = fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'gray-7000x7000.heic'));
    const small = fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'red-green-64x48.heic'));
    const [big, after] = await Promise.all([processPhoto(bomb, 'IMG_0002.HEIC'), processPhoto(small, 'IMG_0003.HEIC')]);
    expect([big.width, big.height]).toEqual([PHOTO_MAX_SIDE, PHOTO_MAX_SIDE]);
    expect([after.width, after.height]).toEqual([64, 48]);
  });

  it('refuses a HEIC file that does not decode, saying so', async () => {
    const broken = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic'), Buffer.alloc(4), Buffer.from('mif1heic'), Buffer.alloc(64)]);
    await expect(processPhoto(broken, 'IMG_0001.HEIC')).rejects.toThrow(/IMG_0001.HEIC looks like image\/heic but could not be decoded/);
  });

  it('refuses a truncated JPEG with a message to send it again', async () => {
    const jpeg = await image('jpeg');
    await expect(processPhoto(jpeg.subarray(0, 200), 'cut.jpg')).rejects.toThrow(/could not be decoded/);
  });
});

describe('DiskPhotoStorage', () => {
  it('puts, gets and deletes by key, and refuses keys that climb out of its folder', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gridwork-photos-'));
    const store = new DiskPhotoStorage(root);
    await store.put('incidents/1/1.jpg', Buffer.from('abc'));
    expect((await store.get('incidents/1/1.jpg'))?.toString()).toBe('abc');
    expect(await store.get('incidents/1/2.jpg')).toBeUndefined();
    await store.delete('incidents/1/1.jpg');
    expect(await store.get('incidents/1/1.jpg')).toBeUndefined();
    await expect(store.put('../escape.jpg', Buffer.from('x'))).rejects.toThrow(/invalid photo key/);
    await expect(store.get('/etc/passwd')).rejects.toThrow(/invalid photo key/);
  });
});
