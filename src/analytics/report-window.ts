import { cityDateKey, cityLocalToInstant, zoneOffsetMinutes } from '../shared/city-time.js';
import { InputError } from '../shared/errors.js';

/** A time window of ticket creation, evaluated as of `now`. */
export interface AnalyticsWindow {
  /** Tickets created at or after this instant... */
  since: Date;
  /** ...and before this one. */
  until: Date;
  /** Outcomes and the backlog are judged as of this instant (closures after it count as not yet happened). */
  now: Date;
  /** Configured SLA_HOURS: the default only when sla_policy has no '*' row. */
  slaHours: number;
  /** City time zone: days and weeks are city-local. */
  timeZone: string;
}

/** Creation bounds of a window: [since, until). */
export interface WindowBounds {
  since: Date;
  until: Date;
}

/** Throws InputError unless since and until are valid dates with since before until. */
export function assertWindow(window: WindowBounds): void {
  if (!(window.since instanceof Date) || Number.isNaN(window.since.getTime())) throw new InputError('since is not a valid date.');
  if (!(window.until instanceof Date) || Number.isNaN(window.until.getTime())) throw new InputError('until is not a valid date.');
  if (window.since.getTime() >= window.until.getTime()) {
    throw new InputError(
      `The window is empty: since (${window.since.toISOString()}) must be before until (${window.until.toISOString()}).`,
    );
  }
}

/** Milliseconds from since to until. */
export function windowLengthMs(window: WindowBounds): number {
  return window.until.getTime() - window.since.getTime();
}

/** Milliseconds the city's clock shows at an instant, read as if it were UTC (its "wall time"). */
function wallMs(instant: Date, timeZone: string): number {
  return instant.getTime() + zoneOffsetMinutes(instant.getTime(), timeZone) * 60_000;
}

/** The instant at which the city's clock shows a wall time (the inverse of wallMs). */
function fromWallMs(wall: number, timeZone: string): Date {
  const d = new Date(wall);
  return cityLocalToInstant(
    {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      millisecond: d.getUTCMilliseconds(),
    },
    timeZone,
  );
}

/**
 * `instant` moved back by the window's length on the city's clock: a window of 90 city days is
 * preceded by 90 city days, even when a DST change makes one of them 23 or 25 hours long.
 * Without a time zone, by milliseconds.
 */
function shiftBackByWindow(instant: Date, window: WindowBounds & { timeZone?: string }): Date {
  if (!window.timeZone) return new Date(instant.getTime() - windowLengthMs(window));
  const length = wallMs(window.until, window.timeZone) - wallMs(window.since, window.timeZone);
  return fromWallMs(wallMs(instant, window.timeZone) - length, window.timeZone);
}

/**
 * The period just before the window, which trends compare against: as many city days (and
 * hours) on the city's clock when the window has a time zone, else the same milliseconds.
 */
export function previousWindow(window: WindowBounds & { timeZone?: string }): WindowBounds {
  return { since: shiftBackByWindow(window.since, window), until: window.since };
}

/** When the backlog of a window is measured: its end, or now if the window reaches past now. */
export function backlogInstant(window: WindowBounds & { now: Date }): Date {
  return new Date(Math.min(window.until.getTime(), window.now.getTime()));
}

/** When the backlog of the previous period is measured: one window length (city clock) before backlogInstant. */
export function previousBacklogInstant(window: WindowBounds & { now: Date; timeZone?: string }): Date {
  return shiftBackByWindow(backlogInstant(window), window);
}

/** The first and last city-local days ('YYYY-MM-DD') the window touches. */
export function cityDaysOf(window: WindowBounds & { timeZone: string }): { firstDay: string; lastDay: string } {
  return { firstDay: cityDateKey(window.since, window.timeZone), lastDay: cityDateKey(window.until.getTime() - 1, window.timeZone) };
}

/** 'YYYY-MM-DD' plus n calendar days. */
export function addCalendarDays(dateKey: string, days: number): string {
  const [year, month, day] = dateKey.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** A week (Monday 'YYYY-MM-DD') that starts before the first day or ends after the last one. */
export function isPartialWeek(weekStart: string, days: { firstDay: string; lastDay: string }): boolean {
  return weekStart < days.firstDay || addCalendarDays(weekStart, 6) > days.lastDay;
}
