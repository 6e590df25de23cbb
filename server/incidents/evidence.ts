/** The evidence of an incident: uploaded photos checked, normalised and stored with the step that brought them, and read back. */
import type { Knex } from 'knex';
import { NotFound } from '../http/errors.js';
import { iso } from '../http/wire.js';
import { processPhoto, type ProcessedPhoto } from '../photos/process.js';
import type { PhotoStorage } from '../photos/storage.js';
import { nextPhotoNumber, sqlPhotos } from './sql.js';

/** An uploaded file as the services see it. */
export interface Upload {
  name: string;
  bytes: Buffer;
}

/** File extension of a stored photo by its media type. */
const EXT: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

/** Check and normalise every upload before anything is written; one bad file refuses the request. */
export async function processUploads(files: Upload[]): Promise<ProcessedPhoto[]> {
  const out: ProcessedPhoto[] = [];
  for (const f of files) out.push(await processPhoto(f.bytes, `Photo "${f.name}"`));
  return out;
}

/** Store processed photos under an incident and record them; returns their numbers. */
export async function storePhotos(trx: Knex, storage: PhotoStorage, office: string, incidentId: number, eventId: number | null, photos: ProcessedPhoto[]): Promise<number[]> {
  if (!photos.length) return [];
  let n = await nextPhotoNumber(trx, incidentId);
  const numbers: number[] = [];
  for (const p of photos) {
    const key = `incidents/${incidentId}/${n}.${EXT[p.mediaType] ?? 'bin'}`;
    const thumbKey = `incidents/${incidentId}/${n}.thumb.webp`;
    await storage.put(key, p.image);
    await storage.put(thumbKey, p.thumb);
    await trx('incident_photos').insert({
      office_code: office, incident_id: incidentId, n, event_id: eventId, storage_key: key, thumb_key: thumbKey,
      media_type: p.mediaType, bytes: p.image.length, width: p.width, height: p.height, taken_at: p.takenAt ?? null,
    });
    numbers.push(n++);
  }
  return numbers;
}


/** The stage of the case a photo shows: the report, the handling, or the rework after a rejection. */
export const PHOTO_STEPS = ['report', 'handling', 'rework'] as const;
export type PhotoStep = (typeof PHOTO_STEPS)[number];

/** The stage of a photo from the step it came with: the report's, else handling until the first rejection, rework after it. */
export function photoStep(action: string, afterReject: boolean): PhotoStep {
  if (action === 'report') return 'report';
  return afterReject ? 'rework' : 'handling';
}

/** A photo row of sqlPhotos. */
export interface PhotoRow {
  n: number;
  storage_key: string;
  thumb_key: string;
  media_type: string;
  width: number | null;
  height: number | null;
  hidden: boolean;
  created_at: Date;
  action: string;
  after_reject: boolean;
}

/** URL of a photo of an incident, for staff. */
export const photoUrl = (id: number, n: number, thumb = false) => `/api/incidents/${id}/photos/${n}${thumb ? '?size=thumb' : ''}`;

/** URLs of a photo's history entry, for staff. */
export const historyPhotoUrls = (id: number, numbers: number[]) => numbers.map((n) => photoUrl(id, n));

/** A photo as staff see it: where to get it, its size, the step it came with and whether the public sees it. */
export function toPhotoRef(id: number, p: PhotoRow) {
  return {
    n: p.n, url: photoUrl(id, p.n), thumb_url: photoUrl(id, p.n, true), media_type: p.media_type, width: p.width, height: p.height,
    step: photoStep(p.action, p.after_reject), action: p.action, at: iso(p.created_at)!, hidden: p.hidden,
  };
}

/** The 404 of a photo number an incident does not have (or, for the public, does not show). */
export const photoNotFound = (id: number, n: number, where = `GET /api/incidents/${id}`) =>
  new NotFound('photo_not_found', `Incident ${id} has no photo ${n}; its photos are listed in ${where}.`, { params: { id, n } });

/** The bytes of one photo (or its thumbnail) of an incident; with `shownOnly`, a hidden photo is not found. */
export async function readPhoto(knex: Knex, storage: PhotoStorage, id: number, n: number, size: 'full' | 'thumb', opts: { shownOnly?: boolean; listedIn?: string } = {}) {
  const [photo] = (await sqlPhotos(knex, id, n)) as PhotoRow[];
  if (!photo || (opts.shownOnly && photo.hidden)) throw photoNotFound(id, n, opts.listedIn);
  const bytes = await storage.get(size === 'thumb' ? photo.thumb_key : photo.storage_key);
  if (!bytes) throw new NotFound('photo_missing_from_store', `Photo ${n} of incident ${id} is missing from the photo store.`, { params: { id, n } });
  return { bytes, mediaType: size === 'thumb' ? 'image/webp' : photo.media_type };
}
