import type { PointInTimeCounts } from '../warehouse/feature-history.repository.js';
import { BREACH_RATE_PRIOR_WEIGHT, FEATURE_INDEX, FEATURE_NAMES, type FeatureName, type FeatureVector } from './feature-catalog.js';

/**
 * Counts at a creation instant T, all from events strictly before T. Both feature paths (the
 * streaming pass and the SQL query) produce these, and one function turns them into features,
 * so the two paths can only differ in the counts themselves. The shape is declared once, beside
 * the SQL that computes it (warehouse/feature-history.repository.ts).
 */
export type ContextCounts = PointInTimeCounts;

/** What the ticket itself says at creation (NaN = missing). */
export interface TicketFields {
  latitude: number;
  longitude: number;
  commissionDistrict: number;
  policeSector: number;
  descriptionLength: number;
}

const HOUR_MS = 3_600_000;

/** Districts and sectors are numbered in the feed ("1", "4"); anything else is missing. */
export function parseAreaCode(text: string | null | undefined): number {
  if (text === null || text === undefined) return Number.NaN;
  const trimmed = text.trim();
  return /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/** Locations match to 4 decimals of latitude and longitude (about 11 m): repeat reports of one spot. */
const LOCATION_SCALE = 10_000;

/**
 * The location cell a ticket's coordinates fall in ("latitude,longitude" × 10⁴, rounded), or null
 * without a location. Rounded as floor(x · 10⁴ + 0.5), exactly what the SQL reference computes
 * (Math.round and SQL round break ties differently).
 */
export function locationCellOf(latitude: number | null | undefined, longitude: number | null | undefined): string | null {
  if (latitude === null || latitude === undefined || longitude === null || longitude === undefined) return null;
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return null;
  return `${Math.floor(latitude * LOCATION_SCALE + 0.5)},${Math.floor(longitude * LOCATION_SCALE + 0.5)}`;
}

/** Usual level + 1 in the denominator keeps the ratio finite and near 1 for quiet types. */
function smoothedRatio(value: number, usual: number): number {
  return (value + 1) / (usual + 1);
}

/**
 * Writes the features of one ticket into `out` (FEATURE_NAMES order). Features the caller
 * supplies in `overrides` win; a ratio is recomputed from an overridden count unless the
 * ratio itself is overridden too.
 */
export function assembleFeatures(counts: ContextCounts, fields: TicketFields, out: Float64Array, overrides?: Partial<FeatureVector>): void {
  const globalRate = counts.globalClosed > 0 ? counts.globalBreached / counts.globalClosed : Number.NaN;
  const usualWeekly = counts.typeVolumePrior8w / 8;
  const usualBacklog = counts.typeBacklogWeeklySum / 8;
  out[0] = counts.requestTypeCode;
  out[1] = counts.hourOfDay;
  out[2] = counts.dayOfWeek;
  out[3] = counts.month;
  out[4] = fields.commissionDistrict;
  out[5] = fields.policeSector;
  out[6] = fields.latitude;
  out[7] = fields.longitude;
  out[8] = fields.descriptionLength > 0 ? 1 : 0;
  out[9] = fields.descriptionLength;
  out[10] = counts.reporterPriorTickets;
  out[11] = counts.typePriorTickets;
  out[12] = counts.typeVolume7d;
  out[13] = counts.totalVolume7d;
  out[14] = smoothedRatio(counts.typeVolume7d, usualWeekly);
  out[15] = counts.typeBacklog;
  out[16] = counts.totalBacklog;
  out[17] = smoothedRatio(counts.typeBacklog, usualBacklog);
  out[18] = counts.typeMedianCloseMs / HOUR_MS;
  // Shrunk toward the global rate; a type with no closures yet gets the global rate.
  out[19] = (counts.typeBreached + BREACH_RATE_PRIOR_WEIGHT * globalRate) / (counts.typeClosed + BREACH_RATE_PRIOR_WEIGHT);
  out[20] = counts.globalClosed90d > 0 ? counts.globalBreached90d / counts.globalClosed90d : Number.NaN;
  out[21] = counts.locationTickets30d;
  if (!overrides) return;
  for (const name of Object.keys(overrides) as FeatureName[]) {
    const value = overrides[name];
    if (typeof value === 'number' && name in FEATURE_INDEX) out[FEATURE_INDEX[name]] = value;
  }
  if (overrides.typeVolume7d !== undefined && overrides.typeVolumeRatio === undefined) {
    out[FEATURE_INDEX.typeVolumeRatio] = smoothedRatio(overrides.typeVolume7d, usualWeekly);
  }
  if (overrides.typeBacklog !== undefined && overrides.typeBacklogRatio === undefined) {
    out[FEATURE_INDEX.typeBacklogRatio] = smoothedRatio(overrides.typeBacklog, usualBacklog);
  }
  if (overrides.descriptionLength !== undefined && overrides.hasDescription === undefined) {
    out[FEATURE_INDEX.hasDescription] = overrides.descriptionLength > 0 ? 1 : 0;
  }
}

/** A row in FEATURE_NAMES order as a named vector. */
export function toFeatureVector(row: Float64Array): FeatureVector {
  const vector = {} as FeatureVector;
  FEATURE_NAMES.forEach((name, index) => {
    vector[name] = row[index];
  });
  return vector;
}

// Placeholder names the feed uses for people who did not give one: not one prolific reporter.
const ANONYMOUS_REPORTERS = new Set([
  'an anonymous seeclickfix user',
  'anonymous',
  'guest',
  'city of gainesville neighbor',
  'unknown',
  'n/a',
]);

/**
 * The identity a reporter's prior tickets are counted under (their display name, trimmed), or
 * null when unknown: missing, or a placeholder such as "An anonymous SeeClickFix user", "Guest"
 * or "City of Gainesville Neighbor" shared by many different people.
 */
export function reporterIdentity(display: string | null | undefined): string | null {
  if (display === null || display === undefined) return null;
  const trimmed = display.trim();
  if (trimmed === '' || ANONYMOUS_REPORTERS.has(trimmed.toLowerCase())) return null;
  return trimmed;
}

/** The placeholder names, lower case (the SQL path needs them as a list). */
export const ANONYMOUS_REPORTER_NAMES: readonly string[] = [...ANONYMOUS_REPORTERS];

/** A ticket to compute features for: what is known at its creation. */
export interface TicketInput {
  typeKey: string;
  createdAt: Date;
  latitude?: number | null;
  longitude?: number | null;
  commissionDistrict?: string | null;
  policeSector?: string | null;
  description?: string | null;
  reporterDisplay?: string | null;
  /** Context the caller already knows (e.g. typeVolume7d, typeBacklog): used instead of the computed values. */
  overrides?: Partial<FeatureVector>;
}

/** The ticket's own fields; the description is measured as ingest stores it (trimmed). */
export function ticketFieldsOf(input: TicketInput): TicketFields {
  return {
    latitude: input.latitude ?? Number.NaN,
    longitude: input.longitude ?? Number.NaN,
    commissionDistrict: parseAreaCode(input.commissionDistrict),
    policeSector: parseAreaCode(input.policeSector),
    descriptionLength: input.description ? input.description.trim().length : 0,
  };
}

/** A named vector as a row in the given feature order (a model's featureNames); unknown names are NaN. */
export function toFeatureRow(vector: FeatureVector, featureNames: readonly string[] = FEATURE_NAMES): Float64Array {
  const row = new Float64Array(featureNames.length);
  featureNames.forEach((name, index) => {
    row[index] = name in vector ? vector[name as FeatureName] : Number.NaN;
  });
  return row;
}
