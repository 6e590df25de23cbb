import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fitWithin, gpsPosition, jpegName, keepOriginal, readGps } from './shrink.js';

describe('fitWithin', () => {
  it('fits a 12-megapixel landscape photo to 2048 on its long side, keeping its proportions', () => {
    expect(fitWithin(4000, 3000, 2048)).toEqual({ width: 2048, height: 1536 });
  });

  it('fits a portrait photo by its height', () => {
    expect(fitWithin(3024, 4032, 2048)).toEqual({ width: 1536, height: 2048 });
  });

  it('never enlarges a photo that is small enough already', () => {
    expect(fitWithin(1600, 1200, 2048)).toEqual({ width: 1600, height: 1200 });
    expect(fitWithin(2048, 100, 2048)).toEqual({ width: 2048, height: 100 });
  });

  it('keeps at least one pixel on the short side of a panorama', () => {
    expect(fitWithin(100_000, 10, 2048)).toEqual({ width: 2048, height: 1 });
  });
});

describe('jpegName', () => {
  it('gives the photo a .jpg extension in place of its own', () => {
    expect(jpegName('IMG_0042.HEIC')).toBe('IMG_0042.jpg');
    expect(jpegName('路灯.png')).toBe('路灯.jpg');
    expect(jpegName('a.b.jpeg')).toBe('a.b.jpg');
  });

  it('names a photo without a name', () => {
    expect(jpegName('')).toBe('photo.jpg');
    expect(jpegName('.jpg')).toBe('photo.jpg');
  });
});

describe('gpsPosition', () => {
  it('answers [lon, lat]', () => {
    expect(gpsPosition({ latitude: 41.79, longitude: 123.43 })).toEqual([123.43, 41.79]);
  });

  it('drops a missing, 0,0 or out-of-range position', () => {
    expect(gpsPosition(undefined)).toBeUndefined();
    expect(gpsPosition({ latitude: 0, longitude: 0 })).toBeUndefined();
    expect(gpsPosition({ latitude: 91, longitude: 10 })).toBeUndefined();
    expect(gpsPosition({ latitude: Number.NaN, longitude: 10 })).toBeUndefined();
    expect(gpsPosition({ latitude: 41.79 })).toBeUndefined();
  });
});

describe('keepOriginal', () => {
  it('keeps a JPEG within the size that re-encoding would not make smaller', () => {
    expect(keepOriginal({ type: 'image/jpeg', size: 300_000 }, { width: 1600, height: 1200 }, 2048, 350_000)).toBe(true);
  });

  it('re-encodes a photo too large in pixels, a larger file, or another type', () => {
    expect(keepOriginal({ type: 'image/jpeg', size: 300_000 }, { width: 4000, height: 3000 }, 2048, 900_000)).toBe(false);
    expect(keepOriginal({ type: 'image/jpeg', size: 900_000 }, { width: 1600, height: 1200 }, 2048, 350_000)).toBe(false);
    expect(keepOriginal({ type: 'image/png', size: 100_000 }, { width: 800, height: 600 }, 2048, 200_000)).toBe(false);
  });
});

/** Degrees as EXIF rational degrees, minutes, seconds. */
function dms(deg: number): string {
  const d = Math.floor(deg);
  const m = Math.floor((deg - d) * 60);
  const s = Math.round(((deg - d) * 60 - m) * 60 * 1e6);
  return `${d}/1 ${m}/1 ${s}/1000000`;
}

describe('readGps', () => {
  it('reads the EXIF GPS position of a JPEG as [lon, lat]', async () => {
    const photo = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a7' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'Gridwork test' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: dms(41.7912), GPSLongitudeRef: 'E', GPSLongitude: dms(123.4321) } })
      .toBuffer();
    const gps = await readGps(new Uint8Array(photo));
    expect(gps?.[0]).toBeCloseTo(123.4321, 5);
    expect(gps?.[1]).toBeCloseTo(41.7912, 5);
  });

  it('answers undefined for a photo without GPS and for bytes that are no photo', async () => {
    const photo = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).jpeg().toBuffer();
    expect(await readGps(new Uint8Array(photo))).toBeUndefined();
    expect(await readGps(new Uint8Array([1, 2, 3, 4]))).toBeUndefined();
  });
});
