import { HOUR_MS } from './sla-policy.js';
import { backlogInstant, previousBacklogInstant, previousWindow, type AnalyticsWindow, type WindowBounds } from './report-window.js';

/** Pseudo type key of the report over every request type. */
export const ALL_TYPES_KEY = '*';

/** Outcome counts of the tickets created in one period. */
export interface SlaPeriod {
  since: Date;
  until: Date;
  /** Tickets created in the period. */
  tickets: number;
  /** Tickets whose outcome is known as of `now`: closed (duration not flagged) or still open past the SLA. */
  withKnownOutcome: number;
  metSla: number;
  breached: number;
  /** metSla / withKnownOutcome; null when no outcome is known. */
  attainment: number | null;
  /** Over tickets closed (unflagged duration) by `now`; null when none closed. */
  p50HoursToClose: number | null;
  p90HoursToClose: number | null;
  /** Open tickets (any creation date) at `backlogAt`: the end of the period, or `now` if earlier. */
  backlog: number;
  backlogAt: Date;
}

/** One metric now against the previous period of equal length. */
export interface Trend {
  current: number | null;
  previous: number | null;
  /** current - previous (for attainment: a change in share, e.g. -0.05 = 5 points worse). */
  change: number | null;
  /** change / previous; null when previous is 0 or unknown. */
  relativeChange: number | null;
}

export interface SlaTrends {
  tickets: Trend;
  attainment: Trend;
  p50HoursToClose: Trend;
  p90HoursToClose: Trend;
  backlog: Trend;
}

/** SLA performance of one request type in a window and the period before it. */
export interface TypeSlaSummary {
  typeKey: string;
  displayName: string;
  slaHours: number;
  current: SlaPeriod;
  previous: SlaPeriod;
  trends: SlaTrends;
}

/** One city-local day: tickets created that day and in the 7 days ending with it. */
export interface DailyVolume {
  /** 'YYYY-MM-DD', city-local. */
  date: string;
  count: number;
  /** Tickets created in this day and the 6 days before it. */
  rolling7dCount: number;
}

/** One city-local ISO week (Monday start). */
export interface WeeklyVolume {
  /** Monday, 'YYYY-MM-DD', city-local. */
  weekStart: string;
  count: number;
  /** Share of the week's tickets with a known outcome that met the SLA; null when none is known. */
  attainment: number | null;
  /** The week extends beyond the window, so its count covers only part of it. */
  partial: boolean;
}

/** Full report for all tickets (typeKey null) or one request type. */
export interface SlaReport extends TypeSlaSummary {
  typeKey: string;
  /** Null for the report over every type. */
  scopeTypeKey: string | null;
  timeZone: string;
  weeklyVolume: WeeklyVolume[];
  dailyVolume: DailyVolume[];
}

/** What the warehouse counts for the tickets of one period; durations in milliseconds. */
export interface PeriodOutcomes {
  tickets: number;
  met: number;
  breached: number;
  p50Ms: number | null;
  p90Ms: number | null;
}

/** Outcomes of a window and of the period before it, with the backlog at the end of each. */
export interface WindowOutcomes {
  current: PeriodOutcomes;
  previous: PeriodOutcomes;
  currentBacklog: number;
  previousBacklog: number;
}

export const NO_OUTCOMES: PeriodOutcomes = { tickets: 0, met: 0, breached: 0, p50Ms: null, p90Ms: null };

/** Share of known outcomes that met the SLA; null when none is known. */
export function attainmentOf(met: number, breached: number): number | null {
  const known = met + breached;
  return known === 0 ? null : met / known;
}

export function toTrend(current: number | null, previous: number | null): Trend {
  const change = current === null || previous === null ? null : current - previous;
  const relativeChange = change === null || previous === null || previous === 0 ? null : change / previous;
  return { current, previous, change, relativeChange };
}

export function toPeriod(outcomes: PeriodOutcomes, bounds: WindowBounds, backlog: number, backlogAt: Date): SlaPeriod {
  return {
    since: bounds.since,
    until: bounds.until,
    tickets: outcomes.tickets,
    withKnownOutcome: outcomes.met + outcomes.breached,
    metSla: outcomes.met,
    breached: outcomes.breached,
    attainment: attainmentOf(outcomes.met, outcomes.breached),
    p50HoursToClose: outcomes.p50Ms === null ? null : outcomes.p50Ms / HOUR_MS,
    p90HoursToClose: outcomes.p90Ms === null ? null : outcomes.p90Ms / HOUR_MS,
    backlog,
    backlogAt,
  };
}

/** The summary of one type (or of all types) from its counts in a window and the period before. */
export function summarizeType(
  identity: { typeKey: string; displayName: string; slaHours: number },
  window: AnalyticsWindow,
  outcomes: WindowOutcomes,
): TypeSlaSummary {
  const current = toPeriod(outcomes.current, window, outcomes.currentBacklog, backlogInstant(window));
  const previous = toPeriod(outcomes.previous, previousWindow(window), outcomes.previousBacklog, previousBacklogInstant(window));
  return {
    ...identity,
    current,
    previous,
    trends: {
      tickets: toTrend(current.tickets, previous.tickets),
      attainment: toTrend(current.attainment, previous.attainment),
      p50HoursToClose: toTrend(current.p50HoursToClose, previous.p50HoursToClose),
      p90HoursToClose: toTrend(current.p90HoursToClose, previous.p90HoursToClose),
      backlog: toTrend(current.backlog, previous.backlog),
    },
  };
}
