// config/: a city's holiday list (data/holidays/<city>.json), read and validated once. The
// calendar it describes is built by analytics/holiday-calendar.ts (createHolidayCalendar).
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../shared/errors.js';

const dateKey = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date such as 2024-12-26');

const cityHolidaysSchema = z.object({
  city: z.string().min(1),
  timeZone: z.string().optional(),
  /** The city closes on the US federal holidays (computed by rule, observed as OPM does). */
  observesFederal: z.boolean(),
  /** Federal holidays the city works on, by id (e.g. "columbus_day"). */
  exceptFederal: z.array(z.string().min(1)).default([]),
  note: z.string().optional(),
  holidays: z
    .array(z.object({ date: dateKey, name: z.string().min(1), source: z.string().optional() }))
    .default([])
    .refine((days) => new Set(days.map((day) => day.date)).size === days.length, 'lists a date twice'),
  sources: z.array(z.string()).default([]),
});

/** A city's holiday list as the data file states it. */
export type CityHolidays = z.infer<typeof cityHolidaysSchema>;

/** The city whose list ships with the project (the bundled 311 dataset is Gainesville's). */
export const DEFAULT_HOLIDAY_CITY = 'gainesville';

/** data/holidays/<city>.json, found from both src/config and dist/config. */
export function cityHolidaysPath(city: string = DEFAULT_HOLIDAY_CITY): URL {
  if (!/^[a-z0-9-]+$/.test(city)) throw new ConfigError(`A holiday city must be a file name such as "gainesville" (got "${city}").`);
  return new URL(`../../data/holidays/${city}.json`, import.meta.url);
}

const cache = new Map<string, CityHolidays>();

/** The city's holiday list, read and validated once per path (a broken file fails loudly, naming itself). */
export function loadCityHolidays(path: URL | string = cityHolidaysPath()): CityHolidays {
  const key = String(path);
  const cached = cache.get(key);
  if (cached) return cached;
  let parsed: ReturnType<typeof cityHolidaysSchema.safeParse>;
  try {
    parsed = cityHolidaysSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    throw new ConfigError(`Cannot read the holiday list ${key}: ${(error as Error).message}`);
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`Invalid holiday list ${key}: ${issue ? `${issue.path.join('.') || 'file'} ${issue.message}` : 'bad shape'}`);
  }
  cache.set(key, parsed.data);
  return parsed.data;
}

/**
 * The holiday list of a city by its profile name: data/holidays/<city>.json, or the federal
 * holidays alone when the city has no file yet (a city's offices close on those at least).
 */
export function loadCityHolidaysOrFederal(city: string = DEFAULT_HOLIDAY_CITY): CityHolidays {
  const path = cityHolidaysPath(city);
  if (!existsSync(path)) {
    return {
      city,
      observesFederal: true,
      exceptFederal: [],
      note: `No data/holidays/${city}.json: US federal holidays only.`,
      holidays: [],
      sources: [],
    };
  }
  return loadCityHolidays(path);
}
