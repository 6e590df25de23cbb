-- Browsers a user has logged in from (device cookies): a login attempt that brings such a browser's cookie
-- is counted against that browser, not against its network address, so that someone guessing a user's
-- password from the same address (an office behind one NAT) cannot lock that user out of the browser they
-- always use. Only a hash of the cookie's token is stored.
create table login_devices (
  token_hash text primary key,
  user_id integer not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  last_login_at timestamptz not null default now()
);
create index login_devices_user on login_devices (user_id);
