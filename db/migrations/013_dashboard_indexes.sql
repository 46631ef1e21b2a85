-- Dashboard API (#12) on large warehouses: backlog and filter reads as index-only scans.

-- The instant a ticket left the backlog, exactly sql-fragments effectiveCloseSql (the planner
-- matches the expression, so keep the two identical), and the tickets never closed: the backlog
-- at an instant is two index ranges instead of a pass over every ticket. The forecast's
-- closure and open counts use them too.
create index if not exists fact_ticket_effective_close_idx on fact_ticket ((
  case
    when closed_at is not null then greatest(closed_at, created_at)
    when is_open then null
    else greatest(coalesce(archived_at, created_at), created_at)
  end
)) include (created_at, closed_at, is_open, archived_at, type_key);

create index if not exists fact_ticket_never_closed_idx on fact_ticket (created_at) include (type_key)
  where is_open and closed_at is null;

