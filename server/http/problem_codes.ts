/**
 * The catalogue of problem codes: every `code` an error answer can carry, with its HTTP status, the
 * names of its `params` and what it means. Clients translate by code (the web app's i18n `problems`
 * table); the English `detail` beside it is for people reading the raw answer.
 */

/** A value of a problem's params: JSON that a message text can show. */
export type ParamValue = string | number | boolean | null | readonly (string | number)[];

/** One catalogue entry: the status (or statuses) it is sent with, its param names and its meaning. */
export interface ProblemCodeEntry {
  status: number | readonly number[];
  params?: readonly string[];
  meaning: string;
}

/** Every problem code. */
export const PROBLEM_CODES = {
  // The HTTP layer.
  validation_failed: { status: 400, meaning: 'A path parameter, query parameter or body field does not match its schema; `errors` lists each bad field.' },
  route_not_found: { status: 404, params: ['method', 'path'], meaning: 'No route answers this method and path.' },
  body_too_large: { status: 413, params: ['max_bytes'], meaning: 'The request body is larger than the server accepts.' },
  body_not_json: { status: 400, meaning: 'The request body is not valid JSON.' },
  body_encoding_unsupported: { status: 415, meaning: 'The request body is compressed or in a charset the server does not read; send UTF-8.' },
  internal_error: { status: 500, meaning: 'Something failed on the server; it has been logged.' },
  idempotency_key_reused: { status: 422, params: ['hours'], meaning: 'The Idempotency-Key was sent with a different request within `hours`; a new request needs a new key.' },
  idempotency_in_progress: { status: 409, params: ['retry_after'], meaning: 'The first request with this Idempotency-Key is still running; send it again after Retry-After seconds for its answer.' },

  // The database, mapped in one place.
  already_exists: { status: 409, params: ['table', 'fields', 'constraint'], meaning: 'A row with the same unique key already exists.' },
  reference_missing: { status: 409, params: ['table', 'fields', 'referenced_table', 'constraint'], meaning: 'The request refers to a row that does not exist (or was deleted meanwhile).' },
  still_referenced: { status: 409, params: ['fields', 'referencing_table', 'constraint'], meaning: 'The row cannot be deleted or changed while other rows refer to it.' },
  transaction_conflict: { status: 409, meaning: 'Another change ran at the same moment (deadlock or serialization failure); nothing was saved, send the request again.' },
  bad_encoding: { status: 400, meaning: 'A value holds a NUL byte, broken percent-encoding or a character the database cannot store.' },
  value_out_of_range: { status: 400, meaning: 'A number is too large for the field it is stored in.' },
  database_unavailable: { status: 503, meaning: 'The database cannot be reached just now; try again after Retry-After seconds.' },

  // Logging in, roles and scope.
  cross_site_request: { status: 403, params: ['origin'], meaning: 'A write signed in by the session cookie came from a page of another site; the app’s own pages, or a bearer token, may write.' },
  login_required: { status: 401, meaning: 'The request needs a logged-in user and has no session.' },
  session_expired: { status: 401, meaning: 'The session token sent has expired or was ended.' },
  wrong_credentials: { status: 401, meaning: 'The username or password is wrong.' },
  session_not_started: { status: 401, meaning: 'The login was right but the session could not be started.' },
  too_many_logins: { status: 429, params: ['minutes'], meaning: 'Too many failed logins from this client; wait before trying again.' },
  role_required: { status: 403, params: ['roles', 'role'], meaning: 'The action needs one of `roles`; the user has `role`.' },
  area_out_of_scope: { status: 403, params: ['code'], meaning: 'The area is outside the user’s scope.' },
  layer_needs_login: { status: 401, params: ['layer'], meaning: 'The export layer holds personal data and needs a login.' },

  // Areas, points and geometry.
  area_not_found: { status: 404, params: ['code'], meaning: 'No area has this code (in force now, or ever for history).' },
  area_not_in_force_at: { status: 404, params: ['code', 'at'], meaning: 'No area with this code was in force at the given time.' },
  point_outside_grids: { status: [404, 422], params: ['point', 'crs'], meaning: 'The point [lon, lat] (WGS84) lies in no grid in force.' },
  position_invalid: { status: 400, params: ['where'], meaning: 'A lon/lat pair is not a valid WGS84 position.' },
  geometry_unreadable: { status: 400, meaning: 'The geometry is not readable GeoJSON.' },
  geometry_not_polygonal: { status: 400, params: ['type'], meaning: 'A boundary must be a Polygon or MultiPolygon.' },
  geometry_engine_failed: { status: 422, meaning: 'The geometry engine rejected the shapes (usually invalid polygons); repair them first.' },
  boundary_unrepairable: { status: 422, meaning: 'The boundary could not be made into a valid polygon.' },

  // Boundary plans and their files.
  plan_not_found: { status: 404, params: ['id'], meaning: 'No plan has this id.' },
  plan_not_draft: { status: 409, params: ['id', 'status'], meaning: 'Only a draft plan can be changed or published.' },
  plan_not_checked: { status: 409, params: ['id'], meaning: 'The plan must be checked (its report read) before it is published.' },
  plan_invalid: { status: 409, params: ['id'], meaning: 'The plan’s check found problems (`report`); repair them before publishing.' },
  stale_plan: { status: 409, params: ['id'], meaning: 'The boundaries the plan was made from have changed since; make it again.' },
  plan_empty: { status: 400, meaning: 'The plan has no features.' },
  not_feature_collection: { status: 400, meaning: 'The JSON is not a GeoJSON FeatureCollection.' },
  feature_not_geojson: { status: 400, params: ['feature'], meaning: 'A member of `features` is not a GeoJSON Feature.' },
  grid_code_missing: { status: 400, params: ['feature'], meaning: 'A grid feature has no `code` property.' },
  grid_code_too_long: { status: 400, params: ['feature', 'max_length'], meaning: 'A grid code is longer than allowed.' },
  grid_code_repeated: { status: 400, params: ['code'], meaning: 'A grid code appears on more than one feature.' },
  grid_geometry_not_polygonal: { status: 400, params: ['grid', 'type'], meaning: 'A grid’s geometry is not a Polygon or MultiPolygon.' },
  coordinates_malformed: { status: 400, params: ['grid'], meaning: 'A grid’s coordinates are not nested arrays of positions.' },
  ring_not_closed: { status: 400, params: ['grid'], meaning: 'A ring has fewer than 4 positions, so it is not closed (RFC 7946 §3.1.6).' },
  position_not_numbers: { status: 400, params: ['grid', 'position'], meaning: 'A position is not a pair of numbers.' },
  position_lat_lon_swapped: { status: 400, params: ['grid', 'position'], meaning: 'A position looks like [lat, lon]; GeoJSON is [lon, lat].' },
  position_projected: { status: 400, params: ['grid', 'position'], meaning: 'A position is not longitude/latitude; the file looks projected and its coordinate system was not declared.' },
  crs_unsupported: { status: 400, params: ['crs'], meaning: 'The coordinate system is not one the importer converts from.' },
  prj_unreadable: { status: 400, meaning: 'The Shapefile’s .prj could not be read.' },
  cpg_encoding_unknown: { status: 400, params: ['encoding'], meaning: 'The Shapefile’s .cpg names an unknown encoding.' },
  dbf_truncated: { status: 400, meaning: 'The Shapefile’s .dbf is cut short.' },
  zip_unreadable: { status: 400, meaning: 'The upload is not a readable zip file.' },
  shapefile_layer_count: { status: 400, params: ['count'], meaning: 'The zip must hold exactly one .shp layer.' },
  shapefile_part_missing: { status: 400, params: ['layer', 'part'], meaning: 'The zipped Shapefile lacks its .dbf or .prj.' },
  shapefile_mismatch: { status: 400, params: ['shapes', 'records'], meaning: 'The .shp and .dbf hold different numbers of features.' },
  gpkg_unreadable: { status: 400, meaning: 'The upload is not a readable GeoPackage (SQLite) file.' },
  not_geopackage: { status: 400, meaning: 'The SQLite file has no GeoPackage tables.' },
  gpkg_layer_count: { status: 400, params: ['count', 'layers'], meaning: 'The GeoPackage must hold exactly one feature layer.' },
  gpkg_geometry_unreadable: { status: 400, params: ['feature'], meaning: 'A GeoPackage geometry blob is damaged or of an unknown kind.' },

  // Uploads.
  file_missing: { status: 400, params: ['field'], meaning: 'The request carries no file in the form field `field`.' },
  file_too_large: { status: 413, params: ['max_bytes'], meaning: 'The uploaded file is larger than allowed.' },
  file_type_unsupported: { status: 415, params: ['accepted'], meaning: 'The uploaded file is not of an accepted kind.' },
  upload_malformed: { status: 400, params: ['field'], meaning: 'The multipart form could not be read.' },
  too_many_files: { status: 400, params: ['max_files', 'field'], meaning: 'More files than allowed, or a file in an unexpected form field.' },
  form_field_too_large: { status: 413, params: ['field', 'max_bytes'], meaning: 'A text field of the multipart form is longer than allowed.' },
  too_many_form_fields: { status: 400, params: ['max_fields'], meaning: 'The form (multipart or URL-encoded) has more fields than allowed.' },
  archive_too_large: { status: 413, params: ['max_bytes', 'entry'], meaning: 'An uploaded archive (a zip, an XLSX workbook) inflates to more than allowed: one file in it (`entry`), or all together (`entry` null).' },
  archive_too_many_entries: { status: 413, params: ['max_entries'], meaning: 'An uploaded archive (a zip, an XLSX workbook) holds more files than allowed.' },
  archive_corrupt: { status: 400, params: ['entry'], meaning: 'A file in an uploaded archive inflates to more than its header declares, or cannot be inflated: the archive is damaged or crafted.' },
  csv_unreadable: { status: 400, meaning: 'The CSV could not be parsed.' },
  xlsx_unreadable: { status: 400, meaning: 'The XLSX workbook could not be read.' },
  xlsx_no_worksheet: { status: 400, meaning: 'The XLSX workbook has no worksheet.' },
  file_not_json: { status: 400, meaning: 'The uploaded file is not valid JSON.' },
  import_empty: { status: 400, meaning: 'The file holds no data rows.' },
  import_too_many_rows: { status: 400, params: ['max_rows'], meaning: 'The file has more rows than one import takes.' },
  import_columns_missing: { status: 400, params: ['missing', 'required'], meaning: 'The header lacks required columns.' },
  import_rows_invalid: { status: 422, params: ['bad', 'rows'], meaning: 'Some rows are bad, so nothing was imported; the answer lists them.' },
  import_boundaries_changed: { status: 409, meaning: 'A plan was published while the import ran; nothing was imported.' },
  import_codes_taken: { status: 409, meaning: 'Another import wrote some of the same asset codes meanwhile; nothing was imported.' },
  no_grids_in_force: { status: 400, meaning: 'There are no grids in force to place the rows in.' },

  // Photos.
  photo_too_large: { status: 413, params: ['max_bytes'], meaning: 'A photo is larger than allowed.' },
  too_many_photos: { status: 400, params: ['max_files', 'field'], meaning: 'More photos than allowed, or a photo in an unexpected field.' },
  photo_type_unsupported: { status: 415, params: ['name', 'accepted'], meaning: 'A file sent as a photo is not a JPEG, PNG, WebP or HEIC image.' },
  photo_too_many_pixels: { status: 415, params: ['name', 'max_megapixels'], meaning: 'A photo has more pixels than allowed.' },
  photo_undecodable: { status: 415, params: ['name'], meaning: 'A photo looks like an image but could not be decoded.' },

  // Assets.
  asset_not_found: { status: 404, params: ['id'], meaning: 'No asset has this id.' },
  asset_code_taken: { status: 409, params: ['code'], meaning: 'The office already has an asset with this code.' },
  asset_out_of_scope: { status: 403, meaning: 'The asset lies outside the user’s scope.' },
  asset_rejected: { status: 422, params: ['reason'], meaning: 'The asset failed a check (category, status, position or grid); `reason` says which.' },
  asset_other_department: { status: 403, params: ['code', 'department'], meaning: 'The asset belongs to another department.' },
  department_unknown: { status: 400, params: ['department'], meaning: 'No department has this code.' },

  // Incidents.
  incident_not_found: { status: 404, params: ['id'], meaning: 'No incident with this id is in the user’s scope.' },
  case_not_found: { status: 404, params: ['case_no'], meaning: 'No incident has this case number.' },
  category_unknown: { status: 400, params: ['category'], meaning: 'No incident category has this code.' },
  location_missing: { status: 400, meaning: 'A report needs lon/lat, an asset_id or a photo with GPS.' },
  photo_gps_missing: { status: 400, meaning: 'No place was given and none of the photos carries a GPS position.' },
  asset_id_unknown: { status: 422, params: ['asset_id'], meaning: 'The report names an asset that does not exist.' },
  photo_not_found: { status: 404, params: ['id', 'n'], meaning: 'The incident has no photo with this number.' },
  photo_missing_from_store: { status: 404, params: ['id', 'n'], meaning: 'The photo is recorded but its file is missing from the store.' },
  incident_changed: { status: 409, params: ['id'], meaning: 'The incident changed since the client read it; reload and decide again.' },
  action_not_allowed_now: { status: 409, params: ['action', 'status', 'level'], meaning: 'The action is not possible in the incident’s current state; `allowed_actions` lists what is.' },
  action_not_yours: { status: 403, params: ['action', 'status', 'level'], meaning: 'Another role or scope takes this action; `allowed_actions` lists what the user may do.' },
  cannot_escalate_further: { status: 409, params: ['level'], meaning: 'The incident is at the top level already.' },
  merge_into_itself: { status: 422, meaning: 'An incident cannot be merged into itself.' },
  merge_target_unknown: { status: 422, params: ['into'], meaning: 'The incident to merge into is not in the user’s scope.' },
  merge_target_closed: { status: 409, params: ['into', 'status'], meaning: 'The incident to merge into is no longer open or handled.' },
  too_many_reports: { status: 429, params: ['limit'], meaning: 'Too many public reports from this connection in an hour.' },
  check_code_wrong: { status: 403, params: ['case_no'], meaning: 'The check code given is not the case’s (it is on the reporter’s receipt).' },
  incident_not_open: { status: 409, params: ['case_no', 'status'], meaning: 'Only an open (or handled) case can be joined by another resident.' },
  incident_not_closed: { status: 409, params: ['case_no', 'status'], meaning: 'A case can be rated once it is closed.' },
  already_rated: { status: 409, params: ['case_no'], meaning: 'The case has been rated already; a case is rated once.' },
  photo_required: { status: 422, params: ['category'], meaning: 'Handling an incident of this category needs a photo of the result (the category’s handle_requires_photo).' },
  photo_visibility_not_yours: { status: 403, params: ['id'], meaning: 'Only those who work the incident (its chief, community, command centre or department) may hide or show its photos.' },
  jurisdiction_unknown: { status: 404, params: ['jurisdiction_id', 'jurisdictions'], meaning: 'Open311: the jurisdiction_id names no office this server serves.' },
  service_not_found: { status: 404, params: ['service_code'], meaning: 'Open311: no service (category) has this code.' },

  // Exports, tiles and OGC API Features.
  filter_not_applicable: { status: 400, params: ['param', 'layer'], meaning: 'The filter does not apply to this layer.' },
  status_unknown: { status: 400, params: ['layer', 'statuses', 'known'], meaning: 'A status filter names statuses the layer does not have.' },
  area_code_unknown: { status: 400, params: ['param', 'code'], meaning: 'The filter names no area code in force.' },
  area_level_mismatch: { status: 400, params: ['param', 'code'], meaning: 'The filter’s area code is of another level (e.g. a community code for grid=).' },
  tile_layer_not_found: { status: 404, params: ['layer', 'layers'], meaning: 'No tile layer has this name.' },
  zoom_out_of_range: { status: 400, params: ['z', 'max_zoom'], meaning: 'The zoom level is above the highest served.' },
  tile_out_of_range: { status: 400, params: ['z', 'x', 'y', 'max'], meaning: 'x or y is outside the tile matrix at this zoom.' },
  collection_not_found: { status: 404, params: ['collection', 'collections'], meaning: 'OGC API: no collection has this id.' },
  feature_not_found: { status: 404, params: ['collection', 'id'], meaning: 'OGC API: the collection has no feature with this id.' },

  // Appraisal and the work calendar.
  month_invalid: { status: 400, params: ['month'], meaning: 'A month must be YYYY-MM.' },
  time_zone_unknown: { status: 400, params: ['time_zone'], meaning: 'The time zone is not an IANA name the database knows.' },
  appraisal_department_only: { status: 403, meaning: 'A department sees only its own appraisal row (by=department).' },
  target_repeated: { status: 400, params: ['target'], meaning: 'An appraisal target is given twice.' },
  target_not_fraction: { status: 400, params: ['figure'], meaning: 'A rate target must be a fraction between 0 and 1.' },
  day_already_ordinary: { status: 404, params: ['day'], meaning: 'The day has no calendar entry to delete.' },

  // Patrols.
  patrol_not_found: { status: 404, params: ['id'], meaning: 'No patrol with this id is in the user’s scope.' },
  patrol_not_yours: { status: 403, params: ['id'], meaning: 'The patrol is another chief’s: only the chief who walks it sends its points and ends it.' },
  patrol_needs_grid: { status: 403, meaning: 'The user is not a grid chief holding a grid now (on the staff list, linked to the account), so a patrol cannot start.' },
  patrol_time_invalid: { status: 400, params: ['field'], meaning: 'A patrol time (`field`: started_at or ended_at) is in the future, too old, or before the patrol started.' },

  // Population and housing.
  building_not_found: { status: 404, params: ['id'], meaning: 'No building with this id is in the user’s scope.' },
  household_not_found: { status: 404, params: ['id'], meaning: 'No household with this id is in the user’s scope.' },
  resident_not_found: { status: 404, params: ['id'], meaning: 'No resident with this id is in the user’s scope.' },
  building_id_unknown: { status: 422, params: ['building_id'], meaning: 'The building named is not in the user’s scope.' },
  household_id_unknown: { status: 422, params: ['household_id'], meaning: 'The household named is not in the user’s scope.' },
  resident_id_unknown: { status: 422, params: ['resident_id'], meaning: 'The resident named is not in the user’s scope.' },
  footprint_invalid: { status: 400, params: ['reason'], meaning: 'A building footprint is not a valid polygon.' },
  building_outside_grids: { status: 422, meaning: 'The building lies in no grid in force.' },
  building_has_households: { status: 409, params: ['id', 'households'], meaning: 'A building with households cannot be deleted.' },
  household_has_residents: { status: 409, params: ['id', 'residents'], meaning: 'A household with residents cannot be deleted.' },
  id_number_taken: { status: 409, meaning: 'A resident with this ID number is already registered in the office.' },
  visit_in_future: { status: 400, meaning: 'A care visit cannot be dated in the future.' },
} as const satisfies Record<string, ProblemCodeEntry>;

/** A problem code; a typo is a type error. */
export type ProblemCode = keyof typeof PROBLEM_CODES;

type StatusesOf<C extends ProblemCode> = (typeof PROBLEM_CODES)[C]['status'] extends readonly (infer S)[] ? S : (typeof PROBLEM_CODES)[C]['status'];

/** The codes that may be sent with HTTP status S. */
export type CodeWithStatus<S extends number> = { [C in ProblemCode]: S extends StatusesOf<C> ? C : never }[ProblemCode];

/** The names of a code's params (never when it has none). */
export type ParamName<C extends ProblemCode> = (typeof PROBLEM_CODES)[C] extends { params: readonly (infer P extends string)[] } ? P : never;

/** The params a code is sent with: every name of its catalogue entry. */
export type ProblemParams<C extends ProblemCode> = { [K in ParamName<C>]: ParamValue };

/** The title of each status a problem is sent with (RFC 9457 `title`: the same for every problem of a status). */
export const STATUS_TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Content too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

/** The statuses a code may be sent with. */
export function statusesOf(code: ProblemCode): readonly number[] {
  const { status }: ProblemCodeEntry = PROBLEM_CODES[code];
  return typeof status === 'number' ? [status] : status;
}

/** Whether a string is a code of the catalogue. */
export function isProblemCode(code: unknown): code is ProblemCode {
  return typeof code === 'string' && Object.hasOwn(PROBLEM_CODES, code);
}
