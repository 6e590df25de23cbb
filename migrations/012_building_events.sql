-- The change log of buildings, as assets and incidents keep theirs: a boundary plan that moves a
-- building to another grid says so here (households and residents follow their building).
create table building_events (
  id integer generated always as identity primary key,
  office_code text not null,
  building_id integer not null,
  action text not null check (action in ('regrid')),
  from_grid text,
  to_grid text,
  plan_id integer,
  actor_user_id integer,
  note text,
  created_at timestamptz not null default now()
);
create index building_events_building on building_events (building_id, created_at);
