// analytics/: the days a city's offices are closed for a holiday — US federal holidays by rule
// (5 U.S.C. 6103, observed as OPM does) plus the city's own list from data. Pure: the list is
// read and validated by src/config/holidays.ts.
import { InputError } from '../shared/errors.js';

/** The eleven federal holidays of 5 U.S.C. 6103 (Inauguration Day is DC-only and left out). */
export const FEDERAL_HOLIDAY_IDS = [
  'new_years_day',
  'mlk_day',
  'washingtons_birthday',
  'memorial_day',
  'juneteenth',
  'independence_day',
  'labor_day',
  'columbus_day',
  'veterans_day',
  'thanksgiving_day',
  'christmas_day',
] as const;
export type FederalHolidayId = (typeof FEDERAL_HOLIDAY_IDS)[number];

/** One day off: `date` is the observed city-local day ('YYYY-MM-DD'). */
export interface Holiday {
  readonly date: string;
  readonly name: string;
  /** The federal holiday this is (absent for a city-only day). */
  readonly federalId?: FederalHolidayId;
  /** The holiday's own date when it is observed on another day (a weekend holiday). */
  readonly actualDate?: string;
}

/** What a city observes: the federal holidays (all, or all but some) and its own days. */
export interface CityHolidayRules {
  readonly observesFederal: boolean;
  /** Federal holidays the city does not close for (ids of FEDERAL_HOLIDAY_IDS). */
  readonly exceptFederal?: readonly string[];
  /** City-only closures, each on the day it is observed. */
  readonly holidays?: readonly { readonly date: string; readonly name: string }[];
}

/** Answers "is this city-local day a holiday?" for any year, computing each year once. */
export interface HolidayCalendar {
  holidayOn(dateKey: string): Holiday | undefined;
  isHoliday(dateKey: string): boolean;
  /** Every holiday observed in a calendar year, by date. */
  holidaysIn(year: number): Holiday[];
}

const DAY_MS = 86_400_000;
const DATE_KEY = /^(\d{4})-(\d{2})-(\d{2})$/;

function dateKeyOf(year: number, month: number, day: number): string {
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
}

/** Day of the month of the n-th `weekday` (0 = Sunday) of a month; n = -1 is the last one. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  if (n > 0) {
    const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
    return 1 + ((weekday - first + 7) % 7) + (n - 1) * 7;
  }
  const lastDay = new Date(Date.UTC(year, month, 0));
  return lastDay.getUTCDate() - ((lastDay.getUTCDay() - weekday + 7) % 7);
}

/** A fixed-date holiday on a Saturday is observed the Friday before, on a Sunday the Monday after. */
function observedKey(year: number, month: number, day: number): string {
  const date = Date.UTC(year, month - 1, day);
  const weekday = new Date(date).getUTCDay();
  const shift = weekday === 6 ? -1 : weekday === 0 ? 1 : 0;
  return new Date(date + shift * DAY_MS).toISOString().slice(0, 10);
}

function fixed(id: FederalHolidayId, name: string, year: number, month: number, day: number): Holiday {
  const actual = dateKeyOf(year, month, day);
  const date = observedKey(year, month, day);
  return date === actual ? { date, name, federalId: id } : { date, name, federalId: id, actualDate: actual };
}

function floating(id: FederalHolidayId, name: string, year: number, month: number, weekday: number, n: number): Holiday {
  return { date: dateKeyOf(year, month, nthWeekday(year, month, weekday, n)), name, federalId: id };
}

/** The federal holidays of one year's rules (the observed date may fall in the year before). */
function federalHolidaysOfYear(year: number): Holiday[] {
  const MONDAY = 1;
  const THURSDAY = 4;
  const holidays = [fixed('new_years_day', "New Year's Day", year, 1, 1)];
  // MLK Day became a federal holiday in 1986, Juneteenth in June 2021 (first observed 2021-06-18).
  if (year >= 1986) holidays.push(floating('mlk_day', 'Birthday of Martin Luther King, Jr.', year, 1, MONDAY, 3));
  holidays.push(
    floating('washingtons_birthday', "Washington's Birthday", year, 2, MONDAY, 3),
    floating('memorial_day', 'Memorial Day', year, 5, MONDAY, -1),
  );
  if (year >= 2021) holidays.push(fixed('juneteenth', 'Juneteenth National Independence Day', year, 6, 19));
  holidays.push(
    fixed('independence_day', 'Independence Day', year, 7, 4),
    floating('labor_day', 'Labor Day', year, 9, MONDAY, 1),
    floating('columbus_day', 'Columbus Day', year, 10, MONDAY, 2),
    fixed('veterans_day', 'Veterans Day', year, 11, 11),
    floating('thanksgiving_day', 'Thanksgiving Day', year, 11, THURSDAY, 4),
    fixed('christmas_day', 'Christmas Day', year, 12, 25),
  );
  return holidays;
}

/**
 * US federal holidays observed in a calendar year, by date, as OPM lists them. A New Year's Day
 * on a Saturday is observed on December 31 of the year before, so it is listed in that year.
 */
export function federalHolidays(year: number): Holiday[] {
  const prefix = `${year}-`;
  return [...federalHolidaysOfYear(year), ...federalHolidaysOfYear(year + 1)]
    .filter((holiday) => holiday.date.startsWith(prefix))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

function assertDateKey(date: string, what: string): void {
  const match = DATE_KEY.exec(date);
  if (!match || dateKeyOf(Number(match[1]), Number(match[2]), Number(match[3])) !== date)
    throw new InputError(`${what} must be a date such as 2024-12-26 (got "${date}").`);
}

/** A calendar of the federal holidays the city observes plus its own days (a city day wins a shared date). */
export function createHolidayCalendar(rules: CityHolidayRules): HolidayCalendar {
  const known = new Set<string>(FEDERAL_HOLIDAY_IDS);
  for (const id of rules.exceptFederal ?? [])
    if (!known.has(id)) throw new InputError(`Unknown federal holiday "${id}" (known: ${FEDERAL_HOLIDAY_IDS.join(', ')}).`);
  const excepted = new Set(rules.exceptFederal ?? []);
  const cityDays = new Map<string, Holiday>();
  for (const holiday of rules.holidays ?? []) {
    assertDateKey(holiday.date, `The holiday "${holiday.name}"`);
    cityDays.set(holiday.date, { date: holiday.date, name: holiday.name });
  }
  const years = new Map<number, Map<string, Holiday>>();
  const yearOf = (year: number): Map<string, Holiday> => {
    let days = years.get(year);
    if (!days) {
      days = new Map();
      if (rules.observesFederal)
        for (const holiday of federalHolidays(year)) if (!excepted.has(holiday.federalId!)) days.set(holiday.date, holiday);
      for (const [date, holiday] of cityDays) if (date.startsWith(`${year}-`)) days.set(date, holiday);
      years.set(year, days);
    }
    return days;
  };
  const holidayOn = (dateKey: string) => yearOf(Number(dateKey.slice(0, 4))).get(dateKey);
  return {
    holidayOn,
    isHoliday: (dateKey) => holidayOn(dateKey) !== undefined,
    holidaysIn: (year) => [...yearOf(year).values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0)),
  };
}

/** The federal holidays alone (a city without its own list). */
export function createFederalHolidayCalendar(): HolidayCalendar {
  return createHolidayCalendar({ observesFederal: true });
}

/** No holidays at all (tests, or a clock that counts every weekday). */
export const NO_HOLIDAYS: HolidayCalendar = {
  holidayOn: () => undefined,
  isHoliday: () => false,
  holidaysIn: () => [],
};
