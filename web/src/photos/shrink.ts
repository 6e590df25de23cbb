/**
 * Photos shrunk in the browser before they are sent: a 12-megapixel phone photo of 8 MB or more would hit
 * the server's photo size limit (413), and a resident on mobile data should not send 8 MB to say a lamp
 * is out. The photo is decoded upright (its EXIF orientation applied), fitted within `maxSide` pixels and
 * encoded as JPEG; its EXIF GPS position is read first, from the original, since the canvas drops it.
 */

/** Longest side of a photo as it is sent, in pixels (the server keeps at most 2560). */
export const PHOTO_SEND_SIDE = 2048;

/** JPEG quality of a shrunk photo (0..1). */
export const PHOTO_JPEG_QUALITY = 0.85;

/** How long reading a photo's EXIF may take before it is given up (exifr can loop on a malformed HEIC). */
const EXIF_TIMEOUT_MS = 3000;

/** A photo ready to send: the image, its file name, and the position its EXIF gave as WGS84 [lon, lat]. */
export interface ShrunkPhoto {
  blob: Blob;
  name: string;
  gps?: [lon: number, lat: number];
}

/** The size of an image fitted within `maxSide` on its longest side, keeping its proportions; never enlarged. */
export function fitWithin(width: number, height: number, maxSide: number): { width: number; height: number } {
  const longest = Math.max(width, height);
  if (longest <= maxSide) return { width, height };
  const scale = maxSide / longest;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The file name of a photo once it is a JPEG: its own name with `.jpg` instead of its extension. */
export function jpegName(name: string): string {
  const base = name.replace(/\.[^./\\]*$/, '').trim();
  return `${base || 'photo'}.jpg`;
}

/** exifr's GPS answer as WGS84 [lon, lat] when it is a plausible position (not 0,0, in range), else undefined. */
export function gpsPosition(gps: { latitude?: number; longitude?: number } | null | undefined): [number, number] | undefined {
  const lon = gps?.longitude;
  const lat = gps?.latitude;
  if (typeof lon !== 'number' || typeof lat !== 'number' || !Number.isFinite(lon) || !Number.isFinite(lat)) return undefined;
  if (Math.abs(lon) > 180 || Math.abs(lat) > 90 || (lon === 0 && lat === 0)) return undefined;
  return [lon, lat];
}

/**
 * Whether to send the original file rather than its re-encoding: a JPEG already within the size, whose
 * re-encoding would not be smaller (re-encoding it again only loses detail).
 */
export function keepOriginal(original: { type: string; size: number }, dims: { width: number; height: number }, maxSide: number, reencodedBytes: number): boolean {
  return original.type === 'image/jpeg' && Math.max(dims.width, dims.height) <= maxSide && original.size <= reencodedBytes;
}

/** The EXIF GPS position of a photo as WGS84 [lon, lat]; undefined when it has none, or it cannot be read in time. */
export async function readGps(photo: Blob | ArrayBuffer | Uint8Array): Promise<[number, number] | undefined> {
  try {
    // Loaded on the first photo: the lite bundle reads JPEG and HEIC, and the form does not wait for it.
    const { default: exifr } = await import('exifr/dist/lite.esm.mjs');
    const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), EXIF_TIMEOUT_MS));
    return gpsPosition(await Promise.race([exifr.gps(photo as Blob), timeout]));
  } catch {
    // A photo without readable EXIF is still a photo.
    return undefined;
  }
}

/** An image decoded upright, with its size and a way to free it. */
interface Decoded {
  source: CanvasImageSource;
  width: number;
  height: number;
  close: () => void;
}

/** Decode a photo upright: createImageBitmap where it can, else an <img> (which applies EXIF orientation too); null when the browser cannot decode it. */
async function decode(file: Blob): Promise<Decoded | null> {
  if (typeof createImageBitmap === 'function') {
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
      return { source: bitmap, width: bitmap.width, height: bitmap.height, close: () => bitmap.close() };
    } catch {
      // Older Safari refuses the options or the type; the <img> below may still decode it.
    }
  }
  if (typeof document === 'undefined') return null;
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.decoding = 'async';
    img.src = url;
    await img.decode();
    return { source: img, width: img.naturalWidth, height: img.naturalHeight, close: () => URL.revokeObjectURL(url) };
  } catch {
    URL.revokeObjectURL(url);
    return null;
  }
}

/** Draw an image at a size on a canvas with a white ground (a transparent PNG becomes a JPEG) and encode it as JPEG. */
async function encodeJpeg(d: Decoded, size: { width: number; height: number }, quality: number): Promise<Blob> {
  const canvas: HTMLCanvasElement | OffscreenCanvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(size.width, size.height) : Object.assign(document.createElement('canvas'), size);
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!ctx) throw new Error('this browser cannot draw on a canvas');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size.width, size.height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(d.source, 0, 0, size.width, size.height);
  if ('convertToBlob' in canvas) return canvas.convertToBlob({ type: 'image/jpeg', quality });
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the photo could not be encoded'))), 'image/jpeg', quality));
}

/**
 * A photo fitted within `maxSide` pixels on its longest side, upright, as JPEG (quality 0.85), with the
 * GPS position of its EXIF. A photo the browser cannot decode (HEIC outside Safari) is sent as it is:
 * the server decodes HEIC itself.
 */
export async function shrinkPhoto(file: File, maxSide = PHOTO_SEND_SIDE): Promise<ShrunkPhoto> {
  const gps = await readGps(file);
  const decoded = await decode(file);
  if (!decoded) return { blob: file, name: file.name, gps };
  try {
    const size = fitWithin(decoded.width, decoded.height, maxSide);
    const blob = await encodeJpeg(decoded, size, PHOTO_JPEG_QUALITY);
    if (keepOriginal(file, decoded, maxSide, blob.size)) return { blob: file, name: file.name, gps };
    return { blob, name: jpegName(file.name), gps };
  } finally {
    decoded.close();
  }
}
