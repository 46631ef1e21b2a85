import type { TicketScore, TicketToScore } from '../model/scorer.js';
import { cityLocalToInstant, parseCityLocalTimestamp } from '../shared/city-time.js';
import { InputError } from '../shared/errors.js';
import type { ScoreTicketRequest, TicketScoreResponse } from './score-ticket.schema.js';

const HAS_OFFSET = /(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * Reads `created_at`: an instant when it carries an offset, else the city's wall clock
 * (the same convention as the SODA feed, so a CRM can pass the feed's timestamps through).
 */
export function readCreatedAt(text: string, timeZone: string, path = 'created_at'): Date {
  if (HAS_OFFSET.test(text)) return new Date(text);
  const local = parseCityLocalTimestamp(text);
  if (!local) throw new InputError('Request body does not match the schema', [{ path, message: 'Invalid ISO datetime' }]);
  return cityLocalToInstant(local, timeZone);
}

/** Turns one validated request body into the scorer's input; `status` is dropped on purpose. */
export function toTicketToScore(body: ScoreTicketRequest, timeZone: string, path = 'created_at'): TicketToScore {
  const overrides: NonNullable<TicketToScore['overrides']> = {};
  if (body.rolling_7d_volume !== undefined) overrides.rolling7dVolume = body.rolling_7d_volume;
  if (body.backlog_at_creation !== undefined) overrides.backlogAtCreation = body.backlog_at_creation;
  const ticket: TicketToScore = { requestType: body.request_type };
  if (body.ticket_id !== undefined) ticket.ticketId = body.ticket_id;
  if (body.created_at !== undefined) ticket.createdAt = readCreatedAt(body.created_at, timeZone, path);
  if (body.latitude !== undefined) ticket.latitude = body.latitude;
  if (body.longitude !== undefined) ticket.longitude = body.longitude;
  if (body.commission_district !== undefined) ticket.commissionDistrict = body.commission_district;
  if (body.police_sector !== undefined) ticket.policeSector = body.police_sector;
  if (body.description !== undefined) ticket.description = body.description;
  if (overrides.rolling7dVolume !== undefined || overrides.backlogAtCreation !== undefined) ticket.overrides = overrides;
  return ticket;
}

/** The wire shape of one score (snake_case, as the original project answered). */
export function formatTicketScore(score: TicketScore): TicketScoreResponse {
  return {
    ticket_id: score.ticketId,
    request_type: score.requestType.displayName,
    sla_breach_probability: score.slaBreachProbability,
    risk_level: score.riskLevel,
    top_factors: score.topFactors,
    model_version: score.modelVersion,
    sla_hours: score.slaHours,
    scored_at: score.scoredAt.toISOString(),
    created_at_assumed: score.createdAtAssumed,
    note: score.scoringNote,
  };
}
