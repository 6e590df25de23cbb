-- Incidents: case numbers, photos, deferral, and the indexes the workflow and the lists use.
--
-- Photos carry office_code like the incidents they belong to, so that both can be distributed by office
-- on Citus; there is no foreign key from photos to incidents for the same reason.

create sequence incident_case_no_seq;

alter table incidents
  add column deferred boolean not null default false,
  add column deferred_reason text,
  add column handled_at timestamptz,
  add column dispatched_at timestamptz;

-- Photos of an incident, numbered 1, 2, … per incident in the order they arrived (intake and actions).
create table incident_photos (
  id integer generated always as identity primary key,
  office_code text not null,
  incident_id integer not null,
  n integer not null,
  event_id integer,
  storage_key text not null,
  thumb_key text not null,
  media_type text not null,
  bytes integer not null,
  width integer,
  height integer,
  taken_at timestamptz,
  created_at timestamptz not null default now(),
  unique (office_code, incident_id, n)
);
create index incident_photos_incident on incident_photos (incident_id, n);

-- Lists filter by scope (grid, community, neighbouring grids, department), status, deadline and time.
create index incidents_community_status on incidents (community_code, status);
create index incidents_department_status on incidents (department_code, status) where department_code is not null;
create index incidents_near_grids on incidents using gin (near_grid_codes);
create index incidents_open_due on incidents (due_at) where status = 'open';
create index incidents_category_open on incidents (category_code, reported_at) where status in ('open', 'handled');
create index incidents_case_no on incidents (case_no);
alter table incidents add constraint incidents_status_check check (status in ('open', 'handled', 'closed', 'cancelled', 'merged'));
