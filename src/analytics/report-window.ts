import { cityDateKey } from '../shared/city-time.js';
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

/** The period of equal length just before the window, which trends compare against. */
export function previousWindow(window: WindowBounds): WindowBounds {
  return { since: new Date(window.since.getTime() - windowLengthMs(window)), until: window.since };
}

/** When the backlog of a window is measured: its end, or now if the window reaches past now. */
export function backlogInstant(window: WindowBounds & { now: Date }): Date {
  return new Date(Math.min(window.until.getTime(), window.now.getTime()));
}

/** When the backlog of the previous period is measured: one window length before backlogInstant. */
export function previousBacklogInstant(window: WindowBounds & { now: Date }): Date {
  return new Date(backlogInstant(window).getTime() - windowLengthMs(window));
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
