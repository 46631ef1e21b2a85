import { LogLevel, WebClient, type Logger as SlackLogger, type RetryOptions } from '@slack/web-api';
import type { AppConfig } from '../config/config.js';
import { CivicOpsError, ConfigError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/**
 * Retries of one Web API call: 5 attempts over about a minute for 5xx and network errors. A 429
 * is retried after the Retry-After the answer names (WebClient pauses its whole queue for it),
 * so a burst of alerts slows down instead of being dropped.
 */
export const SLACK_RETRY_POLICY: RetryOptions = { retries: 5, factor: 2, minTimeout: 1_000, maxTimeout: 20_000, randomize: true };

/** WebClient's logger interface on top of pino (WebClient logs request bodies only at debug). */
export function toSlackLogger(logger: Logger): SlackLogger {
  let level: LogLevel = LogLevel.INFO;
  const text = (parts: unknown[]) => parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' ');
  return {
    debug: (...parts: unknown[]) => logger.debug(text(parts)),
    info: (...parts: unknown[]) => logger.info(text(parts)),
    warn: (...parts: unknown[]) => logger.warn(text(parts)),
    error: (...parts: unknown[]) => logger.error(text(parts)),
    // pino's own level decides what is written; these only satisfy the interface.
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/**
 * The Slack Web API client for the bot token, pointed at `SLACK_API_URL` (a proxy, or the
 * loopback fake in tests). Throws ConfigError when SLACK_BOT_TOKEN is not set.
 */
export function createSlackWebClient(
  slack: Pick<AppConfig['slack'], 'botToken' | 'apiUrl'>,
  options: { logger: Logger; retryConfig?: RetryOptions; timeoutMs?: number },
): WebClient {
  if (!slack.botToken)
    throw new ConfigError(
      'SLACK_BOT_TOKEN is not set: the bot token (xoxb-…) from the Slack app\'s "OAuth & Permissions" page is needed to post.',
    );
  return new WebClient(slack.botToken, {
    slackApiUrl: slack.apiUrl,
    logger: toSlackLogger(options.logger.child({ component: 'slack-web-api' })),
    retryConfig: options.retryConfig ?? SLACK_RETRY_POLICY,
    rejectRateLimitedCalls: false,
    timeout: options.timeoutMs ?? 30_000,
  });
}

/** A Slack Web API call that failed after WebClient's retries (platform error, HTTP error, network). */
export class SlackPostError extends CivicOpsError {
  readonly method: string;
  readonly slackError?: string;
  constructor(method: string, cause: unknown) {
    const detail = describeSlackFailure(cause);
    super('SLACK_API_FAILED', `Slack ${method} failed: ${detail.message}`, { cause });
    this.method = method;
    this.slackError = detail.slackError;
  }
}

/** The Slack error code (`channel_not_found`, `ratelimited`...) or message of a WebClient failure. */
export function describeSlackFailure(error: unknown): { message: string; slackError?: string } {
  if (typeof error === 'object' && error !== null) {
    const data = (error as { data?: { error?: unknown } }).data;
    if (data && typeof data.error === 'string') return { message: data.error, slackError: data.error };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}
