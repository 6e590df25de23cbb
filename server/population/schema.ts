import { z } from 'zod';
import { checkLonLat } from '../geo/crs.js';
import { paging, rowId } from '../http/input.js';
import { checkIdNumber } from './pii.js';

/** Tags of vulnerable residents (and other needs). */
export const RESIDENT_TAGS = ['elderly_alone', 'disabled', 'low_income', 'other_needs'] as const;
/** Uses of a building. */
export const BUILDING_USES = ['residential', 'mixed', 'commercial', 'public', 'industrial', 'other'] as const;
/** Kinds of care visit. */
export const VISIT_KINDS = ['home', 'phone', 'escort', 'other'] as const;


/** Path of routes on one record. */
export const idParams = z.object({ id: rowId('id') });

/** limit/offset of list queries. */
const pageQuery = paging({ defaultLimit: 100, maxLimit: 500 });

const gridCode = z.string().trim().min(1).max(64).meta({ description: 'Only this grid (code)' });
const instant = z
  .string()
  .trim()
  .refine((s) => /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date or time, e.g. 2026-03-01T00:00:00Z')
  .transform((s) => new Date(s));

/** A WGS84 position [lon, lat] with range checks. */
const position = z
  .array(z.number())
  .min(2)
  .max(3)
  .superRefine((p, ctx) => checkLonLat(p[0], p[1], (message) => ctx.addIssue({ code: 'custom', message })));
const ring = z.array(position).min(4, 'a polygon ring needs at least 4 positions (the first repeated last)');

/** A building's geometry: a GeoJSON Point (entrance) or a Polygon/MultiPolygon footprint, WGS84. */
export const buildingGeometry = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Point'), coordinates: position }),
  z.object({ type: z.literal('Polygon'), coordinates: z.array(ring).min(1) }),
  z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(z.array(ring).min(1)).min(1) }),
]).meta({ description: 'GeoJSON Point, Polygon or MultiPolygon in WGS84 [lon, lat]' });

/** Body of POST /api/buildings. */
export const buildingCreate = z.object({
  address: z.string().trim().min(1, 'address is required').max(300),
  use: z.enum(BUILDING_USES).default('residential'),
  floors: z.number().int().min(1).max(200).nullable().optional(),
  geometry: buildingGeometry,
});
/** Body of PATCH /api/buildings/{id}. */
export const buildingPatch = z
  .object({
    address: buildingCreate.shape.address.optional(),
    use: z.enum(BUILDING_USES).optional(),
    floors: z.number().int().min(1).max(200).nullable().optional(),
    geometry: buildingGeometry.optional(),
  })
  .strict();

/** Query of GET /api/buildings. */
export const buildingListQuery = z.object({ grid: gridCode.optional(), ...pageQuery });

/** A building as answered. */
export const buildingOut = z.object({
  id: z.number().int(),
  address: z.string(),
  use: z.string(),
  floors: z.number().int().nullable(),
  grid_code: z.string().nullable(),
  area_version_id: z.number().int().nullable(),
  households: z.number().int(),
  geometry: z.object({ type: z.string(), coordinates: z.array(z.unknown()) }),
  updated_at: z.string(),
}).meta({ id: 'Building' });

/** Body of POST /api/households. */
export const householdCreate = z.object({
  building_id: z.number().int().min(1),
  unit: z.string().trim().max(60).default(''),
  size: z.number().int().min(1).max(50).default(1),
});
/** Body of PATCH /api/households/{id}. */
export const householdPatch = z
  .object({ building_id: z.number().int().min(1).optional(), unit: z.string().trim().max(60).optional(), size: z.number().int().min(1).max(50).optional() })
  .strict();
/** Query of GET /api/households. */
export const householdListQuery = z.object({ grid: gridCode.optional(), building_id: rowId('building_id').optional(), ...pageQuery });

/** A household as answered. */
export const householdOut = z.object({
  id: z.number().int(),
  building_id: z.number().int(),
  address: z.string(),
  unit: z.string(),
  size: z.number().int(),
  grid_code: z.string().nullable(),
  residents: z.number().int(),
}).meta({ id: 'Household' });

const idNumber = z
  .string()
  .superRefine((s, ctx) => {
    const r = checkIdNumber(s);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: `id_number ${r.reason}` });
  })
  .transform((s) => s.trim().toUpperCase());
const phone = z.string().trim().regex(/^[0-9+\- ]{5,20}$/, 'phone must be 5–20 digits (spaces, + and - allowed)');
const tags = z.array(z.enum(RESIDENT_TAGS)).max(RESIDENT_TAGS.length).transform((t) => [...new Set(t)].sort());

/** Body of POST /api/residents. */
export const residentCreate = z.object({
  household_id: z.number().int().min(1),
  name: z.string().trim().min(1, 'name is required').max(100),
  gender: z.enum(['male', 'female']).nullable().optional(),
  birth_year: z.number().int().min(1880).max(2100).nullable().optional(),
  id_number: idNumber.nullable().optional().meta({ description: 'GB 11643 number; stored as a keyed hash and its last 4 characters, never readable again' }),
  phone: phone.nullable().optional(),
  tags: tags.default([]),
  note: z.string().max(2000).default(''),
});
/** Body of PATCH /api/residents/{id}. */
export const residentPatch = z
  .object({
    household_id: z.number().int().min(1).optional(),
    name: residentCreate.shape.name.optional(),
    gender: z.enum(['male', 'female']).nullable().optional(),
    birth_year: z.number().int().min(1880).max(2100).nullable().optional(),
    id_number: idNumber.nullable().optional(),
    phone: phone.nullable().optional(),
    tags: tags.optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();

/** Query of GET /api/residents. */
export const residentListQuery = z.object({
  grid: gridCode.optional(),
  tag: z.enum(RESIDENT_TAGS).optional().meta({ description: 'Only residents with this tag' }),
  household_id: rowId('household_id').optional(),
  id_number: idNumber.optional().meta({ description: 'Find by full ID number (matched by its keyed hash)' }),
  ...pageQuery,
});

/** A resident as answered (inside the viewer's scope only). */
export const residentOut = z.object({
  id: z.number().int(),
  household_id: z.number().int(),
  building_id: z.number().int(),
  address: z.string(),
  unit: z.string(),
  grid_code: z.string().nullable(),
  name: z.string(),
  gender: z.string().nullable(),
  birth_year: z.number().int().nullable(),
  id_number_masked: z.string().nullable().meta({ description: 'Only the last 4 characters; the full number cannot be read back' }),
  phone: z.string().nullable(),
  tags: z.array(z.string()),
  note: z.string(),
  updated_at: z.string(),
}).meta({ id: 'Resident' });

/** Body of POST /api/care-visits. */
export const visitCreate = z.object({
  resident_id: z.number().int().min(1),
  visited_at: instant.optional().meta({ description: 'When; now when absent' }),
  kind: z.enum(VISIT_KINDS).default('home'),
  note: z.string().max(2000).default(''),
});
/** Query of GET /api/care-visits. */
export const visitListQuery = z.object({
  grid: gridCode.optional(),
  resident_id: rowId('resident_id').optional(),
  since: instant.optional(),
  until: instant.optional(),
  ...pageQuery,
});
/** A care visit as answered. */
export const visitOut = z.object({
  id: z.number().int(),
  resident_id: z.number().int(),
  grid_code: z.string().nullable(),
  visitor_name: z.string(),
  visited_at: z.string(),
  kind: z.string(),
  note: z.string(),
}).meta({ id: 'CareVisit' });

/** Query of GET /api/residents/access-log. */
export const accessLogQuery = z.object({
  resident_id: rowId('resident_id').optional(),
  username: z.string().trim().min(1).max(100).optional(),
  since: instant.optional(),
  ...pageQuery,
});
/** One entry of the access log. */
export const accessLogOut = z.object({ id: z.number().int(), user_id: z.number().int().nullable(), username: z.string(), resident_id: z.number().int(), action: z.string(), at: z.string() });

/** Query of GET /api/population/summary. */
export const summaryQuery = z.object({
  grid: gridCode.optional(),
  community: z.string().trim().min(1).max(64).optional().meta({ description: 'Only the grids of this community' }),
});
/** Counts of one grid (public: counts only). */
export const summaryOut = z.object({
  grid_code: z.string(),
  grid_name: z.string(),
  buildings: z.number().int(),
  households: z.number().int(),
  residents: z.number().int(),
  vulnerable: z.number().int(),
  visits_this_month: z.number().int(),
}).meta({ id: 'PopulationSummary' });

/** Query of POST /api/population/import. */
export const importQuery = z.object({
  kind: z.enum(['buildings', 'households', 'residents']).meta({ description: 'What the rows are' }),
  dry_run: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').meta({ description: 'Validate only; write nothing' }),
});

const cell = z.string().trim();
const optionalCell = cell.optional().transform((v) => (v === '' || v === undefined ? undefined : v));
const intCell = (name: string, min: number, max: number) =>
  cell.regex(/^\d+$/, `${name} must be a whole number`).transform(Number).pipe(z.number().min(min, `${name} must be ${min} or more`).max(max, `${name} must be ${max} or less`));
const numberCell = (name: string) => cell.regex(/^[+-]?\d+(\.\d+)?$/, `${name} must be a number in decimal degrees`).transform(Number);

/** Row schemas of the import, by kind; cells arrive as strings. */
export const IMPORT_ROWS = {
  buildings: z
    .object({
      address: cell.min(1, 'address is required').max(300),
      use: optionalCell.pipe(z.enum(BUILDING_USES).optional()),
      floors: optionalCell.pipe(intCell('floors', 1, 200).optional()),
      lon: numberCell('lon'),
      lat: numberCell('lat'),
    })
    .superRefine((r, ctx) => checkLonLat(r.lon, r.lat, (message, path) => ctx.addIssue({ code: 'custom', message, path }))),
  households: z.object({
    building_id: intCell('building_id', 1, 2 ** 31 - 1),
    unit: optionalCell.pipe(z.string().max(60).optional()),
    size: optionalCell.pipe(intCell('size', 1, 50).optional()),
  }),
  residents: z.object({
    household_id: intCell('household_id', 1, 2 ** 31 - 1),
    name: cell.min(1, 'name is required').max(100),
    gender: optionalCell.pipe(z.enum(['male', 'female'], 'gender must be male or female').optional()),
    birth_year: optionalCell.pipe(intCell('birth_year', 1880, 2100).optional()),
    id_number: optionalCell.pipe(idNumber.optional()),
    phone: optionalCell.pipe(phone.optional()),
    tags: optionalCell
      .transform((v) => (v ? v.split(/[;|,]\s*/).filter(Boolean) : []))
      .pipe(z.array(z.enum(RESIDENT_TAGS, `tags must be among ${RESIDENT_TAGS.join(', ')}, separated by ;`)))
      .transform((t) => [...new Set(t)].sort()),
    note: optionalCell.pipe(z.string().max(2000).optional()),
  }),
} as const;
/** What an import holds. */
export type ImportKind = keyof typeof IMPORT_ROWS;

/** The header of an import file, by kind: columns it must have and columns it may have. */
export const IMPORT_COLUMNS: Record<ImportKind, { required: string[]; optional: string[] }> = {
  buildings: { required: ['address', 'lon', 'lat'], optional: ['use', 'floors'] },
  households: { required: ['building_id'], optional: ['unit', 'size'] },
  residents: { required: ['household_id', 'name'], optional: ['gender', 'birth_year', 'id_number', 'phone', 'tags', 'note'] },
};

/** The validation report of an import. */
export const importReport = z.object({
  kind: z.string(),
  rows: z.number().int(),
  valid: z.number().int(),
  inserted: z.number().int(),
  dry_run: z.boolean(),
  errors: z.array(z.object({ row: z.number().int(), column: z.string(), message: z.string() })),
  ids: z.array(z.number().int()),
}).meta({ id: 'PopulationImportReport' });
