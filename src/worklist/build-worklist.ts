/**
 * The worklist: every open ticket with its SLA deadline, the time left and the promoted model's
 * breach probability and reasons (scored as of its creation, as the alerts are), ranked for action.
 * `civicops worklist` and GET /api/v1/worklist call `buildWorklist` and format its result.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  countAtRiskOpenTickets,
  DUE_SOON_HOURS,
  type OpenRiskInputs,
  type WorklistSlaStatus,
  type WorklistStatusFilter,
} from '../analytics/worklist-ranking.js';
import { resolveDataClock, STALE_AFTER_HOURS } from '../analytics/data-clock.js';
import type { AppConfig } from '../config/config.js';
import type { Scorer } from '../model/scorer.js';
import { InputError, ModelChangedError, ModelNotTrainedError } from '../shared/errors.js';
import { resolveRequestType } from '../warehouse/request-type.repository.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import {
  findOpenRiskInputs,
  findOpenTicketScores,
  findScoredTicketDetails,
  findWorklistPage,
} from '../warehouse/ticket-score.repository.js';
import { readWarehouseVersion, versionedCacheOf } from '../warehouse/warehouse-version.repository.js';
import { findLatestEventAt } from '../warehouse/worklist.repository.js';
import { scoreAndSaveTickets } from './warm-ticket-scores.js';

export const DEFAULT_WORKLIST_LIMIT = 50;
export const MAX_WORKLIST_LIMIT = 1_000;

/**
 * The ranking rule in one sentence (shown by `--help`, in the OpenAPI description and the README);
 * `compareWorklist` in analytics/worklist-ranking.ts implements it.
 */
export const WORKLIST_RANKING_RULE =
  'Breached tickets first, the likeliest breaches (model probability) on top; then at-risk, then on-track tickets, each by breach probability per hour left (p ÷ hours left, at least 1 h); ties go to the earlier deadline, then the ticket id.';

export const worklistStatusSchema = z
  .enum(['at_risk', 'breached', 'all'])
  .describe(
    `breached: past the SLA deadline; at_risk: not yet, but probability ≥ RISK_MEDIUM_THRESHOLD or due within ${DUE_SOON_HOURS} h; all: every open ticket (also on_track).`,
  );

/** Query parameters of GET /api/v1/worklist (strings, as they arrive in a URL). */
export const worklistQuerySchema = z.strictObject({
  type: z.string().trim().min(1).max(200).optional().describe('request type key or name, matched like /sla (closest name)'),
  district: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('commission district as the city writes it, e.g. "District 2" (case ignored)'),
  status: worklistStatusSchema.default('all'),
  limit: z.coerce.number().int().min(1).max(MAX_WORKLIST_LIMIT).default(DEFAULT_WORKLIST_LIMIT).describe('most tickets returned'),
  as_of: z.iso
    .datetime({ offset: true, local: true })
    .optional()
    .describe("the instant to judge at (default: now, or the warehouse's last event when the data is older than 48 h)"),
});
export type WorklistQueryParameters = z.infer<typeof worklistQuerySchema>;

export const worklistTicketSchema = z.object({
  rank: z.number().int().describe('1 = work on this first'),
  ticket_id: z.string(),
  request_type: z.string().describe('display name of the canonical type'),
  created_at: z.string().describe('ISO 8601 instant'),
  due_at: z.string().describe("the SLA deadline: created_at + the type's hours (wall clock), or its stored business-hours deadline"),
  sla_hours: z.number(),
  hours_left: z.number().describe('hours from as_of to due_at, one decimal; negative = already breached'),
  sla_status: z.enum(['breached', 'at_risk', 'on_track']),
  sla_breach_probability: z.number().describe('promoted model, scored with what was known at creation'),
  risk_level: z.enum(['Low', 'Medium', 'High']),
  top_factors: z.array(z.string()),
  address: z.string().nullable(),
  district: z.string().nullable(),
  url: z.string().nullable().describe("the ticket's page (TICKET_URL_TEMPLATE); null when no template is set"),
});

/** What buildWorklist returns and GET /api/v1/worklist answers. */
export const worklistResponseSchema = z.object({
  as_of: z.string().describe('the instant the tickets are judged at (ISO 8601)'),
  data_through: z.string().nullable().describe("the warehouse's last event (creation, close or archival); null when empty"),
  stale: z
    .boolean()
    .describe(`true when the last event is more than ${STALE_AFTER_HOURS} h before now: the worklist is as of it, not today`),
  notice: z.string().nullable().describe('a plain sentence when the data stops before today or the warehouse is empty'),
  model_version: z.string(),
  ranking: z.string().describe('the ranking rule'),
  status: worklistStatusSchema,
  request_type: z.object({ type_key: z.string(), display_name: z.string() }).nullable(),
  district: z.string().nullable(),
  /** Open tickets matching the filters before `limit`. */
  total: z.number().int().describe('matching tickets before the limit'),
  tickets: z.array(worklistTicketSchema),
});
export type WorklistResponse = z.infer<typeof worklistResponseSchema>;
export type WorklistTicket = z.infer<typeof worklistTicketSchema>;

export interface WorklistDeps {
  db: Kysely<WarehouseSchema>;
  /** The shared scorer of the promoted model (App.scorer()). */
  scorer: Scorer;
  config: Pick<AppConfig, 'slaHours' | 'risk'> & { slack: Pick<AppConfig['slack'], 'ticketUrlTemplate'> };
  /** The clock (tests pin it). */
  now?: () => Date;
}

export interface WorklistQuery {
  /** A request type key or name as a person writes it; resolved to the canonical type (closest name). */
  type?: string;
  district?: string;
  status?: WorklistStatusFilter;
  limit?: number;
  /** Judge at this instant instead of the default (now, or the last event of stale data). */
  asOf?: Date;
}

/** The ticket's page from TICKET_URL_TEMPLATE ('{id}' replaced), or null when no template is set. */
export function ticketUrlOf(template: string, ticketId: string): string | null {
  if (template.trim() === '') return null;
  return template.split('{id}').join(encodeURIComponent(ticketId));
}

const roundTenth = (value: number) => Math.round(value * 10) / 10 || 0;

interface OpenTicketFilters {
  asOf: Date;
  typeKey?: string;
  district?: string;
}

/**
 * Scores and stores the tickets open at `asOf` (optionally one type, one district) that
 * `modelVersion` has not scored. A ticket's score never changes for one model version, so it is
 * computed once (`scorer.scoreStoredTickets`, the alerts' scores, in one batch) and kept in
 * ticket_score, where the warm-up has put most of them already; every read after it is SQL.
 */
async function scoreMissingOpenTickets(deps: WorklistDeps, modelVersion: string, filters: OpenTicketFilters): Promise<void> {
  const open = await findOpenTicketScores(deps.db, { ...filters, fallbackSlaHours: deps.config.slaHours, modelVersion });
  await scoreAndSaveTickets(
    deps,
    modelVersion,
    open.filter((ticket) => ticket.probability === null),
  );
}

/**
 * Reads a figure over the open tickets' stored scores, scoring what is missing first. A model
 * promoted meanwhile stores its scores under its own version: the figure is then read for that
 * version, whose missing scores are scored in turn (three tries, then ModelChangedError).
 */
async function readWithScores<T extends { unscored: number }>(
  deps: WorklistDeps,
  filters: OpenTicketFilters,
  read: (modelVersion: string) => Promise<T>,
): Promise<{ modelVersion: string; result: T }> {
  for (let attempt = 1; ; attempt++) {
    const modelVersion = deps.scorer.currentModelVersion();
    if (modelVersion === null) throw new ModelNotTrainedError();
    const result = await read(modelVersion);
    if (result.unscored === 0) return { modelVersion, result };
    if (attempt === 3) throw new ModelChangedError();
    await scoreMissingOpenTickets(deps, modelVersion, filters);
  }
}

/**
 * Open tickets at `asOf` whose worklist status is at_risk or breached (the dashboard's at-risk
 * figure), or null before a first training. The summary asks at two instants on every request, one
 * of them now, which moves: the tickets that can be open from an instant on are read once per
 * warehouse and model version (findOpenRiskInputs) and counted in memory at any later instant.
 */
export async function countAtRiskTickets(
  deps: WorklistDeps,
  filters: { asOf: Date; typeKey?: string; district?: string },
): Promise<number | null> {
  if (deps.scorer.currentModelVersion() === null) return null;
  const rules = { mediumThreshold: deps.config.risk.mediumThreshold, dueSoonHours: DUE_SOON_HOURS };
  const cache = versionedCacheOf(deps.db, await readWarehouseVersion(deps.db));
  // Tickets the warm-up has not scored (open at a past instant, or new) are scored and stored once.
  const { result } = await readWithScores(deps, filters, async (modelVersion) => {
    const key = `open-risk|${modelVersion}|${filters.typeKey ?? '*'}|${filters.district ?? '*'}`;
    const kept = cache.get<OpenRiskInputs>(key);
    if (kept && kept.fromMs <= filters.asOf.getTime()) {
      const counted = countAtRiskOpenTickets(kept, filters.asOf, rules);
      if (counted.unscored === 0) return counted;
    }
    const inputs = await findOpenRiskInputs(deps.db, {
      ...filters,
      from: filters.asOf,
      modelVersion,
      fallbackSlaHours: deps.config.slaHours,
    });
    cache.set(key, inputs);
    return countAtRiskOpenTickets(inputs, filters.asOf, rules);
  });
  return result.atRisk;
}

/**
 * Every ticket open at the worklist's instant (optionally one type, one district), with the
 * promoted model's breach probability and reasons as of its creation (scored once per model
 * version, see scoreMissingOpenTickets), placed against its SLA deadline and ranked by
 * WORKLIST_RANKING_RULE (in SQL: findWorklistPage). Throws ModelNotTrainedError before a first
 * training, UnknownRequestTypeError for an unknown type and InputError for a bad limit or date.
 */
export async function buildWorklist(deps: WorklistDeps, query: WorklistQuery = {}): Promise<WorklistResponse> {
  const limit = query.limit ?? DEFAULT_WORKLIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_WORKLIST_LIMIT) {
    throw new InputError(`limit must be a whole number from 1 to ${MAX_WORKLIST_LIMIT} (got ${limit}).`, [
      { path: 'limit', message: 'out of range' },
    ]);
  }
  if (query.asOf && Number.isNaN(query.asOf.getTime()))
    throw new InputError('as_of is not a valid date.', [{ path: 'as_of', message: 'not a date' }]);
  const status = query.status ?? 'all';
  if (deps.scorer.currentModelVersion() === null) throw new ModelNotTrainedError();

  const type = query.type === undefined ? null : await resolveRequestType(deps.db, query.type);
  const district = query.district?.trim() || null;
  const latestEvent = await findLatestEventAt(deps.db);
  const now = deps.now?.() ?? new Date();
  const { asOf, stale, notice } = resolveDataClock(latestEvent, now, query.asOf);

  const filters = { asOf, typeKey: type?.typeKey, district: district ?? undefined };
  const rules = { mediumThreshold: deps.config.risk.mediumThreshold, dueSoonHours: DUE_SOON_HOURS };
  const { modelVersion, result: page } = await readWithScores(deps, filters, (version) =>
    findWorklistPage(deps.db, { ...filters, ...rules, status, limit, fallbackSlaHours: deps.config.slaHours, modelVersion: version }),
  );
  const details = new Map(
    (
      await findScoredTicketDetails(
        deps.db,
        modelVersion,
        page.tickets.map((entry) => entry.ticketId),
      )
    ).map((detail) => [detail.ticketId, detail]),
  );

  const tickets = page.tickets.map((entry, index): WorklistTicket => {
    const detail = details.get(entry.ticketId)!;
    return {
      rank: index + 1,
      ticket_id: entry.ticketId,
      request_type: detail.requestType,
      created_at: entry.createdAt.toISOString(),
      due_at: entry.dueAt.toISOString(),
      sla_hours: entry.slaHours,
      hours_left: roundTenth(entry.hoursLeft),
      sla_status: entry.slaStatus satisfies WorklistSlaStatus,
      sla_breach_probability: entry.probability,
      // The page and its details are read for the same version, whose scores are stored.
      risk_level: detail.score!.riskLevel,
      top_factors: detail.score!.topFactors,
      address: detail.address,
      district: detail.district,
      url: ticketUrlOf(deps.config.slack.ticketUrlTemplate, entry.ticketId),
    };
  });
  return {
    as_of: asOf.toISOString(),
    data_through: latestEvent?.toISOString() ?? null,
    stale,
    notice,
    model_version: modelVersion,
    ranking: WORKLIST_RANKING_RULE,
    status,
    request_type: type ? { type_key: type.typeKey, display_name: type.displayName } : null,
    district,
    total: page.total,
    tickets,
  };
}
