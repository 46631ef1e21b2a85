/**
 * Surging request types at the end of the window by the digest's rule (analytics/surge-rule.ts):
 * the last 7 × 24 h against the 8 weeks before, Poisson tail.
 */
import { z } from 'zod';
import { DEFAULT_SURGE_RULE, SURGE_BASELINE_WEEKS } from '../analytics/surge-rule.js';
import { buildSurgeChart } from '../charts/surge-chart.js';
import { assessTypeSurges } from '../warehouse/surge.repository.js';
import { chartOrNull, chartSpecSchema, round } from './dashboard-schemas.js';
import {
  dataClockShape,
  describeDashboardWindow,
  filtersEchoSchema,
  resolveWindowFor,
  windowSchema,
  type DashboardQuery,
} from './dashboard-window.js';
import type { DashboardDeps } from './build-summary.js';

/** The digest's surge rule in one sentence (the same thresholds as analytics DEFAULT_SURGE_RULE). */
export const SURGE_RULE =
  `A type is surging when its last 7 days have at least ${DEFAULT_SURGE_RULE.minCount} tickets, at least ` +
  `${DEFAULT_SURGE_RULE.minRatio}× its usual week (λ = mean of the ${SURGE_BASELINE_WEEKS} weeks before, at least ${DEFAULT_SURGE_RULE.minWeeklyRate}), ` +
  `and P(X ≥ count) < ${DEFAULT_SURGE_RULE.maxPValue} for X ~ Poisson(λ).`;

export const surgesResponseSchema = z.object({
  ...dataClockShape,
  window: windowSchema,
  filters: filtersEchoSchema,
  judged_at: z.string().describe('the end of the 7 days judged: the end of the window, or as_of when earlier'),
  rule: z.string(),
  thresholds: z.object({ min_count: z.number(), min_ratio: z.number(), max_p_value: z.number(), baseline_weeks: z.number().int() }),
  surging: z.number().int().describe('how many types surge'),
  types: z.array(
    z.object({
      type_key: z.string(),
      display_name: z.string(),
      last_7_days: z.number().int(),
      usual_weekly: z.number().describe(`mean tickets per week over the ${SURGE_BASELINE_WEEKS} weeks before`),
      ratio: z.number(),
      p_value: z.number(),
      surging: z.boolean(),
    }),
  ),
  chart: chartSpecSchema,
});
export type SurgesResponse = z.infer<typeof surgesResponseSchema>;

/** Every type with recent intake, surging ones first, judged at the end of the window. */
export async function buildSurges(deps: DashboardDeps, query: DashboardQuery): Promise<SurgesResponse> {
  const window = await resolveWindowFor(deps, query);
  const judgedAt = new Date(Math.min(window.analytics.until.getTime(), window.clock.asOf.getTime()));
  const all = await assessTypeSurges(deps.db, { now: judgedAt });
  const assessed = window.type ? all.filter((type) => type.typeKey === window.type?.typeKey) : all;
  return {
    ...describeDashboardWindow(window, ['district']),
    judged_at: judgedAt.toISOString(),
    rule: SURGE_RULE,
    thresholds: {
      min_count: DEFAULT_SURGE_RULE.minCount,
      min_ratio: DEFAULT_SURGE_RULE.minRatio,
      max_p_value: DEFAULT_SURGE_RULE.maxPValue,
      baseline_weeks: SURGE_BASELINE_WEEKS,
    },
    surging: assessed.filter((type) => type.surging).length,
    types: assessed.map((type) => ({
      type_key: type.typeKey,
      display_name: type.displayName,
      last_7_days: type.last7Days,
      usual_weekly: round(type.weeklyMean, 2),
      ratio: round(type.ratio, 3),
      p_value: type.pValue,
      surging: type.surging,
    })),
    chart: chartOrNull(assessed.length > 0, () =>
      buildSurgeChart({
        title: 'Tickets in the last 7 days vs the usual week',
        types: assessed.map((type) => ({
          name: type.displayName,
          last7d: type.last7Days,
          usualWeekly: type.weeklyMean,
          surging: type.surging,
        })),
      }),
    ),
  };
}
