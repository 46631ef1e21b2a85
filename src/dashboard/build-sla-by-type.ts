/**
 * SLA by request type for the dashboard: the rows of `civicops report --json` (listTypeReports,
 * worst first) for the window, optionally one type, with the SLA chart.
 */
import { z } from 'zod';
import type { TypeSlaSummary } from '../analytics/sla-report.js';
import { buildSlaChart } from '../charts/sla-chart.js';
import { listTypeReports } from '../warehouse/sla-report.repository.js';
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

const periodSchema = z.object({
  since: z.string(),
  until: z.string(),
  tickets: z.number().int(),
  withKnownOutcome: z.number().int(),
  metSla: z.number().int(),
  breached: z.number().int(),
  attainment: z.number().nullable(),
  p50HoursToClose: z.number().nullable(),
  p90HoursToClose: z.number().nullable(),
  backlog: z.number().int(),
  backlogAt: z.string(),
});
const trendSchema = z.object({
  current: z.number().nullable(),
  previous: z.number().nullable(),
  change: z.number().nullable(),
  relativeChange: z.number().nullable(),
});

/** One row of `civicops report --json` (`types[]`), dates as ISO strings. */
export const typeSlaSummarySchema = z.object({
  typeKey: z.string(),
  displayName: z.string(),
  slaHours: z.number(),
  current: periodSchema,
  previous: periodSchema,
  trends: z.object({
    tickets: trendSchema,
    attainment: trendSchema,
    p50HoursToClose: trendSchema,
    p90HoursToClose: trendSchema,
    backlog: trendSchema,
  }),
});

export const slaByTypeResponseSchema = z.object({
  ...dataClockShape,
  window: windowSchema,
  filters: filtersEchoSchema,
  types: z.array(typeSlaSummarySchema).describe('worst first, the rows of `civicops report --json`'),
  chart: chartSpecSchema,
});
export type SlaByTypeResponse = z.infer<typeof slaByTypeResponseSchema>;

/** JSON round trip: Dates become ISO strings exactly as `civicops report --json` prints them. */
function asJson(types: TypeSlaSummary[]): z.infer<typeof typeSlaSummarySchema>[] {
  return JSON.parse(JSON.stringify(types)) as z.infer<typeof typeSlaSummarySchema>[];
}

/** Every request type's SLA figures for the window, worst first, and the chart of their attainment. */
export async function buildSlaByType(deps: DashboardDeps, query: DashboardQuery): Promise<SlaByTypeResponse> {
  const window = await resolveWindowFor(deps, query);
  const all = await listTypeReports(deps.db, window.analytics);
  const types = window.type ? all.filter((type) => type.typeKey === window.type?.typeKey) : all;
  const charted = types.filter((type) => type.current.attainment !== null);
  return {
    ...describeDashboardWindow(window, ['district']),
    types: asJson(types),
    chart: chartOrNull(charted.length > 0, () =>
      buildSlaChart({
        title: `SLA attainment by request type, ${window.sinceDay} to ${window.untilDay}`,
        slaHours: deps.config.slaHours,
        types: charted.map((type) => ({
          name: type.displayName,
          attainment: type.current.attainment ?? 0,
          p90Hours: type.current.p90HoursToClose,
          tickets: type.current.tickets,
        })),
      }),
    ),
  };
}
