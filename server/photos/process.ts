import exifr from 'exifr';
import { fileTypeFromBuffer } from 'file-type';
import sharp, { type Sharp } from 'sharp';
import { UnsupportedMedia } from '../http/errors.js';
import { decodeHeic } from './heic.js';

/**
 * Media types accepted for photos, by their real (sniffed) type. The prebuilt libvips in sharp cannot decode
 * HEVC-coded HEIC (iPhone photos), so libheif (compiled to WebAssembly, through heic-decode) decodes those
 * and they are kept as JPEG.
 */
export const PHOTO_TYPES: Readonly<Record<string, 'jpeg' | 'png' | 'webp' | 'heic'>> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/heic': 'heic',
  'image/heif': 'heic',
};
const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp', 'image/heic'];

/** Largest photo decoded, in pixels (a 48-megapixel phone camera fits; a decompression bomb does not). */
export const PHOTO_MAX_PIXELS = 50_000_000;

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
  if (!sniffed || !kind) {
    throw new UnsupportedMedia(
      'photo_type_unsupported',
      `${name} is ${sniffed ? `really ${sniffed.mime}` : 'not an image file'}, whatever its name says; send a JPEG, PNG, WebP or HEIC photo.`,
      { params: { name, accepted: ACCEPTED }, extra: { accepted: ACCEPTED } },
    );
  }
  // exifr loops forever on some malformed HEIC box structures, so HEIC photos give no EXIF position or time.
  const meta = kind === 'heic' ? {} : await readExif(bytes);
  let upright: Sharp;
  try {
    // HEIC comes out of libheif already upright (its rotations applied), as raw pixels without EXIF.
    upright = kind === 'heic' ? await heicPipeline(bytes, name) : sharp(bytes, { failOn: 'error', limitInputPixels: PHOTO_MAX_PIXELS }).rotate();
    upright = upright.resize({ width: PHOTO_MAX_SIDE, height: PHOTO_MAX_SIDE, fit: 'inside', withoutEnlargement: true });
    const out = kind === 'png' ? upright.png() : kind === 'webp' ? upright.webp({ quality: 82 }) : upright.jpeg({ quality: 85, mozjpeg: true });
    const { data, info } = await out.toBuffer({ resolveWithObject: true });
    const thumb = await sharp(data).resize({ width: THUMB_SIDE, height: THUMB_SIDE, fit: 'inside', withoutEnlargement: true }).webp({ quality: 70 }).toBuffer();
    return {
      mediaType: kind === 'heic' ? 'image/jpeg' : sniffed.mime,
      image: data,
      thumb,
      width: info.width,
      height: info.height,
      ...meta,
    };
  } catch (err) {
    if (err instanceof UnsupportedMedia) throw err;
    if (err instanceof Error && /pixel limit/.test(err.message)) {
      throw tooManyPixels(name, `${name} has more than ${PHOTO_MAX_PIXELS / 1e6} megapixels; send a smaller photo.`);
    }
    throw new UnsupportedMedia('photo_undecodable', `${name} looks like ${sniffed.mime} but could not be decoded (truncated or damaged); send the photo again.`, { params: { name } });
  }
}

/** The 415 for a photo over the pixel limit. */
const tooManyPixels = (name: string, detail: string) =>
  new UnsupportedMedia('photo_too_many_pixels', detail, { params: { name, max_megapixels: PHOTO_MAX_PIXELS / 1e6 } });

/** Decode a HEIC photo (in a worker thread) into a sharp pipeline of its pixels. */
async function heicPipeline(bytes: Buffer, name: string): Promise<Sharp> {
  const r = await decodeHeic(bytes, PHOTO_MAX_PIXELS);
  if ('tooLarge' in r) {
    throw tooManyPixels(name, `${name} is ${r.tooLarge[0]}×${r.tooLarge[1]} pixels; send a photo of at most ${PHOTO_MAX_PIXELS / 1e6} megapixels.`);
  }
  if ('error' in r) throw new Error(r.error);
  return sharp(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength), { raw: { width: r.width, height: r.height, channels: 4 } }).flatten({ background: '#fff' });
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
