-- Evidence and the resident's case (issue 14): idempotent intake, the check code a resident follows a
-- case with, supporters ("me too"), ratings, where each photo came in and whether it is shown, and
-- the categories whose handling needs a photo.

-- Answers kept by Idempotency-Key (server/http/idempotency.ts): one row per key and scope, claimed
-- before the request runs ('in_progress') and holding the answer once it has ('done'). Rows older
-- than 24 hours are expired: a claim takes them over and idempotency.ts deletes them.
create table idempotency_keys (
  scope text not null,
  key text not null,
  request_hash text not null,
  status text not null check (status in ('in_progress', 'done')),
  response_status integer,
  response_headers jsonb,
  response_body text,
  created_at timestamptz not null default now(),
  primary key (scope, key)
);
create index idempotency_keys_created on idempotency_keys (created_at);

-- A check code: 6 characters of an alphabet without 0/O, 1/I/L, so that it reads back over the phone,
-- drawn from gen_random_uuid() (pg_strong_random: a cryptographic source, in core PostgreSQL 13+ and in
-- the embedded build). Bytes 6 and 8 of a UUID carry its version and variant bits, so they are skipped;
-- bytes of 248 and above are skipped too (248 = 8 × 31), so that every character is equally likely.
create function new_check_code() returns text language sql volatile as $$
  select string_agg(substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', b % 31 + 1, 1), '' order by i)
    from (select i, b
            from (select i, get_byte(r.bytes, i) as b
                    from (select uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) as bytes) r,
                         generate_series(0, 31) i
                   where i not in (6, 8, 22, 24)) t
           where b < 248
           order by i
           limit 6) c
$$;

-- Every incident has its own code: the volatile default is evaluated once per existing row when the
-- column is added, which backfills the incidents already there.
alter table incidents
  add column check_code text not null default new_check_code() check (check_code ~ '^[2-9A-HJKMNP-Z]{6}$'),
  add column supporters integer not null default 0;

-- Residents who joined a case instead of filing a duplicate; the phone is private like a reporter's contact.
create table incident_supporters (
  id integer generated always as identity primary key,
  office_code text not null,
  incident_id integer not null,
  contact_phone text,
  created_at timestamptz not null default now()
);
create index incident_supporters_incident on incident_supporters (incident_id);

-- A resident's rating of a closed case: one per incident (the key says so, under concurrent posts too).
create table incident_ratings (
  office_code text not null,
  incident_id integer not null,
  rating text not null check (rating in ('satisfied', 'basically_satisfied', 'dissatisfied')),
  comment text,
  created_at timestamptz not null default now(),
  primary key (office_code, incident_id)
);
-- The appraisal counts the ratings given in a month.
create index incident_ratings_created on incident_ratings (created_at);

-- A photo may be hidden from the public view (a face, a licence plate); it stays evidence for staff.
alter table incident_photos add column hidden boolean not null default false;

-- Categories whose handling must show the result in a photo: garbage and dirty or spilt-on roads
-- (sanitation), a collapsed road, damaged or missing manhole covers.
alter table incident_categories add column handle_requires_photo boolean not null default false;
update incident_categories set handle_requires_photo = true where code in ('0101', '0102', '0103', '0302', '0401', '0601', '0602');
