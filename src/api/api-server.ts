import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { AppConfig } from '../config/config.js';
import type { Scorer } from '../model/scorer.js';
import type { Logger } from '../shared/logger.js';
import type { Warehouse } from '../warehouse/database.js';
import { createApiKeyCheck } from './api-key.js';
import { HttpRequestError, mapErrorToHttp } from './http-errors.js';
import { buildOpenApiDocument } from './openapi.js';
import { createRouter, jsonReply, type Reply, type RouteGroup } from './router.js';
import { createDocsRoutes } from './routes/docs.routes.js';
import { createHealthRoutes, type HealthRoutesDeps } from './routes/health.routes.js';
import { createScoreRoutes } from './routes/score.routes.js';
import { createSlackRoutes, type SlackRequestHandler } from './routes/slack.routes.js';
import type { HealthResponse } from './score-ticket.schema.js';

export type { SlackRequestHandler } from './routes/slack.routes.js';
export type { HttpMethod, PassThroughRoute, Reply, ReplyRoute, Route, RouteContext, RouteGroup } from './router.js';

export interface ApiServerDeps {
  config: AppConfig;
  logger: Logger;
  warehouse: Warehouse;
  scorer: Scorer;
  /** Mounted at POST /slack/events; the request is passed through unread. */
  slackHandler?: SlackRequestHandler;
  /**
   * More route groups (the JSON API, the dashboard…), served beside the built-in ones with the
   * same API-key check, error mapping and access log; their `openApi` parts join /openapi.json.
   */
  routes?: readonly RouteGroup[];
  /** Body limit of POST /score_ticket (default 1 MiB). */
  maxBodyBytes?: number;
  /** Body limit of POST /score_tickets (default 8 MiB: 1,000 tickets with long descriptions). */
  maxBatchBodyBytes?: number;
  /** Shown in the OpenAPI document. */
  appVersion?: string;
  /** How long /healthz waits for the database before calling it unreachable (default 2 s). */
  healthTimeoutMs?: number;
  /** Health of the scheduled jobs for /healthz (getJobHealth of src/jobs), when they run here. */
  jobHealth?: () => Promise<NonNullable<HealthResponse['jobs']>>;
  /** Staleness and feature drift of the promoted model for /healthz (the App's ModelHealthMonitor). */
  modelHealth?: HealthRoutesDeps['modelHealth'];
  /**
   * The warehouse's other cities: a request that names one (`?city=`, or Open311's
   * `jurisdiction_id`) is handed to that city's server; undefined means an unknown city (a 404).
   */
  otherCities?: (city: string) => Promise<RequestListener | undefined>;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface ApiServer {
  readonly server: Server;
  /** Answers one request as the listening server would (another city's server hands requests here). */
  readonly handle: RequestListener;
  /** Starts listening (port 0 picks a free port); resolves with the bound port. */
  listen(port: number, host?: string): Promise<{ port: number }>;
  /** Stops accepting, lets in-flight requests finish (up to 5 s), then closes every socket. */
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 5_000;
/** Headers worth a line in the access log; the secret ones are there only to show they were sent. */
const LOGGED_HEADERS = [
  'user-agent',
  'content-type',
  'content-length',
  'x-forwarded-for',
  'x-api-key',
  'authorization',
  'x-slack-signature',
] as const;
/** Their values never reach the log: the line says '[redacted]' instead, as pino's redaction would. */
const SECRET_HEADERS: ReadonlySet<string> = new Set(['x-api-key', 'authorization', 'x-slack-signature']);
const REDACTED = '[redacted]';
// The access line is built from named fields with the secrets already replaced, so pino's path
// redaction (a selective deep clone of every line, about a third of the logging cost) is off for it.
const NO_REDACTION = { paths: [] };
const NO_QUERY = new URLSearchParams();

const unknownCity = (city: string) =>
  new HttpRequestError(404, 'UNKNOWN_CITY', `This warehouse holds no city "${city.slice(0, 80)}"; GET /api/v1/filters lists its cities.`);

/**
 * The city a request names when it is not `ownCity`: `?city=`, or on Open311 paths the spec's
 * `jurisdiction_id` (a jurisdiction is a city here). Undefined for this server's own requests.
 */
export function otherCityOf(url: string, ownCity: string): string | undefined {
  const queryAt = url.indexOf('?');
  if (queryAt === -1) return undefined;
  const query = new URLSearchParams(url.slice(queryAt + 1));
  const named = (query.get('city') ?? (url.startsWith('/open311/') ? query.get('jurisdiction_id') : null))?.trim();
  return named && named !== ownCity ? named : undefined;
}

/** The request headers of an access log line; a secret one is logged as '[redacted]', never copied. */
function pickLoggedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of LOGGED_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    picked[name] = SECRET_HEADERS.has(name) ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
  }
  return picked;
}

function send(res: ServerResponse, reply: Reply, requestId: string): void {
  if (res.headersSent) return;
  // A 304 carries neither body nor the body's type and length.
  const entity = reply.status === 304 ? {} : { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) };
  res.writeHead(reply.status, { ...entity, 'x-request-id': requestId, ...reply.headers });
  res.end(reply.status === 304 ? undefined : reply.body);
}

/**
 * The HTTP service on node:http: POST /score_ticket, POST /score_tickets, GET /healthz,
 * GET /openapi.json, GET /docs (Swagger UI), the Slack app's POST /slack/events when a handler
 * is given, and any extra route groups. Nothing listens until `listen` is called.
 */
export function createApiServer(deps: ApiServerDeps): ApiServer {
  const { config } = deps;
  const maxBodyBytes = deps.maxBodyBytes ?? 1024 * 1024;
  const maxBatchBodyBytes = deps.maxBatchBodyBytes ?? 8 * 1024 * 1024;
  // Failures keep the shared redaction paths (an error may carry a connection string).
  const log = deps.logger.child({ component: 'http' });
  // Secrets are kept out of the access line by pickLoggedHeaders itself, so even a logger built
  // without the shared paths cannot leak the key.
  const accessLog = deps.logger.child({ component: 'http' }, { redact: NO_REDACTION });
  const checkApiKey = createApiKeyCheck(config.http.apiKey);

  const groups: RouteGroup[] = [
    createScoreRoutes({ scorer: deps.scorer, cityTimeZone: config.cityTimeZone, maxBodyBytes, maxBatchBodyBytes }),
    createHealthRoutes({
      warehouse: deps.warehouse,
      scorer: deps.scorer,
      timeoutMs: deps.healthTimeoutMs ?? 2_000,
      jobHealth: deps.jobHealth,
      modelHealth: deps.modelHealth,
    }),
    ...(deps.slackHandler ? [createSlackRoutes(deps.slackHandler)] : []),
    ...(deps.routes ?? []),
  ];
  const openApiDocument = buildOpenApiDocument(
    {
      version: deps.appVersion ?? '0.1.0',
      slaHours: config.slaHours,
      risk: config.risk,
      apiKeyRequired: Boolean(config.http.apiKey),
      maxBodyBytes,
      maxBatchBodyBytes,
    },
    groups.flatMap((group) => (group.openApi ? [group.openApi] : [])),
  );
  groups.push(createDocsRoutes({ openApiJson: JSON.stringify(openApiDocument), title: 'CivicOps-311 API – Swagger UI' }));
  const router = createRouter(groups);

  const ownCity = config.city.name;
  async function handleRequest(req: IncomingMessage, res: ServerResponse, requestId: string, url: string, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    try {
      const { route, params } = router.resolve(method, path);
      if (route.access === 'api-key') checkApiKey(req);
      if ('passThrough' in route) {
        route.passThrough(req, res);
        return;
      }
      const queryAt = url.indexOf('?');
      const query = queryAt === -1 ? NO_QUERY : new URLSearchParams(url.slice(queryAt + 1));
      // Reached with another city only when the warehouse has none of that name (the others were handed over).
      const city = query.get('city');
      if (city !== null && city.trim() !== ownCity) throw unknownCity(city);
      send(res, await route.handle({ req, requestId, path, query, params }), requestId);
    } catch (error) {
      const reply = mapErrorToHttp(error, requestId);
      if (reply.unexpected) log.error({ err: error, req_id: requestId, method, path }, 'request failed unexpectedly');
      send(res, jsonReply(reply.status, reply.body, reply.headers), requestId);
    }
  }

  const { http } = config;
  // A connection that has not completed the headers of its first request by then is cut: Node's
  // headersTimeout only watches a request once its first byte arrived, so a socket that never
  // sends anything would otherwise stay open for good.
  const servedSockets = new WeakSet<Socket>();
  const server = createServer(
    {
      headersTimeout: http.headersTimeoutMs,
      requestTimeout: http.requestTimeoutMs,
      keepAliveTimeout: http.keepAliveTimeoutMs,
      // Node checks the two timeouts above every 30 s by default, which would let a stalled client stay that long.
      connectionsCheckingInterval: Math.min(1_000, http.headersTimeoutMs),
    },
    (req, res) => {
      servedSockets.add(req.socket);
      serve(req, res);
    },
  );
  server.maxConnections = http.maxConnections;
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => {
      if (!servedSockets.has(socket)) socket.destroy();
    }, http.headersTimeoutMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
  let lastDropWarning = 0;
  server.on('drop', () => {
    // One line a minute at most: a flood of connections must not become a flood of log lines.
    if (Date.now() - lastDropWarning < 60_000) return;
    lastDropWarning = Date.now();
    log.warn({ max_connections: http.maxConnections }, 'connection refused: HTTP_MAX_CONNECTIONS reached');
  });

  function serve(req: IncomingMessage, res: ServerResponse): void {
    const otherCity = deps.otherCities ? otherCityOf(req.url ?? '/', ownCity) : undefined;
    if (otherCity === undefined || !deps.otherCities) {
      serveHere(req, res);
      return;
    }
    deps.otherCities(otherCity).then(
      (handler) => (handler ? handler(req, res) : serveHere(req, res)),
      (error: unknown) => {
        log.error({ err: error, city: otherCity }, "could not open the city's server");
        serveHere(req, res, error);
      },
    );
  }

  async function sendFailure(res: ServerResponse, failure: unknown, requestId: string): Promise<void> {
    const reply = mapErrorToHttp(failure, requestId);
    send(res, jsonReply(reply.status, reply.body, reply.headers), requestId);
  }

  function serveHere(req: IncomingMessage, res: ServerResponse, failure?: unknown): void {
    const started = performance.now();
    const requestId = randomUUID();
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    // 'close' comes once per response, also when the client went away before the reply.
    res.on('close', () => {
      accessLog.info(
        {
          req_id: requestId,
          method: req.method,
          path,
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 100) / 100,
          // pino leaves out undefined fields.
          aborted: res.writableFinished ? undefined : true,
          req: { headers: pickLoggedHeaders(req.headers) },
        },
        'http request',
      );
    });
    const answer = failure === undefined ? handleRequest(req, res, requestId, url, path) : sendFailure(res, failure, requestId);
    answer.catch((error: unknown) => {
      // Only reachable if writing the reply itself failed; the socket is gone, so log and move on.
      log.error({ err: error, req_id: requestId }, 'could not send the reply');
      res.destroy();
    });
  }

  return {
    server,
    handle: serve,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          resolve({ port: (server.address() as AddressInfo).port });
        });
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        if (!server.listening) {
          resolve();
          return;
        }
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close((error) => {
          clearTimeout(force);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
