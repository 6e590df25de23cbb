/** How values are written on the wire. */

/** A date (or a date as the database answers it) as ISO 8601 text, or null for none. */
export const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);
