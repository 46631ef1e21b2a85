/**
 * GET /open311/v2/*: the read side of Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2)
 * in JSON — discovery, the service list, requests by window and by id. Each route parses its query
 * with zod, calls one function of src/open311 and answers the spec's objects; a bad parameter is a
 * 400 and an unknown id or jurisdiction a 404, both as the spec's error list
 * `[{"code":…,"description":…}]`. Behind the API key like /api/v1, and described in /openapi.json.
 */
import { z } from 'zod';
import { zodToOpenApiSchema } from '../../openapi.js';
import { MAX_WINDOW_DAYS, toGeoReportErrors } from '../../../open311/georeport.js';
import { toGeoReportXml } from '../../../open311/georeport-xml.js';
import {
  checkJurisdiction,
  describeGeoReport,
  findGeoReportRequest,
  findGeoReportRequests,
  listGeoReportServices,
  type GeoReportDeps,
} from '../../../open311/read-georeport.js';
import { CivicOpsError, InputError } from '../../../shared/errors.js';
import { parseQuery } from '../../request-query.js';
import { jsonReply, type Reply, type RouteContext, type RouteGroup } from '../../router.js';

export interface Open311RoutesDeps extends GeoReportDeps {
  /** Whether the server has an API key (the OpenAPI operations then require it). */
  apiKeyRequired: boolean;
}

export const BASE_PATH = '/open311/v2';
// The spec's default answer is up to 1,000 requests; a client that knows `page` may ask for fewer.
export const DEFAULT_PAGE_SIZE = 1_000;
export const MAX_PAGE_SIZE = 1_000;

const splitList = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

// PostgreSQL text cannot hold NUL: such an id or code can match nothing, so it is a bad parameter, not a server error.
const commaList = (what: string) =>
  z
    .string()
    .trim()
    .min(1)
    .refine((text) => !text.includes('\u0000'), 'must not contain NUL characters')
    .transform(splitList)
    .describe(what);

const jurisdictionShape = {
  jurisdiction_id: z.string().trim().min(1).optional().describe("the city's profile name (e.g. gainesville); any other id is a 404"),
  api_key: z.string().optional().describe('accepted and ignored: send the key as the X-API-Key header'),
};
const jurisdictionQuerySchema = z.strictObject(jurisdictionShape);

export const requestsQuerySchema = z.strictObject({
  ...jurisdictionShape,
  start_date: z
    .string()
    .optional()
    .describe(
      `earliest requested_datetime, w3c (2023-07-01T00:00:00-04:00; without a zone: city time; a date: its start); default: ${MAX_WINDOW_DAYS} days before end_date`,
    ),
  end_date: z
    .string()
    .optional()
    .describe(
      `latest requested_datetime, included (a date: its whole day); default: ${MAX_WINDOW_DAYS} days after start_date, or the warehouse's last event. At most ${MAX_WINDOW_DAYS} days after start_date (else 400)`,
    ),
  status: commaList('open, closed or open,closed (default: both)')
    .pipe(z.array(z.enum(['open', 'closed'])))
    .optional(),
  service_code: commaList('service codes, comma separated (default: every service)').optional(),
  service_request_id: commaList(
    'ids, comma separated (at most 1000); when given, every other parameter but jurisdiction_id is ignored, as the spec says',
  )
    .pipe(z.array(z.string()).max(MAX_PAGE_SIZE, `at most ${MAX_PAGE_SIZE} ids`))
    .optional(),
  page: z.coerce.number().int().min(1).default(1).describe('page number, from 1'),
  page_size: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .describe(
      `requests per page, default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}; a Link rel="next" header follows when more exist`,
    ),
});

/** Parameters the spec lets a client repeat (their values are joined as one comma list). */
const LIST_PARAMETERS = new Set(['status', 'service_code', 'service_request_id']);

/** A URL query as the object a schema checks, the spec's list parameters joined; a mismatch is one InputError (a 400 here). */
function parseOpen311Query<Schema extends z.ZodType>(schema: Schema, query: URLSearchParams): z.infer<Schema> {
  return parseQuery(schema, query, { listParameters: LIST_PARAMETERS });
}

const dateTime = z.string().describe('w3c ISO 8601 with the city offset, e.g. 2023-07-09T14:05:00-04:00');

export const discoveryResponseSchema = z.object({
  changeset: dateTime.describe("the warehouse's last event"),
  contact: z.string(),
  key_service: z.string(),
  endpoints: z.array(
    z.object({
      specification: z.string(),
      url: z.string(),
      changeset: dateTime,
      type: z.enum(['production', 'test']),
      formats: z.array(z.string()),
    }),
  ),
});

export const servicesResponseSchema = z.array(
  z.object({
    service_code: z.string().describe('the type key'),
    service_name: z.string(),
    description: z.string().describe('the type and its SLA'),
    metadata: z.literal(false),
    type: z.literal('realtime'),
    keywords: z.string().describe("other spellings of the type in the city's feed, comma separated"),
    group: z.string(),
  }),
);

export const serviceRequestsResponseSchema = z.array(
  z.object({
    service_request_id: z.string(),
    status: z.enum(['open', 'closed']),
    status_notes: z.string().nullable().describe("the city's status text, e.g. In Process"),
    service_name: z.string(),
    service_code: z.string(),
    description: z.string().nullable(),
    agency_responsible: z.string().nullable().describe("the city's assigned-to field"),
    service_notice: z.string().nullable(),
    requested_datetime: dateTime,
    updated_datetime: dateTime.nullable(),
    expected_datetime: dateTime.nullable().describe("the SLA deadline: created + the type's SLA on its clock"),
    address: z.string().nullable(),
    address_id: z.string().nullable(),
    zipcode: z.string().nullable(),
    lat: z.number().nullable(),
    long: z.number().nullable(),
    media_url: z.string().nullable(),
    sla_breach_probability: z
      .number()
      .nullable()
      .describe("extension: the served model's stored probability of missing the SLA; null when it has not scored the ticket"),
    due_datetime: dateTime.nullable().describe('extension: the SLA deadline (same as expected_datetime)'),
  }),
);

export const errorsResponseSchema = z.array(z.object({ code: z.number().int(), description: z.string() }));

/** The two formats of the spec: the path's extension picks one (`requests.json`, `requests.xml`). */
export type GeoReportFormat = 'json' | 'xml';
type GeoReportRoot = Parameters<typeof toGeoReportXml>[0];

/** A GeoReport document in the asked format. */
function specReply(
  format: GeoReportFormat,
  status: number,
  root: GeoReportRoot,
  document: unknown,
  headers?: Record<string, string>,
): Reply {
  if (format === 'json') return jsonReply(status, document, headers);
  return { status, body: toGeoReportXml(root, document), contentType: 'text/xml; charset=utf-8', headers };
}

/** Runs a handler; InputError and NOT_FOUND become the spec's error list (in the asked format), anything else the server's mapping. */
async function withSpecErrors(format: GeoReportFormat, handle: () => Promise<Reply>): Promise<Reply> {
  try {
    return await handle();
  } catch (error) {
    if (error instanceof InputError) return specReply(format, 400, 'errors', toGeoReportErrors(400, error.message));
    if (error instanceof CivicOpsError && error.code === 'NOT_FOUND')
      return specReply(format, 404, 'errors', toGeoReportErrors(404, error.message));
    throw error;
  }
}

const NO_STORE = { 'cache-control': 'no-store' };

/** The endpoint's absolute URL as the client reached it (Host, and X-Forwarded-Proto behind a proxy). */
function endpointUrl(context: RouteContext): string {
  const forwarded = context.req.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim() || 'http';
  return `${proto}://${context.req.headers.host ?? 'localhost'}${BASE_PATH}`;
}

type JsonObject = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output') => zodToOpenApiSchema(schema, io) as JsonObject;

function buildOpenApi(apiKeyRequired: boolean): NonNullable<RouteGroup['openApi']> {
  const security = apiKeyRequired ? [{ apiKey: [] }] : [];
  const ref = (id: string) => ({
    'application/json': { schema: { $ref: `#/components/schemas/${id}` } },
    'text/xml': { schema: { type: 'string', description: 'The same document in the GeoReport v2 XML format (the path ends in .xml).' } },
  });
  const formatParameter = {
    name: 'format',
    in: 'path',
    required: true,
    description: "json or xml: the document's format",
    schema: { type: 'string', enum: ['json', 'xml'] },
  };
  const specError = (description: string) => ({ description, content: ref('Open311Errors') });
  const parameters = (schema: z.ZodObject) =>
    Object.entries(schema.shape).map(([name, field]) => {
      const json = toSchema(field as z.ZodType, 'input');
      return { name, in: 'query', required: false, description: json.description, schema: json };
    });
  const unauthorized = apiKeyRequired
    ? { '401': { description: 'Missing or wrong X-API-Key (the server error format, code UNAUTHORIZED).' } }
    : {};
  const operation = (operationId: string, summary: string, description: string, responseId: string, extra: JsonObject = {}) => ({
    get: {
      operationId,
      summary,
      description,
      tags: ['open311'],
      security,
      parameters: [formatParameter],
      ...extra,
      responses: {
        '200': { description: 'GeoReport v2 JSON or XML.', content: ref(responseId) },
        '400': specError('A bad parameter, e.g. a date that is not w3c or a window over 90 days: [{"code":400,"description":…}].'),
        '404': specError('An unknown service_request_id or jurisdiction_id: [{"code":404,"description":…}].'),
        ...unauthorized,
      },
    },
  });
  const jurisdiction = parameters(jurisdictionQuerySchema);
  return {
    paths: {
      [`${BASE_PATH}/discovery.{format}`]: operation(
        'open311Discovery',
        'Open311 service discovery',
        'The GeoReport v2 endpoint of this server and the formats it speaks (JSON and XML).',
        'Open311Discovery',
      ),
      [`${BASE_PATH}/services.{format}`]: operation(
        'open311Services',
        'GeoReport v2 service list: every request type',
        'service_code is the type key; the description states the SLA. Read-only: no service definitions (metadata is false).',
        'Open311Services',
        { parameters: [formatParameter, ...jurisdiction] },
      ),
      [`${BASE_PATH}/requests.{format}`]: operation(
        'open311Requests',
        'GeoReport v2 service requests of a window, newest first',
        `requested_datetime in [start_date, end_date], at most ${MAX_WINDOW_DAYS} days (the spec's rule); by default the ${MAX_WINDOW_DAYS} days ending at the warehouse's last event (the bundled data ends in 2023). Pages of ${DEFAULT_PAGE_SIZE} by default, at most ${MAX_PAGE_SIZE}. Extension fields: sla_breach_probability and due_datetime; expected_datetime is the SLA deadline.`,
        'Open311ServiceRequests',
        { parameters: [formatParameter, ...parameters(requestsQuerySchema)] },
      ),
      [`${BASE_PATH}/requests/{service_request_id}.{format}`]: operation(
        'open311Request',
        'GeoReport v2 one service request (a list of one)',
        'An id the warehouse does not hold is a 404 in the spec format.',
        'Open311ServiceRequests',
        {
          parameters: [
            { name: 'service_request_id', in: 'path', required: true, schema: { type: 'string' } },
            formatParameter,
            ...jurisdiction,
          ],
        },
      ),
    },
    schemas: {
      Open311Discovery: toSchema(discoveryResponseSchema, 'output'),
      Open311Services: toSchema(servicesResponseSchema, 'output'),
      Open311ServiceRequests: toSchema(serviceRequestsResponseSchema, 'output'),
      Open311Errors: toSchema(errorsResponseSchema, 'output'),
    },
  };
}

/** The /open311/v2 route group. */
export function createOpen311Routes(deps: Open311RoutesDeps): RouteGroup {
  // Each document at `<name>.json` and `<name>.xml`.
  const routes = (name: string, handle: (context: RouteContext, format: GeoReportFormat) => Promise<Reply>) =>
    (['json', 'xml'] as const).map((format) => ({
      method: 'GET' as const,
      path: `${BASE_PATH}/${name}.${format}`,
      access: 'api-key' as const,
      handle: (context: RouteContext) => withSpecErrors(format, () => handle(context, format)),
    }));
  return {
    name: 'open311',
    routes: [
      ...routes('discovery', async (context, format) => {
        parseOpen311Query(z.strictObject({}), context.query);
        const discovery = await describeGeoReport(deps, { url: endpointUrl(context), apiKeyRequired: deps.apiKeyRequired });
        return specReply(format, 200, 'discovery', discovery, NO_STORE);
      }),
      ...routes('services', async ({ query }, format) => {
        checkJurisdiction(deps, parseOpen311Query(jurisdictionQuerySchema, query).jurisdiction_id);
        return specReply(format, 200, 'services', await listGeoReportServices(deps), NO_STORE);
      }),
      ...routes('requests', async ({ query, path }, format) => {
        const parsed = parseOpen311Query(requestsQuerySchema, query);
        const page = await findGeoReportRequests(deps, parsed);
        const headers: Record<string, string> = { ...NO_STORE };
        if (page.hasMore) {
          const next = new URLSearchParams(query);
          next.set('page', String(parsed.page + 1));
          headers.link = `<${path}?${next.toString()}>; rel="next"`;
        }
        return specReply(format, 200, 'service_requests', page.requests, headers);
      }),
      // The router matches whole segments: ':file' is '<id>.json' or '<id>.xml'.
      {
        method: 'GET' as const,
        path: `${BASE_PATH}/requests/:file`,
        access: 'api-key' as const,
        handle: ({ query, params }: RouteContext) => {
          const file = params.file ?? '';
          const format: GeoReportFormat = file.endsWith('.xml') ? 'xml' : 'json';
          return withSpecErrors(format, async () => {
            const jurisdictionId = parseOpen311Query(jurisdictionQuerySchema, query).jurisdiction_id;
            const id = /^(.+)\.(json|xml)$/.exec(file)?.[1];
            if (id?.includes('\u0000')) throw new CivicOpsError('NOT_FOUND', 'No service request has a NUL character in its id.');
            if (id === undefined) {
              throw new CivicOpsError('NOT_FOUND', `Ask ${BASE_PATH}/requests/{service_request_id}.json (or .xml).`);
            }
            return specReply(format, 200, 'service_requests', await findGeoReportRequest(deps, id, jurisdictionId), NO_STORE);
          });
        },
      },
    ],
    openApi: buildOpenApi(deps.apiKeyRequired),
  };
}
