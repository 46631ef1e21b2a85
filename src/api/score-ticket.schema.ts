import { z } from 'zod';

/**
 * The wire schemas of the scoring API. The same zod objects validate requests and generate the
 * OpenAPI document (./openapi.ts), so the docs cannot drift from what the server accepts.
 */

/** Most tickets a single `POST /score_tickets` may carry. */
export const MAX_BATCH_TICKETS = 1_000;

/** Longest description accepted; the longest in the city feed is about 4,500 characters. */
export const MAX_DESCRIPTION_CHARS = 10_000;

/** The body of the original project's README, used as the example everywhere. */
export const exampleScoreRequest = {
  request_type: 'Road Repair',
  status: 'Open',
  rolling_7d_volume: 12,
  backlog_at_creation: 40,
} as const;

/** Largest rolling_7d_volume or backlog_at_creation accepted: far above any city's (Gainesville's backlog is in the thousands). */
export const MAX_CONTEXT_COUNT = 1_000_000;

/** Earliest created_at accepted; the latest is one day from now (clocks and time zones differ a little). */
export const EARLIEST_CREATED_AT = '2000-01-01';
const EARLIEST_CREATED_AT_MS = Date.parse(`${EARLIEST_CREATED_AT}T00:00:00Z`);
const CREATED_AT_LEAD_MS = 86_400_000;
const HAS_OFFSET = /(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * True when a created_at lies between EARLIEST_CREATED_AT and a day from now. A local time is read
 * as UTC here: hours off at most, which does not matter for bounds this wide.
 */
function isPlausibleCreatedAt(text: string): boolean {
  const at = Date.parse(HAS_OFFSET.test(text) ? text : `${text}Z`);
  // An unreadable value is reported by the datetime check itself.
  if (Number.isNaN(at)) return true;
  return at >= EARLIEST_CREATED_AT_MS && at <= Date.now() + CREATED_AT_LEAD_MS;
}

const nonNegativeCount = (description: string) =>
  z
    .number()
    .finite()
    .nonnegative()
    .max(MAX_CONTEXT_COUNT)
    .describe(`${description} At most ${MAX_CONTEXT_COUNT.toLocaleString('en-US')}.`);

/** One ticket to score: the original four-field body or the richer one. Unknown fields are rejected. */
export const scoreTicketRequestSchema = z
  .strictObject({
    ticket_id: z.string().trim().min(1).max(200).optional().describe('Your own id for the ticket, echoed back; generated when absent.'),
    request_type: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .describe('Request type as the city names it (e.g. "Road Repair"); matching ignores case and spacing.'),
    status: z
      .string()
      .max(100)
      .optional()
      .describe('Accepted for compatibility with the original API and ignored: the model scores a ticket as it is created.'),
    rolling_7d_volume: nonNegativeCount(
      'Tickets of this request type created in the 7 days before created_at. Computed from the warehouse when absent.',
    ).optional(),
    backlog_at_creation: nonNegativeCount(
      'Tickets of this request type still open at created_at. Computed from the warehouse when absent.',
    ).optional(),
    created_at: z.iso
      .datetime({ offset: true, local: true })
      .refine(isPlausibleCreatedAt, { message: `Must be between ${EARLIEST_CREATED_AT} and one day from now` })
      .optional()
      .describe(
        `When the ticket was created: ISO 8601 with an offset ("2024-05-02T14:30:00Z"), or without one for city local time; from ${EARLIEST_CREATED_AT} to one day from now. Default: now, or the warehouse's last event when the data stops more than 48 hours before now (the response's scored_at and created_at_assumed say which).`,
      ),
    latitude: z.number().min(-90).max(90).optional().describe('WGS84 latitude.'),
    longitude: z.number().min(-180).max(180).optional().describe('WGS84 longitude.'),
    commission_district: z.string().trim().max(20).optional().describe('City commission district, e.g. "1".'),
    police_sector: z.string().trim().max(50).optional().describe('Police sector, as in the city feed.'),
    description: z.string().max(MAX_DESCRIPTION_CHARS).optional().describe('Free text the resident wrote.'),
  })
  .meta({ title: 'ScoreTicketRequest', example: exampleScoreRequest });

export type ScoreTicketRequest = z.infer<typeof scoreTicketRequestSchema>;

export const scoreTicketsRequestSchema = z
  .strictObject({
    tickets: z
      .array(scoreTicketRequestSchema)
      .min(1)
      .max(MAX_BATCH_TICKETS)
      .describe(`1 to ${MAX_BATCH_TICKETS} tickets; an unknown request type in any of them rejects the whole batch.`),
  })
  .meta({ title: 'ScoreTicketsRequest', example: { tickets: [exampleScoreRequest] } });

export type ScoreTicketsRequest = z.infer<typeof scoreTicketsRequestSchema>;

export const riskLevelSchema = z.enum(['Low', 'Medium', 'High']);

export const ticketScoreResponseSchema = z
  .object({
    ticket_id: z.string().describe("The caller's ticket_id, or a generated one."),
    request_type: z.string().describe('The canonical request type the input resolved to.'),
    sla_breach_probability: z.number().min(0).max(1).describe('Calibrated probability that the ticket misses its SLA.'),
    risk_level: riskLevelSchema.describe('Low / Medium / High, from the configured thresholds on the probability.'),
    top_factors: z.array(z.string()).describe("Readable sentences from the model's own attributions, strongest first."),
    model_version: z.string().describe('Version of the model that produced the score (see `civicops train`).'),
    sla_hours: z.number().describe('The SLA the probability refers to, in hours.'),
    scored_at: z.string().describe('The creation instant the ticket was scored at (ISO 8601, UTC): created_at, or the one assumed.'),
    created_at_assumed: z
      .enum(['now', 'data_through'])
      .nullable()
      .describe(
        "null: created_at was sent. now: none was sent and the data is fresh. data_through: none was sent and the data stops before today, so the warehouse's last event stands in for now.",
      ),
    note: z.string().nullable().describe('One sentence when created_at was assumed; null otherwise.'),
  })
  .meta({
    title: 'TicketScore',
    example: {
      ticket_id: 'f2b0c1d4-7e1a-4c55-9a57-0d6f1b2c3a4e',
      request_type: 'Road Repair',
      sla_breach_probability: 0.62,
      risk_level: 'Medium',
      top_factors: ['Road Repair tickets miss the SLA more often than most types.'],
      model_version: 'gbt-2024-05-02T02:30:00Z',
      sla_hours: 72,
      scored_at: '2024-05-02T14:30:00.000Z',
      created_at_assumed: null,
      note: null,
    },
  });

export type TicketScoreResponse = z.infer<typeof ticketScoreResponseSchema>;

export const scoreTicketsResponseSchema = z
  .object({
    count: z.number().int().nonnegative().describe('Number of results.'),
    model_version: z.string().describe('Version of the model that produced the scores.'),
    results: z.array(ticketScoreResponseSchema).describe('One score per ticket, in request order.'),
  })
  .meta({ title: 'ScoreTicketsResponse' });

export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable machine code, e.g. INPUT_INVALID, UNKNOWN_REQUEST_TYPE, MODEL_NOT_TRAINED.'),
      message: z.string(),
      fields: z
        .array(z.object({ path: z.string(), message: z.string() }))
        .optional()
        .describe('Every invalid field (422 INPUT_INVALID).'),
      suggestions: z.array(z.string()).optional().describe('Closest known request types (422 UNKNOWN_REQUEST_TYPE).'),
      request_id: z.string().describe('Quote it when reporting a problem; it is in the server log.'),
    }),
  })
  .meta({ title: 'Error' });

export type ErrorResponse = z.infer<typeof errorResponseSchema>;

export const healthResponseSchema = z
  .object({
    status: z
      .enum(['ok', 'degraded', 'down'])
      .describe(
        'ok: database reachable, model loaded and not stale, no job failing or overdue; degraded: no model yet, a stale model, or a job failing/overdue; down: database unreachable. Feature drift is reported but does not degrade.',
      ),
    database: z.object({ reachable: z.boolean(), engine: z.string() }),
    model: z.object({
      loaded: z.boolean(),
      version: z.string().nullable(),
      trained_through: z.string().optional().describe('The newest ticket the model was built and checked on (end of its test period).'),
      data_through: z.string().nullable().optional().describe("The warehouse's last event."),
      age_days: z.number().nullable().optional().describe('data_through − trained_through, in days.'),
      max_age_days: z.number().optional().describe('MODEL_MAX_AGE_DAYS.'),
      stale: z.boolean().optional().describe('age_days above max_age_days: retrain.'),
      drift: z
        .array(z.object({ feature: z.string(), psi: z.number() }))
        .nullable()
        .optional()
        .describe(
          "Population stability index of the model's strongest features, recent tickets against the training window (10 bins from training deciles). null while the first measurement runs.",
        ),
      drifted: z.boolean().nullable().optional().describe('Any PSI above 0.2.'),
      drift_measured_at: z
        .string()
        .nullable()
        .optional()
        .describe('The data clock the drift was measured at (measured once per model version and data clock).'),
      notes: z.array(z.string()).optional().describe('One sentence per problem found (stale model, drift, too few tickets).'),
    }),
    jobs: z
      .array(
        z.object({
          job: z.string(),
          state: z.string().describe('ok | failing | overdue | never_run'),
          message: z.string(),
          last_run_at: z.string().nullable(),
          last_success_at: z.string().nullable(),
        }),
      )
      .optional()
      .describe('Last run of each scheduled job (when the server runs with the scheduler).'),
  })
  .meta({ title: 'Health' });

export type HealthResponse = z.infer<typeof healthResponseSchema>;
