-- Population and housing (buildings, households, residents, care visits, the read-access log) and
-- the configurable targets of the monthly appraisal.
--
-- Personal data lives only in residents: the ID number is never stored in full (a keyed HMAC for
-- lookup and its last four characters for display). Every table carries office_code so that it can
-- be distributed by office on Citus alongside assets and incidents.

-- A building is a point or a footprint; its grid is the grid in force containing its point on surface,
-- with that grid's version (re-assigned when boundaries change).
create table buildings (
  id integer generated always as identity primary key,
  office_code text not null,
  address text not null,
  use text not null default 'residential' check (use in ('residential', 'mixed', 'commercial', 'public', 'industrial', 'other')),
  floors integer check (floors is null or floors between 1 and 200),
  grid_code text,
  area_version_id integer,
  geom geometry(Geometry, 4326) not null check (GeometryType(geom) in ('POINT', 'POLYGON', 'MULTIPOLYGON')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index buildings_geom on buildings using gist (geom);
create index buildings_grid on buildings (grid_code);

create table households (
  id integer generated always as identity primary key,
  office_code text not null,
  building_id integer not null references buildings (id) on delete restrict,
  unit text not null default '',
  size integer not null default 1 check (size between 1 and 50),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index households_building on households (building_id);

-- Tags: elderly_alone, disabled, low_income, other_needs (checked by the API, indexed for tag=).
create table residents (
  id integer generated always as identity primary key,
  office_code text not null,
  household_id integer not null references households (id) on delete restrict,
  name text not null,
  gender text check (gender in ('male', 'female')),
  birth_year integer check (birth_year is null or birth_year between 1880 and 2100),
  id_number_hmac text,
  id_number_last4 text,
  phone text,
  tags text[] not null default '{}',
  note text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index residents_household on residents (household_id);
create index residents_tags on residents using gin (tags);
create index residents_id_number on residents (office_code, id_number_hmac) where id_number_hmac is not null;

create table care_visits (
  id integer generated always as identity primary key,
  office_code text not null,
  resident_id integer not null references residents (id) on delete cascade,
  visitor_user_id integer,
  visitor_name text not null default '',
  visited_at timestamptz not null,
  kind text not null default 'home' check (kind in ('home', 'phone', 'escort', 'other')),
  note text not null default '',
  created_at timestamptz not null default now()
);
create index care_visits_resident on care_visits (resident_id, visited_at);
create index care_visits_visited on care_visits (visited_at);

-- Who read or changed which resident record, and when. Never deleted with the resident.
create table resident_access_log (
  id bigint generated always as identity primary key,
  user_id integer,
  username text not null,
  resident_id integer not null,
  action text not null check (action in ('list', 'read', 'create', 'update', 'delete', 'import')),
  at timestamptz not null default now()
);
create index resident_access_log_resident on resident_access_log (resident_id, at);
create index resident_access_log_at on resident_access_log (at);

-- Appraisal targets: the minimum of a figure per row kind (a chief handles at least 10 a month).
create table appraisal_targets (
  row_kind text not null check (row_kind in ('chief', 'grid', 'community', 'department')),
  figure text not null,
  minimum numeric not null check (minimum >= 0),
  primary key (row_kind, figure)
);
insert into appraisal_targets (row_kind, figure, minimum) values ('chief', 'handled', 10);

-- Appraisal reads incidents by deadline and events by time; these keep a month of a city fast.
create index if not exists incidents_due on incidents (due_at);
-- (covering: the month's handle/reject steps are read from the index alone)
create index if not exists incident_events_created on incident_events (created_at) include (action, from_level, incident_id);
