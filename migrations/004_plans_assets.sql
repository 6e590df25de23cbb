-- Boundary plans (their proposed grids and the versions they replace) and the asset change log.

-- A plan replaces a set of grid versions in force, and was checked against the versions around it (its
-- base: the replaced ones and their neighbours). Publishing fails as stale when the base is no longer
-- exactly what is in force there, so two plans over the same grids cannot both be applied.
alter table plans
  add column replaces integer[] not null default '{}',
  add column base integer[] not null default '{}',
  add column source text not null default 'geojson',
  add column source_crs text not null default 'EPSG:4326',
  add column updated_at timestamptz not null default now(),
  add column published_by integer references users (id);

-- The grids a plan proposes. Geometry is kept as drawn (possibly invalid: the report says so and
-- repair fixes it); it becomes a MultiPolygon in `areas` only when the plan is published.
create table plan_grids (
  plan_id integer not null references plans (id) on delete cascade,
  code text not null,
  name text not null,
  name_en text not null,
  parent_code text,
  geom geometry(Geometry, 4326) not null,
  -- Set by each check: a non-empty valid (Multi)Polygon, safe to pass to overlay functions.
  valid boolean not null default false,
  primary key (plan_id, code)
);
create index plan_grids_geom on plan_grids using gist (geom);

-- Every change of an asset that matters later: import, status change, move to another grid by a plan.
create table asset_events (
  id integer generated always as identity primary key,
  office_code text not null,
  asset_id integer not null,
  action text not null check (action in ('status', 'regrid')),
  from_status text,
  to_status text,
  from_grid text,
  to_grid text,
  plan_id integer,
  actor_user_id integer,
  note text,
  created_at timestamptz not null default now()
);
create index asset_events_asset on asset_events (asset_id, created_at);
create index assets_status on assets (status);
