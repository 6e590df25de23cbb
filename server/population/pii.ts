import crypto from 'node:crypto';

/**
 * Personal identifiers of residents. A resident ID number (居民身份证号, GB 11643) is never stored in
 * full: the database keeps a keyed HMAC-SHA256 of it (to find a resident by number, and to refuse a
 * duplicate) and its last four characters (to show a masked number). Without the key the HMAC cannot
 * be reversed by enumerating the ~10^10 plausible numbers.
 */

/** Key used when RESIDENT_ID_KEY is unset: fine for the demo and tests, never for real data. */
export const DEV_ID_KEY = 'gridwork-development-resident-id-key';

/** The HMAC key for ID numbers, from RESIDENT_ID_KEY (at least 16 characters) or the development key. */
export function idNumberKey(env: NodeJS.ProcessEnv = process.env): string {
  const key = env.RESIDENT_ID_KEY;
  if (key === undefined || key === '') return DEV_ID_KEY;
  if (key.length < 16) throw new Error('RESIDENT_ID_KEY must be at least 16 characters long (a random secret).');
  return key;
}

/** Weights of the first 17 digits and the check characters of GB 11643. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

/** The check character of the first 17 digits of an ID number. */
export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

/** Normalise an ID number (trim, upper-case x); answer why it is wrong, or the normalised number. */
export function checkIdNumber(raw: string): { ok: true; value: string } | { ok: false; reason: string } {
  const value = raw.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(value)) return { ok: false, reason: 'must be 18 characters: 17 digits and a digit or X' };
  const y = Number(value.slice(6, 10));
  const m = Number(value.slice(10, 12));
  const d = Number(value.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1880 || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return { ok: false, reason: 'has no valid birth date in characters 7–14 (YYYYMMDD)' };
  }
  if (idCheckChar(value) !== value[17]) return { ok: false, reason: 'has a wrong check character (the last one); check for a typing error' };
  return { ok: true, value };
}

/** The keyed HMAC of a normalised ID number, as stored and looked up. */
export function hmacIdNumber(value: string, key: string): string {
  return crypto.createHmac('sha256', key).update(value).digest('hex');
}

/** An ID number shown masked: fourteen asterisks and the last four characters. */
export function maskIdNumber(last4: string | null): string | null {
  return last4 ? `**************${last4}` : null;
}

/** The stored form of an ID number: its HMAC and last four characters (nulls for none). */
export function storedIdNumber(value: string | null | undefined, key: string): { id_number_hmac: string | null; id_number_last4: string | null } {
  if (!value) return { id_number_hmac: null, id_number_last4: null };
  return { id_number_hmac: hmacIdNumber(value, key), id_number_last4: value.slice(-4) };
}
