import type { Kysely } from 'kysely';
import type { SlaReport, TypeSlaSummary, WeeklyVolume } from '../../../analytics/sla-report.js';
import { selectWorstTypes } from '../../../analytics/worst-types.js';
import { getSlaReport, listTypeReports } from '../../../warehouse/sla-report.repository.js';
import { assessTypeSurges } from '../../../warehouse/surge.repository.js';
import { getWeeklyVolume } from '../../../warehouse/volume.repository.js';
import { resolveRequestType } from '../../../warehouse/request-type.repository.js';
import type { WarehouseSchema } from '../../../warehouse/schema.js';

const DAY_MS = 86_400_000;

/** Days of the /sla window (compared with the same number of days before it). */
export const SLA_WINDOW_DAYS = 28;
/** Weeks of history in the /sla trend chart and sparkline. */
export const SLA_TREND_WEEKS = 12;
/** Types in `/sla` without text. */
export const WORST_TYPE_COUNT = 5;

/** The last 7 days of intake of one type against its usual week (the digest's surge rule). */
export interface RecentVolume {
  last7Days: number;
  /** Mean tickets per week over the 8 weeks before the last 7 days. */
  usualWeekly: number;
  /** last7Days / max(usualWeekly, 1). */
  ratio: number;
  surging: boolean;
}

/** Everything `/sla <type>` shows. */
export interface TypeSlaSnapshot {
  report: SlaReport;
  recentVolume: RecentVolume;
  /** Weekly tickets and attainment over the last SLA_TREND_WEEKS weeks, oldest first. */
  weeks: WeeklyVolume[];
  windowDays: number;
  now: Date;
}

/** What `/sla` without text shows. */
export interface WorstTypesSnapshot {
  worst: TypeSlaSummary[];
  /** Types with tickets in the window (before the minimum-judged filter). */
  typesWithTickets: number;
  windowDays: number;
  timeZone: string;
  now: Date;
}

interface SnapshotOptions {
  now: Date;
  slaHours: number;
  timeZone: string;
  windowDays?: number;
}

/**
 * The /sla view of one request type as people type it: SLA attainment, P90 and backlog over
 * the last 28 days against the 28 before, the last 7 days of intake against the usual week,
 * and 12 weeks of weekly volume for the chart. Throws UnknownRequestTypeError with suggestions.
 */
export async function loadTypeSlaSnapshot(
  db: Kysely<WarehouseSchema>,
  typeText: string,
  options: SnapshotOptions,
): Promise<TypeSlaSnapshot> {
  const type = await resolveRequestType(db, typeText);
  const windowDays = options.windowDays ?? SLA_WINDOW_DAYS;
  const { now, slaHours, timeZone } = options;
  const since = new Date(now.getTime() - windowDays * DAY_MS);
  const [report, weeks, surges] = await Promise.all([
    getSlaReport(db, { since, until: now, now, slaHours, timeZone, typeKey: type.typeKey }),
    getWeeklyVolume(db, {
      since: new Date(now.getTime() - SLA_TREND_WEEKS * 7 * DAY_MS),
      until: now,
      now,
      slaHours,
      timeZone,
      typeKey: type.typeKey,
    }),
    assessTypeSurges(db, { now }),
  ]);
  const surge = surges.find((assessment) => assessment.typeKey === type.typeKey);
  const recentVolume: RecentVolume = surge
    ? { last7Days: surge.last7Days, usualWeekly: surge.weeklyMean, ratio: surge.ratio, surging: surge.surging }
    : { last7Days: 0, usualWeekly: 0, ratio: 0, surging: false };
  return { report, recentVolume, weeks, windowDays, now };
}

/** The five request types furthest from their SLA over the last 28 days (at least 5 judged tickets each). */
export async function loadWorstTypesSnapshot(db: Kysely<WarehouseSchema>, options: SnapshotOptions): Promise<WorstTypesSnapshot> {
  const windowDays = options.windowDays ?? SLA_WINDOW_DAYS;
  const { now, slaHours, timeZone } = options;
  const summaries = await listTypeReports(db, {
    since: new Date(now.getTime() - windowDays * DAY_MS),
    until: now,
    now,
    slaHours,
    timeZone,
  });
  return {
    worst: selectWorstTypes(summaries, WORST_TYPE_COUNT),
    typesWithTickets: summaries.filter((summary) => summary.current.tickets > 0).length,
    windowDays,
    timeZone,
    now,
  };
}
