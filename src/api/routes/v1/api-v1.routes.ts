/**
 * GET /api/v1/*: the JSON API the dashboard and integrators read — summary, SLA by type, volume,
 * backlog, surges, forecast, worklist, model card and filter menus. Each route parses its query
 * with zod, calls one domain function (src/dashboard, src/worklist) and answers JSON; all of them
 * are behind the API key (header or sign-in cookie) when one is set, and described in /openapi.json.
 */
import { z } from 'zod';
import { zodToOpenApiSchema } from '../../openapi.js';
import { buildBacklog, backlogResponseSchema } from '../../../dashboard/build-backlog.js';
import { buildFilters, filtersResponseSchema, type FiltersResponse } from '../../../dashboard/build-filters.js';
import { buildForecastView, forecastQuerySchema, forecastViewResponseSchema } from '../../../dashboard/build-forecast-view.js';
import { buildModelCard, type ModelCardDeps, modelCardResponseSchema } from '../../../dashboard/build-model-card.js';
import { buildSlaByType, slaByTypeResponseSchema } from '../../../dashboard/build-sla-by-type.js';
import { buildSummary, summaryResponseSchema, type DashboardDeps } from '../../../dashboard/build-summary.js';
import { buildSurges, surgesResponseSchema } from '../../../dashboard/build-surges.js';
import { buildVolume, volumeResponseSchema } from '../../../dashboard/build-volume.js';
import { dashboardQuerySchema, dashboardQueryShape } from '../../../dashboard/dashboard-window.js';
import { buildWorklist, WORKLIST_RANKING_RULE, worklistQuerySchema, worklistResponseSchema } from '../../../worklist/build-worklist.js';
import { parseQuery } from '../../request-query.js';
import { jsonReply, type RouteGroup } from '../../router.js';

export interface ApiV1RoutesDeps extends DashboardDeps, Pick<ModelCardDeps, 'modelHealth'> {
  /** Whether the server has an API key (the OpenAPI operations then require it). */
  apiKeyRequired: boolean;
  /** The warehouse's cities for the filter menus (the dashboard's city picker). */
  cities?: () => Promise<FiltersResponse['cities']>;
}

/** The worklist takes the dashboard's window parameters too (ignored: the worklist is about now), so one filter state fits every view. */
const worklistApiQuerySchema = z.strictObject({
  ...worklistQuerySchema.shape,
  since: dashboardQueryShape.since.describe('ignored (the worklist is judged at as_of)'),
  until: dashboardQueryShape.until.describe('ignored (the worklist is judged at as_of)'),
});

interface Endpoint {
  path: string;
  operationId: string;
  summary: string;
  description: string;
  query: z.ZodObject;
  response: z.ZodType;
  responseId: string;
  notTrained?: boolean;
}

const ENDPOINTS: Endpoint[] = [
  {
    path: '/api/v1/summary',
    operationId: 'dashboardSummary',
    summary: 'Headline figures of a window, against the previous window and the usual',
    description:
      'Tickets, SLA attainment, P90 hours to close, backlog and at-risk tickets; `comparisons` says what previous and usual mean. The SLA figures are those of `civicops report` for the same window.',
    query: dashboardQuerySchema,
    response: summaryResponseSchema,
    responseId: 'DashboardSummary',
  },
  {
    path: '/api/v1/sla-by-type',
    operationId: 'slaByType',
    summary: 'SLA figures of every request type, worst first (the rows of `civicops report --json`)',
    description: 'With the SLA attainment chart (Chart.js 4 JSON).',
    query: dashboardQuerySchema,
    response: slaByTypeResponseSchema,
    responseId: 'SlaByType',
  },
  {
    path: '/api/v1/volume',
    operationId: 'weeklyVolume',
    summary: 'Tickets per week with the usual range of each week',
    description: 'The usual range of a week is the 10th–90th percentile of the 8 weeks before it (same filters).',
    query: dashboardQuerySchema,
    response: volumeResponseSchema,
    responseId: 'WeeklyVolume',
  },
  {
    path: '/api/v1/backlog',
    operationId: 'backlogOverTime',
    summary: 'Open tickets at the end of each day of the window',
    description: 'The last day is counted at as_of when it is not over.',
    query: dashboardQuerySchema,
    response: backlogResponseSchema,
    responseId: 'BacklogOverTime',
  },
  {
    path: '/api/v1/surges',
    operationId: 'surges',
    summary: "Request types whose last 7 days surged, by the digest's rule",
    description: 'Judged on the 7 days ending at the end of the window (or as_of).',
    query: dashboardQuerySchema,
    response: surgesResponseSchema,
    responseId: 'Surges',
  },
  {
    path: '/api/v1/forecast',
    operationId: 'workloadForecast',
    summary: 'Expected new tickets of the next days, with 80% ranges',
    description: '`forecast` is what `civicops forecast --json` prints; it starts after `until`, or after the last day of data.',
    query: forecastQuerySchema,
    response: forecastViewResponseSchema,
    responseId: 'WorkloadForecastView',
  },
  {
    path: '/api/v1/worklist',
    operationId: 'worklist',
    summary: 'Open tickets ranked for action, with breach probability and reasons',
    description: WORKLIST_RANKING_RULE,
    query: worklistApiQuerySchema,
    response: worklistResponseSchema,
    responseId: 'Worklist',
    notTrained: true,
  },
  {
    path: '/api/v1/model',
    operationId: 'modelCard',
    summary: 'The promoted model: version, training, test evaluation, calibration, data age and health',
    description:
      'Read from the model registry; `model` is null before the first training, and figures a model trained by an older version lacks are null (not measured). `health.drift.state` is `measuring` until the first feature-drift measurement of the model exists: the request never waits for it.',
    query: z.strictObject({}),
    response: modelCardResponseSchema,
    responseId: 'ModelCard',
  },
  {
    path: '/api/v1/filters',
    operationId: 'dashboardFilters',
    summary: 'Request types and districts for the filter menus, with their tickets in the window',
    description: 'Send `value` as the type or district parameter.',
    query: dashboardQuerySchema,
    response: filtersResponseSchema,
    responseId: 'DashboardFilters',
  },
];

type JsonObject = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output') => zodToOpenApiSchema(schema, io) as JsonObject;

function buildOpenApi(apiKeyRequired: boolean): NonNullable<RouteGroup['openApi']> {
  const security = apiKeyRequired ? [{ apiKey: [] }] : [];
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const endpoint of ENDPOINTS) {
    schemas[endpoint.responseId] = toSchema(endpoint.response, 'output');
    const parameters = Object.entries(endpoint.query.shape).map(([name, field]) => {
      const schema = toSchema(field as z.ZodType, 'input');
      return { name, in: 'query', required: false, description: schema.description, schema };
    });
    paths[endpoint.path] = {
      get: {
        operationId: endpoint.operationId,
        summary: endpoint.summary,
        description: endpoint.description,
        tags: ['dashboard'],
        security,
        parameters,
        responses: {
          '200': {
            description: 'The figures, with as_of, data_through, stale and notice of the data clock.',
            content: { 'application/json': { schema: { $ref: `#/components/schemas/${endpoint.responseId}` } } },
          },
          ...(apiKeyRequired ? { '401': error('Missing or wrong X-API-Key, and no sign-in cookie (code UNAUTHORIZED).') } : {}),
          '422': error(
            'INPUT_INVALID: a query parameter is wrong (`fields` names it); UNKNOWN_REQUEST_TYPE: `suggestions` lists the closest types.',
          ),
          ...(endpoint.notTrained ? { '503': error('MODEL_NOT_TRAINED: no model has been trained yet; run `civicops train`.') } : {}),
        },
      },
    };
  }
  return { paths, schemas };
}

/** The /api/v1 route group. */
export function createApiV1Routes(deps: ApiV1RoutesDeps): RouteGroup {
  const handlers: Record<string, (query: URLSearchParams) => Promise<unknown>> = {
    '/api/v1/summary': (query) => buildSummary(deps, parseQuery(dashboardQuerySchema, query)),
    '/api/v1/sla-by-type': (query) => buildSlaByType(deps, parseQuery(dashboardQuerySchema, query)),
    '/api/v1/volume': (query) => buildVolume(deps, parseQuery(dashboardQuerySchema, query)),
    '/api/v1/backlog': (query) => buildBacklog(deps, parseQuery(dashboardQuerySchema, query)),
    '/api/v1/surges': (query) => buildSurges(deps, parseQuery(dashboardQuerySchema, query)),
    '/api/v1/forecast': (query) => buildForecastView(deps, parseQuery(forecastQuerySchema, query)),
    '/api/v1/worklist': (query) => {
      const parsed = parseQuery(worklistApiQuerySchema, query);
      return buildWorklist(deps, {
        type: parsed.type,
        district: parsed.district,
        status: parsed.status,
        limit: parsed.limit,
        asOf: parsed.as_of === undefined ? undefined : new Date(parsed.as_of),
      });
    },
    '/api/v1/model': (query) => {
      parseQuery(z.strictObject({}), query);
      return buildModelCard(deps);
    },
    '/api/v1/filters': (query) => buildFilters(deps, parseQuery(dashboardQuerySchema, query)),
  };
  return {
    name: 'api-v1',
    routes: ENDPOINTS.map((endpoint) => ({
      method: 'GET' as const,
      path: endpoint.path,
      access: 'api-key' as const,
      async handle({ query }) {
        return jsonReply(200, await handlers[endpoint.path](query), { 'cache-control': 'no-store' });
      },
    })),
    openApi: buildOpenApi(deps.apiKeyRequired),
  };
}
