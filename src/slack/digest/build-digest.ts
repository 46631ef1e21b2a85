import type { Kysely } from 'kysely';
import { cityDateKey, cityLocalToInstant, toCityParts } from '../../shared/city-time.js';
import { InputError } from '../../shared/errors.js';
import { DEFAULT_SURGE_RULE, type TypeSurgeAssessment } from '../../analytics/surge-rule.js';
import { selectWorstTypes } from '../../analytics/worst-types.js';
import { summarizeForecastTotal, type ForecastTotal } from '../../forecast/forecast-summary.js';
import { forecastWorkload } from '../../forecast/forecast-workload.js';
import { getSlaReport, listTypeReports } from '../../warehouse/sla-report.repository.js';
import { assessTypeSurges } from '../../warehouse/surge.repository.js';
import { getDailyVolume } from '../../warehouse/volume.repository.js';
import type { WarehouseSchema } from '../../warehouse/schema.js';

/** Weeks of history that define "usual" (same weekday, and the usual week). */
export const USUAL_WEEKS = 8;
/** Days of tickets the SLA section judges (long enough for a 72 h SLA to have outcomes). */
export const SLA_WINDOW_DAYS = 28;
/** Days of intake on the volume chart. */
export const VOLUME_CHART_DAYS = 28;
/** Types on the SLA and surge charts; the message lists the worst WORST_TYPES_IN_MESSAGE. */
export const CHART_TYPES = 10;
export const WORST_TYPES_IN_MESSAGE = 5;

/** The surge rule in words (README and the digest's footnote say the same). */
export const SURGE_RULE_TEXT =
  `A type is surging when its last 7 days have at least ${DEFAULT_SURGE_RULE.minCount} tickets, at least ` +
  `${DEFAULT_SURGE_RULE.minRatio}× its usual week (λ = mean of the ${USUAL_WEEKS} weeks before, at least ${DEFAULT_SURGE_RULE.minWeeklyRate}), ` +
  `and P(X ≥ count) < ${DEFAULT_SURGE_RULE.maxPValue} for X ~ Poisson(λ).`;

/** A count against its usual level. */
export interface VolumeComparison {
  count: number;
  /** Mean of the comparable past counts (`basis`). */
  usual: number;
  /** The past counts the usual level is the mean of, most recent first. */
  basis: number[];
  change: number;
  /** change / usual; null when usual is 0. */
  relativeChange: number | null;
}

export interface DigestSurge {
  typeKey: string;
  displayName: string;
  last7Days: number;
  usualWeekly: number;
  ratio: number;
  pValue: number;
  surging: boolean;
}

export interface DigestTypeSla {
  typeKey: string;
  displayName: string;
  slaHours: number;
  tickets: number;
  judged: number;
  breached: number;
  attainment: number | null;
  previousAttainment: number | null;
  p90Hours: number | null;
  backlog: number;
}

export interface DigestDay {
  date: string;
  count: number;
  /** Mean of the 7 days ending this day. */
  rolling7dMean: number;
  /** Mean of the same weekday over the USUAL_WEEKS weeks before. */
  usual: number;
}

/** Everything the daily digest says, as plain data (rendered to Block Kit, text and charts elsewhere). */
export interface Digest {
  generatedAt: Date;
  timeZone: string;
  slaHours: number;
  /** The city-local day the digest is about ('YYYY-MM-DD'), normally yesterday. */
  date: string;
  /** 'Sunday'. */
  weekday: string;
  /** Tickets created that day against the same weekday in the USUAL_WEEKS weeks before. */
  day: VolumeComparison;
  /** The 7 days ending `date` against the USUAL_WEEKS 7-day blocks before them. */
  week: VolumeComparison & { firstDay: string; lastDay: string };
  surges: {
    rule: string;
    /** Surging types, most significant first. */
    surging: DigestSurge[];
    /** The busiest types of the week (surging first) for the chart. */
    busiest: DigestSurge[];
  };
  sla: {
    firstDay: string;
    lastDay: string;
    tickets: number;
    judged: number;
    breached: number;
    attainment: number | null;
    previousAttainment: number | null;
    p90Hours: number | null;
    /** Open tickets at the end of `date` (or now, if earlier). */
    backlog: number;
    /** Open tickets SLA_WINDOW_DAYS days before that. */
    previousBacklog: number;
    /** Worst attainment first, types with at least 5 judged tickets (up to CHART_TYPES). */
    worstTypes: DigestTypeSla[];
  };
  /** The last VOLUME_CHART_DAYS days, oldest first. */
  daily: DigestDay[];
  /** The workload forecast for the FORECAST_DAYS days after `date`, from the history up to it. */
  forecast?: ForecastTotal;
}

/** Days the digest's forecast line covers. */
export const FORECAST_DAYS = 7;

const DATE_KEY = /^\d{4}-\d{2}-\d{2}$/;

/** City midnight starting a 'YYYY-MM-DD' day shifted by `days`. */
function startOfCityDay(dateKey: string, days: number, timeZone: string): Date {
  const [year, month, day] = dateKey.split('-').map(Number);
  return cityLocalToInstant({ year, month, day: day + days, hour: 0, minute: 0, second: 0 }, timeZone);
}

function shiftDateKey(dateKey: string, days: number): string {
  const [year, month, day] = dateKey.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

function compare(count: number, basis: number[]): VolumeComparison {
  const usual = mean(basis);
  const change = count - usual;
  return { count, usual, basis, change, relativeChange: usual === 0 ? null : change / usual };
}

function toDigestSurge(assessment: TypeSurgeAssessment): DigestSurge {
  return {
    typeKey: assessment.typeKey,
    displayName: assessment.displayName,
    last7Days: assessment.last7Days,
    usualWeekly: assessment.weeklyMean,
    ratio: assessment.ratio,
    pValue: assessment.pValue,
    surging: assessment.surging,
  };
}

/** The day before `now` in the city ('YYYY-MM-DD'): a digest sent at 08:00 covers yesterday. */
export function previousCityDay(now: Date, timeZone: string): string {
  const p = toCityParts(now, timeZone);
  return cityDateKey(
    cityLocalToInstant({ year: p.year, month: p.month, day: p.day - 1, hour: 12, minute: 0, second: 0 }, timeZone),
    timeZone,
  );
}

/**
 * Gathers the daily digest for the city-local day before `now` (or `date`): that day's intake
 * against the same weekday of the 8 weeks before, the last 7 days against the usual week,
 * surging request types (SURGE_RULE_TEXT, judged on the 7 days ending that day), SLA attainment
 * and backlog over the last 28 days with the worst types, and 28 days of intake for the chart.
 * Outcomes are judged as of `now`.
 */
export async function buildDigest(
  db: Kysely<WarehouseSchema>,
  options: { now: Date; timeZone: string; slaHours: number; date?: string },
): Promise<Digest> {
  const { now, timeZone, slaHours } = options;
  const date = options.date ?? previousCityDay(now, timeZone);
  if (!DATE_KEY.test(date) || cityDateKey(startOfCityDay(date, 0, timeZone), timeZone) !== date) {
    throw new InputError(`The digest date must be a day such as 2023-07-09 (got "${date}").`, [
      { path: 'date', message: 'not YYYY-MM-DD' },
    ]);
  }
  const dayEnd = startOfCityDay(date, 1, timeZone);
  if (dayEnd.getTime() > now.getTime() + 86_400_000) {
    throw new InputError(`The digest date ${date} is in the future.`, [{ path: 'date', message: 'after now' }]);
  }
  // Every day the comparisons need: 7 days plus USUAL_WEEKS weeks before them, and the chart days' own usual levels.
  const historyDays = Math.max(7 * (USUAL_WEEKS + 1), VOLUME_CHART_DAYS + 7 * USUAL_WEEKS);
  const historyStart = startOfCityDay(date, -(historyDays - 1), timeZone);
  const slaSince = startOfCityDay(date, -(SLA_WINDOW_DAYS - 1), timeZone);
  const slaWindow = { since: slaSince, until: dayEnd, now, slaHours, timeZone };

  const [volume, slaReport, typeReports, surges, forecast] = await Promise.all([
    getDailyVolume(db, { since: historyStart, until: dayEnd, timeZone }),
    getSlaReport(db, slaWindow),
    listTypeReports(db, slaWindow),
    // Surges are judged on the 7 × 24 h ending with the digest day, so they describe the same week.
    assessTypeSurges(db, { now: dayEnd }),
    // The week ahead from the history up to the digest day, as `civicops forecast --as-of <date>` says it.
    forecastWorkload(db, { timeZone, asOf: date, now, horizonDays: FORECAST_DAYS, topTypes: 0 }),
  ]);
  const countOf = new Map(volume.map((day) => [day.date, day.count]));
  const count = (dateKey: string) => countOf.get(dateKey) ?? 0;
  const sumDays = (lastDay: string, days: number) => {
    let total = 0;
    for (let offset = 0; offset < days; offset++) total += count(shiftDateKey(lastDay, -offset));
    return total;
  };
  const sameWeekdayBefore = (dateKey: string) =>
    Array.from({ length: USUAL_WEEKS }, (_, week) => count(shiftDateKey(dateKey, -7 * (week + 1))));

  const day = compare(count(date), sameWeekdayBefore(date));
  const week = {
    ...compare(
      sumDays(date, 7),
      Array.from({ length: USUAL_WEEKS }, (_, block) => sumDays(shiftDateKey(date, -7 * (block + 1)), 7)),
    ),
    firstDay: shiftDateKey(date, -6),
    lastDay: date,
  };

  const daily: DigestDay[] = [];
  for (let offset = VOLUME_CHART_DAYS - 1; offset >= 0; offset--) {
    const dateKey = shiftDateKey(date, -offset);
    daily.push({ date: dateKey, count: count(dateKey), rolling7dMean: sumDays(dateKey, 7) / 7, usual: mean(sameWeekdayBefore(dateKey)) });
  }

  const busiest = [...surges]
    .filter((assessment) => assessment.last7Days > 0 || assessment.surging)
    .sort((a, b) => Number(b.surging) - Number(a.surging) || b.last7Days - a.last7Days || a.displayName.localeCompare(b.displayName))
    .slice(0, CHART_TYPES)
    .map(toDigestSurge);

  const worstTypes = selectWorstTypes(typeReports, CHART_TYPES).map((type) => ({
    typeKey: type.typeKey,
    displayName: type.displayName,
    slaHours: type.slaHours,
    tickets: type.current.tickets,
    judged: type.current.withKnownOutcome,
    breached: type.current.breached,
    attainment: type.current.attainment,
    previousAttainment: type.previous.attainment,
    p90Hours: type.current.p90HoursToClose,
    backlog: type.current.backlog,
  }));

  return {
    generatedAt: now,
    timeZone,
    slaHours,
    date,
    weekday: new Intl.DateTimeFormat('en-US', { weekday: 'long', timeZone: 'UTC' }).format(new Date(`${date}T12:00:00Z`)),
    day,
    week,
    surges: { rule: SURGE_RULE_TEXT, surging: surges.filter((assessment) => assessment.surging).map(toDigestSurge), busiest },
    sla: {
      firstDay: cityDateKey(slaSince, timeZone),
      lastDay: date,
      tickets: slaReport.current.tickets,
      judged: slaReport.current.withKnownOutcome,
      breached: slaReport.current.breached,
      attainment: slaReport.current.attainment,
      previousAttainment: slaReport.previous.attainment,
      p90Hours: slaReport.current.p90HoursToClose,
      backlog: slaReport.current.backlog,
      previousBacklog: slaReport.previous.backlog,
      worstTypes,
    },
    daily,
    forecast: summarizeForecastTotal(forecast),
  };
}
