-- Landing table of the ingest: each chunk of validated rows is COPYed here, then upserted into the
-- dimensions, raw_ticket and fact_ticket by SQL in the same transaction (so a killed ingest leaves
-- nothing half-loaded). Rows of committed chunks are consumed already; the ingest truncates the
-- table after each page and at the start of a run. Unlogged: nothing here needs to survive a crash.
-- One row per ticket of a chunk, in fact_ticket's column types; payload is the row as received.
create unlogged table ingest_staging (
  -- The transaction that staged the row: a chunk reads back exactly its own rows.
  batch_id               bigint not null default txid_current(),
  ticket_id              text not null,
  type_key               text not null,
  request_type           text not null,
  status                 text not null,
  -- The status's own open/closed meaning (dim_status); is_open also needs closed_at is null.
  status_is_open         boolean not null,
  created_at             timestamptz not null,
  created_date           date not null,
  acknowledged_at        timestamptz,
  closed_at              timestamptz,
  reopened_at            timestamptz,
  last_updated_at        timestamptz,
  minutes_to_close       double precision,
  minutes_to_acknowledge double precision,
  source_minutes_to_close double precision,
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
  payload                jsonb not null
);
create index ingest_staging_batch_idx on ingest_staging (batch_id);
