// analytics/: the SLA clock — how a policy's hours are counted. `wall` counts real elapsed time
// (the SLA as it always was: created + hours); `business` counts only the city's business hours
// (e.g. 08:00–17:00 Monday to Friday, holidays off), so a ticket filed on Friday evening starts
// counting on Monday morning. Pure: the holiday list comes in as a HolidayCalendar.
import { InputError } from '../shared/errors.js';
import { cityLocalToInstant, zoneOffsetMinutes } from '../shared/city-time.js';
import { createHolidayCalendar, type CityHolidayRules, type HolidayCalendar } from './holiday-calendar.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 1_440;
/** A business calendar with no open day in ten years is a configuration error, not a long SLA. */
const MAX_DAYS_SEARCHED = 3_660;

export const SLA_CLOCK_KINDS = ['wall', 'business'] as const;
export type SlaClockKind = (typeof SLA_CLOCK_KINDS)[number];

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** When the city works: city-local minutes after midnight, [start, end), on these weekdays. */
export interface BusinessHours {
  readonly startMinute: number;
  /** Up to 1440 (24:00, the end of the day). */
  readonly endMinute: number;
  /** Default Monday to Friday. */
  readonly weekdays?: readonly IsoWeekday[];
}

/** 08:00–17:00 Monday to Friday: the default of sla_policy's business_day_start/end (migration 011). */
export const DEFAULT_BUSINESS_HOURS: BusinessHours = { startMinute: 8 * 60, endMinute: 17 * 60, weekdays: [1, 2, 3, 4, 5] };

/** The clock of one SLA policy row. */
export type SlaClockRule = { readonly kind: 'wall' } | { readonly kind: 'business'; readonly businessHours: BusinessHours };

export const WALL_CLOCK: SlaClockRule = { kind: 'wall' };

/** What a business clock needs besides its hours: the city's zone and its holidays. */
export interface SlaClockContext {
  readonly timeZone: string;
  readonly holidays: HolidayCalendar;
}

/** Deadlines and durations on one clock. Hours are the clock's hours (business hours on `business`). */
export interface SlaClock {
  readonly kind: SlaClockKind;
  /** When a ticket created at `createdAt` with an SLA of `hours` becomes late (exactly then it is not yet). */
  dueAt(createdAt: Date, hours: number): Date;
  /** Clock hours from `from` to `to` (negative when `to` is earlier). */
  elapsedHours(from: Date, to: Date): number;
  /**
   * Clock hours from `at` to the deadline; negative once it has passed. A business deadline that
   * falls at closing time is passed all night although no business hour goes by: hours left is
   * then -Number.MIN_VALUE, so `< 0` still means breached (and it shows as 0.0 overdue).
   */
  hoursLeft(createdAt: Date, hours: number, at: Date): number;
}

/** 'HH:MM' (or 'HH:MM:SS', as PostgreSQL prints a time) to minutes after midnight; '24:00' is the end of the day. */
export function parseTimeOfDay(text: string): number {
  const match = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  const minutes = match ? Number(match[1]) * 60 + Number(match[2]) : Number.NaN;
  if (!match || Number(match[2]) > 59 || Number(match[3] ?? 0) !== 0 || !(minutes >= 0 && minutes <= MINUTES_PER_DAY))
    throw new InputError(`A business time must be HH:MM between 00:00 and 24:00 (got "${text}").`);
  return minutes;
}

/** Minutes after midnight as 'HH:MM'. */
export function formatTimeOfDay(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Throws InputError unless the hours describe a non-empty working day on at least one weekday. */
export function assertBusinessHours(hours: BusinessHours): void {
  const { startMinute, endMinute } = hours;
  const whole = Number.isInteger(startMinute) && Number.isInteger(endMinute);
  if (!whole || startMinute < 0 || endMinute > MINUTES_PER_DAY || startMinute >= endMinute)
    throw new InputError(
      `Business hours must start before they end, within 00:00–24:00 (got ${formatTimeOfDay(startMinute)}–${formatTimeOfDay(endMinute)}).`,
    );
  const weekdays = hours.weekdays ?? DEFAULT_BUSINESS_HOURS.weekdays!;
  if (weekdays.length === 0 || weekdays.some((day) => !Number.isInteger(day) || day < 1 || day > 7))
    throw new InputError(`Business weekdays must be ISO weekdays 1 (Monday) to 7 (Sunday), at least one.`);
}

/** The wall clock: real elapsed time, so a deadline is exactly `hours` real hours after creation. */
export const wallClock: SlaClock = {
  kind: 'wall',
  dueAt: (createdAt, hours) => new Date(createdAt.getTime() + hours * HOUR_MS),
  elapsedHours: (from, to) => (to.getTime() - from.getTime()) / HOUR_MS,
  hoursLeft: (createdAt, hours, at) => (createdAt.getTime() + hours * HOUR_MS - at.getTime()) / HOUR_MS,
};

/** A day's opening and closing instants, or null when the city does not work that day. */
type DayWindow = readonly [open: number, close: number] | null;

/**
 * A business-hours clock. Opening and closing are city-local wall times turned into instants
 * day by day, so a working day across a DST change has its real length (08:00–17:00 is 9 h
 * either way; a 00:00–24:00 day is 23 h in spring and 25 h in autumn).
 */
export function createBusinessClock(businessHours: BusinessHours, context: SlaClockContext): SlaClock {
  assertBusinessHours(businessHours);
  const weekdays = new Set<number>(businessHours.weekdays ?? DEFAULT_BUSINESS_HOURS.weekdays!);
  const { timeZone, holidays } = context;
  // Days are numbered by their city-local date (days since 1970-01-01); each window is computed once.
  const windows = new Map<number, DayWindow>();
  const windowOf = (dayNumber: number): DayWindow => {
    let window = windows.get(dayNumber);
    if (window !== undefined) return window;
    const date = new Date(dayNumber * DAY_MS);
    const isoWeekday = date.getUTCDay() === 0 ? 7 : date.getUTCDay();
    window = null;
    if (weekdays.has(isoWeekday) && !holidays.isHoliday(date.toISOString().slice(0, 10))) {
      const local = { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), second: 0 };
      const at = (minute: number) =>
        cityLocalToInstant({ ...local, hour: Math.floor(minute / 60), minute: minute % 60 }, timeZone).getTime();
      const open = at(businessHours.startMinute);
      const close = at(businessHours.endMinute);
      if (close > open) window = [open, close];
    }
    if (windows.size > 50_000) windows.clear();
    windows.set(dayNumber, window);
    return window;
  };
  // The city-local date of an instant, as a day number: its wall time read as UTC, floored to days.
  const dayNumberOf = (epochMs: number): number => Math.floor((epochMs + zoneOffsetMinutes(epochMs, timeZone) * 60_000) / DAY_MS);

  const dueAtMs = (createdMs: number, hours: number): number => {
    let remaining = hours * HOUR_MS;
    const firstDay = dayNumberOf(createdMs);
    for (let day = firstDay; day < firstDay + MAX_DAYS_SEARCHED; day++) {
      const window = windowOf(day);
      if (!window) continue;
      const start = Math.max(window[0], createdMs);
      if (start >= window[1]) continue;
      if (remaining <= window[1] - start) return start + remaining;
      remaining -= window[1] - start;
    }
    throw new InputError(
      `The business calendar has no working day within ${MAX_DAYS_SEARCHED} days of ${new Date(createdMs).toISOString()}.`,
    );
  };

  const elapsedMs = (fromMs: number, toMs: number): number => {
    if (toMs < fromMs) return -elapsedMs(toMs, fromMs);
    let total = 0;
    const lastDay = dayNumberOf(toMs);
    for (let day = dayNumberOf(fromMs); day <= lastDay; day++) {
      const window = windowOf(day);
      if (window) total += Math.max(0, Math.min(window[1], toMs) - Math.max(window[0], fromMs));
    }
    return total;
  };

  return {
    kind: 'business',
    dueAt: (createdAt, hours) => new Date(dueAtMs(createdAt.getTime(), hours)),
    elapsedHours: (from, to) => elapsedMs(from.getTime(), to.getTime()) / HOUR_MS,
    hoursLeft(createdAt, hours, at) {
      const dueMs = dueAtMs(createdAt.getTime(), hours);
      const atMs = at.getTime();
      if (atMs <= dueMs) return elapsedMs(atMs, dueMs) / HOUR_MS;
      const overdue = elapsedMs(dueMs, atMs);
      return overdue > 0 ? -overdue / HOUR_MS : -Number.MIN_VALUE;
    },
  };
}

/** The clock of a policy row: the wall clock, or a business clock in the city's zone and holidays. */
export function createSlaClock(rule: SlaClockRule, context: SlaClockContext): SlaClock {
  return rule.kind === 'wall' ? wallClock : createBusinessClock(rule.businessHours, context);
}

/** A stable text for a clock rule: policy rows with the same clock share one SlaClock (and its day cache). */
export function describeSlaClock(rule: SlaClockRule): string {
  if (rule.kind === 'wall') return 'wall';
  const { startMinute, endMinute, weekdays } = rule.businessHours;
  const days = (weekdays ?? DEFAULT_BUSINESS_HOURS.weekdays!).join('');
  return `business ${formatTimeOfDay(startMinute)}–${formatTimeOfDay(endMinute)} days ${days}`;
}

/**
 * A city's clock context whose holiday rules are loaded on the first question a business clock
 * asks (config/holidays.ts reads data/holidays/<city>.json), so a warehouse whose policies are
 * all on the wall clock never opens the file.
 */
export function createLazyClockContext(timeZone: string, loadRules: () => CityHolidayRules): SlaClockContext {
  let calendar: HolidayCalendar | undefined;
  const load = (): HolidayCalendar => {
    calendar ??= createHolidayCalendar(loadRules());
    return calendar;
  };
  return {
    timeZone,
    holidays: {
      holidayOn: (dateKey) => load().holidayOn(dateKey),
      isHoliday: (dateKey) => load().isHoliday(dateKey),
      holidaysIn: (year) => load().holidaysIn(year),
    },
  };
}
