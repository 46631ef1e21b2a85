/**
 * Rolling-origin backtest of the workload forecast: from many origins in the history, forecast
 * the next days with only what was known at the origin, and compare with what came. The yardstick
 * is the seasonal-naive forecast (the same weekday of the week before the origin).
 */
import { addCalendarDays } from './report-window.js';
import {
  DEFAULT_WORKLOAD_MODEL,
  countDistribution,
  forecastDailyCounts,
  type DailySeries,
  type WorkloadModelParameters,
} from './workload-forecast.js';

export interface BacktestOptions {
  horizonDays?: number;
  /** Days between origins. */
  stepDays?: number;
  /** Days of history an origin needs (the origin day included). */
  minHistoryDays?: number;
  /** Keep only the latest this many origins (default: every origin with enough history). */
  maxOrigins?: number;
  params?: WorkloadModelParameters;
}

export interface BacktestResult {
  /** Mean absolute error of the model's expected counts. */
  modelMae: number;
  /** Mean absolute error of "same weekday last week". */
  seasonalNaiveMae: number;
  /** Share of actual counts inside the model's 10th–90th percentile range. */
  coverage80: number;
  /**
   * Share the model itself expected inside those ranges. Counts are integers, so a 10th–90th
   * percentile range holds more than 80% of the probability (all of it for a day with no
   * tickets expected); coverage80 should be close to this figure, not to 0.8.
   */
  nominalCoverage80: number;
  /**
   * Coverage of the randomized PIT in [0.1, 0.9], taken in expectation (no random draw): 0.8
   * when the predictive distributions are calibrated, whatever the integer rounding.
   */
  pitCoverage80: number;
  origins: number;
  points: number;
  firstOrigin: string | null;
  lastOrigin: string | null;
  beatsSeasonalNaive: boolean;
}

/**
 * Backtests on a dense series ending at its origin (the last day with known actuals). Origins go
 * back from `origin − horizon` in steps of `stepDays` while they have `minHistoryDays` of history.
 */
export function backtestForecast(series: DailySeries, options: BacktestOptions = {}): BacktestResult {
  const horizon = options.horizonDays ?? 7;
  const step = options.stepDays ?? 7;
  // Eight weeks: enough for a level, and seasonal-naive needs at least one week.
  const minHistory = Math.max(options.minHistoryDays ?? 56, 7);
  const params = options.params ?? DEFAULT_WORKLOAD_MODEL;
  const counts = series.counts;
  const n = counts.length;
  const originIndexes: number[] = [];
  for (let index = n - 1 - horizon; index >= minHistory - 1; index -= step) originIndexes.push(index);
  if (options.maxOrigins !== undefined) originIndexes.splice(options.maxOrigins);
  originIndexes.reverse();

  let modelError = 0;
  let naiveError = 0;
  let covered = 0;
  let nominal = 0;
  let pit = 0;
  let points = 0;
  for (const originIndex of originIndexes) {
    const history: DailySeries = {
      origin: addCalendarDays(series.origin, originIndex - (n - 1)),
      counts: counts.slice(0, originIndex + 1),
    };
    const forecast = forecastDailyCounts(history, horizon, params);
    forecast.days.forEach((day, h) => {
      const actual = counts[originIndex + 1 + h]!;
      // Same weekday in the last week before the origin.
      const naive = counts[originIndex + 1 + h - 7 * Math.ceil((h + 1) / 7)]!;
      modelError += Math.abs(actual - day.expected);
      naiveError += Math.abs(actual - naive);
      if (actual >= day.low && actual <= day.high) covered += 1;
      const distribution = countDistribution(day.expected, forecast.fit.dispersionSize);
      nominal += distribution.cdf(day.high) - distribution.cdf(day.low - 1);
      const below = distribution.cdf(actual - 1);
      const atOrBelow = distribution.cdf(actual);
      const width = atOrBelow - below;
      pit += width > 0 ? Math.max(0, Math.min(atOrBelow, 0.9) - Math.max(below, 0.1)) / width : 0;
      points += 1;
    });
  }
  const mean = (sum: number) => (points === 0 ? 0 : sum / points);
  return {
    modelMae: mean(modelError),
    seasonalNaiveMae: mean(naiveError),
    coverage80: mean(covered),
    nominalCoverage80: mean(nominal),
    pitCoverage80: mean(pit),
    origins: originIndexes.length,
    points,
    firstOrigin: originIndexes.length ? addCalendarDays(series.origin, originIndexes[0]! - (n - 1)) : null,
    lastOrigin: originIndexes.length ? addCalendarDays(series.origin, originIndexes[originIndexes.length - 1]! - (n - 1)) : null,
    beatsSeasonalNaive: points > 0 && modelError < naiveError,
  };
}
