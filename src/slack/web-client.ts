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

/**
 * True when a failed attempt certainly did not reach Slack, or Slack refused it without acting:
 * a 429 (retried after its Retry-After) or a connection that was never opened. After a timeout,
 * a dropped connection or a 5xx, Slack may already have posted the message, so a re-send would
 * post it twice: those are left to the caller, which can look for the post first.
 */
export function isSafeToResend(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.message.startsWith('A rate limit was exceeded')) return true;
  const original = (error as { original?: { code?: unknown } }).original;
  const code = original?.code ?? (error as { code?: unknown }).code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}

/** A retry policy that never re-sends a call Slack may have acted on (see isSafeToResend). */
export function withoutUnsafeResends(policy: RetryOptions): RetryOptions {
  const guarded: RetryOptions & { onFailedAttempt: (error: unknown) => void } = {
    ...policy,
    onFailedAttempt: (error: unknown) => {
      // Throwing here stops p-retry (WebClient's retry loop) and rejects with this error.
      if (!isSafeToResend(error)) throw error;
    },
  };
  return guarded;
}

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
 * loopback fake in tests). Its retries (any `retryConfig` given too) never re-send a call Slack
 * may already have carried out: posts are not idempotent, and the jobs that post look for their
 * message before posting again instead. Throws ConfigError when SLACK_BOT_TOKEN is not set.
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
    retryConfig: withoutUnsafeResends(options.retryConfig ?? SLACK_RETRY_POLICY),
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

/**
 * The Slack error code (`channel_not_found`, `ratelimited`...) or message of a WebClient failure.
 * Looks through our own wrappers (SlackPostError, `cause` chains), so a hint keyed on the code
 * (e.g. `not_in_channel`) still sees it after the failure was wrapped.
 */
export function describeSlackFailure(error: unknown): { message: string; slackError?: string } {
  const seen = new Set<unknown>();
  for (let current: unknown = error; typeof current === 'object' && current !== null && !seen.has(current); ) {
    seen.add(current);
    if (current instanceof SlackPostError && current.slackError) return { message: current.slackError, slackError: current.slackError };
    const data = (current as { data?: { error?: unknown } }).data;
    if (data && typeof data.error === 'string') return { message: data.error, slackError: data.error };
    current = (current as { cause?: unknown }).cause;
  }
  return { message: error instanceof Error ? error.message : String(error) };
}
