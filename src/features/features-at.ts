import type { Kysely } from 'kysely';
import type { SlaPolicy } from '../analytics/sla-policy.js';
import { InputError } from '../shared/errors.js';
import { findCountsBefore } from '../warehouse/feature-history.repository.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import {
  assembleFeatures,
  locationCellOf,
  reporterIdentity,
  ticketFieldsOf,
  toFeatureVector,
  type ContextCounts,
  type TicketInput,
} from './assemble-features.js';
import { FEATURE_NAMES, type FeatureVector } from './feature-catalog.js';

/** The ticket's coordinates when it has a location cell (the SQL rounds them itself), else null. */
function locationOf({ latitude, longitude }: TicketInput): { latitude: number; longitude: number } | null {
  if (typeof latitude !== 'number' || typeof longitude !== 'number') return null;
  return locationCellOf(latitude, longitude) === null ? null : { latitude, longitude };
}

/**
 * Features of a ticket created at any instant (past included), from counts computed exactly in
 * SQL over the events strictly before `input.createdAt`: the reference for point-in-time
 * correctness and what to use for instants before a FeatureContext's horizon. Same definitions
 * and numbers as computeHistoricalFeatures / FeatureContext.
 */
export async function computeFeaturesAt(
  db: Kysely<WarehouseSchema>,
  input: TicketInput,
  options: { sla: SlaPolicy; timeZone: string },
): Promise<FeatureVector> {
  const t = input.createdAt;
  if (!(t instanceof Date) || Number.isNaN(t.getTime())) throw new InputError('createdAt is not a valid date.');
  const counts: ContextCounts = await findCountsBefore(db, {
    at: t,
    typeKey: input.typeKey,
    reporter: reporterIdentity(input.reporterDisplay),
    location: locationOf(input),
    sla: options.sla,
    timeZone: options.timeZone,
  });
  const out = new Float64Array(FEATURE_NAMES.length);
  assembleFeatures(counts, ticketFieldsOf(input), out, input.overrides);
  return toFeatureVector(out);
}
