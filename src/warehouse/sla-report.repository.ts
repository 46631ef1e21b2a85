import { sql, type Kysely, type RawBuilder } from 'kysely';
import { assertWindow, backlogInstant, previousBacklogInstant, previousWindow, type AnalyticsWindow } from '../analytics/report-window.js';
import { slaHoursFor } from '../analytics/sla-policy.js';
import {
  ALL_TYPES_KEY,
  NO_OUTCOMES,
  summarizeType,
  toPeriod,
  type PeriodOutcomes,
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
import { readWarehouseVersion, versionedCacheOf } from './warehouse-version.repository.js';

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

/** One period of the dashboard's summary: tickets created in [since, until), the backlog counted at backlogAt. */
export interface SlaPeriodBounds {
  since: Date;
  until: Date;
  backlogAt: Date;
}

interface PeriodQuery {
  periods: readonly SlaPeriodBounds[];
  now: Date;
  slaHours: number;
  timeZone: string;
  typeKey?: string;
}

/** Figures of one period, of one type or of every type (key ALL_KEY). */
const ALL_KEY = '*';
const cellOf = (index: number, typeKey: string) => `${index}|${typeKey}`;

/**
 * A period's tickets whose outcome no later instant changes: those not open at `asOf` (closed by
 * then, or closed without a date). Their counts and hours to close hold for any later instant
 * until a close falls between the two: before that, a ticket's outcome moves with the clock only
 * while it is open (open_now), which findOpenOutcomes reads again on every request.
 */
interface SettledPeriod {
  tickets: number;
  met: number;
  breached: number;
  p50Ms: number | null;
  p90Ms: number | null;
}

interface SettledOutcomes {
  asOfMs: number;
  /** By cellOf(period index, type key or ALL_KEY). */
  byCell: Map<string, SettledPeriod>;
}

/** Each ticket's period by one CASE (periods do not overlap) instead of a join that tests every period per ticket. */
function periodOfSql(periods: readonly SlaPeriodBounds[]): RawBuilder<unknown> {
  return sql`case ${sql.join(
    periods.map(
      (period, index) =>
        sql`when created_at >= ${period.since}::timestamptz and created_at < ${period.until}::timestamptz then ${index}::int`,
    ),
    sql` `,
  )} end`;
}

function judgedWindowOf(options: PeriodQuery, now: Date) {
  const earliest = new Date(Math.min(...options.periods.map((period) => period.since.getTime())));
  const latest = new Date(Math.max(...options.periods.map((period) => period.until.getTime())));
  return { earliest, window: { since: earliest, until: latest, now, slaHours: options.slaHours, timeZone: options.timeZone } };
}

/** `type_key` grouped per type, a constant otherwise. */
const typeColumnSql = (byType: boolean) => (byType ? sql`type_key` : sql`${ALL_KEY}::text`);

/** The settled part of every period as of `asOf`, per type when `byType` (one pass over the periods' tickets). */
async function findSettledOutcomes(db: Db, options: PeriodQuery, asOf: Date, byType: boolean): Promise<SettledOutcomes> {
  const { earliest, window } = judgedWindowOf(options, asOf);
  const result = await sql<{
    idx: number;
    type_key: string;
    tickets: number;
    met: number;
    breached: number;
    p50_ms: number | null;
    p90_ms: number | null;
  }>`
    with judged as (${judgedTicketsSql(window, earliest, options.typeKey)}),
    placed as (select judged.*, ${periodOfSql(options.periods)} as idx from judged)
    select idx, ${typeColumnSql(byType)} as type_key, count(*) as tickets,
      count(*) filter (where not open_now and ${metSql}) as met,
      count(*) filter (where not open_now and ${breachedSql}) as breached,
      percentile_cont(0.5) within group (order by close_ms::float8) filter (where not open_now and closed_known) as p50_ms,
      percentile_cont(0.9) within group (order by close_ms::float8) filter (where not open_now and closed_known) as p90_ms
    from placed where idx is not null
    group by idx ${byType ? sql`, type_key` : sql``}`.execute(db);
  const byCell = new Map<string, SettledPeriod>();
  for (const row of result.rows) {
    byCell.set(cellOf(Number(row.idx), row.type_key), {
      tickets: Number(row.tickets),
      met: Number(row.met),
      breached: Number(row.breached),
      p50Ms: row.p50_ms,
      p90Ms: row.p90_ms,
    });
  }
  return { asOfMs: asOf.getTime(), byCell };
}

/**
 * The tickets of every period open at `now` (never closed, or closed after it), judged as of `now`,
 * per type when `byType`: the open backlog, read through the never-closed and closed_at indexes.
 */
async function findOpenOutcomes(db: Db, options: PeriodQuery, byType: boolean): Promise<Map<string, { met: number; breached: number }>> {
  const { earliest, window } = judgedWindowOf(options, options.now);
  const result = await sql<{ idx: number; type_key: string; met: number; breached: number }>`
    with judged as (${judgedTicketsSql(window, earliest, options.typeKey, 'open-now')}),
    placed as (select judged.*, ${periodOfSql(options.periods)} as idx from judged)
    select idx, ${typeColumnSql(byType)} as type_key,
      count(*) filter (where ${metSql}) as met, count(*) filter (where ${breachedSql}) as breached
    from placed where idx is not null and open_now
    group by idx ${byType ? sql`, type_key` : sql``}`.execute(db);
  return new Map(
    result.rows.map((row) => [cellOf(Number(row.idx), row.type_key), { met: Number(row.met), breached: Number(row.breached) }]),
  );
}

/** True when some ticket closes in (after, until]: outcomes kept as of `after` may not hold at `until`. */
async function anyCloseBetween(db: Db, after: Date, until: Date): Promise<boolean> {
  if (until.getTime() <= after.getTime()) return false;
  const result = await sql<{ closes: boolean }>`
    select exists (
      select 1 from fact_ticket f where f.closed_at > ${after}::timestamptz and f.closed_at <= ${until}::timestamptz
    ) as closes`.execute(db);
  return result.rows[0]?.closes === true;
}

/** Backlog counts of one warehouse version and type scope, by instant (ms), then by type key. */
type BacklogByInstant = Map<number, Map<string, number>>;

/** Instants kept per scope: the fixed ends of windows, and the moving ones of recent requests. */
const MAX_BACKLOG_INSTANTS = 512;

/** The backlog at an instant counted by countBacklogAt: one type's, or every type's together. */
function backlogOf(backlogs: BacklogByInstant, at: Date, typeKey?: string): number {
  const byType = backlogs.get(at.getTime());
  if (!byType) return 0;
  if (typeKey !== undefined) return byType.get(typeKey) ?? 0;
  let total = 0;
  for (const open of byType.values()) total += open;
  return total;
}

/**
 * Open tickets of each type at each instant (created before it, effective close null or at/after
 * it), added to `known`. As getBacklogSeries does: the effective close is never before creation, so
 * the backlog at t is "created before t" minus "closed before t", and from an instant whose backlog
 * is known it moves by the creations minus the closes in between — two index-only range counts per
 * type. Each instant starts from the nearest known one (a request a few seconds earlier, for the
 * moving instants); the first time, the instants are chained from the first ticket.
 */
async function countBacklogAt(db: Db, instants: readonly Date[], known: BacklogByInstant, typeKey: string | undefined): Promise<void> {
  const asked = [...new Set(instants.map((at) => at.getTime()))].filter((ms) => !known.has(ms)).sort((a, b) => a - b);
  if (asked.length === 0) return;
  const anchors = [...known.keys()];
  const nearest = (ms: number) =>
    anchors.reduce<number | null>((best, at) => (best === null || Math.abs(at - ms) < Math.abs(best - ms) ? at : best), null);
  // [lo, hi) counted, and whether the instant is hi (count added) or lo (count taken off).
  const steps = asked.map((ms, index) => {
    const from = anchors.length > 0 ? nearest(ms) : index === 0 ? null : asked[index - 1]!;
    const forward = from === null || from <= ms;
    const lo = forward ? from : ms;
    const hi = forward ? ms : from!;
    return {
      from,
      forward,
      bounds: sql`(${index}::int, ${lo === null ? '-infinity' : new Date(lo).toISOString()}::timestamptz, ${new Date(hi)}::timestamptz)`,
    };
  });
  const result = await sql<{ idx: number; type_key: string; created: number; closed: number }>`
    select steps.idx, moved.type_key, sum(moved.created) as created, sum(moved.closed) as closed
    from (values ${sql.join(steps.map((step) => step.bounds))}) as steps (idx, lo, hi)
    cross join lateral (
      select f.type_key, count(*) as created, 0 as closed from fact_ticket f
      where f.created_at >= steps.lo and f.created_at < steps.hi ${typeFilterSql(typeKey)}
      group by f.type_key
      union all
      select f.type_key, 0 as created, count(*) as closed from fact_ticket f
      where ${effectiveCloseSql} >= steps.lo and ${effectiveCloseSql} < steps.hi ${typeFilterSql(typeKey)}
      group by f.type_key
    ) moved
    group by steps.idx, moved.type_key`.execute(db);
  const movedByStep = steps.map(() => new Map<string, number>());
  for (const row of result.rows) movedByStep[Number(row.idx)]!.set(row.type_key, Number(row.created) - Number(row.closed));
  const counted: BacklogByInstant = new Map();
  steps.forEach((step, index) => {
    const start = step.from === null ? new Map<string, number>() : (known.get(step.from) ?? counted.get(step.from)!);
    const open = new Map(start);
    for (const [type, moved] of movedByStep[index]!) open.set(type, (open.get(type) ?? 0) + (step.forward ? moved : -moved));
    counted.set(asked[index]!, open);
  });
  if (known.size + counted.size > MAX_BACKLOG_INSTANTS) known.clear();
  for (const [ms, open] of counted) known.set(ms, open);
}

/**
 * What a later instant cannot change, kept per warehouse version (migration 015): the settled
 * tickets' counts and hours to close (until a ticket closes after the instant they were counted
 * at), and the backlog at an instant. Each request adds the tickets open at its `now`, judged as of
 * it (the open backlog, a few index ranges), and counts the backlog at instants not seen yet from
 * the nearest one seen. Returns the figures by cellOf(period index, type key or ALL_KEY) and the
 * backlogs by instant.
 */
async function readPeriodCells(db: Db, options: PeriodQuery, byType: boolean) {
  const { periods } = options;
  for (const period of periods) assertWindow(period);
  const cache = versionedCacheOf(db, await readWarehouseVersion(db));
  const scope = `${byType ? 'by-type' : (options.typeKey ?? '*')}|${options.slaHours}|${periods.map((period) => `${period.since.getTime()}-${period.until.getTime()}`).join(',')}`;
  const settledKey = `sla-periods|${scope}`;
  const backlogKey = `backlog|${options.typeKey ?? '*'}`;
  const backlogs = cache.get<BacklogByInstant>(backlogKey) ?? new Map();

  // Kept from an earlier request only when its instant is not after this one's and no ticket closed in between.
  const kept = cache.get<SettledOutcomes>(settledKey);
  const reusable =
    kept !== undefined && kept.asOfMs <= options.now.getTime() && !(await anyCloseBetween(db, new Date(kept.asOfMs), options.now));
  const [settled, open] = await Promise.all([
    reusable ? kept : findSettledOutcomes(db, options, options.now, byType),
    findOpenOutcomes(db, options, byType),
    countBacklogAt(
      db,
      periods.map((period) => period.backlogAt),
      backlogs,
      options.typeKey,
    ),
  ]);
  cache.set(settledKey, settled);
  cache.set(backlogKey, backlogs);
  /** The outcome counts of one cell (null when the period has no ticket of it). */
  const outcomesOf = (index: number, typeKey: string): PeriodOutcomes | null => {
    const still = settled.byCell.get(cellOf(index, typeKey));
    if (!still) return null;
    const moving = open.get(cellOf(index, typeKey));
    return { ...still, met: still.met + (moving?.met ?? 0), breached: still.breached + (moving?.breached ?? 0) };
  };
  return { outcomesOf, backlogs };
}

/**
 * The outcome figures of many periods at once (the dashboard's window, the previous one and the
 * windows of the usual), each exactly as getSlaReport counts a period — tickets, met, breached,
 * P50/P90 hours to close judged as of `now`, backlog at its instant. Periods must not overlap.
 * Same order as `periods`. Reading every ticket of nine windows takes seconds on a city's
 * warehouse: see readPeriodCells for what is kept between requests.
 */
export async function getSlaPeriods(db: Db, options: PeriodQuery): Promise<SlaPeriod[]> {
  if (options.periods.length === 0) return [];
  const { outcomesOf, backlogs } = await readPeriodCells(db, options, false);
  return options.periods.map((period, index) =>
    toPeriod(outcomesOf(index, ALL_KEY) ?? NO_OUTCOMES, period, backlogOf(backlogs, period.backlogAt, options.typeKey), period.backlogAt),
  );
}

/**
 * The SLA summary of every request type that had tickets in the window or the previous
 * period, or a backlog at either end. Sorted worst first (analytics compareWorstFirst). The
 * figures getSlaPeriods keeps between requests, per type: `civicops report` and the dashboard's
 * SLA table read the same cells.
 */
export async function listTypeReports(db: Db, options: AnalyticsWindow): Promise<TypeSlaSummary[]> {
  assertWindow(options);
  const previous = previousWindow(options);
  const periods: SlaPeriodBounds[] = [
    { since: options.since, until: options.until, backlogAt: backlogInstant(options) },
    { since: previous.since, until: previous.until, backlogAt: previousBacklogInstant(options) },
  ];
  const [policy, types, cells] = await Promise.all([
    loadSlaPolicy(db, options.slaHours),
    db.selectFrom('dim_request_type').select(['type_key', 'display_name']).execute(),
    readPeriodCells(db, { ...options, periods }, true),
  ]);
  const summaries: TypeSlaSummary[] = [];
  for (const type of types) {
    const current = cells.outcomesOf(0, type.type_key);
    const before = cells.outcomesOf(1, type.type_key);
    const currentBacklog = backlogOf(cells.backlogs, periods[0]!.backlogAt, type.type_key);
    const previousBacklog = backlogOf(cells.backlogs, periods[1]!.backlogAt, type.type_key);
    if (!current && !before && currentBacklog === 0 && previousBacklog === 0) continue;
    const identity = { typeKey: type.type_key, displayName: type.display_name, slaHours: slaHoursFor(policy, type.type_key) };
    summaries.push(
      summarizeType(identity, options, {
        current: current ?? NO_OUTCOMES,
        previous: before ?? NO_OUTCOMES,
        currentBacklog,
        previousBacklog,
      }),
    );
  }
  return summaries.sort(compareWorstFirst);
}
