-- Rows that repeated a ticket id of the same page with other content (issue #13): counted per run
-- at each page commit, like fetched and quarantined, so a killed run's row keeps its count.
alter table ingest_run add column if not exists duplicates integer not null default 0;
