import { InputError } from '../shared/errors.js';

/**
 * Shared look of every chart. Sizes are chosen for Slack's inline preview, which shows an
 * 800-px-wide image at roughly half size: 14 px ticks and an 18 px title stay readable there.
 */
export const CHART_SIZE = { width: 800, height: 450 } as const;
export const SMALL_CHART_SIZE = { width: 720, height: 380 } as const;

export const FONT_FAMILY = 'DejaVu Sans';

export const FONT = {
  title: { family: FONT_FAMILY, size: 18, weight: 'bold' },
  subtitle: { family: FONT_FAMILY, size: 14 },
  axisTitle: { family: FONT_FAMILY, size: 15, weight: 'bold' },
  tick: { family: FONT_FAMILY, size: 14 },
  legend: { family: FONT_FAMILY, size: 14 },
} as const;

export const COLOR = {
  text: '#222222',
  mutedText: '#555555',
  grid: '#e3e3e3',
  volumeBar: '#9ecae1',
  rollingLine: '#08519c',
  usualLine: '#e6550d',
  good: '#2e8b3d',
  amber: '#f0a202',
  bad: '#d62728',
  recent: '#4e79a7',
  surging: '#d62728',
  usual: '#b8b8b8',
  background: 'white',
  backlogLine: '#08519c',
  backlogFill: 'rgba(8, 81, 156, 0.14)',
  forecastLine: '#a63603',
  // Bands are opaque: touching semi-transparent bars would show seams where their edges overlap.
  forecastBand: '#fdd0a2',
  usualBand: '#dcdcdc',
  diagonal: '#777777',
  modelLine: '#6a3d9a',
} as const;

/**
 * Legend entries drawn in each dataset's point style, so a dashed line shows as a dashed line
 * rather than a filled box; bar datasets set pointStyle 'rect'.
 */
export const LEGEND_LABELS = {
  font: FONT.legend,
  color: COLOR.text,
  usePointStyle: true,
  boxHeight: 12,
  padding: 14,
} as const;

const DAY_KEY = /^(\d{4})-(\d{2})-(\d{2})$/;

const monthDay = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
const monthDayYear = new Intl.DateTimeFormat('en-US', {
  month: 'short',
  day: 'numeric',
  year: 'numeric',
  timeZone: 'UTC',
});

function parseDayKey(dayKey: string, field: string): Date {
  const match = DAY_KEY.exec(dayKey);
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!date || date.toISOString().slice(0, 10) !== dayKey) {
    throw new InputError(`${field} must be a calendar day 'YYYY-MM-DD', got "${dayKey}"`, [
      { path: field, message: 'expected YYYY-MM-DD' },
    ]);
  }
  return date;
}

/**
 * 'Nov 3' for a city-local day key. The key already names the city's calendar day, so it is
 * formatted in UTC: formatting it in the server's zone could shift it by a day.
 */
export function formatDayLabel(dayKey: string, field = 'date'): string {
  return monthDay.format(parseDayKey(dayKey, field));
}

/** 'Nov 3 – Dec 1, 2024' (or 'Dec 20, 2024 – Jan 5, 2025' across a year) for a subtitle. */
export function formatDayRange(firstDayKey: string, lastDayKey: string): string {
  const first = parseDayKey(firstDayKey, 'first day');
  const last = parseDayKey(lastDayKey, 'last day');
  const start = first.getUTCFullYear() === last.getUTCFullYear() ? monthDay.format(first) : monthDayYear.format(first);
  return `${start} – ${monthDayYear.format(last)}`;
}

/** 0..1 share as a percentage with one decimal, the unit every attainment axis uses. */
export function toPercent(share: number): number {
  return Math.round(share * 1000) / 10;
}

/** Throws InputError unless the value is a finite number within bounds. */
export function requireNumber(value: number, field: string, min = 0, max = Number.POSITIVE_INFINITY): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new InputError(`${field} must be a number between ${min} and ${max}, got ${value}`, [{ path: field, message: 'out of range' }]);
  }
  return value;
}

/** Title and subtitle plugin options with the shared fonts. */
export function buildTitleOptions(title: string, subtitle?: string): Record<string, unknown> {
  return {
    title: { display: true, text: title, font: FONT.title, color: COLOR.text, padding: { top: 4, bottom: subtitle ? 2 : 10 } },
    subtitle: subtitle
      ? { display: true, text: subtitle, font: FONT.subtitle, color: COLOR.mutedText, padding: { bottom: 8 } }
      : { display: false },
  };
}

/** A labelled axis title with the shared fonts. */
export function buildAxisTitle(text: string): Record<string, unknown> {
  return { display: true, text, font: FONT.axisTitle, color: COLOR.text };
}

/**
 * The scales of a count-over-time chart: a category x axis of city days or weeks (at most
 * `maxXTicks` labels, never rotated) and a y axis of whole counts from zero.
 */
export function buildCountOverTimeScales(xTitle: string, yTitle: string, maxXTicks = 10) {
  return {
    x: {
      title: buildAxisTitle(xTitle),
      ticks: { font: FONT.tick, color: COLOR.text, maxRotation: 0, autoSkip: true, maxTicksLimit: maxXTicks },
      grid: { display: false },
    },
    y: {
      beginAtZero: true,
      title: buildAxisTitle(yTitle),
      ticks: { font: FONT.tick, color: COLOR.text, precision: 0 },
      grid: { color: COLOR.grid },
    },
  };
}
