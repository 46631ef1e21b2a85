-- Workload forecast (#12) on large warehouses.

-- Daily counts per type and city day over a created_at range: one index-only range scan.
-- Backlog and closure counts use 013's close-instant and never-closed indexes.
create index if not exists fact_ticket_created_type_idx on fact_ticket (created_at, type_key);
