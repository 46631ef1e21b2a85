import { z } from 'zod';
import type { CityProfile, TicketField, TimestampFormat } from '../config/city-profile.js';
import { cityLocalToInstant, parseCityLocalTimestamp, type LocalDateTime } from '../shared/city-time.js';

/**
 * The validation rules of one city profile, compiled once: a zod schema over the city's own
 * column names, its timestamp formats, its id rule and its reading of status words.
 */

/** A parsed timestamp: a wall-clock time of the city, or (format `fixed`) an instant. */
export type TimestampValue = LocalDateTime | Date;

const FORMAT_WORDS: Record<TimestampFormat, string> = {
  us: 'MM/DD/YYYY HH:MM[:SS]',
  floating: 'YYYY-MM-DDTHH:MM:SS',
  fixed: 'YYYY-MM-DDTHH:MM:SSZ',
};

const FIXED_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const CODE_DASH = 45;

/** Reads `text` in the first of the city's formats it fits, or null. */
export function parseTimestamp(text: string, formats: readonly TimestampFormat[]): TimestampValue | null {
  const trimmed = text.trim();
  const isoShaped = trimmed.charCodeAt(4) === CODE_DASH;
  for (const format of formats) {
    if (format === 'fixed') {
      if (!FIXED_INSTANT.test(trimmed)) continue;
      const instant = new Date(trimmed);
      if (!Number.isNaN(instant.getTime())) return instant;
    } else if (format === 'floating' ? isoShaped : !isoShaped) {
      const local = parseCityLocalTimestamp(trimmed);
      if (local) return local;
    }
  }
  return null;
}

export function timestampToInstant(value: TimestampValue | undefined, timeZone: string): Date | null {
  if (value === undefined) return null;
  return value instanceof Date ? value : cityLocalToInstant(value, timeZone);
}

function describeFormats(formats: readonly TimestampFormat[]): string {
  const words = formats.map((format) => FORMAT_WORDS[format]);
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

// One reason per bad value: "not a number" and "out of range" never both.
const numericText = (min: number, max: number) =>
  z.string().superRefine((text, ctx) => {
    const value = text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(value)) ctx.addIssue({ code: 'custom', message: 'is not a number' });
    else if (value < min || value > max) ctx.addIssue({ code: 'custom', message: `is outside ${min}..${max}` });
  });

function idRule(pattern: string | undefined) {
  const id = z.string().trim().min(1, 'is empty');
  if (pattern === undefined) return id;
  // Gainesville's words for its rule, kept as they were.
  const message = pattern === '^\\d+$' ? 'must be a numeric ticket id' : `must match ${pattern}`;
  return id.regex(new RegExp(pattern), message);
}

/** The logical fields in the order their problems are reported (Gainesville's order before profiles). */
const TIMESTAMP_FIELDS = ['createdAt', 'closedAt', 'acknowledgedAt', 'reopenedAt', 'updatedAt'] as const;
const TEXT_FIELDS = ['description', 'reporter', 'address', 'district', 'policeSector', 'assignedTo'] as const;

export interface RowRules {
  readonly profile: CityProfile;
  /** Rows as zod reads them; keys are the city's column names. */
  readonly schema: z.ZodType<Record<string, unknown>>;
  /**
   * Data columns a row may carry without being quarantined (when `unknownColumns` is
   * `quarantine`). Mutable on purpose: declaring a new column recovers its quarantined rows.
   */
  readonly knownColumns: Set<string>;
  /** The column of each mapped ticket field. */
  column(field: TicketField): string | undefined;
  /** The profile's reading of a status word: true while work is pending. */
  isOpenStatus(status: string): boolean;
}

function compileStatusReader(profile: CityProfile): (status: string) => boolean {
  const open = new Set(profile.statuses.open.map((word) => word.toLowerCase()));
  const closed = new Set(profile.statuses.closed.map((word) => word.toLowerCase()));
  const pattern = profile.statuses.closedPattern === undefined ? undefined : new RegExp(profile.statuses.closedPattern, 'i');
  return (status) => {
    const word = status.trim().toLowerCase();
    if (open.has(word)) return true;
    if (closed.has(word)) return false;
    return !(pattern?.test(status) ?? false);
  };
}

function compileRules(profile: CityProfile): RowRules {
  const fields = profile.fields;
  const timestamp = z.string().transform((text, ctx) => {
    const value = parseTimestamp(text, profile.timestampFormats);
    if (!value) {
      ctx.addIssue({ code: 'custom', message: `is not a date in ${describeFormats(profile.timestampFormats)} form` });
      return z.NEVER;
    }
    return value;
  });
  const shape: Record<string, z.ZodType> = {};
  const put = (field: TicketField, rule: z.ZodType) => {
    const column = fields[field];
    if (column !== undefined) shape[column] = rule;
  };
  put('id', idRule(profile.idPattern));
  put('status', z.string().trim().min(1, 'is empty'));
  put('requestType', z.string().trim().min(1, 'is empty'));
  for (const field of TIMESTAMP_FIELDS) put(field, field === 'createdAt' ? timestamp : timestamp.optional());
  put('latitude', numericText(-90, 90).optional());
  put('longitude', numericText(-180, 180).optional());
  put('minutesToClose', numericText(-1e9, 1e9).optional());
  put('minutesToAcknowledge', numericText(-1e9, 1e9).optional());
  for (const field of TEXT_FIELDS) put(field, z.string().optional());
  // A point is read only as a fallback for coordinates; a malformed one is ignored, not fatal.
  put('point', z.unknown().optional());
  shape[':updated_at'] = z.string().optional();
  return {
    profile,
    // Other keys are checked by validateSodaRow and kept in the raw row; zod need not copy them
    // into its output (measured: a quarter of its time).
    schema: z.object(shape).strip() as unknown as z.ZodType<Record<string, unknown>>,
    knownColumns: new Set(profile.columns),
    column: (field) => fields[field],
    isOpenStatus: compileStatusReader(profile),
  };
}

const compiled = new WeakMap<CityProfile, RowRules>();

/** The rules of a profile, compiled on first use and kept for the profile's lifetime. */
export function rowRulesFor(profile: CityProfile): RowRules {
  let rules = compiled.get(profile);
  if (!rules) {
    rules = compileRules(profile);
    compiled.set(profile, rules);
  }
  return rules;
}

/** Coordinates of a GeoJSON Point value (`{ type: 'Point', coordinates: [lon, lat] }`), or null. */
export function pointCoordinates(value: unknown): { latitude: number; longitude: number } | null {
  if (value === null || typeof value !== 'object') return null;
  const { type, coordinates } = value as { type?: unknown; coordinates?: unknown };
  if (type !== 'Point' || !Array.isArray(coordinates) || coordinates.length < 2) return null;
  const [longitude, latitude] = coordinates.map(Number);
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return null;
  if (Math.abs(latitude!) > 90 || Math.abs(longitude!) > 180) return null;
  return { latitude: latitude!, longitude: longitude! };
}
