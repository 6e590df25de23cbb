-- is_working_day() (migration 009) was left from the first deadline_after(), which now reads the calendar
-- into arrays; nothing calls it. Dropped here rather than edited out of 009, which databases have applied.
drop function if exists is_working_day(date);
