import { sql, type Kysely, type RawBuilder } from 'kysely';
import { cityDateKey } from '../shared/city-time.js';
import { InputError, UnknownRequestTypeError } from '../shared/errors.js';
import type { WarehouseSchema } from './schema.js';

type Db = Kysely<WarehouseSchema>;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// SLA policy
// ---------------------------------------------------------------------------------------------

/** The sla_policy row that applies to every type without its own row. */
export const DEFAULT_SLA_POLICY_KEY = '*';

/**
 * Effective SLA hours per request type: a type's own sla_policy row, else the '*' row, else
 * the configured SLA_HOURS (only when the '*' row was deleted; migration 002 inserts it).
 */
export interface SlaPolicy {
  readonly defaultHours: number;
  /** Where defaultHours came from: the '*' row of sla_policy or the configured fallback. */
  readonly defaultSource: 'table' | 'config';
  readonly overrides: ReadonlyMap<string, number>;
}

/** A policy with one SLA for every type (tests, benchmarks, or a warehouse without sla_policy rows). */
export function createUniformSlaPolicy(hours: number): SlaPolicy {
  if (!(hours > 0)) throw new InputError(`SLA hours must be positive (got ${hours}).`);
  return { defaultHours: hours, defaultSource: 'config', overrides: new Map() };
}

/** Effective SLA of one request type under a policy. */
export function slaHoursFor(policy: SlaPolicy, typeKey: string): number {
  return policy.overrides.get(typeKey) ?? policy.defaultHours;
}

/** Reads sla_policy; `fallbackHours` (config slaHours) is the default only when there is no '*' row. */
export async function loadSlaPolicy(db: Db, fallbackHours: number): Promise<SlaPolicy> {
  const rows = await db.selectFrom('sla_policy').select(['type_key', 'sla_hours']).execute();
  const overrides = new Map<string, number>();
  let tableDefault: number | undefined;
  for (const row of rows) {
    if (row.type_key === DEFAULT_SLA_POLICY_KEY) tableDefault = row.sla_hours;
    else overrides.set(row.type_key, row.sla_hours);
  }
  return tableDefault === undefined
    ? { defaultHours: fallbackHours, defaultSource: 'config', overrides }
    : { defaultHours: tableDefault, defaultSource: 'table', overrides };
}

/** Sets the SLA of one type, or of every type without its own row when typeKey is '*'. */
export async function setSlaHours(db: Db, typeKey: string, hours: number, note: string | null = null): Promise<void> {
  if (!(hours > 0) || !Number.isFinite(hours)) throw new InputError(`SLA hours must be a positive number (got ${hours}).`);
  await db
    .insertInto('sla_policy')
    .values({ type_key: typeKey, sla_hours: hours, note })
    .onConflict((oc) => oc.column('type_key').doUpdateSet({ sla_hours: hours, note, updated_at: new Date() }))
    .execute();
}

/**
 * Keeps the '*' default row equal to the configured SLA_HOURS, so the environment, the CLI,
 * the model and analysts' SQL agree on the default; per-type rows still override it.
 */
export async function syncDefaultSlaHours(db: Db, hours: number): Promise<void> {
  const current = await db.selectFrom('sla_policy').select('sla_hours').where('type_key', '=', DEFAULT_SLA_POLICY_KEY).executeTakeFirst();
  if (current?.sla_hours === hours) return;
  await setSlaHours(db, DEFAULT_SLA_POLICY_KEY, hours, 'City-wide default, from SLA_HOURS');
}

// The effective SLA in SQL, same rule as loadSlaPolicy: own row, else '*', else the fallback.
function effectiveSlaHours(typeKeyColumn: RawBuilder<unknown>, fallbackHours: number): RawBuilder<number> {
  return sql<number>`coalesce(
    (select p.sla_hours from sla_policy p where p.type_key = ${typeKeyColumn}),
    (select p.sla_hours from sla_policy p where p.type_key = ${DEFAULT_SLA_POLICY_KEY}),
    ${fallbackHours}::float8)`;
}

// ---------------------------------------------------------------------------------------------
// Report types
// ---------------------------------------------------------------------------------------------

/** A time window of ticket creation, evaluated as of `now`. */
export interface AnalyticsWindow {
  /** Tickets created at or after this instant... */
  since: Date;
  /** ...and before this one. */
  until: Date;
  /** Outcomes and the backlog are judged as of this instant (closures after it count as not yet happened). */
  now: Date;
  /** Configured SLA_HOURS: the default only when sla_policy has no '*' row. */
  slaHours: number;
  /** City time zone: days and weeks are city-local. */
  timeZone: string;
}

/** Outcome counts of the tickets created in one period. */
export interface SlaPeriod {
  since: Date;
  until: Date;
  /** Tickets created in the period. */
  tickets: number;
  /** Tickets whose outcome is known as of `now`: closed (duration not flagged) or still open past the SLA. */
  withKnownOutcome: number;
  metSla: number;
  breached: number;
  /** metSla / withKnownOutcome; null when no outcome is known. */
  attainment: number | null;
  /** Over tickets closed (unflagged duration) by `now`; null when none closed. */
  p50HoursToClose: number | null;
  p90HoursToClose: number | null;
  /** Open tickets (any creation date) at `backlogAt`: the end of the period, or `now` if earlier. */
  backlog: number;
  backlogAt: Date;
}

/** One metric now against the previous period of equal length. */
export interface Trend {
  current: number | null;
  previous: number | null;
  /** current - previous (for attainment: a change in share, e.g. -0.05 = 5 points worse). */
  change: number | null;
  /** change / previous; null when previous is 0 or unknown. */
  relativeChange: number | null;
}

export interface SlaTrends {
  tickets: Trend;
  attainment: Trend;
  p50HoursToClose: Trend;
  p90HoursToClose: Trend;
  backlog: Trend;
}

/** SLA performance of one request type in a window and the period before it. */
export interface TypeSlaSummary {
  typeKey: string;
  displayName: string;
  slaHours: number;
  current: SlaPeriod;
  previous: SlaPeriod;
  trends: SlaTrends;
}

/** One city-local day: tickets created that day and in the 7 days ending with it. */
export interface DailyVolume {
  /** 'YYYY-MM-DD', city-local. */
  date: string;
  count: number;
  /** Tickets created in this day and the 6 days before it. */
  rolling7dCount: number;
}

/** One city-local ISO week (Monday start). */
export interface WeeklyVolume {
  /** Monday, 'YYYY-MM-DD', city-local. */
  weekStart: string;
  count: number;
  /** Share of the week's tickets with a known outcome that met the SLA; null when none is known. */
  attainment: number | null;
  /** The week extends beyond the window, so its count covers only part of it. */
  partial: boolean;
}

/** Full report for all tickets (typeKey null) or one request type. */
export interface SlaReport extends TypeSlaSummary {
  typeKey: string;
  /** Null for the report over every type. */
  scopeTypeKey: string | null;
  timeZone: string;
  weeklyVolume: WeeklyVolume[];
  dailyVolume: DailyVolume[];
}

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

interface BacklogRow {
  type_key: string | null;
  cur_backlog: number;
  prev_backlog: number;
}

// ---------------------------------------------------------------------------------------------
// Shared SQL definitions
// ---------------------------------------------------------------------------------------------

/**
 * When a ticket stopped being open, for backlog counts at past instants: its closed_at (never
 * before creation; a close date always wins); for a ticket not open now but without closed_at
 * (legacy 'Archived' and similar) its archived_at, so it leaves the backlog when it was archived
 * instead of staying open forever; null while the ticket is still open. Never last_updated_at:
 * the city bumps it on any later edit, which would move the ticket's exit from the backlog and so
 * change backlog counts (and features) at instants before the edit. archived_at is set once by the
 * ingest and frozen.
 */
export const effectiveCloseSql = sql<Date | null>`case
    when f.closed_at is not null then greatest(f.closed_at, f.created_at)
    when f.is_open then null
    else greatest(coalesce(f.archived_at, f.created_at), f.created_at)
  end`;

function typeFilter(typeKey: string | undefined): RawBuilder<unknown> {
  return typeKey === undefined ? sql`` : sql`and f.type_key = ${typeKey}`;
}

function assertWindow(window: { since: Date; until: Date }): void {
  if (!(window.since instanceof Date) || Number.isNaN(window.since.getTime())) throw new InputError('since is not a valid date.');
  if (!(window.until instanceof Date) || Number.isNaN(window.until.getTime())) throw new InputError('until is not a valid date.');
  if (window.since.getTime() >= window.until.getTime()) {
    throw new InputError(`The window is empty: since (${window.since.toISOString()}) must be before until (${window.until.toISOString()}).`);
  }
}

function previousWindow(window: { since: Date; until: Date }): { since: Date; until: Date } {
  const length = window.until.getTime() - window.since.getTime();
  return { since: new Date(window.since.getTime() - length), until: window.since };
}

// Outcome per ticket as of `now`, classified in one place for every report query:
// met = closed by now within its SLA; breached = closed late, or open at now and older than the SLA.
// Flagged durations and closed-without-date tickets (Archived) have no known outcome.
function judgedTicketsSql(window: AnalyticsWindow, from: Date, typeKey: string | undefined): RawBuilder<unknown> {
  const now = window.now;
  return sql`
    select f.type_key, f.created_at,
      (f.closed_at is not null and f.closed_at <= ${now}::timestamptz and f.duration_flag is null) as closed_known,
      (extract(epoch from f.closed_at) - extract(epoch from f.created_at)) * 1000 as close_ms,
      ((f.closed_at is null and f.is_open) or f.closed_at > ${now}::timestamptz) as open_now,
      (extract(epoch from ${now}::timestamptz) - extract(epoch from f.created_at)) * 1000 as age_ms,
      ${effectiveSlaHours(sql`f.type_key`, window.slaHours)} * ${HOUR_MS}::float8 as sla_ms
    from fact_ticket f
    where f.created_at >= ${from}::timestamptz and f.created_at < ${window.until}::timestamptz ${typeFilter(typeKey)}`;
}

const metSql = sql`(closed_known and close_ms <= sla_ms)`;
const breachedSql = sql`((closed_known and close_ms > sla_ms) or (open_now and age_ms > sla_ms))`;

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

/** When the backlog of a window is measured: its end, or now if the window reaches past now. */
function backlogInstant(window: AnalyticsWindow): Date {
  return new Date(Math.min(window.until.getTime(), window.now.getTime()));
}

async function aggregateBacklog(db: Db, window: AnalyticsWindow, typeKey: string | undefined, byType: boolean): Promise<BacklogRow[]> {
  const at = backlogInstant(window);
  const before = new Date(at.getTime() - (window.until.getTime() - window.since.getTime()));
  // Open at instant t: created before t and not yet (effectively) closed at t.
  const result = await sql<BacklogRow>`
    with spans as (
      select f.type_key, f.created_at, ${effectiveCloseSql} as closes_at
      from fact_ticket f
      where f.created_at < ${at}::timestamptz ${typeFilter(typeKey)}
    )
    select ${byType ? sql`type_key` : sql`null::text as type_key`},
      count(*) filter (where closes_at is null or closes_at >= ${at}::timestamptz) as cur_backlog,
      count(*) filter (where created_at < ${before}::timestamptz and (closes_at is null or closes_at >= ${before}::timestamptz)) as prev_backlog
    from spans
    where closes_at is null or closes_at >= ${before}::timestamptz
    ${byType ? sql`group by type_key` : sql``}`.execute(db);
  return result.rows;
}

function toTrend(current: number | null, previous: number | null): Trend {
  const change = current === null || previous === null ? null : current - previous;
  const relativeChange = change === null || previous === null || previous === 0 ? null : change / previous;
  return { current, previous, change, relativeChange };
}

function toPeriod(
  counts: { tickets: number; met: number; breached: number; p50: number | null; p90: number | null },
  bounds: { since: Date; until: Date },
  backlog: number,
  backlogAt: Date,
): SlaPeriod {
  const known = counts.met + counts.breached;
  return {
    since: bounds.since,
    until: bounds.until,
    tickets: counts.tickets,
    withKnownOutcome: known,
    metSla: counts.met,
    breached: counts.breached,
    attainment: known === 0 ? null : counts.met / known,
    p50HoursToClose: counts.p50 === null ? null : counts.p50 / HOUR_MS,
    p90HoursToClose: counts.p90 === null ? null : counts.p90 / HOUR_MS,
    backlog,
    backlogAt,
  };
}

const EMPTY_OUTCOMES: Omit<OutcomeRow, 'type_key'> = {
  cur_tickets: 0,
  cur_met: 0,
  cur_breached: 0,
  cur_p50_ms: null,
  cur_p90_ms: null,
  prev_tickets: 0,
  prev_met: 0,
  prev_breached: 0,
  prev_p50_ms: null,
  prev_p90_ms: null,
};

function toSummary(
  identity: { typeKey: string; displayName: string; slaHours: number },
  window: AnalyticsWindow,
  outcomes: Omit<OutcomeRow, 'type_key'>,
  backlog: { cur_backlog: number; prev_backlog: number },
): TypeSlaSummary {
  const prev = previousWindow(window);
  const at = backlogInstant(window);
  const prevAt = new Date(at.getTime() - (window.until.getTime() - window.since.getTime()));
  const current = toPeriod(
    { tickets: outcomes.cur_tickets, met: outcomes.cur_met, breached: outcomes.cur_breached, p50: outcomes.cur_p50_ms, p90: outcomes.cur_p90_ms },
    window,
    backlog.cur_backlog,
    at,
  );
  const previous = toPeriod(
    { tickets: outcomes.prev_tickets, met: outcomes.prev_met, breached: outcomes.prev_breached, p50: outcomes.prev_p50_ms, p90: outcomes.prev_p90_ms },
    prev,
    backlog.prev_backlog,
    prevAt,
  );
  return {
    ...identity,
    current,
    previous,
    trends: {
      tickets: toTrend(current.tickets, previous.tickets),
      attainment: toTrend(current.attainment, previous.attainment),
      p50HoursToClose: toTrend(current.p50HoursToClose, previous.p50HoursToClose),
      p90HoursToClose: toTrend(current.p90HoursToClose, previous.p90HoursToClose),
      backlog: toTrend(current.backlog, previous.backlog),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Public queries
// ---------------------------------------------------------------------------------------------

/** Pseudo type key of the report over every request type. */
export const ALL_TYPES_KEY = '*';

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
  const summary = toSummary(identity, options, outcomes[0] ?? EMPTY_OUTCOMES, backlog[0] ?? { cur_backlog: 0, prev_backlog: 0 });
  return { ...summary, scopeTypeKey: options.typeKey ?? null, timeZone: options.timeZone, weeklyVolume, dailyVolume };
}

/**
 * The SLA summary of every request type that had tickets in the window or the previous
 * period, or a backlog at either end. Sorted worst first: lowest attainment, then most
 * breaches; types with no known outcome last.
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
    summaries.push(
      toSummary(
        { typeKey: type.type_key, displayName: type.display_name, slaHours: slaHoursFor(policy, type.type_key) },
        options,
        outcome ?? EMPTY_OUTCOMES,
        backlog ?? { cur_backlog: 0, prev_backlog: 0 },
      ),
    );
  }
  return summaries.sort(compareWorstFirst);
}

/** Worst-first order of type summaries (see listTypeReports). */
export function compareWorstFirst(a: TypeSlaSummary, b: TypeSlaSummary): number {
  const left = a.current.attainment;
  const right = b.current.attainment;
  if (left === null && right !== null) return 1;
  if (right === null && left !== null) return -1;
  if (left !== null && right !== null && left !== right) return left - right;
  if (a.current.breached !== b.current.breached) return b.current.breached - a.current.breached;
  return a.displayName.localeCompare(b.displayName);
}

/**
 * The `limit` worst types (Slack `/sla` without text, daily digest), skipping types with fewer
 * than `minKnownOutcomes` judged tickets so one late ticket does not top the list.
 */
export function selectWorstTypes(summaries: readonly TypeSlaSummary[], limit = 5, minKnownOutcomes = 5): TypeSlaSummary[] {
  return [...summaries]
    .filter((summary) => summary.current.withKnownOutcome >= minKnownOutcomes)
    .sort(compareWorstFirst)
    .slice(0, limit);
}

function firstAndLastDay(window: { since: Date; until: Date; timeZone: string }): { firstDay: string; lastDay: string } {
  return { firstDay: cityDateKey(window.since, window.timeZone), lastDay: cityDateKey(window.until.getTime() - 1, window.timeZone) };
}

/**
 * Tickets per city-local day for every day the window touches (zeros included), with the
 * rolling count of the 7 days ending on each day (the 6 days before the window count too).
 */
export async function getDailyVolume(
  db: Db,
  options: { since: Date; until: Date; timeZone: string; typeKey?: string },
): Promise<DailyVolume[]> {
  assertWindow(options);
  const { firstDay, lastDay } = firstAndLastDay(options);
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
        and f.created_at < ${new Date(options.until.getTime() + DAY_MS)}::timestamptz ${typeFilter(options.typeKey)}
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
  const { firstDay, lastDay } = firstAndLastDay(options);
  const tz = options.timeZone;
  const result = await sql<{ week_start: string; count: number; met: number; breached: number }>`
    with weeks as (
      select w::date as week_start
      from generate_series(date_trunc('week', ${firstDay}::date::timestamp), date_trunc('week', ${lastDay}::date::timestamp), interval '7 days') as w
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
  return result.rows.map((row) => {
    const weekEnd = addDays(row.week_start, 6);
    const known = row.met + row.breached;
    return {
      weekStart: row.week_start,
      count: row.count,
      attainment: known === 0 ? null : row.met / known,
      partial: row.week_start < firstDay || weekEnd > lastDay,
    };
  });
}

/** 'YYYY-MM-DD' plus n calendar days. */
function addDays(dateKey: string, days: number): string {
  const [year, month, day] = dateKey.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/**
 * Open tickets at an instant, overall and per type: created before it and not yet closed at it
 * (a ticket without closed_at that is no longer open counts as closed at its archived_at).
 */
export async function getBacklogAt(db: Db, at: Date): Promise<{ total: number; byType: { typeKey: string; displayName: string; open: number }[] }> {
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

// ---------------------------------------------------------------------------------------------
// Surges
// ---------------------------------------------------------------------------------------------

/** Thresholds of the surge rule; see findSurgingTypes. */
export interface SurgeRule {
  minCount: number;
  minRatio: number;
  maxPValue: number;
  /** Floor of the baseline weekly rate, so a type new in the last 8 weeks is judged against 1/week. */
  minWeeklyRate: number;
}

export const DEFAULT_SURGE_RULE: SurgeRule = { minCount: 10, minRatio: 2, maxPValue: 0.01, minWeeklyRate: 1 };

export interface TypeSurgeAssessment {
  typeKey: string;
  displayName: string;
  /** Tickets created in the 7 × 24 h before `now`. */
  last7Days: number;
  /** Tickets per week in the 8 weeks before those 7 days. */
  weeklyMean: number;
  /** last7Days / max(weeklyMean, minWeeklyRate). */
  ratio: number;
  /** P(X ≥ last7Days) for X ~ Poisson(max(weeklyMean, minWeeklyRate)). */
  pValue: number;
  surging: boolean;
}

/**
 * Every type with tickets in the last 7 days or the 8 weeks before, with its surge verdict,
 * surging types first (smallest p-value first), then by last-7-day count.
 */
export async function assessTypeSurges(db: Db, options: { now: Date; rule?: Partial<SurgeRule> }): Promise<TypeSurgeAssessment[]> {
  const rule = { ...DEFAULT_SURGE_RULE, ...options.rule };
  const now = options.now.getTime();
  const weekAgo = new Date(now - 7 * DAY_MS);
  const baselineStart = new Date(now - 63 * DAY_MS);
  const result = await sql<{ type_key: string; display_name: string; last7: number; prior: number }>`
    select f.type_key, t.display_name,
      count(*) filter (where f.created_at >= ${weekAgo}::timestamptz) as last7,
      count(*) filter (where f.created_at < ${weekAgo}::timestamptz) as prior
    from fact_ticket f join dim_request_type t on t.type_key = f.type_key
    where f.created_at >= ${baselineStart}::timestamptz and f.created_at < ${options.now}::timestamptz
    group by f.type_key, t.display_name`.execute(db);
  return result.rows
    .map((row) => judgeSurge({ typeKey: row.type_key, displayName: row.display_name, last7Days: row.last7, weeklyMean: row.prior / 8 }, rule))
    .sort((a, b) => Number(b.surging) - Number(a.surging) || a.pValue - b.pValue || b.last7Days - a.last7Days);
}

/**
 * Request types whose intake surged in the last 7 days (7 × 24 h before `now`). Rule: with
 * λ = max(the type's weekly mean over the 8 weeks before those 7 days, 1), a type surges when
 * its last-7-day count is at least 10, at least 2 × λ, and P(X ≥ count) < 0.01 for
 * X ~ Poisson(λ) — i.e. far more than its usual week would produce by chance.
 */
export async function findSurgingTypes(db: Db, options: { now: Date; rule?: Partial<SurgeRule> }): Promise<TypeSurgeAssessment[]> {
  return (await assessTypeSurges(db, options)).filter((assessment) => assessment.surging);
}

/** Applies the surge rule to one type's counts (pure; exported for the digest's wording and tests). */
export function judgeSurge(
  counts: { typeKey: string; displayName: string; last7Days: number; weeklyMean: number },
  rule: SurgeRule = DEFAULT_SURGE_RULE,
): TypeSurgeAssessment {
  const lambda = Math.max(counts.weeklyMean, rule.minWeeklyRate);
  const pValue = poissonUpperTail(counts.last7Days, lambda);
  const ratio = counts.last7Days / lambda;
  const surging = counts.last7Days >= rule.minCount && ratio >= rule.minRatio && pValue < rule.maxPValue;
  return { ...counts, ratio, pValue, surging };
}

/** P(X ≥ k) for X ~ Poisson(lambda), summed in log space so large counts do not underflow. */
export function poissonUpperTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  if (k <= lambda) {
    // Below the mean the lower tail is the short sum: 1 - P(X ≤ k - 1).
    let term = Math.exp(-lambda);
    let lower = term;
    for (let i = 1; i < k; i++) {
      term *= lambda / i;
      lower += term;
    }
    return Math.max(0, 1 - lower);
  }
  let logFactorial = 0;
  for (let i = 2; i <= k; i++) logFactorial += Math.log(i);
  let term = Math.exp(-lambda + k * Math.log(lambda) - logFactorial);
  let tail = 0;
  for (let i = k; term > tail * 1e-15 && i < k + 100_000; i++) {
    tail += term;
    term *= lambda / (i + 1);
  }
  return Math.min(1, tail);
}
