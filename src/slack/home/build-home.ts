/**
 * The figures of the Home tab, gathered from the domain functions (no SQL here): the SLA reports
 * over every type, the worst types, the at-risk worklist and the workload forecast, all as of the
 * one data clock (the warehouse's last event when the data stops before today).
 */
import type { Kysely } from 'kysely';
import { resolveDataClock } from '../../analytics/data-clock.js';
import type { AnalyticsWindow } from '../../analytics/report-window.js';
import { selectWorstTypes } from '../../analytics/worst-types.js';
import type { AppConfig } from '../../config/config.js';
import { summarizeForecastTotal } from '../../forecast/forecast-summary.js';
import { forecastWorkload } from '../../forecast/forecast-workload.js';
import type { Scorer } from '../../model/scorer.js';
import { ModelNotTrainedError } from '../../shared/errors.js';
import { getSlaReport, listTypeReports } from '../../warehouse/sla-report.repository.js';
import type { WarehouseSchema } from '../../warehouse/schema.js';
import { findLatestEventAt } from '../../warehouse/worklist.repository.js';
import { buildWorklist } from '../../worklist/build-worklist.js';
import { HOME_WORKLIST_TICKETS, HOME_WORST_TYPES, type HomeViewInput, type HomeWorklist } from '../blocks/home-blocks.js';

const DAY_MS = 86_400_000;
/** Days the attainment and the worst types judge (as /sla and the digest do). */
export const HOME_SLA_WINDOW_DAYS = 28;

export interface HomeDeps {
  db: Kysely<WarehouseSchema>;
  scorer: Scorer;
  config: Pick<AppConfig, 'slaHours' | 'risk' | 'cityTimeZone'> & { slack: Pick<AppConfig['slack'], 'ticketUrlTemplate'> };
  now: () => Date;
}

/**
 * Everything the Home tab shows, as of the data clock. Without a promoted model the worklist part
 * says so instead of failing the tab; any other failure is thrown.
 */
export async function buildHomeFigures(deps: HomeDeps): Promise<HomeViewInput> {
  const { db, config } = deps;
  const now = deps.now();
  const timeZone = config.cityTimeZone;
  const dataClock = resolveDataClock(await findLatestEventAt(db), now);
  const { asOf } = dataClock;
  // Windows end just after the instant, so the warehouse's last ticket (often the instant itself) counts.
  const until = new Date(asOf.getTime() + 1);
  const windowOf = (days: number): AnalyticsWindow => ({
    since: new Date(until.getTime() - days * DAY_MS),
    until,
    now: asOf,
    slaHours: config.slaHours,
    timeZone,
  });

  const [week, month, typeReports, forecast] = await Promise.all([
    getSlaReport(db, windowOf(7)),
    getSlaReport(db, windowOf(HOME_SLA_WINDOW_DAYS)),
    listTypeReports(db, windowOf(HOME_SLA_WINDOW_DAYS)),
    forecastWorkload(db, { timeZone, now, horizonDays: 7, topTypes: 0 }),
  ]);
  const worklist = await loadHomeWorklist(deps, asOf);
  return {
    headline: {
      ticketsLast7Days: week.current.tickets,
      ticketsPrevious7Days: week.previous.tickets,
      attainment: month.current.attainment,
      judged: month.current.withKnownOutcome,
      windowDays: HOME_SLA_WINDOW_DAYS,
      backlog: month.current.backlog,
    },
    worstTypes: selectWorstTypes(typeReports, HOME_WORST_TYPES),
    worklist,
    forecast: forecast.data_through === null ? null : summarizeForecastTotal(forecast),
    dataClock,
    timeZone,
  };
}

async function loadHomeWorklist(deps: HomeDeps, asOf: Date): Promise<HomeWorklist> {
  const worklistDeps = { db: deps.db, scorer: deps.scorer, config: deps.config, now: deps.now };
  try {
    const atRisk = await buildWorklist(worklistDeps, { status: 'at_risk', limit: HOME_WORKLIST_TICKETS, asOf });
    const breached = await buildWorklist(worklistDeps, { status: 'breached', limit: 1, asOf });
    return {
      kind: 'ranked',
      tickets: atRisk.tickets,
      atRiskTotal: atRisk.total,
      breachedTotal: breached.total,
      modelVersion: atRisk.model_version,
    };
  } catch (error) {
    if (error instanceof ModelNotTrainedError) return { kind: 'no_model' };
    throw error;
  }
}
