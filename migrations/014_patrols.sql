-- Patrols (巡查): a grid chief's inspection walk, recorded as GPS fixes. Both tables carry office_code
-- so that they can be distributed by office on Citus like incidents (no foreign keys between them or to
-- other distributed tables; unique keys include office_code).

-- One patrol of one chief. The grids are those the chief held when it started: grid_code the first of
-- them (lowest code), grid_codes all of them, community_code and office_code those of grid_code; so the
-- scope rule reads a patrol like any placed row.
create table patrols (
  id integer generated always as identity primary key,
  office_code text not null,
  community_code text,
  grid_code text not null,
  grid_codes text[] not null,
  chief_staff_id integer not null,
  user_id integer not null,
  started_at timestamptz not null default now(),
  ended_at timestamptz,
  created_at timestamptz not null default now(),
  check (ended_at is null or ended_at >= started_at)
);
-- At most one open patrol per chief: starting another ends the open one first (server/patrols/service.ts).
create unique index patrols_open_per_chief on patrols (office_code, chief_staff_id) where ended_at is null;
create index patrols_chief_started on patrols (chief_staff_id, started_at);
create index patrols_started on patrols (started_at);

-- The fixes of a patrol. (patrol, at) is the key: a phone that resends a batch after being offline
-- writes nothing twice (insert … on conflict do nothing).
create table patrol_fixes (
  office_code text not null,
  patrol_id integer not null,
  at timestamptz not null,
  geom geometry(Point, 4326) not null,
  accuracy_m real not null check (accuracy_m >= 0),
  received_at timestamptz not null default now(),
  primary key (office_code, patrol_id, at)
);
create index patrol_fixes_patrol_at on patrol_fixes (patrol_id, at);

-- The cells each fix covered, worked out when the fix is stored (server/patrols/sql.ts, sqlInsertFixes):
-- per chief, grid version, office day (Asia/Shanghai) and cell (i, j) of the version's 50 m UTM lattice,
-- once however many fixes covered it. Derived from patrol_fixes, which stay the record; coverage of a
-- month is a count over this table rather than a pass over every fix.
create table patrol_cells (
  office_code text not null,
  area_version_id integer not null,
  day date not null,
  chief_staff_id integer not null,
  i integer not null,
  j integer not null,
  primary key (area_version_id, day, chief_staff_id, i, j, office_code)
);

-- How many 50 m cells each grid version has (centres inside the grid, in its UTM zone): a version's
-- boundary never changes, so it is counted once, when coverage first asks for it (sqlFillGridCells).
-- Keyed by the area version, like areas a reference table.
create table grid_cells (
  area_version_id integer primary key,
  utm_srid integer not null,
  cells integer not null check (cells >= 0)
);
