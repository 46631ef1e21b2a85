-- SLA policy: how many hours a request type may take from creation to close.
-- type_key '*' is the default row for every type without its own row. Analytics and features
-- read the effective SLA of a type as: its own row, else the '*' row, else SLA_HOURS. civicops
-- keeps the '*' row equal to the configured SLA_HOURS when it opens the warehouse, so set
-- SLA_HOURS to change the city-wide default and add rows here for per-type SLAs.
create table sla_policy (
  type_key    text primary key,
  sla_hours   double precision not null check (sla_hours > 0),
  note        text,
  updated_at  timestamptz not null default now()
);

insert into sla_policy (type_key, sla_hours, note)
values ('*', 72, 'City-wide default: a ticket should close within 72 hours of creation.');

