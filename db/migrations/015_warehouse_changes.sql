-- Dashboard API (#12) on large warehouses: the server keeps the figures it computed (summary, filter
-- menus) until the data they read changes, instead of reading every ticket on each request.
-- Every statement that writes the facts, the SLA policy or the request types adds one row here, in
-- its own transaction; the number of committed rows is the warehouse's version. Rows are only ever
-- added, so the count grows with each commit that wrote, in commit order (a sequence's last value
-- would move before the writer commits, and a counter row would make concurrent writers queue and
-- deadlock on it).
create table warehouse_change (
  change_id bigserial primary key,
  table_name text not null,
  changed_at timestamptz not null default now()
);

create function note_warehouse_change() returns trigger language plpgsql as $$
begin
  insert into warehouse_change (table_name) values (tg_table_name);
  return null;
end
$$;

create trigger fact_ticket_change after insert or update or delete or truncate on fact_ticket
  for each statement execute function note_warehouse_change();
create trigger sla_policy_change after insert or update or delete or truncate on sla_policy
  for each statement execute function note_warehouse_change();
create trigger dim_request_type_change after insert or update or delete or truncate on dim_request_type
  for each statement execute function note_warehouse_change();

-- The summary adds, on each request, the tickets still open when its kept part was computed (never
-- closed, or closed after that instant): the never-closed index and this one, as one bitmap.
create index if not exists fact_ticket_closed_at_idx on fact_ticket (closed_at) where closed_at is not null;
