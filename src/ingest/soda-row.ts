import { hash } from 'node:crypto';
import { type CityProfile, DEFAULT_CITY, loadCityProfile } from '../config/city-profile.js';
import { cityDateKey } from '../shared/city-time.js';
import type { TicketRecord } from '../warehouse/ticket-record.js';
import { pointCoordinates, rowRulesFor, type TimestampValue, timestampToInstant } from './row-rules.js';

/** Gainesville (78uv-94ar): the profile a caller without one gets, as before city profiles. */
const defaultProfile: CityProfile = loadCityProfile(DEFAULT_CITY);

/**
 * Data columns of the default profile (dataset 78uv-94ar). A row with any other (non-system)
 * key is quarantined; adding a column here recovers its quarantined rows on the next run.
 */
export const KNOWN_DATA_FIELDS: Set<string> = rowRulesFor(defaultProfile).knownColumns;

/** System fields SODA adds with `$select=:*,*`; `:@computed_region_*` are geographic joins. */
const SYSTEM_FIELD = /^:(id|created_at|updated_at|version|@computed_region_[a-z0-9_]+)$/;

// Any longer is no plausible 311 lifetime; such durations are flagged, not trusted.
const IMPLAUSIBLE_MINUTES = 5 * 365 * 24 * 60;

/** One SODA row of the default profile as served (all values text, null fields omitted). */
export const sodaRowSchema = rowRulesFor(defaultProfile).schema;

export type SodaRow = Record<string, unknown>;

export type { TicketRecord };

export type ValidationOutcome = (
  | { ok: true; ticket: TicketRecord; raw: SodaRow }
  | { ok: false; ticketId: string | null; reasons: string[]; raw: SodaRow }
) & {
  /** The row held NUL characters, replaced by U+FFFD in `raw` (and so in the ticket). */
  nulReplaced?: true;
};

/**
 * Canonical request-type key: case, spacing and punctuation differences across the 2021 system
 * change collapse to one key ("Trash/Debris (Public Property)" = "Trash / Debris (Public Property)").
 */
export function canonicalTypeKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

const VOLATILE_SYSTEM_FIELDS = [':id', ':version', ':created_at', ':updated_at'] as const;
const VOLATILE_SYSTEM_FIELD: ReadonlySet<string> = new Set(VOLATILE_SYSTEM_FIELDS);

// The row being serialised by rowDataJson: only its own system fields are left out, not keys of
// nested values. A module variable rather than a closure, so serialising a row allocates nothing extra.
let serialisedRow: SodaRow | undefined;
function dropVolatileFields(this: unknown, key: string, value: unknown): unknown {
  return this === serialisedRow && VOLATILE_SYSTEM_FIELD.has(key) ? undefined : value;
}

/** The row's data fields as JSON, system fields (`:id`, `:version`, `:created_at`, `:updated_at`) left out. */
function rowDataJson(row: SodaRow): string {
  serialisedRow = row;
  try {
    return JSON.stringify(row, dropVolatileFields);
  } finally {
    serialisedRow = undefined;
  }
}

/**
 * Hash of the data fields of a row, system fields excluded: equal hash = nothing changed.
 * Keys are hashed in the order the source serves them (SODA's order is stable); a one-shot
 * native stringify + hash is what keeps validation fast (measured: a third of its time before).
 */
export function hashRowData(row: SodaRow): string {
  return hash('sha1', rowDataJson(row));
}

/**
 * The whole row as JSON text (the system fields put back in front of the data): what raw_ticket
 * keeps. Built from the data JSON already serialised for the hash, so a row is serialised once.
 */
function withSystemFields(row: SodaRow, dataJson: string): string {
  let system = '';
  for (const field of VOLATILE_SYSTEM_FIELDS) {
    const value = row[field];
    if (value !== undefined) system += `${system ? ',' : ''}${JSON.stringify(field)}:${JSON.stringify(value)}`;
  }
  if (!system) return dataJson;
  return dataJson.length > 2 ? `{${system},${dataJson.slice(1)}` : `{${system}}`;
}

function nullIfBlank(text: string | undefined): string | null {
  if (text === undefined) return null;
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed;
}

const NUL = '\u0000';
const REPLACEMENT_CHARACTER = '\uFFFD';

function hasNulCharacter(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(NUL);
  if (value === null || typeof value !== 'object') return false;
  for (const key in value) {
    if (key.includes(NUL) || hasNulCharacter((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

function replaceNulCharacters(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll(NUL, REPLACEMENT_CHARACTER);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(replaceNulCharacters);
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [replaceNulCharacters(key) as string, replaceNulCharacters(inner)]),
  );
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000, so one such character in a row would fail the
 * statement of its whole chunk, run after run. It is replaced by U+FFFD (the Unicode replacement
 * character, visible where the row is read) in keys and values alike; the same row otherwise.
 */
export function withoutNulCharacters(row: SodaRow): SodaRow {
  return hasNulCharacter(row) ? (replaceNulCharacters(row) as SodaRow) : row;
}

/** A row's numeric text as a number (it passed validation), or null when absent. */
function numberOrNull(text: unknown): number | null {
  return typeof text === 'string' ? Number(text) : null;
}

function textOf(data: Record<string, unknown>, column: string | undefined): string | null {
  return column === undefined ? null : nullIfBlank(data[column] as string | undefined);
}

/**
 * Validates one SODA row of `profile` (default: Gainesville) and maps the city's columns to a
 * ticket; a failure carries every reason, in words a person can act on. A field the city does
 * not publish is null, never invented.
 */
export function validateSodaRow(raw: unknown, timeZone: string, profile: CityProfile = defaultProfile): ValidationOutcome {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const wrapped = { value: raw };
    const clean = withoutNulCharacters(wrapped);
    return {
      ok: false,
      ticketId: null,
      reasons: ['row is not a JSON object'],
      raw: clean,
      ...(clean !== wrapped ? { nulReplaced: true } : {}),
    };
  }
  const rules = rowRulesFor(profile);
  const row = raw as SodaRow;
  const idColumn = profile.fields.id;
  const idValue = typeof row[idColumn] === 'string' ? (row[idColumn] as string).trim() : null;
  const reasons: string[] = [];
  if (profile.unknownColumns === 'quarantine') {
    const unknown = Object.keys(row).filter((key) => !rules.knownColumns.has(key) && !SYSTEM_FIELD.test(key));
    if (unknown.length > 0) reasons.push(`unexpected field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`);
  }
  const parsed = rules.schema.safeParse(row);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path.join('.') || 'row';
      const value = issue.path.length === 1 ? row[String(issue.path[0])] : undefined;
      const shown = value === undefined ? 'missing' : `${JSON.stringify(value)}`;
      reasons.push(
        issue.code === 'invalid_type' && value === undefined ? `${field} is missing` : `${field} ${issue.message} (got ${shown})`,
      );
    }
  }
  if (reasons.length > 0 || !parsed.success) {
    // Rare rows, so the walk is affordable here; the id and key names of a reason must be clean too.
    const clean = withoutNulCharacters(row);
    if (clean !== row) return { ...validateSodaRow(clean, timeZone, profile), nulReplaced: true };
    return { ok: false, ticketId: idValue || null, reasons, raw: row };
  }

  const data = parsed.data;
  const fields = profile.fields;
  const instant = (column: string | undefined) =>
    column === undefined ? null : timestampToInstant(data[column] as TimestampValue | undefined, timeZone);
  const createdAt = instant(fields.createdAt)!;
  const closedAt = instant(fields.closedAt);
  const acknowledgedAt = instant(fields.acknowledgedAt);
  const minutesToClose = closedAt ? (closedAt.getTime() - createdAt.getTime()) / 60_000 : null;
  const minutesToAcknowledge = acknowledgedAt ? (acknowledgedAt.getTime() - createdAt.getTime()) / 60_000 : null;
  let durationFlag: TicketRecord['durationFlag'] = null;
  if (minutesToClose !== null && minutesToClose < 0) durationFlag = 'negative_duration';
  else if (minutesToClose !== null && minutesToClose > IMPLAUSIBLE_MINUTES) durationFlag = 'implausible_duration';
  const updatedAtText = data[':updated_at'] as string | undefined;
  const sourceUpdatedAt = updatedAtText && !Number.isNaN(Date.parse(updatedAtText)) ? new Date(updatedAtText) : null;
  const requestType = (data[fields.requestType] as string).trim();
  const status = (data[fields.status] as string).trim();
  let latitude = fields.latitude === undefined ? null : numberOrNull(data[fields.latitude]);
  let longitude = fields.longitude === undefined ? null : numberOrNull(data[fields.longitude]);
  if ((latitude === null || longitude === null) && fields.point !== undefined) {
    const point = pointCoordinates(data[fields.point]);
    if (point) ({ latitude, longitude } = point);
  }
  const dataJson = rowDataJson(row);
  const payloadJson = withSystemFields(row, dataJson);
  // JSON shows a NUL as \u0000: a cheap test on text already made, instead of a walk of every row.
  if (payloadJson.includes('\\u0000')) {
    const clean = withoutNulCharacters(row);
    if (clean !== row) return { ...validateSodaRow(clean, timeZone, profile), nulReplaced: true };
  }
  return {
    ok: true,
    raw: row,
    ticket: {
      ticketId: data[idColumn] as string,
      typeKey: canonicalTypeKey(requestType),
      requestType,
      status,
      statusIsOpen: rules.isOpenStatus(status),
      createdAt,
      createdDate: cityDateKey(createdAt, timeZone),
      acknowledgedAt,
      closedAt,
      reopenedAt: instant(fields.reopenedAt),
      lastUpdatedAt: instant(fields.updatedAt),
      minutesToClose,
      minutesToAcknowledge,
      sourceMinutesToClose: fields.minutesToClose === undefined ? null : numberOrNull(data[fields.minutesToClose]),
      durationFlag,
      latitude,
      longitude,
      commissionDistrict: textOf(data, fields.district),
      policeSector: textOf(data, fields.policeSector),
      locationDetail: textOf(data, fields.address),
      reporterDisplay: textOf(data, fields.reporter),
      assignedTo: textOf(data, fields.assignedTo),
      description: textOf(data, fields.description),
      sourceUpdatedAt,
      rowHash: hash('sha1', dataJson),
      payloadJson,
    },
  };
}
