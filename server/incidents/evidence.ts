/** The evidence of an incident: uploaded photos checked, normalised and stored with the step that brought them. */
import type { Knex } from 'knex';
import { processPhoto, type ProcessedPhoto } from '../photos/process.js';
import type { PhotoStorage } from '../photos/storage.js';
import { nextPhotoNumber } from './sql.js';

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

