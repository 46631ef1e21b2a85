/**
 * Wall-clock times of the city (Gainesville: America/New_York) to true instants and back,
 * DST included, without a date library. The SODA feed gives local times with no zone.
 */

export interface LocalDateTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond?: number;
}

const formatterCache = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatterCache.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatterCache.set(timeZone, formatter);
  }
  return formatter;
}

/** The city's wall clock at an instant, with ISO weekday (1 = Monday). */
export function toCityParts(instant: Date | number, timeZone: string): LocalDateTime & { isoWeekday: number } {
  const epochMs = typeof instant === 'number' ? instant : instant.getTime();
  const wall = new Date(epochMs + zoneOffsetMinutes(epochMs, timeZone) * 60_000);
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    millisecond: wall.getUTCMilliseconds(),
    isoWeekday: wall.getUTCDay() === 0 ? 7 : wall.getUTCDay(),
  };
}

function offsetFromIntl(epochMs: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(epochMs);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / 60_000);
}

// Intl is slow (microseconds a call) and offsets change only twice a year: cache the offset of
// each UTC day, and only on a day whose start and end offsets differ ask Intl per instant.
const dayOffsetCache = new Map<string, Map<number, number | null>>();

/** Minutes the zone is ahead of UTC at an instant (EDT: -240). */
export function zoneOffsetMinutes(epochMs: number, timeZone: string): number {
  const dayStart = Math.floor(epochMs / 86_400_000) * 86_400_000;
  let days = dayOffsetCache.get(timeZone);
  if (!days) {
    days = new Map();
    dayOffsetCache.set(timeZone, days);
  }
  let steady = days.get(dayStart);
  if (steady === undefined) {
    const atStart = offsetFromIntl(dayStart, timeZone);
    const atEnd = offsetFromIntl(dayStart + 86_399_999, timeZone);
    steady = atStart === atEnd ? atStart : null;
    if (days.size > 200_000) days.clear();
    days.set(dayStart, steady);
  }
  return steady ?? offsetFromIntl(epochMs, timeZone);
}

/**
 * The instant at which the city's clock shows this local time. In the repeated hour of a
 * fall-back transition the earlier (daylight) instant is chosen; a time inside the skipped
 * spring-forward hour does not exist and is read with the offset before the jump (it lands
 * one hour later), which is what clocks that were not yet changed would have shown.
 */
export function cityLocalToInstant(local: LocalDateTime, timeZone: string): Date {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second, local.millisecond ?? 0);
  // Try the offsets in force a day either side; pick the first that maps back to this wall time.
  const before = zoneOffsetMinutes(wall - 86_400_000, timeZone);
  const after = zoneOffsetMinutes(wall + 86_400_000, timeZone);
  // No transition within a day either side (all but a few days a year): one offset, no search.
  if (before === after) return new Date(wall - before * 60_000);
  for (const offset of [before, after].sort((a, b) => b - a)) {
    const candidate = wall - offset * 60_000;
    if (zoneOffsetMinutes(candidate, timeZone) === offset) return new Date(candidate);
  }
  return new Date(wall - before * 60_000);
}

/** 'YYYY-MM-DD' of the city's calendar day at an instant. */
export function cityDateKey(instant: Date | number, timeZone: string): string {
  const p = toCityParts(instant, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1]!;
  // Years 0-99 are read as 1900-1999, as Date.UTC (and so cityLocalToInstant) reads them.
  const calendarYear = year < 100 ? 1900 + year : year;
  return (calendarYear % 4 === 0 && calendarYear % 100 !== 0) || calendarYear % 400 === 0 ? 29 : 28;
}

// The parser below reads the text with charCodeAt: every ingested row has three or four of these
// timestamps, and regular expressions with a Date per call cost a sixth of row validation.
const CODE_0 = 48;
const CODE_SLASH = 47;
const CODE_COLON = 58;
const CODE_DASH = 45;
const CODE_DOT = 46;
const CODE_SPACE = 32;
const CODE_T = 84;

/** The number written by the digits text[from..to), or -1 if any of them is not a digit. */
function readDigits(text: string, from: number, to: number): number {
  let value = 0;
  for (let index = from; index < to; index++) {
    const digit = text.charCodeAt(index) - CODE_0; // NaN past the end of the text
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** End of a run of one or two digits starting at `from`, or -1 when there is none. */
function endOfShortNumber(text: string, from: number): number {
  const isDigitAt = (index: number) => {
    const code = text.charCodeAt(index);
    return code >= CODE_0 && code <= CODE_0 + 9;
  };
  if (!isDigitAt(from)) return -1;
  return isDigitAt(from + 1) ? from + 2 : from + 1;
}

/** 'YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]' (fraction of 1 to 6 digits). */
function parseIsoLocal(text: string): LocalDateTime | null {
  const length = text.length;
  if (length < 16 || text.charCodeAt(4) !== CODE_DASH || text.charCodeAt(7) !== CODE_DASH || text.charCodeAt(13) !== CODE_COLON)
    return null;
  const separator = text.charCodeAt(10);
  if (separator !== CODE_T && separator !== CODE_SPACE) return null;
  const year = readDigits(text, 0, 4);
  const month = readDigits(text, 5, 7);
  const day = readDigits(text, 8, 10);
  const hour = readDigits(text, 11, 13);
  const minute = readDigits(text, 14, 16);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0) return null;
  let second = 0;
  let millisecond = 0;
  if (length > 16) {
    if (length < 19 || text.charCodeAt(16) !== CODE_COLON) return null;
    second = readDigits(text, 17, 19);
    if (second < 0) return null;
    if (length > 19) {
      if (length < 21 || length > 26 || text.charCodeAt(19) !== CODE_DOT || readDigits(text, 20, length) < 0) return null;
      // Milliseconds are the first three digits of the fraction ('.5' is 500 ms).
      const fraction = text.slice(20, 23);
      millisecond = Number(fraction) * 10 ** (3 - fraction.length);
    }
  }
  return { year, month, day, hour, minute, second, millisecond };
}

/** 'M/D/YYYY H:MM[:SS][ AM|PM]' (month, day and hour of one or two digits). */
function parseUsLocal(text: string): LocalDateTime | null {
  const monthEnd = endOfShortNumber(text, 0);
  if (monthEnd < 0 || text.charCodeAt(monthEnd) !== CODE_SLASH) return null;
  const dayEnd = endOfShortNumber(text, monthEnd + 1);
  if (dayEnd < 0 || text.charCodeAt(dayEnd) !== CODE_SLASH) return null;
  const yearEnd = dayEnd + 5;
  if (text.charCodeAt(yearEnd) !== CODE_SPACE) return null;
  const hourEnd = endOfShortNumber(text, yearEnd + 1);
  if (hourEnd < 0 || text.charCodeAt(hourEnd) !== CODE_COLON) return null;
  const month = readDigits(text, 0, monthEnd);
  const day = readDigits(text, monthEnd + 1, dayEnd);
  const year = readDigits(text, dayEnd + 1, yearEnd);
  let hour = readDigits(text, yearEnd + 1, hourEnd);
  const minute = readDigits(text, hourEnd + 1, hourEnd + 3);
  if (year < 0 || minute < 0 || hourEnd + 3 > text.length) return null;
  let position = hourEnd + 3;
  let second = 0;
  if (text.charCodeAt(position) === CODE_COLON) {
    second = readDigits(text, position + 1, position + 3);
    if (second < 0 || position + 3 > text.length) return null;
    position += 3;
  }
  if (position < text.length) {
    if (text.charCodeAt(position) === CODE_SPACE) position += 1;
    const meridiem = text.slice(position).toUpperCase();
    if (meridiem === 'PM' && hour < 12) hour += 12;
    else if (meridiem === 'AM' && hour === 12) hour = 0;
    else if (meridiem !== 'AM' && meridiem !== 'PM') return null;
  }
  return { year, month, day, hour, minute, second };
}

/**
 * Parses the two local formats of the feed: ISO without zone ('2014-09-17T16:21:00.000') and
 * 'MM/DD/YYYY HH:MM:SS' — with or without seconds, as some rows from 2021 on are.
 * Returns null for text in neither format or an impossible date.
 */
export function parseCityLocalTimestamp(text: string): LocalDateTime | null {
  const trimmed = text.trim();
  const local = trimmed.charCodeAt(4) === CODE_DASH ? parseIsoLocal(trimmed) : parseUsLocal(trimmed);
  if (!local) return null;
  const { year, month, day, hour, minute, second } = local;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  if (day < 1 || day > daysInMonth(year, month)) return null;
  return local;
}
