/**
 * The dashboard's headline figures for a window: tickets, SLA attainment, P90 hours to close,
 * backlog now and tickets at risk, each against the previous window of the same length and
 * against the usual (the median of the 8 windows of that length before it). The SLA figures
 * come from getSlaReport, the query behind `civicops sla` and `civicops report`, so they agree.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { backlogInstant, previousBacklogInstant, previousWindow, type AnalyticsWindow } from '../analytics/report-window.js';
import type { SlaPeriod } from '../analytics/sla-report.js';
import type { AppConfig } from '../config/config.js';
import type { Scorer } from '../model/scorer.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { getSlaPeriods, type SlaPeriodBounds } from '../warehouse/sla-report.repository.js';
import { getFirstCreatedAt } from '../warehouse/volume.repository.js';
import { countAtRiskTickets } from '../worklist/build-worklist.js';
import { percentileOf } from './dashboard-schemas.js';
import {
  dataClockShape,
  describeDashboardWindow,
  filtersEchoSchema,
  resolveWindowFor,
  windowSchema,
  type DashboardQuery,
  type DashboardWindow,
} from './dashboard-window.js';

type Db = Kysely<WarehouseSchema>;

/** Windows of the same length the usual is the median of. */
export const USUAL_WINDOWS = 8;

const figureSchema = z.object({
  value: z.number().nullable().describe('this window (null when unknown, e.g. no ticket closed)'),
  previous: z.number().nullable().describe('the window of the same length just before'),
  change: z.number().nullable().describe('value − previous (attainment: a change in share, −0.05 = 5 points worse)'),
  relative_change: z.number().nullable().describe('change ÷ previous; null when previous is 0 or unknown'),
  usual: z.number().nullable().describe('median over the usual windows; null when none is known'),
  change_vs_usual: z.number().nullable().describe('value − usual'),
});
export type SummaryFigure = z.infer<typeof figureSchema>;

export const summaryResponseSchema = z.object({
  ...dataClockShape,
  window: windowSchema,
  filters: filtersEchoSchema,
  figures: z.object({
    tickets: figureSchema.describe('tickets created in the window'),
    sla_attainment: figureSchema.describe('share of tickets with a known outcome that met the SLA (0..1)'),
    p90_hours_to_close: figureSchema.describe('90th percentile of hours to close, over tickets closed by as_of'),
    backlog: figureSchema.describe('open tickets at the end of the window (or as_of, if earlier)'),
    at_risk: figureSchema.describe('open tickets whose worklist status is at_risk or breached at the same instant; null without a model'),
  }),
  comparisons: z.string().describe('what "previous" and "usual" mean, in one paragraph'),
  usual_windows: z.number().int().describe('windows the usual is the median of (fewer when the data starts later)'),
  model_version: z.string().nullable(),
});
export type SummaryResponse = z.infer<typeof summaryResponseSchema>;

export interface DashboardDeps {
  db: Db;
  config: Pick<AppConfig, 'slaHours' | 'cityTimeZone' | 'risk'> & { slack: Pick<AppConfig['slack'], 'ticketUrlTemplate'> };
  /** The shared scorer of the promoted model (the at-risk count and the worklist). */
  scorer: Scorer;
  now?: () => Date;
}

export function toFigure(value: number | null, previous: number | null, usualValues: readonly (number | null)[]): SummaryFigure {
  const known = usualValues.filter((item): item is number => item !== null);
  const usual = percentileOf(known, 0.5);
  const change = value === null || previous === null ? null : value - previous;
  return {
    value,
    previous,
    change,
    relative_change: change === null || previous === null || previous === 0 ? null : change / previous,
    usual,
    change_vs_usual: value === null || usual === null ? null : value - usual,
  };
}

/** The window `windows` periods back, each period as long as the report's previous one (city days). */
function shift(window: AnalyticsWindow, windows: number): AnalyticsWindow {
  let shifted = window;
  for (let step = 0; step < windows; step++) shifted = { ...shifted, ...previousWindow(shifted) };
  return shifted;
}

/** Open tickets at_risk or breached at an instant, by the worklist's rule; null without a trained model. */
function countAtRisk(deps: DashboardDeps, window: DashboardWindow, asOf: Date): Promise<number | null> {
  return countAtRiskTickets(deps, { asOf, typeKey: window.type?.typeKey, district: window.district ?? undefined });
}

/**
 * The window and the 8 before it (1 = previous), each with the instant its backlog is counted at:
 * the same instants `civicops report` uses, whose report of window k holds window k + 1 as its
 * previous period (counted at previousBacklogInstant of window k).
 */
function summaryPeriods(base: AnalyticsWindow): SlaPeriodBounds[] {
  return Array.from({ length: USUAL_WINDOWS + 1 }, (_, windows) => {
    const window = shift(base, windows);
    const backlogAt = windows % 2 === 0 ? backlogInstant(window) : previousBacklogInstant(shift(base, windows - 1));
    return { since: window.since, until: window.until, backlogAt };
  });
}

/** The headline figures of a window (see the module comment). */
export async function buildSummary(deps: DashboardDeps, query: DashboardQuery): Promise<SummaryResponse> {
  const window = await resolveWindowFor(deps, query);
  const base = window.analytics;
  const typeKey = window.type?.typeKey;
  // The SLA figures of the 9 windows and the two at-risk counts are independent reads.
  const [firstCreatedAt, periods, atRiskNow, atRiskBefore] = await Promise.all([
    getFirstCreatedAt(deps.db),
    getSlaPeriods(deps.db, { ...base, periods: summaryPeriods(base), typeKey }),
    countAtRisk(deps, window, backlogInstant(base)),
    countAtRisk(deps, window, previousBacklogInstant(base)),
  ]);
  const [current, previous] = [periods[0]!, periods[1]!];
  // Windows that start before the first ticket would count history the warehouse does not have.
  const usualPeriods = periods
    .slice(1, USUAL_WINDOWS + 1)
    .filter((period) => firstCreatedAt !== null && period.since.getTime() >= firstCreatedAt.getTime());
  const usualOf = (pick: (period: SlaPeriod) => number | null) => usualPeriods.map(pick);
  const figure = (pick: (period: SlaPeriod) => number | null) => toFigure(pick(current), pick(previous), usualOf(pick));

  const days = window.days;
  return {
    ...describeDashboardWindow(window, ['district']),
    figures: {
      tickets: figure((period) => period.tickets),
      sla_attainment: figure((period) => period.attainment),
      p90_hours_to_close: figure((period) => period.p90HoursToClose),
      backlog: figure((period) => period.backlog),
      at_risk: toFigure(atRiskNow, atRiskBefore, []),
    },
    comparisons: [
      `"previous" is the ${days} days just before the window; "usual" is the median of the ${USUAL_WINDOWS} windows of ${days} days before it (windows that start before the warehouse's first ticket are left out: ${usualPeriods.length} used).`,
      'Tickets, attainment and P90 count tickets created in each window, judged as of as_of (the same query as `civicops report`); backlog is counted at the end of each window.',
      'at_risk has no usual: it needs the model scores of past instants; its previous is counted at the end of the previous window.',
      window.district !== null ? 'The district filter applies to at_risk only: the SLA figures cover every district.' : '',
    ]
      .filter(Boolean)
      .join(' '),
    usual_windows: usualPeriods.length,
    model_version: deps.scorer.currentModelVersion(),
  };
}
