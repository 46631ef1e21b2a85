/**
 * Workload forecast: how many tickets will be created on each of the next city days.
 *
 * The model is meant to be explained in one sentence: expected tickets on a day = the recent
 * level (an exponentially weighted mean of the daily counts, with the weekday pattern taken out)
 * × that weekday's factor (the weekday's share of the last year's tickets, shrunk toward 1 when
 * there are few tickets). The 80% range is the 10th–90th percentile of a negative-binomial
 * distribution with that mean, whose over-dispersion is measured on the model's own one-day-ahead
 * errors over the last year (Poisson when there is none).
 *
 * Pure: days are 'YYYY-MM-DD' city-day keys, so DST never enters (a city day is a city day).
 */
import { addCalendarDays } from './report-window.js';

/** Tickets created on one city day. Missing days are read as zero. */
export interface DailyCount {
  date: string;
  count: number;
}

/** The model's few parameters; fixed a priori (see DEFAULT_WORKLOAD_MODEL), not fitted to the backtest. */
export interface WorkloadModelParameters {
  /** Half-life of the level's exponential weights, in days. */
  levelHalfLifeDays: number;
  /** Days before the origin used for the weekday factors and the dispersion. */
  lookbackDays: number;
  /** Prior strength of "every weekday is alike", in tickets: a weekday factor moves away from 1 only with many more tickets than this. */
  weekdayPriorTickets: number;
}

export const DEFAULT_WORKLOAD_MODEL: Readonly<WorkloadModelParameters> = Object.freeze({
  levelHalfLifeDays: 28,
  lookbackDays: 364,
  weekdayPriorTickets: 20,
});

/** ISO weekday names, index 0 = Monday. */
export const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

export interface ForecastDay {
  date: string;
  /** ISO weekday, 1 = Monday. */
  isoWeekday: number;
  /** Expected tickets (the predictive mean). */
  expected: number;
  /** 10th percentile. */
  low: number;
  /** 90th percentile. */
  high: number;
}

export interface WorkloadModelFit {
  /** Expected tickets on an average weekday (the deseasonalized level at the origin). */
  level: number;
  /** Factor per ISO weekday, index 0 = Monday; they average 1. */
  weekdayFactors: number[];
  /** Negative-binomial size r (Var = μ + μ²/r); null means Poisson (no over-dispersion measured). */
  dispersionSize: number | null;
  method: 'negative-binomial' | 'poisson' | 'no-history';
  /** Days of history the fit saw (origin included). */
  historyDays: number;
}

export interface WorkloadForecast {
  /** Last day of history used; the forecast starts the day after. */
  origin: string;
  days: ForecastDay[];
  fit: WorkloadModelFit;
}

const DAY_MS = 86_400_000;

function dayNumber(dateKey: string): number {
  const [year, month, day] = dateKey.split('-').map(Number);
  return Math.round(Date.UTC(year!, month! - 1, day!) / DAY_MS);
}

/** Days from a to b (b − a). */
export function daysBetween(a: string, b: string): number {
  return dayNumber(b) - dayNumber(a);
}

/** ISO weekday of a city day, 1 = Monday. */
export function isoWeekdayOf(dateKey: string): number {
  const weekday = new Date(dayNumber(dateKey) * DAY_MS).getUTCDay();
  return weekday === 0 ? 7 : weekday;
}

/**
 * A dense daily series: one number per day from `from` to `through` (both included), zeros where
 * the input has no row. Rows outside the range are ignored.
 */
export function densifyDailyCounts(counts: readonly DailyCount[], from: string, through: string): number[] {
  const length = daysBetween(from, through) + 1;
  if (length <= 0) return [];
  const series = new Array<number>(length).fill(0);
  const start = dayNumber(from);
  for (const row of counts) {
    const index = dayNumber(row.date) - start;
    if (index >= 0 && index < length) series[index]! += row.count;
  }
  return series;
}

/** A dense series ending on its origin day; index i is `origin − (length − 1 − i)`. */
export interface DailySeries {
  origin: string;
  counts: readonly number[];
}

function weekdayIndexAt(series: DailySeries, index: number): number {
  return isoWeekdayOf(addCalendarDays(series.origin, index - (series.counts.length - 1))) - 1;
}

/** Weekday factors over the lookback window before `end` (exclusive), shrunk toward 1 and averaging 1. */
function weekdayFactorsOf(
  counts: readonly number[],
  weekdayOf: (index: number) => number,
  end: number,
  params: WorkloadModelParameters,
): number[] {
  const start = Math.max(0, end - params.lookbackDays);
  const sums = new Array<number>(7).fill(0);
  const days = new Array<number>(7).fill(0);
  let total = 0;
  for (let index = start; index < end; index++) {
    const weekday = weekdayOf(index);
    sums[weekday]! += counts[index]!;
    days[weekday]! += 1;
    total += counts[index]!;
  }
  const span = end - start;
  if (total === 0 || span === 0) return new Array<number>(7).fill(1);
  const mean = total / span;
  // Gamma(α, α) prior on each weekday's ratio to the mean: the posterior mean below.
  const alpha = params.weekdayPriorTickets;
  const raw = sums.map((sum, weekday) => (sum + alpha) / (days[weekday]! * mean + alpha));
  const average = raw.reduce((a, b) => a + b, 0) / 7;
  return raw.map((factor) => factor / average);
}

/**
 * Fits the model on a dense series ending at its origin and forecasts the next `horizonDays`
 * city days. An empty series forecasts zeros ('no-history').
 */
export function forecastDailyCounts(
  series: DailySeries,
  horizonDays = 7,
  params: WorkloadModelParameters = DEFAULT_WORKLOAD_MODEL,
): WorkloadForecast {
  const counts = series.counts;
  const n = counts.length;
  const weekdayOf = (index: number) => weekdayIndexAt(series, index);
  const horizonDates = Array.from({ length: horizonDays }, (_, h) => addCalendarDays(series.origin, h + 1));
  if (n === 0) {
    return {
      origin: series.origin,
      days: horizonDates.map((date) => ({ date, isoWeekday: isoWeekdayOf(date), expected: 0, low: 0, high: 0 })),
      fit: { level: 0, weekdayFactors: new Array<number>(7).fill(1), dispersionSize: null, method: 'no-history', historyDays: 0 },
    };
  }
  const factors = weekdayFactorsOf(counts, weekdayOf, n, params);
  const decay = 2 ** (-1 / params.levelHalfLifeDays);
  // Level = Σ w·count / Σ w·factor (weights halve every half-life), updated day by day so the
  // same pass gives the one-day-ahead forecasts whose errors measure the dispersion.
  let weightedCounts = 0;
  let weightedFactors = 0;
  let excessVariance = 0;
  let squaredMeans = 0;
  const dispersionFrom = Math.max(1, n - params.lookbackDays);
  for (let index = 0; index < n; index++) {
    const factor = factors[weekdayOf(index)]!;
    if (index >= dispersionFrom && weightedFactors > 0) {
      const mean = (weightedCounts / weightedFactors) * factor;
      excessVariance += (counts[index]! - mean) ** 2 - mean;
      squaredMeans += mean * mean;
    }
    weightedCounts = decay * weightedCounts + counts[index]!;
    weightedFactors = decay * weightedFactors + factor;
  }
  const level = weightedFactors > 0 ? weightedCounts / weightedFactors : 0;
  // Method of moments: Var − μ = μ²/r. Too few errors or none in excess: Poisson.
  const inverseSize = squaredMeans > 0 ? excessVariance / squaredMeans : 0;
  const dispersionSize = inverseSize > 1e-6 ? 1 / inverseSize : null;
  const days = horizonDates.map((date) => {
    const isoWeekday = isoWeekdayOf(date);
    const expected = level * factors[isoWeekday - 1]!;
    const distribution = countDistribution(expected, dispersionSize);
    return { date, isoWeekday, expected, low: distribution.quantile(0.1), high: distribution.quantile(0.9) };
  });
  return {
    origin: series.origin,
    days,
    fit: {
      level,
      weekdayFactors: factors,
      dispersionSize,
      method: dispersionSize === null ? 'poisson' : 'negative-binomial',
      historyDays: n,
    },
  };
}

/** Predictive distribution of one day's count: the CDF and quantiles (integers). */
export interface CountDistribution {
  /** P(X ≤ k); 0 for k < 0. */
  cdf(k: number): number;
  /** Smallest k with P(X ≤ k) ≥ p. */
  quantile(p: number): number;
}

/**
 * Negative binomial with mean μ and size r (Poisson when r is null), as a table of cumulative
 * probabilities. The pmf is summed in log space and normalized, so large means do not underflow.
 */
export function countDistribution(mean: number, size: number | null): CountDistribution {
  if (!(mean > 0)) return { cdf: (k) => (k < 0 ? 0 : 1), quantile: () => 0 };
  const variance = size === null ? mean : mean + (mean * mean) / size;
  const upper = Math.ceil(mean + 12 * Math.sqrt(variance) + 20);
  const logPmf = new Array<number>(upper + 1);
  if (size === null) {
    logPmf[0] = -mean;
    for (let k = 1; k <= upper; k++) logPmf[k] = logPmf[k - 1]! + Math.log(mean / k);
  } else {
    const p = size / (size + mean);
    logPmf[0] = size * Math.log(p);
    for (let k = 1; k <= upper; k++) logPmf[k] = logPmf[k - 1]! + Math.log(((k - 1 + size) / k) * (1 - p));
  }
  const peak = Math.max(...logPmf);
  const cumulative = new Array<number>(upper + 1);
  let running = 0;
  for (let k = 0; k <= upper; k++) {
    running += Math.exp(logPmf[k]! - peak);
    cumulative[k] = running;
  }
  for (let k = 0; k <= upper; k++) cumulative[k]! /= running;
  return {
    cdf: (k) => (k < 0 ? 0 : k >= upper ? 1 : cumulative[Math.floor(k)]!),
    quantile: (p) => {
      for (let k = 0; k <= upper; k++) if (cumulative[k]! >= p - 1e-12) return k;
      return upper;
    },
  };
}
