-- Workload forecast (#12) on large warehouses.

-- Daily counts per type and city day over a created_at range: one index-only range scan.
create index if not exists fact_ticket_created_type_idx on fact_ticket (created_at, type_key);

-- The instant a ticket left the backlog, exactly sql-fragments effectiveCloseSql (the planner
-- matches the expression, so keep the two identical). Its inputs are included so backlog and
-- closure counts are index-only scans, not a pass over every ticket.
create index if not exists fact_ticket_effective_close_idx on fact_ticket ((
  case
    when closed_at is not null then greatest(closed_at, created_at)
    when is_open then null
    else greatest(coalesce(archived_at, created_at), created_at)
  end
)) include (created_at, closed_at, is_open, archived_at, type_key);

-- Tickets never closed (no close instant): the rest of the backlog.
create index if not exists fact_ticket_never_closed_idx on fact_ticket (created_at) include (type_key)
  where is_open and closed_at is null;
