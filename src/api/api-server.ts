import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import type { AppConfig } from '../config/config.js';
import type { Scorer } from '../model/scorer.js';
import type { Logger } from '../shared/logger.js';
import type { Warehouse } from '../warehouse/database.js';
import { renderDocsPage } from './docs-page.js';
import { HttpRequestError, mapErrorToHttp, parseWithSchema } from './http-errors.js';
import { buildOpenApiDocument } from './openapi.js';
import { parseJsonBody, readBody } from './request-body.js';
import { formatTicketScore, toTicketToScore } from './score-ticket.mapping.js';
import {
  exampleScoreRequest,
  scoreTicketRequestSchema,
  scoreTicketsRequestSchema,
  type HealthResponse,
} from './score-ticket.schema.js';

/** A Node request handler for the Slack endpoint; it reads the raw body itself (signature check). */
export type SlackRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ApiServerDeps {
  config: AppConfig;
  logger: Logger;
  warehouse: Warehouse;
  scorer: Scorer;
  /** Mounted at POST /slack/events; the request is passed through unread. */
  slackHandler?: SlackRequestHandler;
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
}

export interface ApiServer {
  readonly server: Server;
  /** Starts listening (port 0 picks a free port); resolves with the bound port. */
  listen(port: number, host?: string): Promise<{ port: number }>;
  /** Stops accepting, lets in-flight requests finish (up to 5 s), then closes every socket. */
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

interface RouteContext {
  req: IncomingMessage;
  requestId: string;
}

interface Route {
  /** Scoring routes need the API key when one is configured; probes and docs stay open. */
  protected: boolean;
  handle(context: RouteContext): Promise<Reply> | Reply;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const CLOSE_GRACE_MS = 5_000;
/** Headers worth a line in the access log; the secret ones are there only to show they were sent. */
const LOGGED_HEADERS = ['user-agent', 'content-type', 'content-length', 'x-forwarded-for', 'x-api-key', 'authorization', 'x-slack-signature'] as const;
/** Their values never reach the log: the line says '[redacted]' instead, as pino's redaction would. */
const SECRET_HEADERS: ReadonlySet<string> = new Set(['x-api-key', 'authorization', 'x-slack-signature']);
const REDACTED = '[redacted]';
// The access line is built from named fields with the secrets already replaced, so pino's path
// redaction (a selective deep clone of every line, about a third of the logging cost) is off for it.
const NO_REDACTION = { paths: [] };

const jsonReply = (status: number, value: unknown, headers?: Record<string, string>): Reply => ({
  status,
  body: JSON.stringify(value),
  contentType: JSON_TYPE,
  headers,
});

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
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

async function checkDatabase(warehouse: Warehouse, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([sql`select 1`.execute(warehouse.db).then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The HTTP scoring service on node:http: POST /score_ticket, POST /score_tickets, GET /healthz,
 * GET /openapi.json, GET /docs, and the Slack app's POST /slack/events when a handler is given.
 * Nothing listens until `listen` is called.
 */
export function createApiServer(deps: ApiServerDeps): ApiServer {
  const { config, warehouse, scorer, slackHandler } = deps;
  const maxBodyBytes = deps.maxBodyBytes ?? 1024 * 1024;
  const maxBatchBodyBytes = deps.maxBatchBodyBytes ?? 8 * 1024 * 1024;
  const healthTimeoutMs = deps.healthTimeoutMs ?? 2_000;
  // Failures keep the shared redaction paths (an error may carry a connection string).
  const log = deps.logger.child({ component: 'http' });
  // Secrets are kept out of the access line by pickLoggedHeaders itself, so even a logger built
  // without the shared paths cannot leak the key.
  const accessLog = deps.logger.child({ component: 'http' }, { redact: NO_REDACTION });
  const expectedKey = config.http.apiKey ? digest(config.http.apiKey) : undefined;

  const openApiDocument = buildOpenApiDocument({
    version: deps.appVersion ?? '0.1.0',
    slaHours: config.slaHours,
    risk: config.risk,
    apiKeyRequired: expectedKey !== undefined,
    maxBodyBytes,
    maxBatchBodyBytes,
  });
  const openApiJson = JSON.stringify(openApiDocument);
  const docsHtml = renderDocsPage(openApiDocument, { exampleBody: exampleScoreRequest, apiKeyRequired: expectedKey !== undefined });

  const routes = new Map<string, Map<string, Route>>([
    [
      '/score_ticket',
      new Map([
        [
          'POST',
          {
            protected: true,
            async handle({ req }) {
              const body = parseWithSchema(scoreTicketRequestSchema, parseJsonBody(await readBody(req, maxBodyBytes)));
              const score = await scorer.scoreTicket(toTicketToScore(body, config.cityTimeZone));
              return jsonReply(200, formatTicketScore(score));
            },
          },
        ],
      ]),
    ],
    [
      '/score_tickets',
      new Map([
        [
          'POST',
          {
            protected: true,
            async handle({ req }) {
              const body = parseWithSchema(scoreTicketsRequestSchema, parseJsonBody(await readBody(req, maxBatchBodyBytes)));
              const tickets = body.tickets.map((ticket, index) => toTicketToScore(ticket, config.cityTimeZone, `tickets.${index}.created_at`));
              const scores = await scorer.scoreTickets(tickets);
              return jsonReply(200, {
                count: scores.length,
                model_version: scores[0]?.modelVersion ?? scorer.currentModelVersion() ?? '',
                results: scores.map(formatTicketScore),
              });
            },
          },
        ],
      ]),
    ],
    [
      '/healthz',
      new Map([
        [
          'GET',
          {
            protected: false,
            async handle() {
              const reachable = await checkDatabase(warehouse, healthTimeoutMs);
              const version = scorer.currentModelVersion();
              const jobs = reachable && deps.jobHealth ? await deps.jobHealth() : undefined;
              const jobsOk = !jobs || jobs.every((job) => job.state === 'ok' || job.state === 'never_run');
              const health: HealthResponse = {
                status: !reachable ? 'down' : version && jobsOk ? 'ok' : 'degraded',
                database: { reachable, engine: warehouse.kind },
                model: { loaded: version !== null, version },
                ...(jobs ? { jobs } : {}),
              };
              return jsonReply(reachable ? 200 : 503, health, { 'cache-control': 'no-store' });
            },
          },
        ],
      ]),
    ],
    ['/openapi.json', new Map([['GET', { protected: false, handle: () => ({ status: 200, body: openApiJson, contentType: JSON_TYPE }) }]])],
    [
      '/docs',
      new Map([['GET', { protected: false, handle: () => ({ status: 200, body: docsHtml, contentType: 'text/html; charset=utf-8' }) }]]),
    ],
  ]);

  function checkApiKey(req: IncomingMessage): void {
    if (!expectedKey) return;
    const given = req.headers['x-api-key'];
    // Compare digests so the comparison is constant-time whatever the lengths.
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), expectedKey)) {
      throw new HttpRequestError(401, 'UNAUTHORIZED', 'Missing or wrong X-API-Key header.', { 'www-authenticate': 'ApiKey header="X-API-Key"' });
    }
  }

  function send(res: ServerResponse, reply: Reply, requestId: string): void {
    if (res.headersSent) return;
    res.writeHead(reply.status, {
      'content-type': reply.contentType,
      'content-length': Buffer.byteLength(reply.body),
      'x-request-id': requestId,
      ...reply.headers,
    });
    res.end(reply.body);
  }

  function resolveRoute(method: string, path: string): Route {
    const byMethod = routes.get(path);
    if (!byMethod) throw new HttpRequestError(404, 'NOT_FOUND', `No route ${path}. See /docs.`);
    const route = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined);
    if (!route) {
      const allowed = [...byMethod.keys()].join(', ');
      throw new HttpRequestError(405, 'METHOD_NOT_ALLOWED', `${path} accepts ${allowed}.`, { allow: allowed });
    }
    return route;
  }

  async function handleRequest(req: IncomingMessage, res: ServerResponse, requestId: string, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    try {
      if (path === '/slack/events' && slackHandler) {
        if (method !== 'POST') throw new HttpRequestError(405, 'METHOD_NOT_ALLOWED', '/slack/events accepts POST.', { allow: 'POST' });
        // The Slack app verifies its signature over the raw bytes, so the body is left unread here.
        slackHandler(req, res);
        return;
      }
      const route = resolveRoute(method, path);
      if (route.protected) checkApiKey(req);
      send(res, await route.handle({ req, requestId }), requestId);
    } catch (error) {
      const reply = mapErrorToHttp(error, requestId);
      if (reply.unexpected) log.error({ err: error, req_id: requestId, method, path }, 'request failed unexpectedly');
      send(res, jsonReply(reply.status, reply.body, reply.headers), requestId);
    }
  }

  const server = createServer((req, res) => {
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
    handleRequest(req, res, requestId, path).catch((error: unknown) => {
      // Only reachable if writing the reply itself failed; the socket is gone, so log and move on.
      log.error({ err: error, req_id: requestId }, 'could not send the reply');
      res.destroy();
    });
  });

  return {
    server,
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
