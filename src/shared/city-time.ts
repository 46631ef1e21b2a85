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
  if (!days) dayOffsetCache.set(timeZone, (days = new Map()));
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
  for (const offset of before === after ? [before] : [before, after].sort((a, b) => b - a)) {
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

const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;
const US_LOCAL = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AP]M))?$/i;

/**
 * Parses the two local formats of the feed: ISO without zone ('2014-09-17T16:21:00.000') and
 * 'MM/DD/YYYY HH:MM:SS' — with or without seconds, as some rows from 2021 on are.
 * Returns null for text in neither format or an impossible date.
 */
export function parseCityLocalTimestamp(text: string): LocalDateTime | null {
  const trimmed = text.trim();
  let local: LocalDateTime | null = null;
  const iso = ISO_LOCAL.exec(trimmed);
  if (iso) {
    local = {
      year: Number(iso[1]),
      month: Number(iso[2]),
      day: Number(iso[3]),
      hour: Number(iso[4]),
      minute: Number(iso[5]),
      second: Number(iso[6] ?? 0),
      millisecond: iso[7] ? Number(iso[7].padEnd(3, '0').slice(0, 3)) : 0,
    };
  } else {
    const us = US_LOCAL.exec(trimmed);
    if (us) {
      let hour = Number(us[4]);
      const meridiem = us[7]?.toUpperCase();
      if (meridiem === 'PM' && hour < 12) hour += 12;
      if (meridiem === 'AM' && hour === 12) hour = 0;
      local = { year: Number(us[3]), month: Number(us[1]), day: Number(us[2]), hour, minute: Number(us[5]), second: Number(us[6] ?? 0) };
    }
  }
  if (!local) return null;
  const { year, month, day, hour, minute, second } = local;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return null;
  return local;
}
