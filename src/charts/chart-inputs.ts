/**
 * What the chart builders take. Callers (digest job, Slack /sla, `civicops chart`) aggregate
 * the warehouse into these shapes; the builders never query anything themselves.
 * Every date is a 'YYYY-MM-DD' calendar day in city time (already converted by the caller).
 */

/** One city-local day of intake. */
export interface DailyVolumePoint {
  /** City-local calendar day, 'YYYY-MM-DD'. */
  date: string;
  /** Tickets created that day. */
  count: number;
}

export interface VolumeChartInput {
  title: string;
  /** Consecutive days, oldest first. */
  days: DailyVolumePoint[];
  /** Rolling 7-day mean per day, aligned with `days` (same length). */
  rolling7d?: number[];
  /** Usual daily level per day (e.g. same weekday over the previous weeks), aligned with `days`. */
  usual?: number[];
  /** IANA zone the days are in, shown on the axis (e.g. 'America/New_York'). */
  timeZone?: string;
}

/** SLA performance of one request type over the charted period. */
export interface TypeAttainment {
  name: string;
  /** Share of tickets closed within the SLA, 0..1. */
  attainment: number;
  /** 90th percentile of hours to close; null when too few tickets closed. */
  p90Hours: number | null;
  tickets: number;
}

export interface SlaChartInput {
  title: string;
  types: TypeAttainment[];
  /** The SLA the attainment is measured against, in hours. */
  slaHours: number;
  /** Attainment the city aims for, 0..1 (default 0.8); bars below it turn amber, far below red. */
  target?: number;
  /** Most types to show, worst first (default 15) so bars stay legible. */
  maxTypes?: number;
}

/** Recent intake of one request type against its usual rate. */
export interface TypeSurge {
  name: string;
  /** Tickets created in the last 7 days. */
  last7d: number;
  /** Usual tickets per week (baseline). */
  usualWeekly: number;
  /** Whether the surge detector flagged this type. */
  surging: boolean;
}

export interface SurgeChartInput {
  title: string;
  types: TypeSurge[];
  /** Most types to show (default 12); surging types are always kept first. */
  maxTypes?: number;
}

/** One city-local week of a single request type. */
export interface WeeklyTypePoint {
  /** City-local first day of the week, 'YYYY-MM-DD'. */
  weekStart: string;
  count: number;
  /** Share closed within SLA, 0..1; null when nothing in the week could be judged yet. */
  attainment: number | null;
}

export interface TypeTrendChartInput {
  title: string;
  weeks: WeeklyTypePoint[];
  /** Attainment target 0..1 shown in the subtitle (default 0.8). */
  target?: number;
}

/** Open tickets at the end of one city-local day. */
export interface BacklogPoint {
  /** City-local calendar day, 'YYYY-MM-DD'. */
  date: string;
  /** Tickets open at the end of that day. */
  open: number;
}

export interface BacklogChartInput {
  /** Days oldest first, strictly increasing. */
  points: BacklogPoint[];
  /** Default 'Open backlog'. */
  title?: string;
  /** IANA zone the days are in, shown in the subtitle. */
  timeZone?: string;
}

/** Forecast of one city-local day's intake with its 80% interval. */
export interface ForecastPoint {
  /** City-local calendar day, 'YYYY-MM-DD'. */
  date: string;
  expected: number;
  /** 10th percentile. */
  low: number;
  /** 90th percentile. */
  high: number;
}

export interface ForecastChartInput {
  /** Recent actual intake (about the last 4 weeks), oldest first. May be empty. */
  history: DailyVolumePoint[];
  /** Forecast days after the last history day, oldest first. */
  horizon: ForecastPoint[];
  /** Default 'Intake forecast'. */
  title?: string;
  timeZone?: string;
}

/** One bin of a reliability diagram. */
export interface CalibrationBin {
  /** Mean predicted probability of the tickets in the bin, 0..1. */
  meanPredicted: number;
  /** Share of those tickets where the event happened, 0..1. */
  observedRate: number;
  /** Tickets in the bin; bins with 0 are left out. */
  count: number;
}

export interface CalibrationChartInput {
  bins: CalibrationBin[];
  /** Default 'Model calibration'. */
  title?: string;
}

/** One city-local week of intake with the range it usually falls in. */
export interface WeeklyVolumeBandPoint {
  /** City-local first day of the week, 'YYYY-MM-DD'. */
  weekStart: string;
  count: number;
  /** Low end of the usual range for that week. */
  usualLow: number;
  /** High end of the usual range (>= usualLow). */
  usualHigh: number;
}

export interface VolumeBandChartInput {
  /** Weeks oldest first, strictly increasing. */
  weeks: WeeklyVolumeBandPoint[];
  /** Default 'Weekly intake vs usual range'. */
  title?: string;
}
