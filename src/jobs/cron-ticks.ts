import { parse } from 'node-cron';

const MINUTE_MS = 60_000;
// Enough for a yearly schedule walked hour by hour, with room to spare.
const MAX_STEPS = 2 * 366 * 24 * 60;
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

interface MinuteMatcher {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localParts(instant: number, timeZone: string) {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, format);
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(instant)) parts[part.type] = part.value;
  return {
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? -1,
  };
}

/** Matcher for the standard fields; null for tokens this small walker does not model (L, W, #). */
function compile(cron: string): MinuteMatcher | null {
  const fields = parse(cron);
  const numbers = (values: (number | string)[]) =>
    values.every((value) => typeof value === 'number') ? new Set(values as number[]) : null;
  const days = numbers(fields.dayOfMonth);
  const weekdays = numbers(fields.dayOfWeek);
  if (!days || !weekdays) return null;
  return { minutes: new Set(fields.minute), hours: new Set(fields.hour), days, months: new Set(fields.month), weekdays };
}

/**
 * The newest `count` ticks of a cron schedule at or before `before`, newest first, in the given
 * time zone, at minute resolution (a seconds field is ignored: health only needs the cadence).
 * Day-of-month and day-of-week must both match, as in node-cron. Returns null for schedules using
 * L/W/# tokens. Walks back a day at a time over days that do not match, hour by hour within a
 * matching day and minute by minute within a matching hour, which stays correct across DST changes.
 */
export function findPreviousTicks(cron: string, timeZone: string, before: Date, count: number): Date[] | null {
  const matcher = compile(cron);
  if (!matcher) return null;
  const ticks: Date[] = [];
  let instant = Math.floor(before.getTime() / MINUTE_MS) * MINUTE_MS;
  for (let step = 0; step < MAX_STEPS && ticks.length < count; step++) {
    const local = localParts(instant, timeZone);
    const dayMatches = matcher.months.has(local.month) && matcher.days.has(local.day) && matcher.weekdays.has(local.weekday);
    if (!dayMatches && local.hour >= 1) {
      // Towards the previous day, but never past its last hour: on a DST day the local clock and
      // elapsed time differ by an hour, so land in this day's first hours and step from there.
      instant -= ((local.hour - 1) * 60 + local.minute + 1) * MINUTE_MS;
      continue;
    }
    if (!dayMatches || !matcher.hours.has(local.hour)) {
      instant -= (local.minute + 1) * MINUTE_MS; // to minute 59 of the previous hour
      continue;
    }
    if (matcher.minutes.has(local.minute)) ticks.push(new Date(instant));
    instant -= MINUTE_MS;
  }
  return ticks;
}

/**
 * The schedule's interval as of `now`: the longest gap between its last 8 ticks, so an uneven
 * schedule (weekdays only) is judged by its longest pause, never by its shortest. Null when the
 * schedule cannot be modelled or has fewer than two ticks in two years.
 */
export function findCronIntervalMs(cron: string, timeZone: string, now: Date): number | null {
  const ticks = findPreviousTicks(cron, timeZone, now, 8);
  if (!ticks || ticks.length < 2) return null;
  let longest = 0;
  for (let i = 1; i < ticks.length; i++) longest = Math.max(longest, ticks[i - 1]!.getTime() - ticks[i]!.getTime());
  return longest;
}
