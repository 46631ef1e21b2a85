/**
 * Socrata's text formats of the Gainesville export: `created` as zone-less local ISO,
 * 'MM/DD/YYYY HH:MM[:SS]' local stamps and `days_to_close` with 28 significant digits.
 */

/**
 * `minutes / 1440` as Socrata prints `days_to_close`: rounded to 28 significant digits, trailing
 * zeros dropped ('0.00625', '0.9027777777777777777777777778').
 */
export function formatDaysToClose(minutes: number): string {
  if (!Number.isInteger(minutes)) throw new RangeError(`minutes must be an integer, got ${minutes}`);
  let text = daysToCloseCache.get(minutes);
  if (text === undefined) {
    text = computeDaysToClose(minutes);
    // Durations cluster heavily, so a bounded memo removes most BigInt work.
    if (daysToCloseCache.size < 100_000) daysToCloseCache.set(minutes, text);
  }
  return text;
}

const daysToCloseCache = new Map<number, string>();

function computeDaysToClose(minutes: number): string {
  if (minutes === 0) return '0';
  const negative = minutes < 0;
  const numerator = BigInt(Math.abs(minutes));
  const denominator = 1440n;
  const integerPart = numerator / denominator;
  let scale: number;
  if (integerPart > 0n) {
    scale = Math.max(0, 28 - integerPart.toString().length);
  } else {
    let leadingZeros = 0;
    while (numerator * 10n ** BigInt(leadingZeros + 1) < denominator) leadingZeros++;
    scale = leadingZeros + 28;
  }
  const scaled = numerator * 10n ** BigInt(scale);
  let quotient = scaled / denominator;
  if ((scaled % denominator) * 2n >= denominator) quotient += 1n;
  const digits = quotient.toString().padStart(scale + 1, '0');
  let text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return negative ? `-${text}` : text;
}

/** `created` as the city exports it: local wall time, ISO, no zone, milliseconds '.000'. */
export function formatSodaCreated(instantMs: number): string {
  const p = toLocalParts(instantMs);
  return `${p.year}-${pad2(p.month)}-${pad2(p.day)}T${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}.000`;
}

/** 'MM/DD/YYYY HH:MM:SS' (or without seconds) in America/New_York wall time. */
export function formatSodaLocal(instantMs: number, withSeconds = true): string {
  const p = toLocalParts(instantMs);
  const base = `${pad2(p.month)}/${pad2(p.day)}/${p.year} ${pad2(p.hour)}:${pad2(p.minute)}`;
  return withSeconds ? `${base}:${pad2(p.second)}` : base;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const dstWindows = new Map<number, readonly [number, number]>();
const DAY_MS = 86_400_000;

/**
 * Wall-clock parts in America/New_York. US rules since 2007 (second Sunday of March to first
 * Sunday of November, switching at 02:00 local), computed with plain arithmetic because Intl (and
 * even Date objects) dominate the cost of generating 100k rows for the benchmark.
 */
export function toLocalParts(instantMs: number): LocalParts {
  // An approximate year is enough to find the DST window: both switches are far from New Year.
  const approximateYear = 1970 + Math.floor(instantMs / 31_556_952_000);
  let window = dstWindows.get(approximateYear);
  if (!window) {
    window = [
      Date.UTC(approximateYear, 2, nthSunday(approximateYear, 2, 2), 7),
      Date.UTC(approximateYear, 10, nthSunday(approximateYear, 10, 1), 6),
    ];
    dstWindows.set(approximateYear, window);
  }
  const localMs = instantMs + (instantMs >= window[0] && instantMs < window[1] ? -4 : -5) * 3_600_000;
  const days = Math.floor(localMs / DAY_MS);
  const secondsOfDay = Math.floor((localMs - days * DAY_MS) / 1000);
  // Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  return {
    year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day: dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1,
    hour: Math.floor(secondsOfDay / 3600),
    minute: Math.floor(secondsOfDay / 60) % 60,
    second: secondsOfDay % 60,
  };
}

function nthSunday(year: number, monthIndex: number, n: number): number {
  const firstWeekday = new Date(Date.UTC(year, monthIndex, 1)).getUTCDay();
  return 1 + ((7 - firstWeekday) % 7) + 7 * (n - 1);
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}
