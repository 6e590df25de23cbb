import { z } from 'zod';
import { rowId } from '../http/input.js';
import { MAX_ACCURACY_M } from './sql.js';

/** Most fixes one batch may carry. */
export const MAX_BATCH = 500;

const instant = (name: string) =>
  z.iso.datetime({ offset: true, error: `${name} must be an ISO 8601 instant with its offset, e.g. 2026-03-02T08:15:00+08:00 or 2026-03-02T00:15:00Z` });
const day = z.string().trim().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'day must be YYYY-MM-DD, e.g. 2026-03-02');
const month = z.string().trim().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month must be YYYY-MM, e.g. 2026-03');

/** Body of POST /api/patrols (optional: a phone that started offline says when). */
export const startBody = z
  .object({
    started_at: instant('started_at').optional().meta({ description: 'When the chief pressed start, if the phone was offline then; now when absent (at most 24 h ago, not in the future)' }),
  })
  .meta({ id: 'PatrolStart' });

/** Body of POST /api/patrols/{id}/end. */
export const endBody = z
  .object({
    ended_at: instant('ended_at').optional().meta({ description: 'When the chief pressed stop, if the phone was offline then; now when absent' }),
  })
  .meta({ id: 'PatrolEnd' });

/** One GPS fix. */
export const fixSchema = z.object({
  lon: z.number({ error: 'lon must be a number (WGS84 degrees)' }).min(-180, 'lon must be within -180..180').max(180, 'lon must be within -180..180'),
  lat: z.number({ error: 'lat must be a number (WGS84 degrees)' }).min(-90, 'lat must be within -90..90 (is the order lon, lat?)').max(90, 'lat must be within -90..90 (is the order lon, lat?)'),
  accuracy_m: z.number({ error: 'accuracy_m must be the fix’s accuracy radius in metres' }).min(0, 'accuracy_m must not be negative').meta({
    description: `Accuracy radius (metres, as the Geolocation API gives it); fixes worse than ${MAX_ACCURACY_M} m are dropped`,
  }),
  at: instant('at').meta({ description: 'Time of the fix; with the patrol it is the fix’s key, so a resent fix is stored once' }),
});

/** Body of POST /api/patrols/{id}/points. */
export const pointsBody = z
  .object({ points: z.array(fixSchema).max(MAX_BATCH, `send at most ${MAX_BATCH} points per request; split the batch`) })
  .meta({ id: 'PatrolPoints' });

/** Answer of POST /api/patrols/{id}/points. */
export const pointsResponse = z
  .object({
    accepted: z.number().int().meta({ description: `Fixes of the batch the patrol now holds (within ${MAX_ACCURACY_M} m accuracy and the patrol’s time), newly stored or stored before` }),
    duplicates: z.number().int().meta({ description: 'Of those, how many were stored already (a resent batch) or repeated a time within the batch' }),
    dropped: z.number().int().meta({ description: `Fixes dropped for an accuracy worse than ${MAX_ACCURACY_M} m` }),
    outside: z.number().int().meta({ description: 'Fixes dropped for a time outside the patrol (before its start or after its end, 5 minutes allowed either side)' }),
    points: z.number().int().meta({ description: 'Fixes the patrol holds in all' }),
  })
  .meta({ id: 'PatrolPointsReceipt' });

/** Path of one patrol. */
export const patrolParams = z.object({ id: rowId('id') });

const chiefRef = z.object({ id: z.number().int(), code: z.string(), name: z.string(), name_en: z.string() }).meta({ id: 'PatrolChief' });

/** A patrol. */
export const patrolSchema = z
  .object({
    id: z.number().int(),
    chief: chiefRef,
    grid_codes: z.array(z.string()).meta({ description: 'The grids the chief held when the patrol started' }),
    started_at: z.string(),
    ended_at: z.string().nullable(),
  })
  .meta({ id: 'Patrol' });

/** Answer of POST /api/patrols: the new patrol, and the open one it ended, if any. */
export const startResponse = patrolSchema.extend({ ended_previous: z.number().int().nullable().meta({ description: 'The chief’s patrol that was still open and was ended by this start' }) }).meta({ id: 'PatrolStarted' });

/** A GeoJSON LineString, [lon, lat] in WGS84 (RFC 7946 §3.1.4). */
const lineString = z.object({ type: z.literal('LineString'), coordinates: z.array(z.tuple([z.number(), z.number()])) });

/** A patrol with its track of the day. */
export const patrolTrack = patrolSchema
  .extend({
    points: z.number().int().meta({ description: 'Fixes recorded in the day' }),
    length_m: z.number().meta({ description: 'Length of the track in the day, metres (on the ellipsoid)' }),
    track: lineString.nullable().meta({ description: 'The fixes of the day in time order as a LineString, [lon, lat] WGS84; null with fewer than two' }),
  })
  .meta({ id: 'PatrolTrack' });

/** Query of GET /api/patrols. */
export const listQuery = z.object({
  chief: z.string().trim().min(1).max(64).optional().meta({ description: 'Only this chief’s patrols (staff code, e.g. chief01)' }),
  day: day.optional().meta({ description: 'The day, YYYY-MM-DD in Asia/Shanghai; today when absent' }),
});

/** Answer of GET /api/patrols. */
export const listResponse = z.object({ day: z.string(), from: z.string(), to: z.string(), items: z.array(patrolTrack) }).meta({ id: 'PatrolList' });

/** Query of GET /api/patrols/coverage. */
export const coverageQuery = z.object({ month: month.meta({ description: 'The month, YYYY-MM in Asia/Shanghai' }) });

const share = z.number().nullable().meta({ description: 'covered / cells, 0–1 (4 decimals); null for a grid too small to hold a cell' });

/** Coverage of one grid version by one chief. */
export const coverageRow = z
  .object({
    chief: chiefRef,
    grid_code: z.string(),
    grid_name: z.string(),
    grid_name_en: z.string(),
    grid_version_id: z.number().int().meta({ description: 'The boundary version (areas.id) the cells were laid in; a grid redrawn in the month has a row per version' }),
    utm_srid: z.number().int().meta({ description: 'EPSG code of the UTM zone the lattice is laid in' }),
    cells: z.number().int().meta({ description: 'The grid’s 50 m cells' }),
    covered: z.number().int().meta({ description: 'Cells some fix of the chief came within 30 m of in the month' }),
    coverage: share,
    days: z.array(z.object({ day: z.string(), covered: z.number().int(), coverage: share })).meta({ description: 'Each day with fixes, oldest first' }),
  })
  .meta({ id: 'PatrolCoverageRow' });

/** Coverage of one grid version by any chief. */
export const gridCoverage = z
  .object({ grid_code: z.string(), community_code: z.string().nullable(), grid_version_id: z.number().int(), cells: z.number().int(), covered: z.number().int(), coverage: share })
  .meta({ id: 'PatrolGridCoverage' });

/** Answer of GET /api/patrols/coverage. */
export const coverageResponse = z
  .object({
    month: z.string(),
    tz: z.string(),
    from: z.string(),
    to: z.string(),
    cell_m: z.number(),
    reach_m: z.number(),
    definition: z.string(),
    rows: z.array(coverageRow),
    grids: z.array(gridCoverage),
  })
  .meta({ id: 'PatrolCoverage' });
