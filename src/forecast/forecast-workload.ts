/**
 * The workload forecast of the warehouse: how many tickets the next city days will bring, overall
 * and for the busiest types, the closures that keeps the backlog flat, and the backtest that says
 * whether to trust it. Answers as of the warehouse's last event, and says so when that is old.
 * `civicops forecast` and GET /api/v1/forecast call these two functions and format the result.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { cityDateKey } from '../shared/city-time.js';
import { InputError } from '../shared/errors.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import {
  cityDayStart,
  countClosuresBetween,
  countOpenAt,
  getCreatedBounds,
  getDailyCreatedCounts,
  getDailyCreatedCountsPerTypeKey,
  type CreatedRange,
} from '../warehouse/workload.repository.js';
import { readWarehouseVersion, versionedCacheOf } from '../warehouse/warehouse-version.repository.js';
import { listRequestTypes } from '../warehouse/request-type.repository.js';
import { backtestForecast } from '../analytics/forecast-backtest.js';
import { addCalendarDays } from '../analytics/report-window.js';
import {
  DEFAULT_WORKLOAD_MODEL,
  WEEKDAY_NAMES,
  daysBetween,
  densifyDailyCounts,
  forecastDailyCounts,
  type WorkloadForecast,
  type WorkloadModelParameters,
} from '../analytics/workload-forecast.js';

type Db = Kysely<WarehouseSchema>;

/** Data older than this (last ticket vs now) is called stale. */
export const STALE_AFTER_HOURS = 48;
/** Days of recent closures the "closing now" rate averages. */
const RECENT_CLOSURE_DAYS = 28;
/** Tie-break of the busiest types: their tickets in the last this many days. */
const RANKING_DAYS = 56;
const DATE_KEY = /^\d{4}-\d{2}-\d{2}$/;

const forecastDaySchema = z.object({
  date: z.string().describe('city day, YYYY-MM-DD'),
  weekday: z.string(),
  expected: z.number().describe('expected new tickets'),
  low: z.number().int().describe('10th percentile'),
  high: z.number().int().describe('90th percentile'),
});

const modelSchema = z.object({
  method: z.enum(['negative-binomial', 'poisson', 'no-history']),
  description: z.string(),
  level: z.number().describe('expected tickets on an average weekday at the origin'),
  weekday_factors: z.record(z.string(), z.number()).describe('multiplier per weekday, averaging 1'),
  dispersion_size: z.number().nullable().describe('negative-binomial size r (Var = μ + μ²/r); null = Poisson'),
  history_days: z.number().int(),
  level_half_life_days: z.number(),
  lookback_days: z.number().int(),
  weekday_prior_tickets: z.number(),
});

const typeForecastSchema = z.object({
  type_key: z.string(),
  display_name: z.string(),
  expected_total: z.number(),
  horizon: z.array(forecastDaySchema),
  model: modelSchema,
});

const requestTypeSchema = z.object({ type_key: z.string(), display_name: z.string() }).nullable();

/** What forecastWorkload returns (and GET /api/v1/forecast answers). */
export const workloadForecastSchema = z.object({
  as_of: z.string().describe('last city day of history used; the forecast covers the days after it'),
  data_through: z.string().nullable().describe('city day of the last ticket created in the warehouse'),
  last_event_at: z.string().nullable(),
  stale: z.boolean().describe(`true when the last ticket is more than ${STALE_AFTER_HOURS} h before now`),
  notice: z.string().nullable(),
  time_zone: z.string(),
  request_type: requestTypeSchema.describe('the one type forecast, or null for every type'),
  horizon_days: z.number().int(),
  horizon: z.array(forecastDaySchema),
  expected_total: z.number(),
  model: modelSchema,
  backlog: z.object({ open: z.number().int(), at: z.string().describe('instant the backlog is counted (end of as_of)') }),
  closures_needed_per_day: z.number().describe('to keep the backlog flat, close as many as arrive: the expected arrivals per day'),
  closures: z.object({
    keep_backlog_flat_per_day: z.number(),
    clear_backlog_in_horizon_per_day: z.number(),
    recent_per_day: z.number().describe(`tickets closed per day over the ${RECENT_CLOSURE_DAYS} days to as_of`),
    explanation: z.string(),
  }),
  by_type: z
    .array(typeForecastSchema)
    .describe('busiest types; their forecasts are separate models and need not add up to the overall one'),
});
export type WorkloadForecastResult = z.infer<typeof workloadForecastSchema>;

/** What backtestWorkload returns. */
export const workloadBacktestSchema = z.object({
  as_of: z.string(),
  data_through: z.string().nullable(),
  stale: z.boolean(),
  notice: z.string().nullable(),
  time_zone: z.string(),
  request_type: requestTypeSchema,
  method: z.string(),
  horizon_days: z.number().int(),
  model_mae: z.number(),
  seasonal_naive_mae: z.number(),
  beats_seasonal_naive: z.boolean(),
  coverage_80: z.number().describe('share of actual counts inside the 10th–90th percentile range'),
  nominal_coverage_80: z.number().describe('share the model expected inside those integer ranges (≥ 0.8)'),
  pit_coverage_80: z.number().describe('randomized-PIT coverage: 0.8 when calibrated, whatever the rounding'),
  origins: z.number().int(),
  points: z.number().int(),
  first_origin: z.string().nullable(),
  last_origin: z.string().nullable(),
  parameters: z.object({ level_half_life_days: z.number(), lookback_days: z.number(), weekday_prior_tickets: z.number() }),
});
export type WorkloadBacktestResult = z.infer<typeof workloadBacktestSchema>;

export interface ForecastOptions {
  timeZone: string;
  /** One type (a canonical type key); all types when absent. */
  typeKey?: string;
  horizonDays?: number;
  /** Last city day of history, 'YYYY-MM-DD' (default: the day of the last ticket, or yesterday if that is today). */
  asOf?: string;
  /** Default: the current time. */
  now?: Date;
  /** How many types by_type lists (default 10; ignored with typeKey). */
  topTypes?: number;
  params?: WorkloadModelParameters;
}

interface Origin {
  asOf: string;
  range: Omit<CreatedRange, 'tickets'>;
  stale: boolean;
  notice: string | null;
  requestType: { type_key: string; display_name: string } | null;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

async function resolveOrigin(db: Db, options: ForecastOptions): Promise<Origin> {
  const now = options.now ?? new Date();
  const today = cityDateKey(now, options.timeZone);
  if (options.asOf !== undefined && (!DATE_KEY.test(options.asOf) || addCalendarDays(options.asOf, 0) !== options.asOf)) {
    throw new InputError(`as-of must be a date such as 2023-07-09 (got "${options.asOf}").`, [
      { path: 'as_of', message: 'not YYYY-MM-DD' },
    ]);
  }
  if (options.asOf !== undefined && options.asOf > today) {
    throw new InputError(`as-of ${options.asOf} is in the future (today is ${today} in ${options.timeZone}).`, [
      { path: 'as_of', message: 'in the future' },
    ]);
  }
  let requestType: Origin['requestType'] = null;
  if (options.typeKey !== undefined) {
    const type = (await listRequestTypes(db)).find((candidate) => candidate.typeKey === options.typeKey);
    if (!type) throw new InputError(`Unknown request type key "${options.typeKey}".`, [{ path: 'type', message: 'unknown type key' }]);
    requestType = { type_key: type.typeKey, display_name: type.displayName };
  }
  // The warehouse's last event is judged over every type: a quiet type is not stale data.
  const range = await getCreatedBounds(db, options.timeZone);
  // Today is not over: a forecast from a live warehouse starts today, with history to yesterday.
  const defaultAsOf = range.lastDay === null || range.lastDay >= today ? addCalendarDays(today, -1) : range.lastDay;
  const asOf = options.asOf ?? defaultAsOf;
  const stale = range.lastCreatedAt === null || now.getTime() - range.lastCreatedAt.getTime() > STALE_AFTER_HOURS * 3_600_000;
  let notice: string | null = null;
  if (range.lastDay === null) {
    notice = 'The warehouse is empty: run `civicops ingest` (or `civicops demo --offline`) first. Every figure is zero.';
  } else if (options.asOf !== undefined) {
    notice =
      asOf > range.lastDay
        ? `Forecast as of ${asOf}, but the data ends ${range.lastDay}: the days after it count as days without tickets.`
        : null;
  } else if (stale) {
    const age = daysBetween(range.lastDay, today);
    notice = `The data ends ${range.lastDay} (${age} day${age === 1 ? '' : 's'} before today, ${today}): this forecast is as of ${asOf}, the warehouse's last event, not today. Run \`civicops ingest\` for a current one.`;
  }
  return { asOf, range, stale, notice, requestType };
}

function describeModel(forecast: WorkloadForecast, params: WorkloadModelParameters): z.infer<typeof modelSchema> {
  const { fit } = forecast;
  const spread = fit.method === 'negative-binomial' ? 'negative-binomial' : 'Poisson';
  return {
    method: fit.method,
    description:
      fit.method === 'no-history'
        ? 'No tickets before the origin: every day is forecast as zero.'
        : `Expected = recent level (exponentially weighted mean of daily counts, half-life ${params.levelHalfLifeDays} days) × weekday factor (share of the last ${params.lookbackDays} days' tickets, shrunk toward 1 by a prior of ${params.weekdayPriorTickets} tickets); 80% range = 10th–90th percentile of a ${spread} distribution fitted to the model's one-day-ahead errors.`,
    level: round(fit.level, 3),
    weekday_factors: Object.fromEntries(WEEKDAY_NAMES.map((name, index) => [name, round(fit.weekdayFactors[index]!, 3)])),
    dispersion_size: fit.dispersionSize === null ? null : round(fit.dispersionSize, 3),
    history_days: fit.historyDays,
    level_half_life_days: params.levelHalfLifeDays,
    lookback_days: params.lookbackDays,
    weekday_prior_tickets: params.weekdayPriorTickets,
  };
}

function horizonOf(forecast: WorkloadForecast): z.infer<typeof forecastDaySchema>[] {
  return forecast.days.map((day) => ({
    date: day.date,
    weekday: WEEKDAY_NAMES[day.isoWeekday - 1]!,
    expected: round(day.expected),
    low: day.low,
    high: day.high,
  }));
}

const expectedTotal = (forecast: WorkloadForecast) => forecast.days.reduce((sum, day) => sum + day.expected, 0);

/**
 * Expected new tickets on each of the next `horizonDays` city days after `as_of` (overall, or one
 * type), with 80% ranges, the busiest types' own forecasts, and the closures per day that keep the
 * backlog flat.
 */
export async function forecastWorkload(db: Db, options: ForecastOptions): Promise<WorkloadForecastResult> {
  const params = options.params ?? DEFAULT_WORKLOAD_MODEL;
  const horizonDays = options.horizonDays ?? 7;
  if (!Number.isInteger(horizonDays) || horizonDays < 1 || horizonDays > 28)
    throw new InputError('The horizon must be 1 to 28 days.', [{ path: 'horizon_days', message: 'out of range' }]);
  const origin = await resolveOrigin(db, options);
  const { asOf, range } = origin;
  const tz = options.timeZone;
  // The level's weights are negligible beyond two lookbacks, so older days are not read.
  const from =
    range.firstDay === null || range.firstDay > asOf ? asOf : maxDay(range.firstDay, addCalendarDays(asOf, 1 - 2 * params.lookbackDays));
  const hasHistory = range.firstDay !== null && range.firstDay <= asOf;
  // The backlog at the end of as_of (or now, if as_of is today).
  const endOfAsOf = cityDayStart(addCalendarDays(asOf, 1), tz);
  const backlogAt = new Date(Math.min(endOfAsOf.getTime(), (options.now ?? new Date()).getTime()));
  const inputs: ForecastInputs = {
    asOf,
    from,
    hasHistory,
    backlogAt,
    timeZone: tz,
    horizonDays,
    params,
    typeKey: options.typeKey,
    topTypes: options.topTypes ?? 10,
  };
  const { forecast, byType, open, recentClosures } = await computeForecastCached(db, inputs);
  const total = expectedTotal(forecast);
  const keepFlat = total / horizonDays;
  const clear = keepFlat + open / horizonDays;
  return {
    as_of: asOf,
    data_through: range.lastDay,
    last_event_at: range.lastCreatedAt?.toISOString() ?? null,
    stale: origin.stale,
    notice: origin.notice,
    time_zone: tz,
    request_type: origin.requestType,
    horizon_days: horizonDays,
    horizon: horizonOf(forecast),
    expected_total: round(total),
    model: describeModel(forecast, params),
    backlog: { open, at: backlogAt.toISOString() },
    closures_needed_per_day: round(keepFlat),
    closures: {
      keep_backlog_flat_per_day: round(keepFlat),
      clear_backlog_in_horizon_per_day: round(clear),
      recent_per_day: round(recentClosures / RECENT_CLOSURE_DAYS),
      explanation: `To keep the backlog flat, close as many tickets as arrive: about ${round(keepFlat, 1)} a day. To also clear the ${open} open ticket${open === 1 ? '' : 's'} within ${horizonDays} days: about ${round(clear, 1)} a day. Over the last ${RECENT_CLOSURE_DAYS} days ${round(recentClosures / RECENT_CLOSURE_DAYS, 1)} a day were closed.`,
    },
    by_type: byType,
  };
}

/** What forecastWorkload's figures are computed from, once the origin is resolved. */
interface ForecastInputs {
  asOf: string;
  /** First day of history read. */
  from: string;
  hasHistory: boolean;
  backlogAt: Date;
  timeZone: string;
  horizonDays: number;
  params: WorkloadModelParameters;
  typeKey: string | undefined;
  topTypes: number;
}

interface ForecastFigures {
  forecast: WorkloadForecast;
  byType: z.infer<typeof typeForecastSchema>[];
  open: number;
  recentClosures: number;
}

/**
 * computeForecast, reused while the warehouse's version (warehouse-version.repository: any write to
 * the facts, the SLA policy or the types moves it) and the inputs are the same: the figures are a
 * pure function of both, and recomputing them (a year of daily counts per type, then a fit per type)
 * cost about 0.6 s per request on 500,000 tickets. Kept per database handle, so separate
 * warehouses (tests, replicas) never share an entry; the promise is kept, so concurrent requests
 * compute once.
 */
async function computeForecastCached(db: Db, inputs: ForecastInputs): Promise<ForecastFigures> {
  const cache = versionedCacheOf(db, await readWarehouseVersion(db));
  const key = `forecast|${JSON.stringify({ ...inputs, backlogAt: inputs.backlogAt.getTime() })}`;
  let computed = cache.get<Promise<ForecastFigures>>(key);
  if (!computed) {
    computed = computeForecast(db, inputs);
    cache.set(key, computed);
    // A failed computation is not kept: the next request tries again.
    computed.catch(() => cache.set(key, undefined));
  }
  // A copy: callers own what they are given, the entry stays as computed.
  return structuredClone(await computed);
}

/** The overall and per-type forecasts, the backlog and the recent closures behind forecastWorkload. */
async function computeForecast(db: Db, inputs: ForecastInputs): Promise<ForecastFigures> {
  const { asOf, from, hasHistory, backlogAt, timeZone: tz, horizonDays, params } = inputs;
  const seriesOf = (rows: readonly { date: string; count: number }[]) => ({
    origin: asOf,
    counts: hasHistory ? densifyDailyCounts(rows, from, asOf) : [],
  });

  // One statement reads the counts per type and day; the overall series is their sum (densify adds rows of a day).
  const typeDayRows = hasHistory
    ? await getDailyCreatedCountsPerTypeKey(db, { from, through: asOf, timeZone: tz, typeKey: inputs.typeKey })
    : [];
  const forecast = forecastDailyCounts(seriesOf(typeDayRows), horizonDays, params);

  let byType: z.infer<typeof typeForecastSchema>[] = [];
  if (inputs.typeKey === undefined && hasHistory) {
    // Types without a dim_request_type row count in the overall series only (as the join had it).
    const rows = typeDayRows.filter((row): row is typeof row & { displayName: string } => row.displayName !== null);
    const rankFrom = addCalendarDays(asOf, 1 - RANKING_DAYS);
    const lookbackFrom = addCalendarDays(asOf, 1 - params.lookbackDays);
    const types = new Map<string, { displayName: string; rows: { date: string; count: number }[]; recent: number; year: number }>();
    for (const row of rows) {
      const type = types.get(row.typeKey) ?? { displayName: row.displayName, rows: [], recent: 0, year: 0 };
      types.set(row.typeKey, type);
      type.rows.push(row);
      if (row.date >= rankFrom) type.recent += row.count;
      if (row.date >= lookbackFrom) type.year += row.count;
    }
    // The busiest types by their own forecast (ties: recent tickets, then name).
    byType = [...types.entries()]
      .filter(([, type]) => type.year > 0)
      .map(([typeKey, type]) => ({ typeKey, type, forecast: forecastDailyCounts(seriesOf(type.rows), horizonDays, params) }))
      .sort(
        (a, b) =>
          expectedTotal(b.forecast) - expectedTotal(a.forecast) ||
          b.type.recent - a.type.recent ||
          a.type.displayName.localeCompare(b.type.displayName),
      )
      .slice(0, inputs.topTypes)
      .map(({ typeKey, type, forecast: typeForecast }) => ({
        type_key: typeKey,
        display_name: type.displayName,
        expected_total: round(expectedTotal(typeForecast)),
        horizon: horizonOf(typeForecast),
        model: describeModel(typeForecast, params),
      }));
  }

  const [open, recentClosures] = await Promise.all([
    countOpenAt(db, backlogAt, inputs.typeKey),
    countClosuresBetween(db, {
      from: addCalendarDays(asOf, 1 - RECENT_CLOSURE_DAYS),
      through: asOf,
      timeZone: tz,
      typeKey: inputs.typeKey,
    }),
  ]);
  return { forecast, byType, open, recentClosures };
}

function maxDay(a: string, b: string): string {
  return a > b ? a : b;
}

export interface BacktestWorkloadOptions extends Omit<ForecastOptions, 'topTypes'> {
  /** Days between origins (default 7). */
  stepDays?: number;
  /** History an origin needs (default 56 days). */
  minHistoryDays?: number;
  /** Only the latest this many origins (default: all with enough history). */
  maxOrigins?: number;
}

/**
 * Rolling-origin backtest over the warehouse's history up to as_of: every 7 days, forecast the
 * next days from what was known then and compare with what came, against seasonal-naive.
 */
export async function backtestWorkload(db: Db, options: BacktestWorkloadOptions): Promise<WorkloadBacktestResult> {
  const params = options.params ?? DEFAULT_WORKLOAD_MODEL;
  const horizonDays = options.horizonDays ?? 7;
  const step = options.stepDays ?? 7;
  const minHistory = options.minHistoryDays ?? 56;
  const origin = await resolveOrigin(db, options);
  const { asOf, range } = origin;
  // Day one of the series is the first ticket's day (of any type, so a type's late start counts as zeros).
  const hasHistory = range.firstDay !== null && range.firstDay <= asOf;
  const rows = hasHistory
    ? await getDailyCreatedCounts(db, { from: range.firstDay!, through: asOf, timeZone: options.timeZone, typeKey: options.typeKey })
    : [];
  const series = { origin: asOf, counts: hasHistory ? densifyDailyCounts(rows, range.firstDay!, asOf) : [] };
  const result = backtestForecast(series, {
    horizonDays,
    stepDays: step,
    minHistoryDays: minHistory,
    maxOrigins: options.maxOrigins,
    params,
  });
  return {
    as_of: asOf,
    data_through: range.lastDay,
    stale: origin.stale,
    notice: origin.notice,
    time_zone: options.timeZone,
    request_type: origin.requestType,
    method: `rolling origin: every ${step} days with at least ${minHistory} days of history, forecast the next ${horizonDays} days; seasonal-naive = same weekday of the week before the origin`,
    horizon_days: horizonDays,
    model_mae: round(result.modelMae, 4),
    seasonal_naive_mae: round(result.seasonalNaiveMae, 4),
    beats_seasonal_naive: result.beatsSeasonalNaive,
    coverage_80: round(result.coverage80, 4),
    nominal_coverage_80: round(result.nominalCoverage80, 4),
    pit_coverage_80: round(result.pitCoverage80, 4),
    origins: result.origins,
    points: result.points,
    first_origin: result.firstOrigin,
    last_origin: result.lastOrigin,
    parameters: {
      level_half_life_days: params.levelHalfLifeDays,
      lookback_days: params.lookbackDays,
      weekday_prior_tickets: params.weekdayPriorTickets,
    },
  };
}
