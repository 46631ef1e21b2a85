import { request, type Dispatcher } from 'undici';
import { SocrataRequestError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

export interface SodaClientOptions {
  baseUrl: string;
  dataset: string;
  appToken?: string;
  /** Overall deadline of one request, headers and body together (SOCRATA_TIMEOUT_MS); retried as a timeout. */
  timeoutMs: number;
  maxRetries: number;
  logger: Logger;
  /** First backoff step; doubles each retry with full jitter (tests shorten it). */
  retryBaseDelayMs?: number;
  /** Upper bound on any single wait, Retry-After included. */
  maxRetryDelayMs?: number;
  dispatcher?: Dispatcher;
  sleep?: (ms: number) => Promise<void>;
}

export interface SodaQuery {
  select?: string;
  where?: string;
  order: string;
  limit: number;
  offset?: number;
}

type Attempt =
  | { ok: true; body: unknown }
  | { ok: false; retryable: boolean; status?: number; reason: string; retryAfterMs?: number; cause?: unknown };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Socrata SODA 2.x client for one dataset. Retries 429 (honouring Retry-After), 5xx, timeouts
 * (an overall deadline per request, body included), cut-off and non-JSON bodies with exponential backoff and jitter, then fails with a
 * SocrataRequestError naming the URL (never the token) and the last status.
 */
export class SodaClient {
  private readonly options: Required<Omit<SodaClientOptions, 'appToken' | 'dispatcher'>> &
    Pick<SodaClientOptions, 'appToken' | 'dispatcher'>;

  constructor(options: SodaClientOptions) {
    this.options = {
      retryBaseDelayMs: 500,
      maxRetryDelayMs: 60_000,
      sleep: defaultSleep,
      ...options,
    };
  }

  /** The resource URL of a query, as sent (the token travels in a header, never in the URL). */
  buildUrl(query: SodaQuery): string {
    const url = new URL(`${this.options.baseUrl}/resource/${this.options.dataset}.json`);
    url.searchParams.set('$select', query.select ?? ':*,*');
    if (query.where) url.searchParams.set('$where', query.where);
    url.searchParams.set('$order', query.order);
    url.searchParams.set('$limit', String(query.limit));
    if (query.offset !== undefined) url.searchParams.set('$offset', String(query.offset));
    return url.toString();
  }

  /** The newest `:updated_at` in the dataset (null when it is empty): the upper bound of a run. */
  async fetchLatestUpdatedAt(signal?: AbortSignal): Promise<Date | null> {
    const rows = await this.fetchPage({ select: ':updated_at', order: ':updated_at DESC', limit: 1 }, signal);
    const text = rows[0]?.[':updated_at'];
    if (rows.length === 0) return null;
    const instant = typeof text === 'string' ? new Date(text) : new Date(Number.NaN);
    if (Number.isNaN(instant.getTime())) {
      throw new SocrataRequestError(
        `Socrata returned no readable :updated_at (got ${JSON.stringify(text)}) — ${this.buildUrl({ select: ':updated_at', order: ':updated_at DESC', limit: 1 })}`,
        {
          url: this.buildUrl({ select: ':updated_at', order: ':updated_at DESC', limit: 1 }),
          attempts: 1,
        },
      );
    }
    return instant;
  }

  /** Fetches one page of rows, retrying transient failures within the configured budget. */
  async fetchPage(query: SodaQuery, signal?: AbortSignal): Promise<Record<string, unknown>[]> {
    return (await this.fetchJson(this.buildUrl(query), 'rows', signal)) as Record<string, unknown>[];
  }

  /** The metadata URL of the dataset: `/api/views/{id}.json` (its columns, their types and descriptions). */
  buildViewUrl(): string {
    return `${this.options.baseUrl}/api/views/${this.options.dataset}.json`;
  }

  /** The dataset's view object (`columns[].fieldName`, `dataTypeName`, `name`, `description`), with the same retries. */
  async fetchView(signal?: AbortSignal): Promise<SodaView> {
    return (await this.fetchJson(this.buildViewUrl(), 'view', signal)) as SodaView;
  }

  private async fetchJson(url: string, expected: 'rows' | 'view', signal?: AbortSignal): Promise<unknown> {
    const { maxRetries, retryBaseDelayMs, maxRetryDelayMs, logger, sleep } = this.options;
    let last: Extract<Attempt, { ok: false }> | undefined;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      signal?.throwIfAborted();
      const outcome = await this.attempt(url, expected, signal);
      if (outcome.ok) return outcome.body;
      last = outcome;
      if (!outcome.retryable || attempt === maxRetries) break;
      const backoff = Math.random() * retryBaseDelayMs * 2 ** attempt;
      const wait = Math.min(maxRetryDelayMs, Math.max(outcome.retryAfterMs ?? 0, backoff));
      logger.warn(
        { url, status: outcome.status, reason: outcome.reason, attempt: attempt + 1, waitMs: Math.round(wait) },
        'Socrata request failed; retrying',
      );
      await sleep(wait);
    }
    const attempts = (last?.retryable ? maxRetries : 0) + 1;
    const status = last?.status ? ` (HTTP ${last.status})` : '';
    throw new SocrataRequestError(
      `Socrata request failed${status} after ${attempts} attempt${attempts > 1 ? 's' : ''}: ${last?.reason ?? 'unknown error'} — ${url}`,
      { url, status: last?.status, attempts, cause: last?.cause },
    );
  }

  /**
   * One request with one overall deadline: `timeoutMs` covers the whole response, headers and
   * body. undici's own headersTimeout/bodyTimeout measure only the gaps between bytes, so a source
   * that trickles its body a byte at a time would otherwise stall the ingest for ever.
   */
  private async attempt(url: string, expected: 'rows' | 'view', signal?: AbortSignal): Promise<Attempt> {
    const { timeoutMs } = this.options;
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const overDeadline = (): Extract<Attempt, { ok: false }> | undefined =>
      deadline.aborted && !signal?.aborted
        ? { ok: false, retryable: true, reason: `timeout: no complete response within ${timeoutMs} ms`, cause: deadline.reason }
        : undefined;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.appToken) headers['x-app-token'] = this.options.appToken;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: 'GET',
        headers,
        signal: combined,
        dispatcher: this.options.dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      return overDeadline() ?? { ok: false, retryable: true, reason: `network error: ${describeError(error)}`, cause: error };
    }
    let body: string;
    // undici stops the body on abort too; destroying it here makes sure the read ends at the deadline.
    const stopBody = () => response.body.destroy(asAbortError(combined.reason));
    combined.addEventListener('abort', stopBody, { once: true });
    try {
      body = await response.body.text();
    } catch (error) {
      if (signal?.aborted) throw error;
      const timedOut = overDeadline();
      if (timedOut) return { ...timedOut, status: response.statusCode };
      return {
        ok: false,
        retryable: true,
        status: response.statusCode,
        reason: `response body cut off: ${describeError(error)}`,
        cause: error,
      };
    } finally {
      combined.removeEventListener('abort', stopBody);
    }
    const status = response.statusCode;
    if (status === 429) {
      return {
        ok: false,
        retryable: true,
        status,
        reason: 'throttled by Socrata',
        retryAfterMs: parseRetryAfter(response.headers['retry-after']),
      };
    }
    if (status >= 500) return { ok: false, retryable: true, status, reason: `server error: ${summarise(body)}` };
    if (status !== 200) {
      // 4xx other than 429 will not heal by retrying: a bad query, a bad token, a missing dataset.
      return { ok: false, retryable: false, status, reason: `rejected: ${summarise(body)}` };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      return {
        ok: false,
        retryable: true,
        status,
        reason: `body is not valid JSON (cut off or an error page): ${summarise(body)}`,
        cause: error,
      };
    }
    if (expected === 'rows' && !Array.isArray(parsed)) {
      return { ok: false, retryable: true, status, reason: `expected a JSON array of rows, got ${summarise(body)}` };
    }
    if (expected === 'view' && !isViewObject(parsed)) {
      return { ok: false, retryable: false, status, reason: `expected a view object with columns[], got ${summarise(body)}` };
    }
    return { ok: true, body: parsed };
  }
}

/** One column of `/api/views/{id}.json` (only the keys this project reads). */
export interface SodaViewColumn {
  fieldName: string;
  name: string;
  dataTypeName: string;
  description?: string;
}

/** The dataset's view object, as far as this project reads it. */
export interface SodaView {
  id: string;
  name: string;
  description?: string;
  columns: SodaViewColumn[];
}

function isViewObject(value: unknown): value is SodaView {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const columns = (value as { columns?: unknown }).columns;
  return (
    Array.isArray(columns) &&
    columns.every(
      (column) =>
        column !== null &&
        typeof column === 'object' &&
        typeof (column as SodaViewColumn).fieldName === 'string' &&
        typeof (column as SodaViewColumn).dataTypeName === 'string',
    )
  );
}

/** Retry-After as delta-seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function asAbortError(reason: unknown): Error {
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return code ? `${code} ${error.message}` : error.message;
  }
  return String(error);
}

function summarise(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 160)}…` : flat || '(empty body)';
}
