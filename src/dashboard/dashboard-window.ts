/**
 * The query every dashboard figure takes (since, until, type, district) and the window it
 * resolves to: city days, by default the 90 days ending at the data clock's as-of, judged as of
 * that instant. GET /api/v1/* parse with `dashboardQuerySchema` and call `resolveDashboardWindow`.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { resolveDataClock, type DataClock } from '../analytics/data-clock.js';
import { addCalendarDays, type AnalyticsWindow } from '../analytics/report-window.js';
import { cityDateKey } from '../shared/city-time.js';
import { InputError } from '../shared/errors.js';
import { resolveRequestType, type RequestType } from '../warehouse/request-type.repository.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { cityDayStart } from '../warehouse/workload.repository.js';
import { findLatestEventAt } from '../warehouse/worklist.repository.js';

type Db = Kysely<WarehouseSchema>;

export const DEFAULT_WINDOW_DAYS = 90;
/** Longest window a view computes (daily series and the usual comparisons stay cheap). */
export const MAX_WINDOW_DAYS = 1_096;
const DATE_KEY = /^\d{4}-\d{2}-\d{2}$/;

const cityDay = (what: string) =>
  z
    .string()
    .trim()
    .regex(DATE_KEY, 'must be a city day, YYYY-MM-DD')
    .refine((text) => !DATE_KEY.test(text) || addCalendarDays(text, 0) === text, 'is not a calendar day')
    .describe(what);

/** Query parameters shared by the dashboard endpoints (strings, as they arrive in a URL). */
export const dashboardQueryShape = {
  since: cityDay(`first city day of the window (default: ${DEFAULT_WINDOW_DAYS - 1} days before until)`).optional(),
  until: cityDay("last city day of the window, included (default: the day of the data clock's as_of)").optional(),
  type: z.string().trim().min(1).max(200).optional().describe('request type key or name (matched like /sla: closest name)'),
  district: z.string().trim().min(1).max(100).optional().describe('commission district as the city writes it, e.g. "District 2"'),
};
export const dashboardQuerySchema = z.strictObject(dashboardQueryShape);
export type DashboardQuery = z.infer<typeof dashboardQuerySchema>;

/** The data clock fields every dashboard reply carries. */
export const dataClockShape = {
  as_of: z.string().describe('the instant the figures are judged at (ISO 8601): now, or the last event of stale data'),
  data_through: z.string().nullable().describe("the warehouse's last event (creation, close or archival); null when empty"),
  stale: z.boolean().describe('true when the data stops more than 48 h before now: figures are as of data_through'),
  notice: z.string().nullable().describe('a plain sentence when the data is stale or the warehouse empty'),
};

export const windowSchema = z.object({
  since: z.string().describe('first city day, YYYY-MM-DD'),
  until: z.string().describe('last city day, YYYY-MM-DD, included'),
  days: z.number().int(),
  time_zone: z.string(),
  previous: z.object({ since: z.string(), until: z.string() }).describe('the period of the same length just before'),
});

export const filtersEchoSchema = z.object({
  request_type: z.object({ type_key: z.string(), display_name: z.string() }).nullable(),
  district: z.string().nullable(),
  /** Filters this view does not apply (its figures cover every district). */
  ignored: z.array(z.string()).describe('filters this view does not apply, e.g. ["district"]'),
});

export interface DashboardWindow {
  clock: DataClock;
  /** The analytics window: [since, until) of creation, judged as of the data clock's as_of. */
  analytics: AnalyticsWindow;
  sinceDay: string;
  untilDay: string;
  days: number;
  type: RequestType | null;
  district: string | null;
}

export interface WindowDeps {
  db: Db;
  timeZone: string;
  slaHours: number;
  /** The clock (tests pin it). */
  now?: () => Date;
}

const daysFrom = (first: string, last: string) =>
  Math.round((Date.parse(`${last}T00:00:00Z`) - Date.parse(`${first}T00:00:00Z`)) / 86_400_000) + 1;

/**
 * The window of a query: city days [since, until] (until included), defaulting to the 90 days
 * ending on the data clock's as-of day; outcomes are judged as of the data clock. Throws
 * InputError naming the parameter for an empty or too long window, UnknownRequestTypeError for
 * a type no name is close to.
 */
export async function resolveDashboardWindow(deps: WindowDeps, query: DashboardQuery): Promise<DashboardWindow> {
  const tz = deps.timeZone;
  const clock = resolveDataClock(await findLatestEventAt(deps.db), deps.now?.() ?? new Date());
  const untilDay = query.until ?? cityDateKey(clock.asOf, tz);
  const sinceDay = query.since ?? addCalendarDays(untilDay, 1 - DEFAULT_WINDOW_DAYS);
  if (sinceDay > untilDay) {
    throw new InputError(`since (${sinceDay}) must not be after until (${untilDay}).`, [{ path: 'since', message: 'after until' }]);
  }
  const days = daysFrom(sinceDay, untilDay);
  if (days > MAX_WINDOW_DAYS) {
    throw new InputError(`The window is ${days} days; at most ${MAX_WINDOW_DAYS} (move since or until).`, [
      { path: 'since', message: `window longer than ${MAX_WINDOW_DAYS} days` },
    ]);
  }
  const type = query.type === undefined ? null : await resolveRequestType(deps.db, query.type);
  return {
    clock,
    analytics: {
      since: cityDayStart(sinceDay, tz),
      until: cityDayStart(addCalendarDays(untilDay, 1), tz),
      now: clock.asOf,
      slaHours: deps.slaHours,
      timeZone: tz,
    },
    sinceDay,
    untilDay,
    days,
    type,
    district: query.district ?? null,
  };
}

/**
 * The window of a dashboard query with the app's configuration (city time zone, SLA_HOURS) and
 * clock: what every build-*.ts of the dashboard starts with.
 */
export function resolveWindowFor(
  deps: { db: Db; config: { cityTimeZone: string; slaHours: number }; now?: () => Date },
  query: DashboardQuery,
): Promise<DashboardWindow> {
  return resolveDashboardWindow({ db: deps.db, timeZone: deps.config.cityTimeZone, slaHours: deps.config.slaHours, now: deps.now }, query);
}

/** The data clock and window fields of a reply. */
export function describeDashboardWindow(window: DashboardWindow, ignored: string[] = []) {
  const { clock } = window;
  const ignoredFilters = window.district !== null ? ignored.filter((name) => name === 'district') : [];
  return {
    as_of: clock.asOf.toISOString(),
    data_through: clock.dataThrough?.toISOString() ?? null,
    stale: clock.stale,
    notice: clock.notice,
    window: {
      since: window.sinceDay,
      until: window.untilDay,
      days: window.days,
      time_zone: window.analytics.timeZone,
      previous: { since: addCalendarDays(window.sinceDay, -window.days), until: addCalendarDays(window.sinceDay, -1) },
    },
    filters: {
      request_type: window.type ? { type_key: window.type.typeKey, display_name: window.type.displayName } : null,
      district: window.district,
      ignored: ignoredFilters,
    },
  };
}
