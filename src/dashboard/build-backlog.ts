/** The backlog over the window: open tickets at the end of each city day (at as_of for a day not over yet). */
import { z } from 'zod';
import { buildBacklogChart } from '../charts/backlog-chart.js';
import { getBacklogSeries } from '../warehouse/dashboard.repository.js';
import { chartOrNull, chartSpecSchema } from './dashboard-schemas.js';
import {
  dataClockShape,
  describeDashboardWindow,
  filtersEchoSchema,
  resolveWindowFor,
  windowSchema,
  type DashboardQuery,
} from './dashboard-window.js';
import type { DashboardDeps } from './build-summary.js';

export const backlogResponseSchema = z.object({
  ...dataClockShape,
  window: windowSchema,
  filters: filtersEchoSchema,
  points: z.array(
    z.object({
      date: z.string().describe('city day, YYYY-MM-DD'),
      at: z.string().describe('the instant counted: the end of the day, or as_of when that comes first'),
      open: z.number().int().describe('tickets created before `at` and not closed (nor archived) by it'),
    }),
  ),
  chart: chartSpecSchema,
});
export type BacklogResponse = z.infer<typeof backlogResponseSchema>;

/** Open tickets at the end of every day of the window (same rule as the report's backlog). */
export async function buildBacklog(deps: DashboardDeps, query: DashboardQuery): Promise<BacklogResponse> {
  const window = await resolveWindowFor(deps, query);
  const series = await getBacklogSeries(deps.db, {
    firstDay: window.sinceDay,
    lastDay: window.untilDay,
    timeZone: window.analytics.timeZone,
    cap: window.clock.asOf,
    typeKey: window.type?.typeKey,
    district: window.district ?? undefined,
  });
  const points = series.map((point) => ({ date: point.date, at: point.at.toISOString(), open: point.open }));
  return {
    ...describeDashboardWindow(window),
    points,
    chart: chartOrNull(points.length > 0, () =>
      buildBacklogChart({ points: points.map(({ date, open }) => ({ date, open })), timeZone: window.analytics.timeZone }),
    ),
  };
}
