/**
 * Weekly intake of the window with the range it usually falls in: for each week, the 10th–90th
 * percentile (and median) of the 8 weeks before it, same filters. The range of a week moves
 * with the data, so a slow rise does not look like a surge forever.
 */
import { z } from 'zod';
import { addCalendarDays } from '../analytics/report-window.js';
import { buildVolumeBandChart } from '../charts/volume-band-chart.js';
import { getWeeklyCreatedCounts } from '../warehouse/dashboard.repository.js';
import { chartOrNull, chartSpecSchema, percentileOf, round } from './dashboard-schemas.js';
import {
  dataClockShape,
  describeDashboardWindow,
  filtersEchoSchema,
  resolveWindowFor,
  windowSchema,
  type DashboardQuery,
} from './dashboard-window.js';
import type { DashboardDeps } from './build-summary.js';

/** Weeks before a week that make its usual range. */
export const USUAL_RANGE_WEEKS = 8;

export const USUAL_RANGE_RULE = `the usual range of a week is the 10th to 90th percentile (linear) of the tickets of the ${USUAL_RANGE_WEEKS} weeks before it, same filters; null while fewer than ${USUAL_RANGE_WEEKS} earlier weeks lie after the first ticket`;

const weekSchema = z.object({
  week_start: z.string().describe('Monday, YYYY-MM-DD, city-local'),
  count: z.number().int().describe('tickets created that week (up to until)'),
  partial: z.boolean().describe('the week starts before since or ends after until'),
  usual_low: z.number().nullable().describe('10th percentile of the 8 weeks before'),
  usual_median: z.number().nullable(),
  usual_high: z.number().nullable().describe('90th percentile of the 8 weeks before'),
  above_usual: z.boolean().describe('count > usual_high'),
});

export const volumeResponseSchema = z.object({
  ...dataClockShape,
  window: windowSchema,
  filters: filtersEchoSchema,
  total: z.number().int().describe('tickets created in the window'),
  weeks: z.array(weekSchema),
  usual_rule: z.string(),
  chart: chartSpecSchema,
});
export type VolumeResponse = z.infer<typeof volumeResponseSchema>;

/** Weekly volume of the window with its usual range (see the module comment). */
export async function buildVolume(deps: DashboardDeps, query: DashboardQuery): Promise<VolumeResponse> {
  const window = await resolveWindowFor(deps, query);
  const filter = { typeKey: window.type?.typeKey, district: window.district ?? undefined, timeZone: window.analytics.timeZone };
  const all = await getWeeklyCreatedCounts(deps.db, {
    ...filter,
    firstDay: mondayOf(addCalendarDays(window.sinceDay, -7 * USUAL_RANGE_WEEKS)),
    lastDay: window.untilDay,
  });
  const firstWithData = all.findIndex((week) => week.count > 0);
  const firstWindowWeek = all.findIndex((week) => addCalendarDays(week.weekStart, 6) >= window.sinceDay);
  // Weeks are counted whole (a week starting before since keeps its first days); the total is the window's own.
  const inWindowCounts = await getWeeklyCreatedCounts(deps.db, { ...filter, firstDay: window.sinceDay, lastDay: window.untilDay });
  const weeks = all.slice(firstWindowWeek).map((week, offset) => {
    const index = firstWindowWeek + offset;
    const before = all.slice(Math.max(0, index - USUAL_RANGE_WEEKS), index);
    const enough = before.length === USUAL_RANGE_WEEKS && firstWithData !== -1 && index - USUAL_RANGE_WEEKS >= firstWithData;
    const counts = before.map((item) => item.count);
    const low = enough ? percentileOf(counts, 0.1) : null;
    const high = enough ? percentileOf(counts, 0.9) : null;
    return {
      week_start: week.weekStart,
      count: week.count,
      partial: week.weekStart < window.sinceDay || addCalendarDays(week.weekStart, 6) > window.untilDay,
      usual_low: low === null ? null : round(low, 1),
      usual_median: enough ? round(percentileOf(counts, 0.5) ?? 0, 1) : null,
      usual_high: high === null ? null : round(high, 1),
      above_usual: high !== null && week.count > high,
    };
  });
  const total = inWindowCounts.reduce((sum, week) => sum + week.count, 0);
  return {
    ...describeDashboardWindow(window),
    total,
    weeks,
    usual_rule: USUAL_RANGE_RULE,
    chart: chartOrNull(weeks.length > 0, () =>
      buildVolumeBandChart({
        title: 'Tickets per week vs the usual range',
        weeks: weeks.map((week) => ({
          weekStart: week.week_start,
          count: week.count,
          // A week without a usual range draws no band (and is never flagged above it).
          usualLow: week.usual_low ?? week.count,
          usualHigh: week.usual_high ?? week.count,
        })),
      }),
    ),
  };
}

/** The Monday of a city day's week. */
function mondayOf(dateKey: string): string {
  const weekday = (new Date(`${dateKey}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addCalendarDays(dateKey, -weekday);
}
