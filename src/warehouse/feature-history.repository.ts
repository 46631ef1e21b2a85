import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { SlaPolicy } from '../analytics/sla-policy.js';
import type { WarehouseSchema } from './schema.js';
import { effectiveCloseSql } from './sql-fragments.js';

/*
 * The reads behind the ticket features: every ticket's lifecycle in creation order (for the
 * streaming pass) and the point-in-time counts of one instant (the exact SQL reference).
 */

type Db = Kysely<WarehouseSchema>;

const DAY_MS = 86_400_000;
const PAGE_SIZE = 20_000;

/** One fact_ticket row as the features read it. */
export interface HistoryTicketRow {
  ticketId: string;
  typeKey: string;
  createdAt: Date;
  closedAt: Date | null;
  /** When a ticket not open and without closedAt was archived (set once by the ingest). */
  archivedAt: Date | null;
  isOpen: boolean;
  durationFlagged: boolean;
  latitude: number | null;
  longitude: number | null;
  commissionDistrict: string | null;
  policeSector: string | null;
  descriptionLength: number;
  reporterDisplay: string | null;
}

/**
 * fact_ticket (tickets created before `createdBefore`, all when omitted) in keyset pages of
 * 20 000, sorted by creation then ticket id, without loading every row object at once.
 */
export async function* readTicketHistoryPages(db: Db, options: { createdBefore?: Date } = {}): AsyncGenerator<HistoryTicketRow[]> {
  let after: { createdAt: Date; ticketId: string } | undefined;
  for (;;) {
    let query = db
      .selectFrom('fact_ticket')
      .select([
        'ticket_id',
        'type_key',
        'created_at',
        'closed_at',
        'archived_at',
        'is_open',
        'duration_flag',
        'latitude',
        'longitude',
        'commission_district',
        'police_sector',
        'description_length',
        'reporter_display',
      ])
      .orderBy('created_at')
      .orderBy(sql`ticket_id collate "C"`)
      .limit(PAGE_SIZE);
    if (options.createdBefore) query = query.where('created_at', '<', options.createdBefore);
    if (after) {
      const { createdAt, ticketId } = after;
      query = query.where(sql<boolean>`(created_at, ticket_id collate "C") > (${createdAt}::timestamptz, ${ticketId} collate "C")`);
    }
    const rows = await query.execute();
    yield rows.map((row) => ({
      ticketId: row.ticket_id,
      typeKey: row.type_key,
      createdAt: row.created_at,
      closedAt: row.closed_at,
      archivedAt: row.archived_at,
      isOpen: row.is_open,
      durationFlagged: row.duration_flag !== null,
      latitude: row.latitude,
      longitude: row.longitude,
      commissionDistrict: row.commission_district,
      policeSector: row.police_sector,
      descriptionLength: row.description_length,
      reporterDisplay: row.reporter_display,
    }));
    if (rows.length < PAGE_SIZE) return;
    const last = rows[rows.length - 1];
    after = { createdAt: last.created_at, ticketId: last.ticket_id };
  }
}

/**
 * Counts at instant T from the events strictly before it (the shape features/ calls
 * ContextCounts; NaN = unknown): windowed intake and backlog, closures with a trusted duration
 * and their breaches, the type's rank by first appearance, the city-local calendar of T.
 */
export interface PointInTimeCounts {
  /** Rank of the type by first appearance; NaN when no ticket of the type was created before T. */
  requestTypeCode: number;
  hourOfDay: number;
  dayOfWeek: number;
  month: number;
  /** NaN for anonymous or missing reporters. */
  reporterPriorTickets: number;
  typePriorTickets: number;
  typeVolume7d: number;
  totalVolume7d: number;
  /** Tickets of the type created in [T - 63 d, T - 7 d): the 8 weeks before the last 7 days. */
  typeVolumePrior8w: number;
  typeBacklog: number;
  totalBacklog: number;
  /** Sum of the type's backlog at T - 7 d, T - 14 d, ..., T - 56 d. */
  typeBacklogWeeklySum: number;
  /** Closures with a trusted duration before T, of the type / of all types / of all types in the last 90 days. */
  typeClosed: number;
  typeBreached: number;
  /** Median milliseconds from creation to close of the type's closures; NaN when none. */
  typeMedianCloseMs: number;
  globalClosed: number;
  globalBreached: number;
  globalClosed90d: number;
  globalBreached90d: number;
  /** Tickets created in [T - 30 d, T) in the ticket's location cell (4-decimal latitude and longitude); NaN without a location. */
  locationTickets30d: number;
}

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
  location_30d: number | null;
}

/** Rounds a coordinate to its 4-decimal location cell: floor(x · 10⁴ + 0.5), as features/ locationCellOf does. */
const locationCellSql = (coordinate: RawBuilder<unknown>) => sql`floor(${coordinate} * 10000 + 0.5)`;

/**
 * The counts of a ticket created at `at` (past included) of type `typeKey`, computed exactly
 * in SQL from the events strictly before `at`. `reporter` is the reporter's identity (null when
 * anonymous: the count is then NaN); `location` its coordinates (null when it has none: the
 * same-location count is then NaN).
 */
export async function findCountsBefore(
  db: Db,
  options: {
    at: Date;
    typeKey: string;
    reporter: string | null;
    location: { latitude: number; longitude: number } | null;
    sla: SlaPolicy;
    timeZone: string;
  },
): Promise<PointInTimeCounts> {
  const { at: t, typeKey: key, reporter, location, sla, timeZone } = options;
  const before = (offsetMs: number) => new Date(t.getTime() - offsetMs);
  const overrides = JSON.stringify([...sla.overrides].map(([type_key, sla_hours]) => ({ type_key, sla_hours })));
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
        coalesce(o.sla_hours, ${sla.defaultHours}::float8) * 3600000 as sla_ms
      from fact_ticket f left join sla_override o on o.type_key = f.type_key
      where f.closed_at is not null and f.duration_flag is null and f.closed_at < ${t}::timestamptz
    ),
    firsts as (
      select type_key, min(created_at) as first_at from spans group by type_key
    )
    select
      extract(hour from ${t}::timestamptz at time zone ${timeZone}::text)::int as hour_of_day,
      extract(isodow from ${t}::timestamptz at time zone ${timeZone}::text)::int as day_of_week,
      extract(month from ${t}::timestamptz at time zone ${timeZone}::text)::int as month,
      exists (select 1 from firsts where type_key = ${key}) as type_seen,
      (select count(*) from firsts x join firsts me on me.type_key = ${key}
        where x.first_at < me.first_at or (x.first_at = me.first_at and x.type_key collate "C" < me.type_key collate "C")) as type_rank,
      (select count(*) from spans where type_key = ${key}) as type_prior,
      (select count(*) from spans where type_key = ${key} and created_at >= ${before(7 * DAY_MS)}::timestamptz) as type_volume_7d,
      (select count(*) from spans where created_at >= ${before(7 * DAY_MS)}::timestamptz) as total_volume_7d,
      (select count(*) from spans where type_key = ${key}
        and created_at >= ${before(63 * DAY_MS)}::timestamptz and created_at < ${before(7 * DAY_MS)}::timestamptz) as type_prior_8w,
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
      (select count(*) from known where closed_at >= ${before(90 * DAY_MS)}::timestamptz) as global_closed_90d,
      (select count(*) from known where closed_at >= ${before(90 * DAY_MS)}::timestamptz and close_ms > sla_ms) as global_breached_90d,
      ${
        reporter === null
          ? sql`null::int8`
          : sql`(select count(*) from fact_ticket where reporter_display = ${reporter} and created_at < ${t}::timestamptz)`
      } as reporter_prior,
      ${
        location === null
          ? sql`null::int8`
          : sql`(select count(*) from fact_ticket
              where created_at >= ${before(30 * DAY_MS)}::timestamptz and created_at < ${t}::timestamptz
                and ${locationCellSql(sql`latitude`)} = ${locationCellSql(sql`${location.latitude}::float8`)}
                and ${locationCellSql(sql`longitude`)} = ${locationCellSql(sql`${location.longitude}::float8`)})`
      } as location_30d`.execute(db);
  const row = result.rows[0];
  return {
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
    locationTickets30d: row.location_30d ?? Number.NaN,
  };
}
