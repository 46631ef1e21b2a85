/**
 * The workload forecast for the dashboard: forecastWorkload (the same as `civicops forecast`)
 * from the window's last day, or the warehouse's last day by default, with the chart of the last
 * 4 weeks' intake and the forecast's 80% range.
 */
import { z } from 'zod';
import { addCalendarDays } from '../analytics/report-window.js';
import { densifyDailyCounts } from '../analytics/workload-forecast.js';
import { buildForecastChart } from '../charts/forecast-chart.js';
import { forecastWorkload, workloadForecastSchema } from '../forecast/forecast-workload.js';
import { getDailyCreatedCounts } from '../warehouse/workload.repository.js';
import { chartOrNull, chartSpecSchema } from './dashboard-schemas.js';
import {
  dashboardQueryShape,
  dataClockShape,
  describeDashboardWindow,
  filtersEchoSchema,
  resolveWindowFor,
  windowSchema,
  type DashboardQuery,
} from './dashboard-window.js';
import type { DashboardDeps } from './build-summary.js';

/** Days of actual intake drawn before the forecast. */
export const FORECAST_HISTORY_DAYS = 28;

export const forecastQuerySchema = z.strictObject({
  ...dashboardQueryShape,
  horizon_days: z.coerce.number().int().min(1).max(28).default(7).describe('days forecast after the origin (1–28)'),
});
export type ForecastQuery = z.infer<typeof forecastQuerySchema>;

export const forecastViewResponseSchema = z.object({
  ...dataClockShape,
  window: windowSchema,
  filters: filtersEchoSchema,
  forecast: workloadForecastSchema.describe('forecastWorkload, as `civicops forecast --json` prints it (its as_of is the origin day)'),
  chart: chartSpecSchema,
});
export type ForecastViewResponse = z.infer<typeof forecastViewResponseSchema>;

/** The forecast from the window's last day (given `until`) or the warehouse's last day. */
export async function buildForecastView(
  deps: DashboardDeps,
  query: DashboardQuery & { horizon_days?: number },
): Promise<ForecastViewResponse> {
  const window = await resolveWindowFor(deps, query);
  const timeZone = window.analytics.timeZone;
  const typeKey = window.type?.typeKey;
  const forecast = await forecastWorkload(deps.db, {
    timeZone,
    typeKey,
    horizonDays: query.horizon_days,
    asOf: query.until,
    now: deps.now?.(),
  });
  const from = addCalendarDays(forecast.as_of, 1 - FORECAST_HISTORY_DAYS);
  const rows = await getDailyCreatedCounts(deps.db, { from, through: forecast.as_of, timeZone, typeKey });
  const counts = densifyDailyCounts(rows, from, forecast.as_of);
  return {
    ...describeDashboardWindow(window, ['district']),
    forecast,
    chart: chartOrNull(forecast.horizon.length > 0, () =>
      buildForecastChart({
        title: window.type ? `Intake forecast: ${window.type.displayName}` : 'Intake forecast',
        timeZone,
        history: counts.map((count, index) => ({ date: addCalendarDays(from, index), count })),
        horizon: forecast.horizon.map((day) => ({ date: day.date, expected: day.expected, low: day.low, high: day.high })),
      }),
    ),
  };
}
