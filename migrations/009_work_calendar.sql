-- Working time: deadlines counted in working hours, as the national standard counts them (工作时), and a
-- calendar of the days that break the Monday-to-Friday week (public holidays, and the weekend days worked
-- in their place, 调休).
--
-- A category's deadline is `deadline_hours` of working time, or of calendar time for the categories that
-- cannot wait for Monday (emergencies, a missing manhole cover).

create table work_calendar (
  day date primary key,
  working boolean not null,           -- true: a weekend day worked; false: a holiday on a weekday
  note text not null default ''
);

-- The working periods of every working day, local time (Asia/Shanghai, the time zone of every deadline).
create table work_periods (
  starts time not null primary key,
  ends time not null,
  check (starts < ends)
);
insert into work_periods (starts, ends) values ('08:30', '12:00'), ('13:30', '17:30');

alter table incident_categories
  add column deadline_kind text not null default 'working' check (deadline_kind in ('working', 'calendar'));
update incident_categories set deadline_kind = 'calendar' where class_code = '04' or code = '0602';

create function is_working_day(d date) returns boolean language sql stable
  return coalesce((select c.working from work_calendar c where c.day = d), extract(isodow from d) < 6);

-- The instant `hours` of working time (kind 'working') or of calendar time ('calendar') after `start`.
-- Working time is the working periods of working days in Asia/Shanghai; a start outside them counts from
-- the next period. Periods must not overlap (the API keeps them apart). The periods and the calendar's
-- exceptions are read once into arrays: an incident's intake calls this, and a 72-hour deadline spans
-- two weeks of days.
create function deadline_after(start timestamptz, hours numeric, kind text) returns timestamptz
language plpgsql stable as $$
declare
  tz constant text := 'Asia/Shanghai';
  remaining interval := make_interval(secs => hours * 3600);
  d date := (start at time zone tz)::date;
  starts time[];
  ends time[];
  holidays date[];
  worked date[];
  s timestamptz;
  e timestamptz;
begin
  if kind = 'calendar' or hours <= 0 then
    return start + remaining;
  end if;
  select array_agg(w.starts order by w.starts), array_agg(w.ends order by w.starts) into starts, ends from work_periods w;
  select coalesce(array_agg(c.day) filter (where not c.working), '{}'), coalesce(array_agg(c.day) filter (where c.working), '{}')
    into holidays, worked
    from work_calendar c where c.day >= d;
  if starts is null then
    raise exception 'no working periods: add some with PUT /api/work-calendar/periods';
  end if;
  for i in 1..3700 loop
    if (extract(isodow from d) < 6 and not d = any(holidays)) or d = any(worked) then
      for j in 1..array_length(starts, 1) loop
        s := greatest((d + starts[j]) at time zone tz, start);
        e := (d + ends[j]) at time zone tz;
        if e > s then
          if e - s >= remaining then
            return s + remaining;
          end if;
          remaining := remaining - (e - s);
        end if;
      end loop;
    end if;
    d := d + 1;
  end loop;
  raise exception 'no working time within ten years after %: check the work calendar', start;
end $$;
