import { sql, type Kysely } from 'kysely';
import { assertWindow, cityDaysOf, isPartialWeek, type AnalyticsWindow } from '../analytics/report-window.js';
import { attainmentOf, type DailyVolume, type WeeklyVolume } from '../analytics/sla-report.js';
import type { WarehouseSchema } from './schema.js';
import { breachedSql, effectiveCloseSql, judgedTicketsSql, metSql, typeFilterSql } from './sql-fragments.js';

type Db = Kysely<WarehouseSchema>;

const DAY_MS = 86_400_000;

/**
 * Tickets per city-local day for every day the window touches (zeros included), with the
 * rolling count of the 7 days ending on each day (the 6 days before the window count too).
 */
export async function getDailyVolume(
  db: Db,
  options: { since: Date; until: Date; timeZone: string; typeKey?: string },
): Promise<DailyVolume[]> {
  assertWindow(options);
  const { firstDay, lastDay } = cityDaysOf(options);
  const tz = options.timeZone;
  const result = await sql<{ day: string; count: number; rolling: number }>`
    with days as (
      select d::date as day
      from generate_series((${firstDay}::date - 6)::timestamp, ${lastDay}::date::timestamp, interval '1 day') as d
    ),
    counts as (
      select (f.created_at at time zone ${tz}::text)::date as day, count(*) as n
      from fact_ticket f
      where f.created_at >= ${new Date(options.since.getTime() - 8 * DAY_MS)}::timestamptz
        and f.created_at < ${new Date(options.until.getTime() + DAY_MS)}::timestamptz ${typeFilterSql(options.typeKey)}
      group by 1
    ),
    series as (
      select days.day, coalesce(counts.n, 0) as count,
        sum(coalesce(counts.n, 0)) over (order by days.day rows between 6 preceding and current row) as rolling
      from days left join counts on counts.day = days.day
    )
    select day::text as day, count, rolling from series where day >= ${firstDay}::date order by day`.execute(db);
  return result.rows.map((row) => ({ date: row.day, count: row.count, rolling7dCount: row.rolling }));
}

/**
 * Tickets per city-local ISO week (Monday start) created in the window, zeros included, with
 * each week's SLA attainment as of `now`. Edge weeks only partly inside the window are marked.
 */
export async function getWeeklyVolume(db: Db, options: AnalyticsWindow & { typeKey?: string }): Promise<WeeklyVolume[]> {
  assertWindow(options);
  const days = cityDaysOf(options);
  const tz = options.timeZone;
  const result = await sql<{ week_start: string; count: number; met: number; breached: number }>`
    with weeks as (
      select w::date as week_start
      from generate_series(date_trunc('week', ${days.firstDay}::date::timestamp), date_trunc('week', ${days.lastDay}::date::timestamp), interval '7 days') as w
    ),
    judged as (${judgedTicketsSql(options, options.since, options.typeKey)}),
    counts as (
      select date_trunc('week', created_at at time zone ${tz}::text)::date as week_start,
        count(*) as n,
        count(*) filter (where ${metSql}) as met,
        count(*) filter (where ${breachedSql}) as breached
      from judged group by 1
    )
    select weeks.week_start::text as week_start, coalesce(counts.n, 0) as count,
      coalesce(counts.met, 0) as met, coalesce(counts.breached, 0) as breached
    from weeks left join counts on counts.week_start = weeks.week_start
    order by weeks.week_start`.execute(db);
  return result.rows.map((row) => ({
    weekStart: row.week_start,
    count: row.count,
    attainment: attainmentOf(row.met, row.breached),
    partial: isPartialWeek(row.week_start, days),
  }));
}

/**
 * Open tickets at an instant, overall and per type: created before it and not yet closed at it
 * (a ticket without closed_at that is no longer open counts as closed at its archived_at).
 */
export async function getBacklogAt(
  db: Db,
  at: Date,
): Promise<{ total: number; byType: { typeKey: string; displayName: string; open: number }[] }> {
  const result = await sql<{ type_key: string; display_name: string; open: number }>`
    select f.type_key, t.display_name, count(*) as open
    from fact_ticket f join dim_request_type t on t.type_key = f.type_key
    where f.created_at < ${at}::timestamptz
      and (${effectiveCloseSql} is null or ${effectiveCloseSql} >= ${at}::timestamptz)
    group by f.type_key, t.display_name
    order by open desc, t.display_name`.execute(db);
  const byType = result.rows.map((row) => ({ typeKey: row.type_key, displayName: row.display_name, open: row.open }));
  return { total: byType.reduce((sum, row) => sum + row.open, 0), byType };
}

/** First and last ticket creation in the warehouse (both null when it is empty). */
export async function getTicketTimeRange(db: Db): Promise<{ tickets: number; firstCreatedAt: Date | null; lastCreatedAt: Date | null }> {
  const row = await db
    .selectFrom('fact_ticket')
    .select((eb) => [eb.fn.countAll<number>().as('tickets'), eb.fn.min('created_at').as('first'), eb.fn.max('created_at').as('last')])
    .executeTakeFirstOrThrow();
  return { tickets: Number(row.tickets), firstCreatedAt: row.first ?? null, lastCreatedAt: row.last ?? null };
}

/** The first ticket creation in the warehouse (null when it is empty): min(created_at) from its index. */
export async function getFirstCreatedAt(db: Db): Promise<Date | null> {
  const row = await db
    .selectFrom('fact_ticket')
    .select((eb) => eb.fn.min('created_at').as('first'))
    .executeTakeFirst();
  return row?.first ? new Date(row.first) : null;
}
