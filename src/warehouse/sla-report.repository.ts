import { sql, type Kysely, type RawBuilder } from 'kysely';
import { assertWindow, backlogInstant, previousBacklogInstant, previousWindow, type AnalyticsWindow } from '../analytics/report-window.js';
import { slaHoursFor } from '../analytics/sla-policy.js';
import {
  ALL_TYPES_KEY,
  NO_OUTCOMES,
  summarizeType,
  toPeriod,
  type SlaPeriod,
  type SlaReport,
  type TypeSlaSummary,
  type WindowOutcomes,
} from '../analytics/sla-report.js';
import { compareWorstFirst } from '../analytics/worst-types.js';
import { UnknownRequestTypeError } from '../shared/errors.js';
import type { WarehouseSchema } from './schema.js';
import { loadSlaPolicy } from './sla-policy.repository.js';
import { breachedSql, effectiveCloseSql, judgedTicketsSql, metSql, typeFilterSql } from './sql-fragments.js';
import { getDailyVolume, getWeeklyVolume } from './volume.repository.js';

type Db = Kysely<WarehouseSchema>;

interface OutcomeRow {
  type_key: string | null;
  cur_tickets: number;
  cur_met: number;
  cur_breached: number;
  cur_p50_ms: number | null;
  cur_p90_ms: number | null;
  prev_tickets: number;
  prev_met: number;
  prev_breached: number;
  prev_p50_ms: number | null;
  prev_p90_ms: number | null;
}

/**
 * Tickets created before `until` and still open at `from` or later (effective close null or at/after
 * `from`): every ticket a backlog count at an instant in [from, until] can see. Written as two
 * disjoint index ranges — never closed, and closing at or after `from` — because the OR of the two
 * made PostgreSQL read every ticket created before `until` (most of the warehouse).
 */
function openSpansSql(from: Date, until: Date, typeKey: string | undefined): RawBuilder<unknown> {
  return sql`
    select f.type_key, f.created_at, null::timestamptz as closes_at
    from fact_ticket f
    where f.is_open and f.closed_at is null and f.created_at < ${until}::timestamptz ${typeFilterSql(typeKey)}
    union all
    select f.type_key, f.created_at, ${effectiveCloseSql} as closes_at
    from fact_ticket f
    where ${effectiveCloseSql} >= ${from}::timestamptz and f.created_at < ${until}::timestamptz ${typeFilterSql(typeKey)}`;
}

interface BacklogRow {
  type_key: string | null;
  cur_backlog: number;
  prev_backlog: number;
}

async function aggregateOutcomes(db: Db, window: AnalyticsWindow, typeKey: string | undefined, byType: boolean): Promise<OutcomeRow[]> {
  const prev = previousWindow(window);
  const cur = sql`created_at >= ${window.since}::timestamptz`;
  const old = sql`created_at < ${window.since}::timestamptz`;
  const result = await sql<OutcomeRow>`
    with judged as (${judgedTicketsSql(window, prev.since, typeKey)})
    select ${byType ? sql`type_key` : sql`null::text as type_key`},
      count(*) filter (where ${cur}) as cur_tickets,
      count(*) filter (where ${cur} and ${metSql}) as cur_met,
      count(*) filter (where ${cur} and ${breachedSql}) as cur_breached,
      percentile_cont(0.5) within group (order by close_ms::float8) filter (where ${cur} and closed_known) as cur_p50_ms,
      percentile_cont(0.9) within group (order by close_ms::float8) filter (where ${cur} and closed_known) as cur_p90_ms,
      count(*) filter (where ${old}) as prev_tickets,
      count(*) filter (where ${old} and ${metSql}) as prev_met,
      count(*) filter (where ${old} and ${breachedSql}) as prev_breached,
      percentile_cont(0.5) within group (order by close_ms::float8) filter (where ${old} and closed_known) as prev_p50_ms,
      percentile_cont(0.9) within group (order by close_ms::float8) filter (where ${old} and closed_known) as prev_p90_ms
    from judged
    ${byType ? sql`group by type_key` : sql``}`.execute(db);
  return result.rows;
}

async function aggregateBacklog(db: Db, window: AnalyticsWindow, typeKey: string | undefined, byType: boolean): Promise<BacklogRow[]> {
  const at = backlogInstant(window);
  const before = previousBacklogInstant(window);
  // Open at instant t: created before t and not yet (effectively) closed at t.
  const result = await sql<BacklogRow>`
    with spans as (${openSpansSql(before, at, typeKey)})
    select ${byType ? sql`type_key` : sql`null::text as type_key`},
      count(*) filter (where closes_at is null or closes_at >= ${at}::timestamptz) as cur_backlog,
      count(*) filter (where created_at < ${before}::timestamptz) as prev_backlog
    from spans
    ${byType ? sql`group by type_key` : sql``}`.execute(db);
  return result.rows;
}

function toWindowOutcomes(outcome: OutcomeRow | undefined, backlog: BacklogRow | undefined): WindowOutcomes {
  return {
    current: outcome
      ? {
          tickets: outcome.cur_tickets,
          met: outcome.cur_met,
          breached: outcome.cur_breached,
          p50Ms: outcome.cur_p50_ms,
          p90Ms: outcome.cur_p90_ms,
        }
      : NO_OUTCOMES,
    previous: outcome
      ? {
          tickets: outcome.prev_tickets,
          met: outcome.prev_met,
          breached: outcome.prev_breached,
          p50Ms: outcome.prev_p50_ms,
          p90Ms: outcome.prev_p90_ms,
        }
      : NO_OUTCOMES,
    currentBacklog: backlog?.cur_backlog ?? 0,
    previousBacklog: backlog?.prev_backlog ?? 0,
  };
}

/**
 * SLA attainment, P50/P90 hours to close, backlog and their trend against the previous period
 * of equal length, plus weekly and daily (rolling 7-day) volume, for tickets created in
 * [since, until) of one request type, or of all types when typeKey is omitted.
 * Throws UnknownRequestTypeError for a typeKey that is not in dim_request_type.
 */
export async function getSlaReport(db: Db, options: AnalyticsWindow & { typeKey?: string }): Promise<SlaReport> {
  assertWindow(options);
  const policy = await loadSlaPolicy(db, options.slaHours);
  let identity: { typeKey: string; displayName: string; slaHours: number };
  if (options.typeKey === undefined) {
    identity = { typeKey: ALL_TYPES_KEY, displayName: 'All request types', slaHours: policy.defaultHours };
  } else {
    const type = await db
      .selectFrom('dim_request_type')
      .select(['type_key', 'display_name'])
      .where('type_key', '=', options.typeKey)
      .executeTakeFirst();
    if (!type) throw new UnknownRequestTypeError(options.typeKey, []);
    identity = { typeKey: type.type_key, displayName: type.display_name, slaHours: slaHoursFor(policy, type.type_key) };
  }
  const [outcomes, backlog, weeklyVolume, dailyVolume] = await Promise.all([
    aggregateOutcomes(db, options, options.typeKey, false),
    aggregateBacklog(db, options, options.typeKey, false),
    getWeeklyVolume(db, options),
    getDailyVolume(db, options),
  ]);
  const summary = summarizeType(identity, options, toWindowOutcomes(outcomes[0], backlog[0]));
  return { ...summary, scopeTypeKey: options.typeKey ?? null, timeZone: options.timeZone, weeklyVolume, dailyVolume };
}

/**
 * The SLA summary of every request type that had tickets in the window or the previous
 * period, or a backlog at either end. Sorted worst first (analytics compareWorstFirst).
 */
export async function listTypeReports(db: Db, options: AnalyticsWindow): Promise<TypeSlaSummary[]> {
  assertWindow(options);
  const [policy, types, outcomes, backlogs] = await Promise.all([
    loadSlaPolicy(db, options.slaHours),
    db.selectFrom('dim_request_type').select(['type_key', 'display_name']).execute(),
    aggregateOutcomes(db, options, undefined, true),
    aggregateBacklog(db, options, undefined, true),
  ]);
  const outcomeByType = new Map(outcomes.map((row) => [row.type_key ?? '', row]));
  const backlogByType = new Map(backlogs.map((row) => [row.type_key ?? '', row]));
  const summaries: TypeSlaSummary[] = [];
  for (const type of types) {
    const outcome = outcomeByType.get(type.type_key);
    const backlog = backlogByType.get(type.type_key);
    if (!outcome && !(backlog && (backlog.cur_backlog > 0 || backlog.prev_backlog > 0))) continue;
    const identity = { typeKey: type.type_key, displayName: type.display_name, slaHours: slaHoursFor(policy, type.type_key) };
    summaries.push(summarizeType(identity, options, toWindowOutcomes(outcome, backlog)));
  }
  return summaries.sort(compareWorstFirst);
}

/** One period of the dashboard's summary: tickets created in [since, until), the backlog counted at backlogAt. */
export interface SlaPeriodBounds {
  since: Date;
  until: Date;
  backlogAt: Date;
}

/**
 * The outcome figures of many periods at once (the dashboard's window, the previous one and the
 * windows of the usual), each exactly as getSlaReport counts a period — tickets, met, breached,
 * P50/P90 hours to close judged as of `now`, backlog at its instant — in two queries over the
 * facts instead of two per period. Periods must not overlap. Same order as `periods`.
 */
export async function getSlaPeriods(
  db: Db,
  options: { periods: readonly SlaPeriodBounds[]; now: Date; slaHours: number; timeZone: string; typeKey?: string },
): Promise<SlaPeriod[]> {
  const { periods } = options;
  if (periods.length === 0) return [];
  for (const period of periods) assertWindow(period);
  const earliest = new Date(Math.min(...periods.map((period) => period.since.getTime())));
  const latest = new Date(Math.max(...periods.map((period) => period.until.getTime())));
  // Each ticket's period by one CASE (periods do not overlap) instead of a join that tests every period per ticket.
  const periodOf = sql`case ${sql.join(
    periods.map(
      (period, index) =>
        sql`when created_at >= ${period.since}::timestamptz and created_at < ${period.until}::timestamptz then ${index}::int`,
    ),
    sql` `,
  )} end`;
  const instants = sql.join(periods.map((period, index) => sql`(${index}::int, ${period.backlogAt}::timestamptz)`));
  const firstInstant = new Date(Math.min(...periods.map((period) => period.backlogAt.getTime())));
  const lastInstant = new Date(Math.max(...periods.map((period) => period.backlogAt.getTime())));
  const judgedWindow = { since: earliest, until: latest, now: options.now, slaHours: options.slaHours, timeZone: options.timeZone };
  const [outcomes, backlogs] = await Promise.all([
    sql<{ idx: number; tickets: number; met: number; breached: number; p50_ms: number | null; p90_ms: number | null }>`
      with judged as (${judgedTicketsSql(judgedWindow, earliest, options.typeKey)}),
      placed as (select judged.*, ${periodOf} as idx from judged)
      select idx, count(*) as tickets,
        count(*) filter (where ${metSql}) as met,
        count(*) filter (where ${breachedSql}) as breached,
        percentile_cont(0.5) within group (order by close_ms::float8) filter (where closed_known) as p50_ms,
        percentile_cont(0.9) within group (order by close_ms::float8) filter (where closed_known) as p90_ms
      from placed where idx is not null
      group by idx`.execute(db),
    sql<{ idx: number; backlog: number }>`
      with spans as (${openSpansSql(firstInstant, lastInstant, options.typeKey)}),
      instants (idx, at) as (values ${instants})
      select instants.idx, count(*) as backlog
      from spans join instants on spans.created_at < instants.at and (spans.closes_at is null or spans.closes_at >= instants.at)
      group by instants.idx`.execute(db),
  ]);
  const outcomeOf = new Map(outcomes.rows.map((row) => [Number(row.idx), row]));
  const backlogOf = new Map(backlogs.rows.map((row) => [Number(row.idx), Number(row.backlog)]));
  return periods.map((period, index) => {
    const row = outcomeOf.get(index);
    const counts = row
      ? { tickets: Number(row.tickets), met: Number(row.met), breached: Number(row.breached), p50Ms: row.p50_ms, p90Ms: row.p90_ms }
      : NO_OUTCOMES;
    return toPeriod(counts, period, backlogOf.get(index) ?? 0, period.backlogAt);
  });
}
