import exifr from 'exifr';
import { fileTypeFromBuffer } from 'file-type';
import sharp, { type Sharp } from 'sharp';
import { UnsupportedMedia } from '../http/errors.js';

/**
 * Media types accepted for photos, by their real (sniffed) type. HEIC is not among them: the prebuilt
 * libvips in sharp decodes AVIF but not HEVC-coded HEIC, so iPhone photos must come as JPEG.
 */
export const PHOTO_TYPES: Readonly<Record<string, 'jpeg' | 'png' | 'webp'>> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
};

/** Longest side of a stored photo and of its thumbnail, in pixels. */
export const PHOTO_MAX_SIDE = 2560;
export const THUMB_SIDE = 320;

/** A photo ready to store: upright, without metadata, with a thumbnail and what its EXIF said. */
export interface ProcessedPhoto {
  mediaType: string;
  image: Buffer;
  thumb: Buffer;
  width: number;
  height: number;
  /** EXIF GPS position as WGS84 [lon, lat], when the camera recorded one. */
  gps?: [number, number];
  takenAt?: Date;
}

/**
 * Check a photo's real type from its bytes (not its name or declared type), turn it upright by its EXIF
 * orientation, drop its metadata (the GPS position of a resident's photo is personal data) and make a
 * thumbnail. Throws UnsupportedMedia naming the accepted types.
 */
export async function processPhoto(bytes: Buffer, name = 'photo'): Promise<ProcessedPhoto> {
  const sniffed = await fileTypeFromBuffer(bytes);
  const kind = sniffed ? PHOTO_TYPES[sniffed.mime] : undefined;
  if (sniffed && (sniffed.mime === 'image/heic' || sniffed.mime === 'image/heif')) {
    throw new UnsupportedMedia(`${name} is HEIC, which this server cannot decode; set the phone camera to "Most compatible" (JPEG) and send it again.`, {
      accepted: ['image/jpeg', 'image/png', 'image/webp'],
    });
  }
  if (!sniffed || !kind) {
    throw new UnsupportedMedia(
      `${name} is ${sniffed ? `really ${sniffed.mime}` : 'not an image file'}, whatever its name says; send a JPEG, PNG or WebP photo.`,
      { accepted: ['image/jpeg', 'image/png', 'image/webp'] },
    );
  }
  const meta = await readExif(bytes);
  let upright: Sharp;
  try {
    upright = sharp(bytes, { failOn: 'error' }).rotate().resize({ width: PHOTO_MAX_SIDE, height: PHOTO_MAX_SIDE, fit: 'inside', withoutEnlargement: true });
    const out = kind === 'png' ? upright.png() : kind === 'webp' ? upright.webp({ quality: 82 }) : upright.jpeg({ quality: 85, mozjpeg: true });
    const { data, info } = await out.toBuffer({ resolveWithObject: true });
    const thumb = await sharp(data).resize({ width: THUMB_SIDE, height: THUMB_SIDE, fit: 'inside', withoutEnlargement: true }).webp({ quality: 70 }).toBuffer();
    return {
      mediaType: sniffed.mime,
      image: data,
      thumb,
      width: info.width,
      height: info.height,
      ...meta,
    };
  } catch {
    throw new UnsupportedMedia(`${name} looks like ${sniffed.mime} but could not be decoded (truncated or damaged); send the photo again.`);
  }
}

/** The GPS position and capture time from a photo's EXIF, when present and plausible. */
async function readExif(bytes: Buffer): Promise<{ gps?: [number, number]; takenAt?: Date }> {
  const out: { gps?: [number, number]; takenAt?: Date } = {};
  try {
    const gps = await exifr.gps(bytes);
    if (gps && Number.isFinite(gps.longitude) && Number.isFinite(gps.latitude) && !(gps.longitude === 0 && gps.latitude === 0)
      && Math.abs(gps.longitude) <= 180 && Math.abs(gps.latitude) <= 90) {
      out.gps = [gps.longitude, gps.latitude];
    }
    const tags = await exifr.parse(bytes, ['DateTimeOriginal']);
    if (tags?.DateTimeOriginal instanceof Date && !Number.isNaN(tags.DateTimeOriginal.getTime())) out.takenAt = tags.DateTimeOriginal;
  } catch {
    // A photo without readable EXIF is still a photo.
  }
  return out;
}
