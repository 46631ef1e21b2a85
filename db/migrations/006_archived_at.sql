-- When a ticket was first seen no longer open without a close date (legacy 'Archived' and
-- similar). Backlog counts take such a ticket out at this instant. Unlike last_updated_at, which
-- the city bumps whenever it edits the row (bulk re-archivals included), archived_at is set once
-- by the ingest upsert and then frozen, so a later edit of the row changes no feature or backlog
-- count at an earlier instant. A closed_at, when present, always takes precedence.
alter table fact_ticket add column archived_at timestamptz;
-- A row that was already archived without any last update leaves the backlog at its creation (as before).
update fact_ticket set archived_at = coalesce(last_updated_at, created_at) where closed_at is null and not is_open;
