import { sql, type Kysely } from 'kysely';
import { InputError } from '../shared/errors.js';
import { effectiveCloseSql, type SlaPolicy } from '../warehouse/analytics.repository.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { assembleFeatures, reporterIdentity, ticketFieldsOf, toFeatureVector, type ContextCounts, type TicketInput } from './assemble-features.js';
import { FEATURE_NAMES, type FeatureVector } from './feature-catalog.js';

const DAY_MS = 86_400_000;

interface CountsRow {
  hour_of_day: number;
  day_of_week: number;
  month: number;
  type_seen: boolean;
  type_rank: number;
  type_prior: number;
  type_volume_7d: number;
  total_volume_7d: number;
  type_prior_8w: number;
  type_backlog: number;
  total_backlog: number;
  type_backlog_weekly_sum: number;
  type_closed: number;
  type_breached: number;
  type_median_ms: number | null;
  global_closed: number;
  global_breached: number;
  global_closed_90d: number;
  global_breached_90d: number;
  reporter_prior: number | null;
}

/**
 * Features of a ticket created at any instant (past included), computed exactly in SQL from
 * the events strictly before `input.createdAt`: the reference for point-in-time correctness
 * and what to use for instants before a FeatureContext's horizon. Same definitions and
 * numbers as computeHistoricalFeatures / FeatureContext.
 */
export async function computeFeaturesAt(
  db: Kysely<WarehouseSchema>,
  input: TicketInput,
  options: { sla: SlaPolicy; timeZone: string },
): Promise<FeatureVector> {
  const t = input.createdAt;
  if (!(t instanceof Date) || Number.isNaN(t.getTime())) throw new InputError('createdAt is not a valid date.');
  const at = (offsetMs: number) => new Date(t.getTime() - offsetMs);
  const overrides = JSON.stringify([...options.sla.overrides].map(([type_key, sla_hours]) => ({ type_key, sla_hours })));
  const reporter = reporterIdentity(input.reporterDisplay);
  const key = input.typeKey;
  const result = await sql<CountsRow>`
    with sla_override as (
      select x.type_key, x.sla_hours from jsonb_to_recordset(${overrides}::jsonb) as x(type_key text, sla_hours float8)
    ),
    spans as (
      select f.type_key, f.created_at, ${effectiveCloseSql} as closes_at
      from fact_ticket f
      where f.created_at < ${t}::timestamptz
    ),
    known as (
      select f.type_key, f.closed_at,
        (extract(epoch from f.closed_at) - extract(epoch from f.created_at)) * 1000 as close_ms,
        coalesce(o.sla_hours, ${options.sla.defaultHours}::float8) * 3600000 as sla_ms
      from fact_ticket f left join sla_override o on o.type_key = f.type_key
      where f.closed_at is not null and f.duration_flag is null and f.closed_at < ${t}::timestamptz
    ),
    firsts as (
      select type_key, min(created_at) as first_at from spans group by type_key
    )
    select
      extract(hour from ${t}::timestamptz at time zone ${options.timeZone}::text)::int as hour_of_day,
      extract(isodow from ${t}::timestamptz at time zone ${options.timeZone}::text)::int as day_of_week,
      extract(month from ${t}::timestamptz at time zone ${options.timeZone}::text)::int as month,
      exists (select 1 from firsts where type_key = ${key}) as type_seen,
      (select count(*) from firsts x join firsts me on me.type_key = ${key}
        where x.first_at < me.first_at or (x.first_at = me.first_at and x.type_key collate "C" < me.type_key collate "C")) as type_rank,
      (select count(*) from spans where type_key = ${key}) as type_prior,
      (select count(*) from spans where type_key = ${key} and created_at >= ${at(7 * DAY_MS)}::timestamptz) as type_volume_7d,
      (select count(*) from spans where created_at >= ${at(7 * DAY_MS)}::timestamptz) as total_volume_7d,
      (select count(*) from spans where type_key = ${key}
        and created_at >= ${at(63 * DAY_MS)}::timestamptz and created_at < ${at(7 * DAY_MS)}::timestamptz) as type_prior_8w,
      (select count(*) from spans where type_key = ${key} and (closes_at is null or closes_at >= ${t}::timestamptz)) as type_backlog,
      (select count(*) from spans where closes_at is null or closes_at >= ${t}::timestamptz) as total_backlog,
      (select count(*) from spans s cross join generate_series(1, 8) as w(week)
        where s.type_key = ${key}
          and s.created_at < ${t}::timestamptz - make_interval(hours => 168 * w.week)
          and (s.closes_at is null or s.closes_at >= ${t}::timestamptz - make_interval(hours => 168 * w.week))) as type_backlog_weekly_sum,
      (select count(*) from known where type_key = ${key}) as type_closed,
      (select count(*) from known where type_key = ${key} and close_ms > sla_ms) as type_breached,
      (select percentile_cont(0.5) within group (order by close_ms::float8) from known where type_key = ${key}) as type_median_ms,
      (select count(*) from known) as global_closed,
      (select count(*) from known where close_ms > sla_ms) as global_breached,
      (select count(*) from known where closed_at >= ${at(90 * DAY_MS)}::timestamptz) as global_closed_90d,
      (select count(*) from known where closed_at >= ${at(90 * DAY_MS)}::timestamptz and close_ms > sla_ms) as global_breached_90d,
      ${
        reporter === null
          ? sql`null::int8`
          : sql`(select count(*) from fact_ticket where reporter_display = ${reporter} and created_at < ${t}::timestamptz)`
      } as reporter_prior`.execute(db);
  const row = result.rows[0];
  const counts: ContextCounts = {
    requestTypeCode: row.type_seen ? row.type_rank : Number.NaN,
    hourOfDay: row.hour_of_day,
    dayOfWeek: row.day_of_week,
    month: row.month,
    reporterPriorTickets: row.reporter_prior ?? Number.NaN,
    typePriorTickets: row.type_prior,
    typeVolume7d: row.type_volume_7d,
    totalVolume7d: row.total_volume_7d,
    typeVolumePrior8w: row.type_prior_8w,
    typeBacklog: row.type_backlog,
    totalBacklog: row.total_backlog,
    typeBacklogWeeklySum: row.type_backlog_weekly_sum,
    typeClosed: row.type_closed,
    typeBreached: row.type_breached,
    typeMedianCloseMs: row.type_median_ms ?? Number.NaN,
    globalClosed: row.global_closed,
    globalBreached: row.global_breached,
    globalClosed90d: row.global_closed_90d,
    globalBreached90d: row.global_breached_90d,
  };
  const out = new Float64Array(FEATURE_NAMES.length);
  assembleFeatures(counts, ticketFieldsOf(input), out, input.overrides);
  return toFeatureVector(out);
}
