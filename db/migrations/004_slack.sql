-- Slack high-risk alerts (issue 6). One row per ticket, ever: the primary key is what makes an
-- alert at-most-once across restarts, replicas and re-ingests.
create table if not exists slack_alert_run (
  run_id        bigserial primary key,
  started_at    timestamptz not null default now(),
  finished_at   timestamptz,
  channel       text,
  -- ts of the parent message ("7 new high-risk tickets"), null until Slack accepted it.
  parent_ts     text,
  ticket_count  integer not null default 0,
  posted_count  integer not null default 0,
  status        text not null default 'running' check (status in ('running', 'posted', 'partial', 'failed', 'empty')),
  error         text
);

create table if not exists slack_alert (
  ticket_id            text primary key,
  -- The run that last claimed it (a pending ticket moves to the run that retries it).
  run_id               bigint references slack_alert_run (run_id),
  probability          double precision not null,
  risk_level           text not null,
  model_version        text not null,
  top_factors          jsonb not null default '[]'::jsonb,
  -- pending: claimed, not yet accepted by Slack (retried by the next run, never dropped);
  -- posted: in the channel, never posted again; below_threshold: scored once when first seen, not alerted.
  status               text not null check (status in ('pending', 'posted', 'below_threshold')),
  scored_at            timestamptz not null default now(),
  channel              text,
  parent_ts            text,
  reply_ts             text,
  posted_at            timestamptz,
  attempts             integer not null default 0,
  last_error           text,
  acknowledged_by      text,
  acknowledged_by_name text,
  acknowledged_at      timestamptz
);

create index if not exists slack_alert_pending_idx on slack_alert (ticket_id) where status = 'pending';
