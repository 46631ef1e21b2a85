import { z } from 'zod';
import {
  errorResponseSchema,
  exampleScoreRequest,
  healthResponseSchema,
  MAX_BATCH_TICKETS,
  scoreTicketRequestSchema,
  scoreTicketsRequestSchema,
  scoreTicketsResponseSchema,
  ticketScoreResponseSchema,
} from './score-ticket.schema.js';

type JsonObject = Record<string, unknown>;

export interface OpenApiOptions {
  version: string;
  slaHours: number;
  risk: { mediumThreshold: number; highThreshold: number };
  apiKeyRequired: boolean;
  maxBodyBytes: number;
  maxBatchBodyBytes: number;
}

/**
 * Turns a set of zod schemas into OpenAPI 3.1 components (JSON Schema 2020-12). Shared schemas
 * (a ticket inside a batch) become $refs. Requests are described as input, replies as output.
 */
function buildComponents(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const generated = z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, JsonObject> };
  const components: Record<string, JsonObject> = {};
  for (const [id, schema] of Object.entries(generated.schemas)) {
    // A component is not a standalone document: drop the document-level keys.
    const { $schema: _dialect, $id: _id, ...rest } = schema;
    components[id] = io === 'output' ? openObjects(rest) : rest;
  }
  return components;
}

/**
 * Replies may gain fields in later versions, so their schemas must not promise
 * `additionalProperties: false` (zod emits it for the output side of every object).
 */
function openObjects(schema: JsonObject): JsonObject {
  const copy: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'additionalProperties' && value === false) continue;
    if (Array.isArray(value)) copy[key] = value.map((item) => (item && typeof item === 'object' ? openObjects(item as JsonObject) : item));
    else if (value && typeof value === 'object') copy[key] = openObjects(value as JsonObject);
    else copy[key] = value;
  }
  return copy;
}

const json = (schemaId: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${schemaId}` } } });
const errorReply = (description: string) => ({ description, content: json('Error') });

const CITY_PARAMETER = {
  name: 'city',
  in: 'query',
  required: false,
  description:
    "The city of the warehouse to answer for (its profile name, e.g. chicago); default: the server's city. An unknown city is a 404.",
  schema: { type: 'string' },
};

/** Paths answered per city: the scoring, JSON API and Open311 ones (not health, docs or Slack). */
const isCityPath = (path: string) => path.startsWith('/api/v1/') || path.startsWith('/open311/') || path.startsWith('/score_ticket');

const HTTP_METHODS: ReadonlySet<string> = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** Adds the `city` parameter to every operation of every per-city path. */
function withCityParameter(paths: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(paths).map(([path, item]) => {
      if (!isCityPath(path) || !item || typeof item !== 'object') return [path, item];
      const operations = Object.entries(item as Record<string, JsonObject>).map(([method, operation]) =>
        !HTTP_METHODS.has(method)
          ? [method, operation]
          : [
              method,
              {
                ...operation,
                parameters: [...((operation.parameters as unknown[] | undefined) ?? []), { $ref: '#/components/parameters/City' }],
              },
            ],
      );
      return [path, Object.fromEntries(operations)];
    }),
  );
}

/** What a route group adds to the document (RouteGroup['openApi']). */
export interface OpenApiExtension {
  paths?: Record<string, unknown>;
  schemas?: Record<string, unknown>;
}

/** A zod schema as an OpenAPI 3.1 schema (JSON Schema 2020-12) without document-level keys: a route group's parameters and replies. */
export function zodToOpenApiSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/**
 * The OpenAPI 3.1 document served at /openapi.json and shown by Swagger UI at /docs. The
 * `apiKey` security scheme (X-API-Key header) is always declared, so Swagger UI's "Authorize"
 * can send it; operations require it only when the server has a key.
 */
export function buildOpenApiDocument(options: OpenApiOptions, extensions: readonly OpenApiExtension[] = []): JsonObject {
  const schemas: Record<string, unknown> = {
    ...buildComponents({ ScoreTicketRequest: scoreTicketRequestSchema, ScoreTicketsRequest: scoreTicketsRequestSchema }, 'input'),
    ...buildComponents(
      {
        TicketScore: ticketScoreResponseSchema,
        ScoreTicketsResponse: scoreTicketsResponseSchema,
        Error: errorResponseSchema,
        Health: healthResponseSchema,
      },
      'output',
    ),
  };
  const security = options.apiKeyRequired ? [{ apiKey: [] }] : [];
  const kib = (bytes: number) => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`);
  const scoringErrors = {
    '400': errorReply('The body is not JSON (code MALFORMED_JSON).'),
    ...(options.apiKeyRequired ? { '401': errorReply('Missing or wrong X-API-Key (code UNAUTHORIZED).') } : {}),
    '413': errorReply('The body is larger than the limit (code BODY_TOO_LARGE).'),
    '415': errorReply('The body is not sent as Content-Type: application/json (code UNSUPPORTED_MEDIA_TYPE).'),
    '422': errorReply(
      'INPUT_INVALID: the body does not match the schema; `fields` names every bad field. UNKNOWN_REQUEST_TYPE: `suggestions` lists the closest known types.',
    ),
    '503': errorReply('MODEL_NOT_TRAINED: no model has been trained yet; run `civicops train` on the server.'),
  };
  const extraPaths = Object.assign({}, ...extensions.map((extension) => extension.paths ?? {})) as Record<string, unknown>;
  Object.assign(schemas, ...extensions.map((extension) => extension.schemas ?? {}));
  const riskText = `risk_level is High at probability ≥ ${options.risk.highThreshold}, Medium at ≥ ${options.risk.mediumThreshold}, else Low.`;
  return {
    openapi: '3.1.0',
    info: {
      title: 'CivicOps-311 scoring API',
      version: options.version,
      description: [
        `Scores Gainesville 311 service requests for the risk of missing the ${options.slaHours}-hour SLA.`,
        "Context features you leave out (rolling_7d_volume, backlog_at_creation, …) are computed from the warehouse as of created_at; values you send override them. Without created_at a ticket is scored now, or at the warehouse's last event when the data stops before today (scored_at and created_at_assumed in the response say which).",
        '`status` is accepted for compatibility with the original API and ignored by the model.',
        riskText,
        "A warehouse may hold several cities: every scoring, `/api/v1` and `/open311/v2` path takes `city` (a city of the warehouse, e.g. chicago; default the city this server was started for), and Open311 paths also take the spec's `jurisdiction_id` for it.",
        options.apiKeyRequired
          ? 'Scoring endpoints require the X-API-Key header; /healthz, /openapi.json and /docs are open.'
          : 'No API key is configured on this server.',
      ].join('\n\n'),
    },
    paths: withCityParameter({
      '/score_ticket': {
        post: {
          operationId: 'scoreTicket',
          summary: 'Score one ticket',
          description: `Body limit ${kib(options.maxBodyBytes)}. ${riskText}`,
          security,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ScoreTicketRequest' }, example: exampleScoreRequest } },
          },
          responses: { '200': { description: 'The score.', content: json('TicketScore') }, ...scoringErrors },
        },
      },
      '/score_tickets': {
        post: {
          operationId: 'scoreTickets',
          summary: `Score up to ${MAX_BATCH_TICKETS} tickets in one call`,
          description: `Body limit ${kib(options.maxBatchBodyBytes)}. Results come back in request order.`,
          security,
          requestBody: { required: true, content: json('ScoreTicketsRequest') },
          responses: { '200': { description: 'One score per ticket.', content: json('ScoreTicketsResponse') }, ...scoringErrors },
        },
      },
      '/healthz': {
        get: {
          operationId: 'health',
          summary: 'Database reachable, model loaded, its version, and whether it is older than its data or its features drifted',
          responses: {
            '200': { description: 'Serving (status ok, or degraded when no model is trained yet).', content: json('Health') },
            '503': { description: 'The database is unreachable.', content: json('Health') },
          },
        },
      },
      '/openapi.json': {
        get: { operationId: 'openapi', summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1 JSON.' } } },
      },
      '/docs': {
        get: {
          operationId: 'docs',
          summary: 'Swagger UI on this document, served by the app (works offline)',
          responses: { '200': { description: 'HTML page.' } },
        },
      },
      ...extraPaths,
    }),
    components: {
      parameters: { City: CITY_PARAMETER },
      schemas,
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
    },
  };
}
