import { readdirSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../shared/errors.js';
import { cityProfileSchema, describeProfileIssue, type CityProfile } from './city-profile.schema.js';

export type { CityProfile, FieldMapping, TicketField, TimestampFormat } from './city-profile.schema.js';
export { cityProfileSchema, TIMESTAMP_FORMATS } from './city-profile.schema.js';

/** The profiles shipped with the project: `cities/` at the repository root (also beside dist/). */
export const citiesDirectory = fileURLToPath(new URL('../../cities/', import.meta.url));

/** The profile used when CIVICOPS_CITY is not set: today's users keep today's mapping. */
export const DEFAULT_CITY = 'gainesville';

// Read once per file and frozen: config, ingest and the CLI share one object per profile.
const loaded = new Map<string, CityProfile>();

/** The path shown in messages: relative to the working directory when under it (`cities/chicago.json`). */
function displayPath(path: string): string {
  const shown = relative(process.cwd(), path);
  return shown && !shown.startsWith('..') && !isAbsolute(shown) ? shown : path;
}

/** Names of the shipped profiles, sorted. */
export function listShippedCities(directory: string = citiesDirectory): string[] {
  try {
    return readdirSync(directory)
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

/**
 * Validates a profile already parsed from JSON; `label` names its file in the error
 * (`cities/chicago.json: fields.createdAt is required`).
 */
export function parseCityProfile(value: unknown, label: string): CityProfile {
  const parsed = cityProfileSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`${label}: ${describeProfileIssue(parsed.error)}`);
  return deepFreeze(parsed.data);
}

/** Reads, validates and freezes the profile file at `path` (once; later calls get the same object). */
export function loadCityProfileFile(path: string): CityProfile {
  const absolute = resolve(path);
  const cached = loaded.get(absolute);
  if (cached) return cached;
  const label = displayPath(absolute);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError(`${label}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${label}: is not valid JSON (${(error as Error).message})`);
  }
  const profile = parseCityProfile(json, label);
  if (profile.name !== basename(absolute, '.json') && absolute.startsWith(citiesDirectory)) {
    throw new ConfigError(`${label}: name is "${profile.name}" but the file is ${basename(absolute)}; they must agree`);
  }
  loaded.set(absolute, profile);
  return profile;
}

/**
 * The profile CIVICOPS_CITY names: a shipped city (`chicago`) or a path to a profile file
 * (`./my-city.json`, e.g. one written by `civicops city detect --write`).
 */
export function loadCityProfile(nameOrPath: string = DEFAULT_CITY): CityProfile {
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/')) return loadCityProfileFile(nameOrPath);
  const shipped = listShippedCities();
  if (!shipped.includes(nameOrPath)) {
    throw new ConfigError(
      `CIVICOPS_CITY: no profile "${nameOrPath}" in ${displayPath(citiesDirectory)} (shipped: ${shipped.join(', ') || 'none'}; or give a path to a .json profile)`,
    );
  }
  return loadCityProfileFile(join(citiesDirectory, `${nameOrPath}.json`));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
