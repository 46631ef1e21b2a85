-- Model registry: every trained breach-risk model with its window, features, metrics and the
-- serialized model itself. At most one is promoted (served by the API, Slack and alerts).
create table model_registry (
  model_version      text primary key,
  trained_at         timestamptz not null default now(),
  kind               text not null,
  sla_hours          double precision not null,
  train_from         timestamptz not null,
  train_to           timestamptz not null,
  test_from          timestamptz not null,
  test_to            timestamptz not null,
  n_train            integer not null,
  n_test             integer not null,
  feature_names      jsonb not null,
  metrics            jsonb not null,
  report             jsonb not null,
  artifact           jsonb not null,
  promoted           boolean not null default false,
  promoted_at        timestamptz,
  promotion_note     text
);
create unique index model_registry_one_promoted on model_registry (promoted) where promoted;
create index model_registry_trained_idx on model_registry (trained_at desc);
