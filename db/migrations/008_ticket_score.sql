-- Scores of the promoted model, persisted (issue #12's speed target). A ticket's score is computed
-- from what was known at its creation, so for one model version it never changes: the worklist
-- and the dashboard's at-risk counts score each open ticket once and then read this table.
-- created_at and type_key are the inputs the score was computed from; a row whose ticket no
-- longer has them (a re-ingest corrected the ticket) is scored again.
create table ticket_score (
  model_version  text not null,
  ticket_id      text not null,
  created_at     timestamptz not null,
  type_key       text not null,
  probability    double precision not null,
  risk_level     text not null check (risk_level in ('Low', 'Medium', 'High')),
  top_factors    jsonb not null,
  scored_at      timestamptz not null default now(),
  primary key (model_version, ticket_id)
);

-- The data clock (findLatestEventAt) takes max(closed_at) of trusted durations and
-- max(archived_at) on every request; without these both are a scan of fact_ticket.
create index fact_ticket_trusted_closed_idx on fact_ticket (closed_at) where duration_flag is null;
create index fact_ticket_archived_idx on fact_ticket (archived_at) where archived_at is not null;
