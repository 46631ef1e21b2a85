import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { WarehouseSchema } from './schema.js';
import { effectiveCloseSql, typeFilterSql } from './sql-fragments.js';

type Db = Kysely<WarehouseSchema>;

/** Filters of the dashboard series: one canonical type, one commission district (case and spaces ignored). */
export interface SeriesFilter {
  typeKey?: string;
  district?: string;
}

function districtFilterSql(district: string | undefined): RawBuilder<unknown> {
  return district === undefined ? sql`` : sql`and lower(trim(f.commission_district)) = ${district.trim().toLowerCase()}`;
}

/** Open tickets at the end of one city day. */
export interface BacklogPoint {
  /** City day, 'YYYY-MM-DD'. */
  date: string;
  /** The instant counted: the end of the day, or `cap` when that comes first. */
  at: Date;
  open: number;
}

/**
 * Open tickets at the end of each city day from firstDay to lastDay (the end of a day after
 * `cap` is counted at `cap`), with the backlog rule of every report: created before the instant
 * and not (effectively) closed by it.
 *
 * Only the tickets that touch the window are read, through index-only scans: the backlog at the
 * window's start (never-closed tickets, plus those closing at or after it — two index ranges
 * instead of a pass over every ticket), then +1 per creation and −1 per (effective) close inside
 * the window, bucketed by city day; the backlog of a day is the start plus the running sum. The
 * effective close is never before creation, so "created before t and not closed by t" is exactly
 * "created before t" minus "closed before t". When `cap` comes before the window, every day is
 * counted at `cap`, the start itself.
 */
export async function getBacklogSeries(
  db: Db,
  options: SeriesFilter & { firstDay: string; lastDay: string; timeZone: string; cap: Date },
): Promise<BacklogPoint[]> {
  const tz = options.timeZone;
  const filters = sql`${typeFilterSql(options.typeKey)} ${districtFilterSql(options.district)}`;
  // The last instant counted (ends are increasing) and the window's start, never after it.
  const bound = sql`least(((${options.lastDay}::date + 1)::timestamp at time zone ${tz}::text), ${options.cap}::timestamptz)`;
  const start = sql`least((${options.firstDay}::date::timestamp at time zone ${tz}::text), ${bound})`;
  const result = await sql<{ day: string; at: Date; open: number }>`
    with ends as (
      select d::date as day, least(((d::date + 1)::timestamp at time zone ${tz}::text), ${options.cap}::timestamptz) as at
      from generate_series(${options.firstDay}::date::timestamp, ${options.lastDay}::date::timestamp, interval '1 day') as d
    ),
    events as (
      select f.created_at as t, 1::bigint as delta
      from fact_ticket f
      where f.created_at >= ${start} and f.created_at < ${bound} ${filters}
      union all
      select ${effectiveCloseSql}, -1::bigint
      from fact_ticket f
      where ${effectiveCloseSql} >= ${start} and ${effectiveCloseSql} < ${bound} ${filters}
      union all
      select null, count(*)
      from fact_ticket f
      where f.is_open and f.closed_at is null and f.created_at < ${start} ${filters}
      union all
      select null, count(*)
      from fact_ticket f
      where ${effectiveCloseSql} >= ${start} and f.created_at < ${start} ${filters}
    ),
    per_day as materialized (
      select coalesce((t at time zone ${tz}::text)::date, ${options.firstDay}::date - 1) as day, sum(delta) as delta
      from events group by 1
    )
    select ends.day::text as day, ends.at,
      (select coalesce(sum(per_day.delta), 0) from per_day where per_day.day <= ends.day) as open
    from ends order by ends.day`.execute(db);
  return result.rows.map((row) => ({ date: row.day, at: new Date(row.at), open: Number(row.open) }));
}

/** Tickets created in one city-local ISO week (Monday start). */
export interface WeekCount {
  /** Monday, 'YYYY-MM-DD'. */
  weekStart: string;
  count: number;
}

/**
 * Tickets created from the start of firstDay to the end of lastDay, per city-local week (Monday
 * start), for every week those days touch (zeros included); edge weeks count only their days inside.
 */
export async function getWeeklyCreatedCounts(
  db: Db,
  options: SeriesFilter & { firstDay: string; lastDay: string; timeZone: string },
): Promise<WeekCount[]> {
  const tz = options.timeZone;
  const result = await sql<{ week_start: string; count: number }>`
    with weeks as (
      select w::date as week_start
      from generate_series(date_trunc('week', ${options.firstDay}::date::timestamp), date_trunc('week', ${options.lastDay}::date::timestamp), interval '7 days') as w
    ),
    counts as (
      select date_trunc('week', f.created_at at time zone ${tz}::text)::date as week_start, count(*) as n
      from fact_ticket f
      where f.created_at >= (${options.firstDay}::date::timestamp at time zone ${tz}::text)
        and f.created_at < ((${options.lastDay}::date + 1)::timestamp at time zone ${tz}::text)
        ${typeFilterSql(options.typeKey)} ${districtFilterSql(options.district)}
      group by 1
    )
    select weeks.week_start::text as week_start, coalesce(counts.n, 0) as count
    from weeks left join counts on counts.week_start = weeks.week_start
    order by weeks.week_start`.execute(db);
  return result.rows.map((row) => ({ weekStart: row.week_start, count: Number(row.count) }));
}

/** A filter menu entry with its tickets in a window and in the whole warehouse. */
export interface FilterOption {
  value: string;
  label: string;
  windowTickets: number;
  totalTickets: number;
}

/** Every request type (key and display name) with its tickets created in [since, until) and overall, busiest first. */
export async function countTicketsByType(db: Db, window: { since: Date; until: Date }): Promise<FilterOption[]> {
  const result = await sql<{ type_key: string; display_name: string; in_window: number; total: number }>`
    with per_type as (
      select f.type_key,
        count(*) filter (where f.created_at >= ${window.since}::timestamptz and f.created_at < ${window.until}::timestamptz) as in_window,
        count(*) as total
      from fact_ticket f
      group by f.type_key
    )
    select t.type_key, t.display_name, coalesce(c.in_window, 0) as in_window, coalesce(c.total, 0) as total
    from dim_request_type t left join per_type c on c.type_key = t.type_key
    order by in_window desc, total desc, t.display_name`.execute(db);
  return result.rows.map((row) => ({
    value: row.type_key,
    label: row.display_name,
    windowTickets: Number(row.in_window),
    totalTickets: Number(row.total),
  }));
}

/** Every commission district the tickets name (as the city writes it), with its tickets in [since, until) and overall. */
export async function countTicketsByDistrict(db: Db, window: { since: Date; until: Date }): Promise<FilterOption[]> {
  const result = await sql<{ district: string; in_window: number; total: number }>`
    select trim(f.commission_district) as district,
      count(*) filter (where f.created_at >= ${window.since}::timestamptz and f.created_at < ${window.until}::timestamptz) as in_window,
      count(*) as total
    from fact_ticket f
    where f.commission_district is not null and trim(f.commission_district) <> ''
    group by 1
    order by 1`.execute(db);
  return result.rows.map((row) => ({
    value: row.district,
    label: row.district,
    windowTickets: Number(row.in_window),
    totalTickets: Number(row.total),
  }));
}
