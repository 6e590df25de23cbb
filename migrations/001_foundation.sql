-- Foundation schema: areas with boundary versions, departments, users and sessions, staff,
-- asset and incident dictionaries, assets, incidents with their event log, boundary plans.
--
-- Scale-out on Citus: areas, departments, categories and users are reference tables; assets and
-- incidents (and their events) carry office_code so they can be distributed by office. Distributed
-- tables therefore hold no foreign keys to each other across offices, and their unique keys
-- include office_code.

create extension if not exists postgis;

-- Areas: one row per version of a boundary. The version in force has valid_to null.
create table areas (
  id integer generated always as identity primary key,
  code text not null,
  level smallint not null check (level in (1, 2, 3)),
  name text not null,
  name_en text not null,
  parent_code text,
  geom geometry(MultiPolygon, 4326) not null,
  valid_from timestamptz not null default now(),
  valid_to timestamptz,
  plan_id integer,
  check (valid_to is null or valid_to > valid_from),
  check ((level = 1) = (parent_code is null))
);
create unique index areas_code_in_force on areas (code) where valid_to is null;
create index areas_code_span on areas (code, valid_from);
create index areas_geom on areas using gist (geom);
create index areas_level_in_force on areas (level) where valid_to is null;
create index areas_parent_in_force on areas (parent_code) where valid_to is null;

create table departments (
  code text primary key,
  name text not null,
  name_en text not null,
  phone text
);

-- Users log in; their scope is a set of area codes (everything under those areas).
create table users (
  id integer generated always as identity primary key,
  username text not null unique,
  password_hash text not null,
  display_name text not null,
  role text not null check (role in ('admin', 'planner', 'community', 'chief', 'department', 'staff')),
  department_code text references departments (code),
  active boolean not null default true,
  created_at timestamptz not null default now()
);

create table user_scopes (
  user_id integer not null references users (id) on delete cascade,
  area_code text not null,
  primary key (user_id, area_code)
);

-- Sessions: only a hash of the token is stored, so a database leak yields no usable session.
create table sessions (
  token_hash text primary key,
  user_id integer not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index sessions_user on sessions (user_id);
create index sessions_expiry on sessions (expires_at);

-- Staff: the people of the grids (chiefs, cleaners, cadres, police, volunteers…).
create table staff (
  id integer generated always as identity primary key,
  code text not null unique,
  name text not null,
  name_en text not null,
  role text not null check (role in ('chief', 'grid_leader', 'cleaner', 'cadre', 'party_member', 'volunteer', 'police')),
  phone text,
  user_id integer references users (id) on delete set null,
  department_code text references departments (code)
);

create table staff_assignments (
  staff_id integer not null references staff (id) on delete cascade,
  area_code text not null,
  valid_from timestamptz not null default now(),
  valid_to timestamptz,
  primary key (staff_id, area_code, valid_from)
);
create index staff_assignments_area on staff_assignments (area_code) where valid_to is null;

-- Component classes (城市部件), following the national classes: 01 public utilities, 02 road traffic,
-- 03 city appearance, 04 landscaping, 05 housing and land, 06 other.
create table asset_categories (
  code text primary key,
  name text not null,
  name_en text not null,
  class_code text not null,
  class_name text not null,
  class_name_en text not null,
  department_code text references departments (code)
);

create table assets (
  id integer generated always as identity primary key,
  office_code text not null,
  code text not null,
  category_code text not null references asset_categories (code),
  status text not null default 'normal' check (status in ('normal', 'damaged', 'missing', 'repairing', 'retired')),
  department_code text references departments (code),
  grid_code text,
  area_version_id integer,
  attrs jsonb not null default '{}',
  geom geometry(Point, 4326) not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (office_code, code)
);
create index assets_geom on assets using gist (geom);
create index assets_grid on assets (grid_code);
create index assets_category on assets (category_code);
create index assets_updated on assets (updated_at);

-- Event classes (事件), each with its deadline and the department that usually handles it.
create table incident_categories (
  code text primary key,
  name text not null,
  name_en text not null,
  class_code text not null,
  class_name text not null,
  class_name_en text not null,
  deadline_hours integer not null check (deadline_hours > 0),
  department_code text references departments (code),
  asset_category_code text references asset_categories (code)
);

create table incidents (
  id integer generated always as identity primary key,
  office_code text not null,
  case_no text not null,
  category_code text not null references incident_categories (code),
  description text not null default '',
  source text not null check (source in ('patrol', 'resident', 'hotline', 'superior', 'media')),
  status text not null,
  level text not null check (level in ('grid', 'community', 'centre', 'department')),
  grid_code text,
  community_code text,
  area_version_id integer,
  assignee_staff_id integer,
  assignee_user_id integer,
  department_code text,
  reporter_user_id integer,
  reporter_contact jsonb,
  asset_id integer,
  geom geometry(Point, 4326) not null,
  near_edge boolean not null default false,
  near_grid_codes text[] not null default '{}',
  due_at timestamptz,
  rework_count integer not null default 0,
  merged_into integer,
  version integer not null default 1,
  reported_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  closed_at timestamptz,
  unique (office_code, case_no)
);
create index incidents_geom on incidents using gist (geom);
create index incidents_grid_status on incidents (grid_code, status);
create index incidents_reported on incidents (reported_at);
create index incidents_updated on incidents (updated_at);

create table incident_events (
  id integer generated always as identity primary key,
  office_code text not null,
  incident_id integer not null,
  action text not null,
  from_status text,
  to_status text,
  from_level text,
  to_level text,
  actor_user_id integer,
  note text,
  photos jsonb not null default '[]',
  created_at timestamptz not null default now()
);
create index incident_events_incident on incident_events (incident_id, created_at);

-- Boundary plans: proposed grids, validated and published atomically.
create table plans (
  id integer generated always as identity primary key,
  office_code text,
  title text not null default '',
  status text not null default 'draft' check (status in ('draft', 'published', 'discarded')),
  author_user_id integer references users (id),
  features jsonb not null default '{"type":"FeatureCollection","features":[]}',
  report jsonb,
  created_at timestamptz not null default now(),
  published_at timestamptz
);
