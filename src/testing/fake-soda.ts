/**
 * A loopback fake of one Socrata SODA 2.x resource (`GET /resource/{dataset}.json`) speaking the
 * real wire format: SoQL `$select`/`$where`/`$order`/`$limit`/`$offset`, string-valued rows with
 * null keys omitted, system fields (`:id`, `:version`, `:created_at`, `:updated_at`) under
 * `$select=:*,*`, JSON errors `{ code, error: true, message }`, `X-App-Token` auth and 429 +
 * Retry-After throttling. A fault script lets tests cut bodies off, hang, throttle or fail pages.
 *
 * Rows are serialised once when stored and sorted orders are cached until the data changes, so the
 * ingest benchmark can page 100k rows through it without the fake being the bottleneck.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError } from '../shared/errors.js';

/** Dataset id served when none is given: Gainesville 311 service requests. */
export const DEFAULT_FAKE_DATASET = '78uv-94ar';
/** `$limit` when the query has none, as on the real API. */
export const SODA_DEFAULT_LIMIT = 1000;
/** Largest `$limit` the fake accepts; larger values answer 400. */
export const SODA_MAX_LIMIT = 50_000;

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const SYSTEM_FIELDS = [':id', ':version', ':created_at', ':updated_at'] as const;
type SystemField = (typeof SYSTEM_FIELDS)[number];
const KNOWN_PARAMS = new Set(['$select', '$where', '$order', '$limit', '$offset', '$$app_token']);
const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** Narrows a fault to one page and/or several consecutive matching requests. */
export interface FaultTarget {
  /** Only requests whose `$offset` (default 0) equals this match. */
  onOffset?: number;
  /** Only requests whose `$where` contains this text (e.g. ':id >' for keyset pages after the first). */
  whereIncludes?: string;
  /** Let this many matching requests through untouched before the fault applies (default 0). */
  skip?: number;
  /** How many matching requests the fault applies to (default 1). */
  times?: number;
}

/** One scripted misbehaviour; queued faults are consumed in order by the next matching requests. */
export type FakeSodaFault = FaultTarget &
  (
    | { kind: 'status'; status: number; retryAfterSeconds?: number }
    | { kind: 'truncate' }
    | { kind: 'invalid-json' }
    | { kind: 'slow'; delayMs: number }
    | { kind: 'hang' }
    | { kind: 'reset' }
  );

export interface FakeSodaOptions {
  /**
   * Data rows as SODA serves them (string values, GeoJSON `location`). Rows without nulls or system
   * fields are kept by reference, not copied: treat them as frozen and change data via upsertRows.
   */
  rows: Record<string, unknown>[];
  /** Dataset id in the resource path (default `78uv-94ar`). */
  dataset?: string;
  /** When set, requests must carry this token (`X-App-Token` header or `$$app_token`). */
  requiredAppToken?: string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** `:updated_at` (and `:created_at`) of the initial rows; default the start instant. */
  updatedAt?: Date;
  /** After this many requests the server "goes away": every later connection is reset. */
  failAfterRequests?: number;
}

/** One request the fake received, in arrival order. */
export interface FakeSodaRequest {
  method: string;
  /** URL path without the query string. */
  path: string;
  /** Decoded query parameters (last value wins). */
  query: Record<string, string>;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  receivedAt: Date;
  /** HTTP status written; undefined while pending, for hung or reset requests. */
  status?: number;
  /** Number of rows in a served page. */
  rowCount?: number;
  /** The fault kind applied to this request, if any. */
  fault?: FakeSodaFault['kind'];
}

export interface FakeSoda {
  /** `http://127.0.0.1:PORT` (no trailing slash); the resource is `${baseUrl}/resource/${dataset}.json`. */
  readonly baseUrl: string;
  readonly dataset: string;
  /** Every request received, oldest first (live array). */
  readonly requests: readonly FakeSodaRequest[];
  /** Errors the fake itself hit while answering (answered as 500); tests can assert it stays empty. */
  readonly unexpectedErrors: readonly Error[];
  /** Number of stored rows. */
  readonly rowCount: number;
  /** Replaces all rows. Input keys `:id`/`:created_at`/`:updated_at`/`:version` override the generated ones. */
  setRows(rows: Record<string, unknown>[], options?: { updatedAt?: Date }): void;
  /**
   * Merges rows by `id` as a Socrata upsert does: given fields change, `null` clears a field, omitted
   * fields stay. Existing rows keep their `:id`; `:updated_at` becomes `updatedAt` (default: now, but
   * always after the newest stored instant so incremental sync never ties).
   */
  upsertRows(rows: Record<string, unknown>[], options?: { updatedAt?: Date }): void;
  /** Deletes the rows with these `id`s (as Socrata does, they simply vanish from results). */
  deleteRows(ids: string[]): void;
  deleteAll(): void;
  /** Queues a fault for the next matching request(s). */
  fault(spec: FakeSodaFault): void;
  /** Drops every queued fault. */
  clearFaults(): void;
  /** Queued faults not yet consumed. */
  pendingFaults(): FakeSodaFault[];
  clearRequests(): void;
  /** Stops listening and destroys open (including hung) connections. Idempotent. */
  close(): Promise<void>;
}

interface StoredRow {
  key: string;
  systemId: string;
  version: string;
  createdAtMs: number;
  updatedAtMs: number;
  data: Record<string, unknown>;
  /** `"k":v,...` of the data fields, without braces. */
  dataJson: string;
  /** `":id":...,":version":...,":created_at":...,":updated_at":...` without braces. */
  systemJson: string;
  /** The whole row (`$select=:*,*`) as UTF-8, encoded when stored: serving a page is then a copy. */
  allJsonBytes: Buffer;
}

interface QueuedFault {
  spec: FakeSodaFault;
  remaining: number;
  skipLeft: number;
}

type SelectPlan = { mode: 'all' | 'data' | 'system' } | { mode: 'columns'; columns: string[] };

interface OrderTerm {
  column: string;
  descending: boolean;
}

interface ParsedQuery {
  select: SelectPlan;
  predicate: RowPredicate | undefined;
  /** Cache key of the filtered + ordered row list. */
  viewKey: string;
  order: OrderTerm[];
  limit: number;
  offset: number;
}

type RowPredicate = (row: StoredRow) => boolean;

/** A SoQL problem, answered as 400 with Socrata's error shape. */
class SoqlError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the fake on 127.0.0.1 and resolves once it listens. */
export async function startFakeSoda(options: FakeSodaOptions): Promise<FakeSoda> {
  const dataset = options.dataset ?? DEFAULT_FAKE_DATASET;
  const resourcePath = `/resource/${dataset}.json`;
  const requests: FakeSodaRequest[] = [];
  const unexpectedErrors: Error[] = [];
  const faults: QueuedFault[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let rows = new Map<string, StoredRow>();
  let anonymousRows = 0;
  let newestUpdatedAtMs = 0;
  // Filtered + ordered views, valid until the next mutation.
  let views = new Map<string, StoredRow[]>();
  let closed = false;
  let closing: Promise<void> | undefined;

  const invalidate = (): void => {
    views = new Map();
  };

  const storeRow = (input: Record<string, unknown>, key: string, instantMs: number, previous?: StoredRow): void => {
    let data: Record<string, unknown>;
    let systemOverrides: Partial<Record<SystemField, unknown>> = {};
    if (!previous && isPlainDataRow(input)) {
      // Fast path for bulk loads (100k rows in the benchmark): keep the caller's object as is.
      data = input;
    } else {
      data = previous ? { ...previous.data } : {};
      for (const [field, value] of Object.entries(input)) {
        if (isSystemField(field)) {
          systemOverrides = { ...systemOverrides, [field]: value };
        } else if (value === null || value === undefined) {
          delete data[field];
        } else {
          data[field] = value;
        }
      }
    }
    const updatedAtMs = parseOverrideInstant(systemOverrides[':updated_at'], ':updated_at') ?? instantMs;
    const createdAtMs =
      parseOverrideInstant(systemOverrides[':created_at'], ':created_at') ?? previous?.createdAtMs ?? updatedAtMs;
    const systemId =
      typeof systemOverrides[':id'] === 'string' ? systemOverrides[':id'] : (previous?.systemId ?? makeSystemId(dataset, key));
    const version =
      typeof systemOverrides[':version'] === 'string' ? systemOverrides[':version'] : makeVersion(systemId, updatedAtMs);
    const systemJson =
      `":id":${JSON.stringify(systemId)},":version":${JSON.stringify(version)},` +
      `":created_at":"${new Date(createdAtMs).toISOString()}",":updated_at":"${new Date(updatedAtMs).toISOString()}"`;
    const dataJson = JSON.stringify(data).slice(1, -1);
    const allJsonBytes = Buffer.from(dataJson ? `{${systemJson},${dataJson}}` : `{${systemJson}}`);
    rows.set(key, { key, systemId, version, createdAtMs, updatedAtMs, data, dataJson, systemJson, allJsonBytes });
    if (updatedAtMs > newestUpdatedAtMs) newestUpdatedAtMs = updatedAtMs;
  };

  const setRows = (input: Record<string, unknown>[], setOptions: { updatedAt?: Date } = {}): void => {
    rows = new Map();
    newestUpdatedAtMs = 0;
    const instantMs = (setOptions.updatedAt ?? new Date()).getTime();
    input.forEach((row, index) => storeRow(row, rowKey(row) ?? `#${index}`, instantMs));
    anonymousRows = input.length;
    invalidate();
  };

  const upsertRows = (input: Record<string, unknown>[], upsertOptions: { updatedAt?: Date } = {}): void => {
    const instantMs = upsertOptions.updatedAt?.getTime() ?? Math.max(Date.now(), newestUpdatedAtMs + 1);
    for (const row of input) {
      const key = rowKey(row) ?? `#${anonymousRows++}`;
      storeRow(row, key, instantMs, rows.get(key));
    }
    invalidate();
  };

  const deleteRows = (ids: string[]): void => {
    for (const id of ids) rows.delete(id);
    invalidate();
  };

  /** Rows matching the query's filter in its order, cached per (filter, order). */
  const selectView = (query: ParsedQuery): StoredRow[] => {
    const cached = views.get(query.viewKey);
    if (cached) return cached;
    const orderKey = `order|${query.order.map((term) => `${term.column} ${term.descending ? 'desc' : 'asc'}`).join(',')}`;
    let ordered = views.get(orderKey);
    if (!ordered) {
      ordered = [...rows.values()];
      if (query.order.length > 0) ordered.sort(compileComparator(query.order));
      views.set(orderKey, ordered);
    }
    const predicate = query.predicate;
    const view = predicate ? ordered.filter((row) => predicate(row)) : ordered;
    // Bound the cache: ingest pages one query at a time, so a handful of views is plenty.
    if (views.size > 16) views = new Map([[orderKey, ordered]]);
    views.set(query.viewKey, view);
    return view;
  };

  const takeFault = (offset: number, where: string): FakeSodaFault | undefined => {
    const index = faults.findIndex(
      (queued) =>
        (queued.spec.onOffset === undefined || queued.spec.onOffset === offset) &&
        (queued.spec.whereIncludes === undefined || where.includes(queued.spec.whereIncludes)),
    );
    if (index < 0) return undefined;
    const queued = faults[index];
    if (queued.skipLeft > 0) {
      queued.skipLeft -= 1;
      return undefined;
    }
    queued.remaining -= 1;
    if (queued.remaining <= 0) faults.splice(index, 1);
    return queued.spec;
  };

  const later = (delayMs: number, action: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, delayMs);
    timers.add(timer);
  };

  const sendJson = (res: ServerResponse, log: FakeSodaRequest, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    log.status = status;
    res.writeHead(status, {
      'content-type': JSON_CONTENT_TYPE,
      'content-length': Buffer.byteLength(text),
      'x-socrata-requestid': randomBytes(12).toString('hex'),
      ...headers,
    });
    res.end(text);
  };

  const sendError = (res: ServerResponse, log: FakeSodaRequest, status: number, code: string, message: string, headers?: Record<string, string>): void => {
    sendJson(res, log, status, { code, error: true, message }, headers);
  };

  const sendHtml = (res: ServerResponse, log: FakeSodaRequest, status: number, contentType: string): void => {
    const html = htmlErrorPage(status);
    log.status = status;
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(html) });
    res.end(html);
  };

  /** Answers a request that got past faults: auth, routing, SoQL and the page itself. */
  const serve = (req: IncomingMessage, res: ServerResponse, log: FakeSodaRequest, fault: FakeSodaFault | undefined): void => {
    if (log.path !== resourcePath) {
      sendError(res, log, 404, 'not_found', `Cannot find view with id ${log.path.replace(/^\/resource\//, '').replace(/\.json$/, '')}`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, log, 405, 'method_not_allowed', `Method ${req.method ?? ''} is not allowed on this resource`);
      return;
    }
    if (options.requiredAppToken !== undefined) {
      const token = log.headers['x-app-token'] ?? log.query.$$app_token;
      if (!token) {
        sendError(res, log, 401, 'authentication_required', 'This dataset requires an application token (X-App-Token)');
        return;
      }
      if (token !== options.requiredAppToken) {
        sendError(res, log, 403, 'invalid_app_token', 'Invalid app_token specified');
        return;
      }
    }
    let query: ParsedQuery;
    try {
      query = parseQuery(log.query);
    } catch (error) {
      if (error instanceof SoqlError) {
        sendError(res, log, 400, error.errorCode, error.message);
        return;
      }
      throw error;
    }
    const view = selectView(query);
    const page = view.slice(query.offset, query.offset + query.limit);
    const body = serialisePage(page, query.select);
    log.rowCount = page.length;
    if (fault?.kind === 'invalid-json') {
      // A proxy's error page behind a 200 that still claims JSON: only parsing can tell.
      sendHtml(res, log, 200, JSON_CONTENT_TYPE);
      return;
    }
    const headers = {
      'content-type': JSON_CONTENT_TYPE,
      'x-socrata-requestid': randomBytes(12).toString('hex'),
      'last-modified': new Date(newestUpdatedAtMs || Date.now()).toUTCString(),
    };
    log.status = 200;
    if (fault?.kind === 'truncate') {
      const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.concat(body);
      res.writeHead(200, { ...headers, 'content-length': bytes.length });
      const cut = Math.max(1, Math.floor(bytes.length / 2));
      res.write(bytes.subarray(0, cut), () => res.destroy());
      return;
    }
    if (typeof body === 'string') {
      res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': body.reduce((total, piece) => total + piece.length, 0) });
    if (req.method !== 'HEAD') {
      res.cork();
      for (const piece of body) res.write(piece);
      res.uncork();
    }
    res.end();
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const log: FakeSodaRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: flattenHeaders(req.headers),
      receivedAt: new Date(),
    };
    requests.push(log);
    if (options.failAfterRequests !== undefined && requests.length > options.failAfterRequests) {
      log.fault = 'reset';
      req.socket.destroy();
      return;
    }
    const offset = Number(log.query.$offset ?? '0');
    const fault = takeFault(Number.isFinite(offset) ? offset : 0, log.query.$where ?? '');
    if (fault) log.fault = fault.kind;
    const run = (): void => {
      try {
        serve(req, res, log, fault);
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        unexpectedErrors.push(failure);
        if (!res.headersSent) sendError(res, log, 500, 'fake.internal_error', failure.message);
        else res.destroy(failure);
      }
    };
    switch (fault?.kind) {
      case 'status':
        if (fault.status === 429) {
          const retryAfter: Record<string, string> =
            fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
          sendError(res, log, 429, 'too_many_requests', 'Too many requests, please use an app token or slow down', retryAfter);
        } else if (fault.status >= 502 && fault.status <= 504) {
          // Gateway errors come from the load balancer, as HTML.
          sendHtml(res, log, fault.status, 'text/html; charset=utf-8');
        } else {
          sendError(res, log, fault.status, fault.status >= 500 ? 'internal_error' : 'error', `Fake SODA scripted HTTP ${fault.status}`);
        }
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        return; // Never answered; close() destroys the connection.
      case 'slow':
        later(fault.delayMs, () => {
          if (!res.destroyed) run();
        });
        return;
      default:
        run();
    }
  };

  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  setRows(options.rows, { updatedAt: options.updatedAt });

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    dataset,
    requests,
    unexpectedErrors,
    get rowCount() {
      return rows.size;
    },
    setRows,
    upsertRows,
    deleteRows,
    deleteAll: () => setRows([]),
    fault(spec) {
      validateFault(spec);
      faults.push({ spec, remaining: spec.times ?? 1, skipLeft: spec.skip ?? 0 });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    pendingFaults: () => faults.map((queued) => queued.spec),
    clearRequests: () => {
      requests.length = 0;
    },
    close() {
      if (closed) return closing ?? Promise.resolve();
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      closing = new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function validateFault(spec: FakeSodaFault): void {
  if (spec.times !== undefined && (!Number.isInteger(spec.times) || spec.times < 1)) {
    throw new InputError('fault.times must be a positive integer', [{ path: 'times', message: String(spec.times) }]);
  }
  if (spec.kind === 'status' && (!Number.isInteger(spec.status) || spec.status < 400 || spec.status > 599)) {
    throw new InputError('fault.status must be an HTTP error status (400-599)', [{ path: 'status', message: String(spec.status) }]);
  }
  if (spec.kind === 'slow' && !(spec.delayMs >= 0)) {
    throw new InputError('fault.delayMs must be >= 0', [{ path: 'delayMs', message: String(spec.delayMs) }]);
  }
}

function isSystemField(field: string): field is SystemField {
  return (SYSTEM_FIELDS as readonly string[]).includes(field);
}

/** True when a row has neither system fields nor null values, so it can be stored without copying. */
function isPlainDataRow(row: Record<string, unknown>): boolean {
  for (const field in row) {
    const value = row[field];
    if (value === null || value === undefined) return false;
    if (field.charCodeAt(0) === 58 /* ':' */ && isSystemField(field)) return false;
  }
  return true;
}

function rowKey(row: Record<string, unknown>): string | undefined {
  const id = row.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

function parseOverrideInstant(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? parseSoqlInstant(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new InputError(`Row ${field} is not an instant: ${String(value)}`, [{ path: field, message: String(value) }]);
  return ms;
}

/** A stable Socrata-looking row id (`row-abcd.efgh_ijkm`) derived from dataset and business id. */
function makeSystemId(dataset: string, key: string): string {
  const text = `${dataset}\u0000${key}`;
  return `row-${encodeHash(hashText(text, 0x811c9dc5), hashText(text, 0x01000193), 12).replace(/^(.{4})(.{4})(.{4})$/, '$1.$2_$3')}`;
}

function makeVersion(systemId: string, updatedAtMs: number): string {
  const text = `${systemId}@${updatedAtMs}`;
  const encoded = encodeHash(hashText(text, 0x811c9dc5), hashText(text, 0x9e3779b9), 8);
  return `rv-${encoded.slice(0, 4)}~${encoded.slice(4)}`;
}

/**
 * FNV-1a with a caller-chosen basis; two bases give ~64 bits, plenty for ids of a test dataset.
 * Not crypto: sha1 for 200k rows was a visible share of the benchmark's load time.
 */
function hashText(text: string, basis: number): number {
  let hash = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // Final avalanche so similar keys (consecutive ids) spread over the whole alphabet.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** `length` (<= 12) characters of ID_ALPHABET from two 32-bit hashes, 5 bits per character. */
function encodeHash(high: number, low: number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    const word = i < 6 ? high : low;
    text += ID_ALPHABET[(word >>> ((i % 6) * 5)) & 31];
  }
  return text;
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function htmlErrorPage(status: number): string {
  return (
    `<!DOCTYPE html>\n<html><head><title>${status} Service Unavailable</title></head>\n` +
    `<body><h1>Service temporarily unavailable</h1><p>The server is temporarily unable to service your request. ` +
    `Please try again later.</p><hr><address>nginx</address></body></html>\n`
  );
}

const PAGE_OPEN = Buffer.from('[');
const ROW_SEPARATOR = Buffer.from('\n,');
const PAGE_CLOSE = Buffer.from('\n]\n');

// Socrata's own layout: one row per line, commas leading.
function serialisePage(page: StoredRow[], select: SelectPlan): string | Buffer[] {
  if (page.length === 0) return '[]\n';
  if (select.mode === 'all') {
    // The city's server is another machine; here it shares the CPU with the ingest it serves, so
    // a page is written from the rows' stored bytes: no encoding, and no page-sized allocation
    // (a 50 MB buffer per page set off full garbage collections of the fake's 100,000 rows).
    const pieces = new Array<Buffer>(page.length * 2 + 1);
    pieces[0] = PAGE_OPEN;
    for (let i = 0; i < page.length; i++) {
      pieces[2 * i + 1] = page[i].allJsonBytes;
      pieces[2 * i + 2] = i + 1 < page.length ? ROW_SEPARATOR : PAGE_CLOSE;
    }
    return pieces;
  }
  const parts = new Array<string>(page.length);
  switch (select.mode) {
    case 'data':
      for (let i = 0; i < page.length; i++) parts[i] = `{${page[i].dataJson}}`;
      break;
    case 'system':
      for (let i = 0; i < page.length; i++) parts[i] = `{${page[i].systemJson}}`;
      break;
    case 'columns':
      for (let i = 0; i < page.length; i++) {
        const row = page[i];
        const picked: Record<string, unknown> = {};
        for (const column of select.columns) {
          const value = readColumn(row, column);
          if (value !== null && value !== undefined) picked[column] = value;
        }
        parts[i] = JSON.stringify(picked);
      }
      break;
  }
  return `[${parts.join('\n,')}\n]\n`;
}

function readColumn(row: StoredRow, column: string): unknown {
  switch (column) {
    case ':id':
      return row.systemId;
    case ':version':
      return row.version;
    case ':created_at':
      return new Date(row.createdAtMs).toISOString();
    case ':updated_at':
      return new Date(row.updatedAtMs).toISOString();
    default:
      return row.data[column];
  }
}

// ---------------------------------------------------------------------------------------------
// SoQL subset

function parseQuery(params: Record<string, string>): ParsedQuery {
  const filters: [string, string][] = [];
  for (const [name, value] of Object.entries(params)) {
    if (name.startsWith('$')) {
      if (!KNOWN_PARAMS.has(name)) throw new SoqlError('query.compiler.malformed', `Unrecognized arguments [${name}]`);
    } else {
      // SODA simple filters: ?column=value means column = 'value'.
      filters.push([name, value]);
    }
  }
  const select = parseSelect(params.$select);
  const order = parseOrder(params.$order);
  const limit = parseCount(params.$limit, '$limit', SODA_DEFAULT_LIMIT);
  if (limit > SODA_MAX_LIMIT) {
    throw new SoqlError('query.execution.limit-too-high', `$limit must be at most ${SODA_MAX_LIMIT}, got ${limit}`);
  }
  const offset = parseCount(params.$offset, '$offset', 0);
  const predicates: RowPredicate[] = [];
  if (params.$where !== undefined && params.$where.trim() !== '') predicates.push(parseWhere(params.$where));
  for (const [column, value] of filters) predicates.push(compileComparison(column, '=', { kind: 'string', text: value }));
  const predicate =
    predicates.length === 0 ? undefined : predicates.length === 1 ? predicates[0] : (row: StoredRow) => predicates.every((p) => p(row));
  const orderText = order.map((term) => `${term.column} ${term.descending ? 'desc' : 'asc'}`).join(',');
  const filterText = JSON.stringify([params.$where ?? '', filters]);
  return { select, predicate, order, limit, offset, viewKey: `view|${orderText}|${filterText}` };
}

function parseCount(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.trim())) throw new SoqlError('query.compiler.malformed', `${name} must be a non-negative integer, got "${text}"`);
  return Number(text.trim());
}

const IDENTIFIER = /^(?::@?)?[A-Za-z_][A-Za-z0-9_]*$/;

function parseSelect(text: string | undefined): SelectPlan {
  if (text === undefined || text.trim() === '') return { mode: 'data' };
  const items = text.split(',').map((item) => item.trim());
  const hasData = items.includes('*');
  const hasSystem = items.includes(':*');
  const columns = items.filter((item) => item !== '*' && item !== ':*');
  for (const column of columns) {
    const bare = column.replace(/^`(.*)`$/, '$1');
    if (!IDENTIFIER.test(bare)) throw new SoqlError('query.compiler.malformed', `Could not parse $select item "${column}"`);
  }
  if (columns.length === 0) return { mode: hasData && hasSystem ? 'all' : hasData ? 'data' : 'system' };
  if (hasData || hasSystem) {
    throw new SoqlError('query.compiler.malformed', 'Mixing * or :* with named columns is not supported by the fake');
  }
  return { mode: 'columns', columns: columns.map((column) => column.replace(/^`(.*)`$/, '$1')) };
}

function parseOrder(text: string | undefined): OrderTerm[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((item) => {
    const match = /^\s*(`[^`]+`|:?@?[A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$/i.exec(item);
    if (!match) throw new SoqlError('query.compiler.malformed', `Could not parse $order item "${item.trim()}"`);
    return { column: match[1].replace(/^`(.*)`$/, '$1'), descending: match[2]?.toLowerCase() === 'desc' };
  });
}

type Literal = { kind: 'string'; text: string } | { kind: 'number'; value: number };
type Token =
  | { type: 'ident'; text: string }
  | { type: 'string'; text: string }
  | { type: 'number'; text: string }
  | { type: 'op'; text: string }
  | { type: 'paren'; text: '(' | ')' };

function tokenizeWhere(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (/\s/.test(char)) {
      i++;
    } else if (char === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new SoqlError('query.compiler.malformed', 'Unterminated string literal in $where');
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      tokens.push({ type: 'string', text: value });
    } else if (char === '(' || char === ')') {
      tokens.push({ type: 'paren', text: char });
      i++;
    } else if (char === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) throw new SoqlError('query.compiler.malformed', 'Unterminated quoted identifier in $where');
      tokens.push({ type: 'ident', text: text.slice(i + 1, end) });
      i = end + 1;
    } else {
      const op = /^(>=|<=|<>|!=|>|<|=)/.exec(text.slice(i));
      if (op) {
        tokens.push({ type: 'op', text: op[1] });
        i += op[1].length;
        continue;
      }
      const number = /^-?\d+(\.\d+)?/.exec(text.slice(i));
      if (number) {
        tokens.push({ type: 'number', text: number[0] });
        i += number[0].length;
        continue;
      }
      const ident = /^:?@?[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
      if (!ident) throw new SoqlError('query.compiler.malformed', `Unexpected character "${char}" at position ${i} of $where`);
      tokens.push({ type: 'ident', text: ident[0] });
      i += ident[0].length;
    }
  }
  return tokens;
}

/** Parses `a > 'x' AND (b = 'y' OR c IS NULL)` into a row predicate. */
function parseWhere(text: string): RowPredicate {
  const tokens = tokenizeWhere(text);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const isKeyword = (token: Token | undefined, word: string): boolean =>
    token?.type === 'ident' && token.text.toUpperCase() === word;
  const fail = (what: string): never => {
    const near = peek();
    throw new SoqlError('query.compiler.malformed', `${what} in $where${near ? ` near "${near.text}"` : ' at end of input'}`);
  };

  const parseOr = (): RowPredicate => {
    const terms = [parseAnd()];
    while (isKeyword(peek(), 'OR')) {
      position++;
      terms.push(parseAnd());
    }
    return terms.length === 1 ? terms[0] : (row) => terms.some((term) => term(row));
  };
  const parseAnd = (): RowPredicate => {
    const terms = [parseTerm()];
    while (isKeyword(peek(), 'AND')) {
      position++;
      terms.push(parseTerm());
    }
    return terms.length === 1 ? terms[0] : (row) => terms.every((term) => term(row));
  };
  const parseTerm = (): RowPredicate => {
    const token = peek();
    if (isKeyword(token, 'NOT')) {
      position++;
      const inner = parseTerm();
      return (row) => !inner(row);
    }
    if (token?.type === 'paren' && token.text === '(') {
      position++;
      const inner = parseOr();
      const close = peek();
      if (!(close?.type === 'paren' && close.text === ')')) fail('Expected ")"');
      position++;
      return inner;
    }
    if (token?.type !== 'ident' || ['AND', 'OR', 'NOT', 'IS', 'NULL'].includes(token.text.toUpperCase())) {
      return fail('Expected a column name');
    }
    position++;
    const column = token.text;
    const next = peek();
    if (isKeyword(next, 'IS')) {
      position++;
      let negate = false;
      if (isKeyword(peek(), 'NOT')) {
        negate = true;
        position++;
      }
      if (!isKeyword(peek(), 'NULL')) fail('Expected NULL');
      position++;
      return (row) => (readColumn(row, column) === undefined) !== negate;
    }
    if (next?.type !== 'op') return fail('Expected a comparison operator');
    position++;
    const literalToken = peek();
    let literal: Literal;
    if (literalToken?.type === 'string') literal = { kind: 'string', text: literalToken.text };
    else if (literalToken?.type === 'number') literal = { kind: 'number', value: Number(literalToken.text) };
    else return fail('Expected a literal');
    position++;
    return compileComparison(column, next.text, literal);
  };

  if (tokens.length === 0) fail('Empty expression');
  const predicate = parseOr();
  if (position < tokens.length) fail('Unexpected token');
  return predicate;
}

function compileComparison(column: string, operator: string, literal: Literal): RowPredicate {
  const test = operatorTest(operator);
  if (column === ':updated_at' || column === ':created_at') {
    if (literal.kind !== 'string') {
      throw new SoqlError('query.soql.type-mismatch', `${column} must be compared with a quoted timestamp`);
    }
    const instant = parseSoqlInstant(literal.text);
    if (Number.isNaN(instant)) {
      throw new SoqlError('query.soql.type-mismatch', `Could not read "${literal.text}" as a timestamp for ${column}`);
    }
    return column === ':updated_at'
      ? (row) => test(row.updatedAtMs - instant)
      : (row) => test(row.createdAtMs - instant);
  }
  const text = literal.kind === 'string' ? literal.text : String(literal.value);
  return (row) => {
    const value = readColumn(row, column);
    if (typeof value !== 'string') return false; // SQL null (and non-text) comparisons are never true
    return test(compareValues(value, text));
  };
}

function operatorTest(operator: string): (difference: number) => boolean {
  switch (operator) {
    case '>':
      return (d) => d > 0;
    case '>=':
      return (d) => d >= 0;
    case '<':
      return (d) => d < 0;
    case '<=':
      return (d) => d <= 0;
    case '=':
      return (d) => d === 0;
    case '<>':
    case '!=':
      return (d) => d !== 0;
    default:
      throw new SoqlError('query.compiler.malformed', `Unknown operator ${operator}`);
  }
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

/** Numbers compare as numbers (Socrata number columns), everything else as text. */
function compareValues(left: string, right: string): number {
  if (NUMERIC.test(left) && NUMERIC.test(right)) return Number(left) - Number(right);
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * Reads a SoQL timestamp literal as an instant. Without a zone it is UTC, as Socrata reads literals
 * compared with its (UTC) system fields.
 */
export function parseSoqlInstant(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!match) return Number.NaN;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '0', zone] = match;
  let ms = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    Math.floor(Number(`0.${fraction}`) * 1000),
  );
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ms;
}

function compileComparator(order: OrderTerm[]): (a: StoredRow, b: StoredRow) => number {
  const terms = order.map(({ column, descending }) => {
    const sign = descending ? -1 : 1;
    if (column === ':updated_at') return (a: StoredRow, b: StoredRow) => sign * (a.updatedAtMs - b.updatedAtMs);
    if (column === ':created_at') return (a: StoredRow, b: StoredRow) => sign * (a.createdAtMs - b.createdAtMs);
    if (column === ':id') return (a: StoredRow, b: StoredRow) => sign * compareText(a.systemId, b.systemId);
    return (a: StoredRow, b: StoredRow) => {
      const left = readColumn(a, column);
      const right = readColumn(b, column);
      const leftMissing = typeof left !== 'string';
      const rightMissing = typeof right !== 'string';
      // Nulls last ascending, first descending, as PostgreSQL (and Socrata) do.
      if (leftMissing || rightMissing) return leftMissing === rightMissing ? 0 : sign * (leftMissing ? 1 : -1);
      return sign * compareValues(left as string, right as string);
    };
  });
  // Ties break on :id so pages never overlap or skip rows.
  return (a, b) => {
    for (const term of terms) {
      const result = term(a, b);
      if (result !== 0) return result;
    }
    return compareText(a.systemId, b.systemId);
  };
}

function compareText(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
