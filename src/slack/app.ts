/**
 * The Slack app: Bolt for JS in HTTP mode, mounted on the API server's POST /slack/events.
 * Requests are verified with the signing secret (a bad signature, or a timestamp more than
 * 5 minutes from now either way, gets 401 before any listener runs), bodies over 1 MiB get 413,
 * and a repeated delivery of the same request (Slack's retries) is acked and skipped.
 * Listeners ack() at once and answer through response_url / the Web API afterwards, so a slow
 * warehouse never delays the ack.
 * Nothing calls Slack at start-up.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, ErrorCode, HTTPReceiver, type CodedError } from '@slack/bolt';
import type { RetryOptions } from '@slack/web-api';
import type { SlackRequestHandler } from '../api/api-server.js';
import { createChartRenderer, type ChartRenderer } from '../charts/chart-renderer.js';
import type { AppConfig } from '../config/config.js';
import type { Scorer } from '../model/scorer.js';
import { ConfigError, asError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Warehouse } from '../warehouse/database.js';
import { HttpRequestError } from '../api/http-errors.js';
import { registerListeners } from './listeners/index.js';
import type { SlackListenerDeps } from './listeners/shared/listener-deps.js';
import { createDedupeMiddleware, createMemoryDedupeStore, type RequestDedupeStore } from './request-dedupe.js';
import { guardSlackRequest } from './request-guard.js';
import { toSlackLogger } from './web-client.js';

/** Path Slack posts commands and interactions to (the manifest's request URLs). */
export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * Retries of Web API calls made while someone waits (views.open, views.update, chat.update):
 * a couple of quick attempts, not the 30-minute default; a 429 still waits its Retry-After.
 */
const INTERACTIVE_RETRY_POLICY: RetryOptions = { retries: 2, factor: 2, minTimeout: 300, maxTimeout: 2_000, randomize: true };

export interface SlackAppDeps {
  config: AppConfig;
  logger: Logger;
  warehouse: Warehouse;
  scorer: Scorer;
  /** Renders the /sla chart; default: createChartRenderer({ chartHost: config.charts.chartHost }). */
  chartRenderer?: ChartRenderer;
  /** The clock for analytics windows (default: the real time). */
  now?: () => Date;
  /** Remembers Slack requests already handled, to skip retries (default: in memory, this process only). */
  dedupeStore?: RequestDedupeStore;
  /**
   * Another city of the warehouse, for `/sla city:NAME`: its config, warehouse and scorer (an
   * InputError naming the cities when there is no such city). Absent: the app's city only.
   */
  otherCity?: (city: string) => Promise<Pick<SlackListenerDeps, 'config' | 'warehouse' | 'scorer' | 'chartRenderer'>>;
}

export interface SlackHandler {
  /** Node request handler for POST /slack/events (reads and verifies the raw body itself). */
  handler: SlackRequestHandler;
  /** The Bolt app, for adding listeners; its `client` carries no token (listeners get one). */
  app: App;
}

/** True when both Slack secrets are configured, i.e. createSlackHandler will not throw. */
export function isSlackConfigured(config: AppConfig): boolean {
  return Boolean(config.slack.signingSecret && config.slack.botToken);
}

/**
 * Builds the Bolt app and the request handler to mount at POST /slack/events.
 * Throws ConfigError when SLACK_SIGNING_SECRET or SLACK_BOT_TOKEN is missing.
 */
export function createSlackHandler(deps: SlackAppDeps): SlackHandler {
  const { signingSecret, botToken, apiUrl } = deps.config.slack;
  if (!signingSecret) {
    throw new ConfigError('SLACK_SIGNING_SECRET is not set: copy the Signing Secret from the Slack app\'s "Basic Information" page.');
  }
  if (!botToken) {
    throw new ConfigError(
      'SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from the Slack app\'s "OAuth & Permissions" page.',
    );
  }
  const logger = deps.logger.child({ component: 'slack' });
  const slackLogger = toSlackLogger(logger);
  const receiver = new HTTPReceiver({
    signingSecret,
    endpoints: SLACK_EVENTS_PATH,
    signatureVerification: true,
    // Ack goes out as soon as a listener calls ack(); the work continues after the response.
    processBeforeResponse: false,
    logger: slackLogger,
  });
  const app = new App({
    receiver,
    logger: slackLogger,
    // A single-workspace app: the bot token is known, so there is no auth.test round trip on
    // start-up or before each ack. Passing the team id makes Bolt hand listeners a client with it.
    authorize: async (source) => ({ botToken, teamId: source.teamId, enterpriseId: source.enterpriseId }),
    clientOptions: { slackApiUrl: apiUrl, retryConfig: INTERACTIVE_RETRY_POLICY, rejectRateLimitedCalls: false, timeout: 10_000 },
    ignoreSelf: false,
    convoStore: false,
  });
  // Global middleware runs after the signature check and before every listener.
  app.use(createDedupeMiddleware({ store: deps.dedupeStore ?? createMemoryDedupeStore(), logger }));
  app.error(async (error) => {
    logger.error({ err: asError(error), code: error.code }, 'unhandled error in a Slack listener');
  });

  const listenerDeps: SlackListenerDeps = {
    config: deps.config,
    logger,
    warehouse: deps.warehouse,
    scorer: deps.scorer,
    chartRenderer: deps.chartRenderer ?? createChartRenderer({ chartHost: deps.config.charts.chartHost }),
    now: deps.now ?? (() => new Date()),
  };
  const { otherCity } = deps;
  registerListeners(app, {
    ...listenerDeps,
    ...(otherCity
      ? { forCity: async (city: string) => ({ ...listenerDeps, ...(await otherCity(city)), logger: logger.child({ city }) }) }
      : {}),
  });

  const dispatch = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      receiver.requestListener(req, res);
    } catch (error) {
      // Bolt only takes POST; anything else on the path is deferred to us.
      if (isCodedError(error) && error.code === ErrorCode.HTTPReceiverDeferredRequestError) {
        req.resume();
        res.writeHead(405, { allow: 'POST', 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: { code: 'METHOD_NOT_ALLOWED', message: `${SLACK_EVENTS_PATH} accepts POST from Slack.` } }));
        return;
      }
      logger.error({ err: asError(error) }, 'Slack request could not be dispatched');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'The Slack request could not be processed.' } }));
    }
  };
  // Timestamp (both ways) and body size are checked, and the body read, before Bolt buffers it.
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'POST') {
      dispatch(req, res);
      return;
    }
    guardSlackRequest(req, { nowMs: Date.now() }).then(
      () => dispatch(req, res),
      (error: unknown) => {
        const known =
          error instanceof HttpRequestError
            ? error
            : new HttpRequestError(400, 'REQUEST_UNREADABLE', 'The request body could not be read.');
        if (known !== error) logger.error({ err: asError(error) }, 'Slack request could not be read');
        if (res.headersSent) return;
        res.writeHead(known.status, { ...known.headers, 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: { code: known.code, message: known.message } }));
      },
    );
  };
  return { handler, app };
}

function isCodedError(error: unknown): error is CodedError {
  return error instanceof Error && typeof (error as Partial<CodedError>).code === 'string';
}
