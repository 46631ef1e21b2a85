-- CivicOps-311 warehouse: raw landing, ingest bookkeeping, and the ticket star schema.
-- Forward-only; the runner applies each file once, in its own transaction.

-- Every row exactly as the city served it (latest version per ticket), so any derived
-- table can be rebuilt without calling the city's API again.
create table raw_ticket (
  ticket_id          text primary key,
  payload            jsonb not null,
  payload_hash       text not null,
  source_updated_at  timestamptz,
  fetched_at         timestamptz not null,
  ingest_run_id      bigint
);

-- One row per ingest run: its bounds, its checkpoint (for resume) and its counts.
create table ingest_run (
  run_id             bigserial primary key,
  source             text not null,
  mode               text not null check (mode in ('full', 'incremental', 'file')),
  status             text not null default 'running' check (status in ('running', 'succeeded', 'failed', 'resumed')),
  started_at         timestamptz not null default now(),
  finished_at        timestamptz,
  -- The run reads rows with since_updated_at < :updated_at <= upper_updated_at, by :id; the
  -- checkpoint is the last :id committed (resume_after_id). upper_updated_at becomes the next
  -- run's since_updated_at, so a row changed during a run is read by the next one.
  since_updated_at   timestamptz,
  upper_updated_at   timestamptz,
  high_water_mark    timestamptz,
  resume_after_id    text,
  next_offset        integer not null default 0,
  resumed_from_run   bigint references ingest_run (run_id),
  fetched            integer not null default 0,
  inserted           integer not null default 0,
  updated            integer not null default 0,
  unchanged          integer not null default 0,
  quarantined        integer not null default 0,
  error              text
);
create index ingest_run_source_idx on ingest_run (source, run_id desc);

-- Rows that failed validation: kept whole with a reason a person can read, never dropped.
create table ingest_quarantine (
  quarantine_id      bigserial primary key,
  ticket_id          text,
  payload            jsonb not null,
  payload_hash       text not null unique,
  reasons            text not null,
  first_run_id       bigint references ingest_run (run_id),
  last_run_id        bigint references ingest_run (run_id),
  first_seen_at      timestamptz not null default now(),
  last_seen_at       timestamptz not null default now()
);
create index ingest_quarantine_ticket_idx on ingest_quarantine (ticket_id);

-- Dimensions ---------------------------------------------------------------------------

-- Canonical request type: one key for names that differ only in spacing/punctuation/case
-- across the 2021 system change ("Trash/Debris (Public Property)" = "Trash / Debris (Public Property)").
create table dim_request_type (
  type_key           text primary key,
  display_name       text not null,
  first_seen_at      timestamptz not null default now()
);

create table dim_request_type_alias (
  source_name        text primary key,
  type_key           text not null references dim_request_type (type_key)
);

-- is_open_state: the status itself says work is pending. 'Archived' is a legacy bulk state,
-- not proof of closure, so closure is decided by closed_at first (see fact_ticket.is_open).
create table dim_status (
  status             text primary key,
  is_open_state      boolean not null
);

create table dim_date (
  date_key           date primary key,
  year               smallint not null,
  quarter            smallint not null,
  month              smallint not null,
  day_of_month       smallint not null,
  iso_dow            smallint not null,
  week_start         date not null,
  is_weekend         boolean not null
);

create table dim_location (
  location_key       text primary key,
  commission_district text,
  police_sector      text
);

-- Facts ----------------------------------------------------------------------------------

-- The dimension keys are not declared as foreign keys: the loader writes the dimensions first in
-- the same transaction (and a test checks there are no orphans), and per-row RI triggers cost
-- half of the fact insert (measured: 20,000 rows 640 ms with them, 334 ms without).
create table fact_ticket (
  ticket_id              text primary key,
  type_key               text not null,
  request_type           text not null,
  status                 text not null,
  created_at             timestamptz not null,
  created_date           date not null,
  acknowledged_at        timestamptz,
  closed_at              timestamptz,
  reopened_at            timestamptz,
  last_updated_at        timestamptz,
  minutes_to_close       double precision,
  minutes_to_acknowledge double precision,
  source_minutes_to_close double precision,
  -- 'negative_duration' | 'implausible_duration' | null: flagged, never silently trusted.
  duration_flag          text,
  is_open                boolean not null,
  latitude               double precision,
  longitude              double precision,
  location_key           text not null,
  commission_district    text,
  police_sector          text,
  location_detail        text,
  reporter_display       text,
  assigned_to            text,
  description            text,
  description_length     integer not null,
  source_updated_at      timestamptz,
  row_hash               text not null,
  ingest_run_id          bigint
);

-- Analytics by type and time window; point-in-time features look back from a creation instant.
create index fact_ticket_type_created_idx on fact_ticket (type_key, created_at);
create index fact_ticket_created_idx on fact_ticket (created_at);
create index fact_ticket_type_closed_idx on fact_ticket (type_key, closed_at) where closed_at is not null;
create index fact_ticket_open_idx on fact_ticket (type_key, created_at) where is_open;
create index fact_ticket_reporter_idx on fact_ticket (reporter_display, created_at);
