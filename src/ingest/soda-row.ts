import { hash } from 'node:crypto';
import { z } from 'zod';
import { cityDateKey, cityLocalToInstant, parseCityLocalTimestamp, type LocalDateTime } from '../shared/city-time.js';
import type { TicketRecord } from '../warehouse/ticket-record.js';

/** Data columns of dataset 78uv-94ar. A row with any other (non-system) key is quarantined. */
export const KNOWN_DATA_FIELDS = new Set([
  'id',
  'status',
  'request_type',
  'description',
  'created',
  'last_updated',
  'reporter_display',
  'location_detail',
  'latitude',
  'longitude',
  'location',
  'commission_district',
  'police_sector',
  'assigned_to',
  'closed',
  'minutes_to_close',
  'days_to_close',
  'acknowledged',
  'minutes_to_acknowledge',
  'days_to_acknowledge',
  'reopened',
]);

/** System fields SODA adds with `$select=:*,*`; `:@computed_region_*` are geographic joins. */
const SYSTEM_FIELD = /^:(id|created_at|updated_at|version|@computed_region_[a-z0-9_]+)$/;

// Any longer is no plausible 311 lifetime; such durations are flagged, not trusted.
const IMPLAUSIBLE_MINUTES = 5 * 365 * 24 * 60;

// Parsed once here; the result is the wall-clock time, turned into an instant with the city's zone.
const localTimestamp = z.string().transform((text, ctx) => {
  const local = parseCityLocalTimestamp(text);
  if (!local) {
    ctx.addIssue({ code: 'custom', message: 'is not a date in MM/DD/YYYY HH:MM[:SS] or YYYY-MM-DDTHH:MM:SS form' });
    return z.NEVER;
  }
  return local;
});

// One reason per bad value: "not a number" and "out of range" never both.
const numericText = (min: number, max: number) =>
  z.string().superRefine((text, ctx) => {
    const value = text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(value)) ctx.addIssue({ code: 'custom', message: 'is not a number' });
    else if (value < min || value > max) ctx.addIssue({ code: 'custom', message: `is outside ${min}..${max}` });
  });

const optionalText = z.string().optional();

/** One SODA row as served (all values text, GeoJSON location, null fields omitted). */
export const sodaRowSchema = z
  .object({
    id: z.string().trim().regex(/^\d+$/, 'must be a numeric ticket id'),
    status: z.string().trim().min(1, 'is empty'),
    request_type: z.string().trim().min(1, 'is empty'),
    created: localTimestamp,
    closed: localTimestamp.optional(),
    acknowledged: localTimestamp.optional(),
    reopened: localTimestamp.optional(),
    last_updated: localTimestamp.optional(),
    latitude: numericText(-90, 90).optional(),
    longitude: numericText(-180, 180).optional(),
    minutes_to_close: numericText(-1e9, 1e9).optional(),
    minutes_to_acknowledge: numericText(-1e9, 1e9).optional(),
    description: optionalText,
    reporter_display: optionalText,
    location_detail: optionalText,
    commission_district: optionalText,
    police_sector: optionalText,
    assigned_to: optionalText,
    ':updated_at': z.string().optional(),
  })
  // Other keys are checked by validateSodaRow (system fields pass, anything else is quarantined)
  // and kept in the raw row; zod need not copy them into its output (measured: a quarter of its time).
  .strip();

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

function toInstant(local: LocalDateTime | undefined, timeZone: string): Date | null {
  return local ? cityLocalToInstant(local, timeZone) : null;
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

/** Validates one SODA row; a failure carries every reason, in words a person can act on. */
export function validateSodaRow(raw: unknown, timeZone: string): ValidationOutcome {
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
  const row = raw as SodaRow;
  const idValue = typeof row.id === 'string' ? row.id.trim() : null;
  const reasons: string[] = [];
  const unknown = Object.keys(row).filter((key) => !KNOWN_DATA_FIELDS.has(key) && !SYSTEM_FIELD.test(key));
  if (unknown.length > 0) reasons.push(`unexpected field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`);
  const parsed = sodaRowSchema.safeParse(row);
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
    if (clean !== row) return { ...validateSodaRow(clean, timeZone), nulReplaced: true };
    return { ok: false, ticketId: idValue || null, reasons, raw: row };
  }

  const data = parsed.data;
  const createdAt = toInstant(data.created, timeZone)!;
  const closedAt = toInstant(data.closed, timeZone);
  const acknowledgedAt = toInstant(data.acknowledged, timeZone);
  const minutesToClose = closedAt ? (closedAt.getTime() - createdAt.getTime()) / 60_000 : null;
  const minutesToAcknowledge = acknowledgedAt ? (acknowledgedAt.getTime() - createdAt.getTime()) / 60_000 : null;
  let durationFlag: TicketRecord['durationFlag'] = null;
  if (minutesToClose !== null && minutesToClose < 0) durationFlag = 'negative_duration';
  else if (minutesToClose !== null && minutesToClose > IMPLAUSIBLE_MINUTES) durationFlag = 'implausible_duration';
  const updatedAtText = data[':updated_at'];
  const sourceUpdatedAt = updatedAtText && !Number.isNaN(Date.parse(updatedAtText)) ? new Date(updatedAtText) : null;
  const requestType = data.request_type.trim();
  const dataJson = rowDataJson(row);
  const payloadJson = withSystemFields(row, dataJson);
  // JSON shows a NUL as \u0000: a cheap test on text already made, instead of a walk of every row.
  if (payloadJson.includes('\\u0000')) {
    const clean = withoutNulCharacters(row);
    if (clean !== row) return { ...validateSodaRow(clean, timeZone), nulReplaced: true };
  }
  return {
    ok: true,
    raw: row,
    ticket: {
      ticketId: data.id,
      typeKey: canonicalTypeKey(requestType),
      requestType,
      status: data.status.trim(),
      createdAt,
      createdDate: cityDateKey(createdAt, timeZone),
      acknowledgedAt,
      closedAt,
      reopenedAt: toInstant(data.reopened, timeZone),
      lastUpdatedAt: toInstant(data.last_updated, timeZone),
      minutesToClose,
      minutesToAcknowledge,
      sourceMinutesToClose: data.minutes_to_close === undefined ? null : Number(data.minutes_to_close),
      durationFlag,
      latitude: data.latitude === undefined ? null : Number(data.latitude),
      longitude: data.longitude === undefined ? null : Number(data.longitude),
      commissionDistrict: nullIfBlank(data.commission_district),
      policeSector: nullIfBlank(data.police_sector),
      locationDetail: nullIfBlank(data.location_detail),
      reporterDisplay: nullIfBlank(data.reporter_display),
      assignedTo: nullIfBlank(data.assigned_to),
      description: nullIfBlank(data.description),
      sourceUpdatedAt,
      rowHash: hash('sha1', dataJson),
      payloadJson,
    },
  };
}
