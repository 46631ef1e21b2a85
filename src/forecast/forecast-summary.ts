/**
 * The workload forecast in one line's worth of numbers: the horizon's expected total with an 80%
 * range for the total (not the sum of the daily ranges, which is far too wide), and the closures
 * per day that keep the backlog flat. The Slack Home tab and the daily digest show it.
 */
import { countDistribution } from '../analytics/workload-forecast.js';
import type { WorkloadForecastResult } from './forecast-workload.js';

export interface ForecastTotal {
  /** First and last city day of the horizon ('YYYY-MM-DD'). */
  firstDay: string;
  lastDay: string;
  days: number;
  /** Expected new tickets over the horizon. */
  expected: number;
  /** 10th and 90th percentile of the horizon's total. */
  low: number;
  high: number;
  /** Closures per day that keep the backlog flat (= expected arrivals per day). */
  keepFlatPerDay: number;
  /** Open tickets at the origin. */
  backlog: number;
  /** The forecast is as of the warehouse's last day, not today. */
  stale: boolean;
}

/**
 * Sums the daily forecasts. The days' counts share one dispersion size r, so the total has mean
 * M = Σμ and variance M + Σμ²/r; it is read as a negative binomial with those two moments. The
 * days are treated as independent, so the range leaves out the uncertainty of the level itself.
 */
export function summarizeForecastTotal(result: WorkloadForecastResult): ForecastTotal {
  const means = result.horizon.map((day) => day.expected);
  const expected = means.reduce((sum, mean) => sum + mean, 0);
  const size = result.model.dispersion_size;
  const squares = means.reduce((sum, mean) => sum + mean * mean, 0);
  const totalSize = size === null || squares === 0 ? null : (size * expected * expected) / squares;
  const distribution = countDistribution(expected, totalSize);
  return {
    firstDay: result.horizon[0]?.date ?? result.as_of,
    lastDay: result.horizon.at(-1)?.date ?? result.as_of,
    days: result.horizon_days,
    expected,
    low: distribution.quantile(0.1),
    high: distribution.quantile(0.9),
    keepFlatPerDay: result.closures.keep_backlog_flat_per_day,
    backlog: result.backlog.open,
    stale: result.stale,
  };
}
