-- CivicOps-311: the SLA analytics of `civicops sla` / `civicops report`, in plain SQL for analysts.
-- Same definitions as src/warehouse/sla-report.repository.ts (and sql-fragments.ts). Parameters are shown as literals:
--   window      tickets created from 2023-04-01 to 2023-06-30 (city days), i.e.
--               [2023-04-01 00:00, 2023-07-01 00:00) America/New_York
--   now         outcomes are judged as of 2023-07-10 00:00 city time
--   SLA_HOURS   72 (only used when sla_policy has no '*' row)
--   type        'road_repair' (a type_key; display names are in dim_request_type)
--
-- Definitions
--   effective SLA   the type's sla_policy row, else the '*' row, else SLA_HOURS
--   deadline        fact_ticket.sla_due_at: when the ticket becomes late under its type's policy
--                   and clock (sla_policy.clock: 'wall' = created_at + hours; 'business' = hours
--                   counted on the city's business days, holidays off, computed by the app);
--                   null only when not computed yet, then created_at + the effective SLA
--   met             closed (closed_at <= now, no duration_flag) by the deadline
--   breached        closed (same) after the deadline, or still open at now past the deadline
--   unknown         open with the deadline still ahead; not open but no closed_at ('Archived');
--                   flagged durations (negative/absurd) — excluded from attainment and percentiles
--   attainment      met / (met + breached)
--   open at time t  created before t and not yet closed at t; a ticket without closed_at that is
--                   no longer open counts as closed at its archived_at (legacy archival; set once
--                   by ingest and frozen — never last_updated_at, which moves on every later edit)
--   weeks and days  city-local (ISO weeks from Monday)

-- 1. Effective SLA of every request type ------------------------------------------------------
select t.type_key, t.display_name,
       coalesce(p.sla_hours, d.sla_hours, 72) as sla_hours,
       case when p.type_key is not null then 'type override'
            when d.type_key is not null then 'default row'
            else 'SLA_HOURS' end as source
from dim_request_type t
left join sla_policy p on p.type_key = t.type_key
left join sla_policy d on d.type_key = '*'
order by t.display_name;

-- 2. SLA attainment and P50/P90 hours to close per type, with the previous period of equal length
with params as (
  select timestamptz '2023-04-01 00:00 America/New_York' as since,
         timestamptz '2023-07-01 00:00 America/New_York' as until,
         timestamptz '2023-07-10 00:00 America/New_York' as now
),
bounds as (
  select since, until, now, since - (until - since) as previous_since from params
),
judged as (
  select f.type_key,
         case when f.created_at >= b.since then 'current' else 'previous' end as period,
         (f.closed_at is not null and f.closed_at <= b.now and f.duration_flag is null) as closed_known,
         extract(epoch from f.closed_at - f.created_at) / 3600 as hours_to_close,
         ((f.closed_at is null and f.is_open) or f.closed_at > b.now) as open_now,
         f.closed_at <= d.due_at as closed_by_due,
         d.due_at < b.now as due_passed
  from fact_ticket f cross join bounds b
  cross join lateral (
    select coalesce(f.sla_due_at, f.created_at + coalesce((select sla_hours from sla_policy where type_key = f.type_key),
                    (select sla_hours from sla_policy where type_key = '*'), 72) * interval '1 hour') as due_at
  ) d
  where f.created_at >= b.previous_since and f.created_at < b.until
)
select t.display_name, j.period,
       count(*) as tickets,
       count(*) filter (where closed_known and closed_by_due) as met,
       count(*) filter (where (closed_known and not closed_by_due) or (open_now and due_passed)) as breached,
       round(100.0 * count(*) filter (where closed_known and closed_by_due)
             / nullif(count(*) filter (where (closed_known) or (open_now and due_passed)), 0), 1) as attainment_pct,
       round((percentile_cont(0.5) within group (order by hours_to_close) filter (where closed_known))::numeric, 1) as p50_hours,
       round((percentile_cont(0.9) within group (order by hours_to_close) filter (where closed_known))::numeric, 1) as p90_hours
from judged j join dim_request_type t on t.type_key = j.type_key
group by t.display_name, j.period
order by t.display_name, j.period;

-- 3. Weekly volume of one type (city-local ISO weeks), zero weeks included ---------------------
with weeks as (
  select w::date as week_start
  from generate_series(date_trunc('week', date '2023-04-01'), date_trunc('week', date '2023-06-30'), interval '7 days') as w
),
counts as (
  select date_trunc('week', f.created_at at time zone 'America/New_York')::date as week_start, count(*) as tickets
  from fact_ticket f
  where f.type_key = 'road_repair'
    and f.created_at >= timestamptz '2023-04-01 00:00 America/New_York'
    and f.created_at <  timestamptz '2023-07-01 00:00 America/New_York'
  group by 1
)
select weeks.week_start, coalesce(counts.tickets, 0) as tickets
from weeks left join counts using (week_start)
order by weeks.week_start;

-- 4. Daily volume with the rolling 7-day count (the 6 days before the window count too) --------
with days as (
  select d::date as day
  from generate_series(date '2023-04-01' - 6, date '2023-06-30', interval '1 day') as d
),
counts as (
  select (f.created_at at time zone 'America/New_York')::date as day, count(*) as tickets
  from fact_ticket f
  where f.created_at >= timestamptz '2023-03-25 00:00 America/New_York'
    and f.created_at <  timestamptz '2023-07-01 00:00 America/New_York'
  group by 1
),
series as (
  select days.day, coalesce(counts.tickets, 0) as tickets,
         sum(coalesce(counts.tickets, 0)) over (order by days.day rows between 6 preceding and current row) as rolling_7d
  from days left join counts using (day)
)
select * from series where day >= date '2023-04-01' order by day;

-- 5. Backlog: open tickets at an instant, per type, now and one period earlier (the trend) -----
with spans as (
  select f.type_key, f.created_at,
         case when f.closed_at is not null then greatest(f.closed_at, f.created_at)
              when f.is_open then null
              else greatest(coalesce(f.archived_at, f.created_at), f.created_at) end as closes_at
  from fact_ticket f
)
select t.display_name,
       count(*) filter (where created_at < timestamptz '2023-07-01 00:00 America/New_York'
                          and (closes_at is null or closes_at >= timestamptz '2023-07-01 00:00 America/New_York')) as backlog_now,
       count(*) filter (where created_at < timestamptz '2023-04-01 00:00 America/New_York'
                          and (closes_at is null or closes_at >= timestamptz '2023-04-01 00:00 America/New_York')) as backlog_before
from spans join dim_request_type t using (type_key)
group by t.display_name
order by backlog_now desc;

-- 6. Surging types: last 7 days against the 8 weeks before ------------------------------------
-- Rule (findSurgingTypes): lambda = max(weekly mean of the 8 weeks, 1); a type surges when its
-- 7-day count is >= 10, >= 2 x lambda, and P(X >= count) < 0.01 for X ~ Poisson(lambda).
-- The Poisson tail is computed in the application; this query gives the counts.
select t.display_name,
       count(*) filter (where f.created_at >= timestamptz '2023-07-10 08:00 America/New_York' - interval '168 hours') as last_7_days,
       round(count(*) filter (where f.created_at < timestamptz '2023-07-10 08:00 America/New_York' - interval '168 hours') / 8.0, 2) as weekly_mean_8w
from fact_ticket f join dim_request_type t using (type_key)
where f.created_at >= timestamptz '2023-07-10 08:00 America/New_York' - interval '1512 hours'
  and f.created_at <  timestamptz '2023-07-10 08:00 America/New_York'
group by t.display_name
order by last_7_days desc;
