/**
 * A loopback fake of one Socrata SODA 2.x resource (`GET /resource/{dataset}.json`, and its
 * metadata `GET /api/views/{dataset}.json`, soda-views.ts) speaking the
 * real wire format: SoQL `$select`/`$where`/`$order`/`$limit`/`$offset` (soql.ts), string-valued
 * rows with null keys omitted, system fields (`:id`, `:version`, `:created_at`, `:updated_at`)
 * under `$select=:*,*` (soda-store.ts), JSON errors `{ code, error: true, message }`,
 * `X-App-Token` auth and scripted faults (soda-faults.ts). This file wires them to HTTP.
 *
 * Rows are serialised once when stored and sorted orders are cached until the data changes, so the
 * ingest benchmark can page 100k rows through it without the fake being the bottleneck.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeSoda, FakeSodaOptions, FakeSodaRequest } from './fake-soda.types.js';
import { createSodaFaultQueue, sendStatusFault, type FakeSodaFault, type SodaFaultQueue } from './soda-faults.js';
import { serialisePage, writePage } from './soda-page.js';
import { JSON_CONTENT_TYPE, sendError, sendHtml, sendJson, socrataRequestId } from './soda-responses.js';
import { createSodaStore, type SodaStore } from './soda-store.js';
import { parseQuery, type ParsedQuery } from './soql.js';
import { buildSodaView, type FakeSodaViewSpec } from './soda-views.js';
import { SoqlError } from './soql-error.js';

/** Dataset id served when none is given: Gainesville 311 service requests. */
export const DEFAULT_FAKE_DATASET = '78uv-94ar';

/** Starts the fake on 127.0.0.1 and resolves once it listens. */
export async function startFakeSoda(options: FakeSodaOptions): Promise<FakeSoda> {
  const dataset = options.dataset ?? DEFAULT_FAKE_DATASET;
  const store = createSodaStore(dataset, options.idField);
  const timers = new Set<NodeJS.Timeout>();
  const state: ServerState = {
    resource: {
      dataset,
      resourcePath: `/resource/${dataset}.json`,
      viewPath: `/api/views/${dataset}.json`,
      viewSpec: options.view,
      requiredAppToken: options.requiredAppToken,
      store,
      timers,
    },
    failAfterRequests: options.failAfterRequests,
    requests: [],
    unexpectedErrors: [],
    faults: createSodaFaultQueue(),
    timers,
  };
  const server = createServer((req, res) => handleRequest(state, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  store.setRows(options.rows, { updatedAt: options.updatedAt });
  return buildHandle(state, server, `http://127.0.0.1:${port}`, dataset);
}

interface ServerState {
  resource: ResourceContext;
  failAfterRequests: number | undefined;
  requests: FakeSodaRequest[];
  unexpectedErrors: Error[];
  faults: SodaFaultQueue;
  /** Pending `slow` answers and `trickle` bodies, cancelled by close(). */
  timers: Set<NodeJS.Timeout>;
}

function buildHandle(state: ServerState, server: Server, baseUrl: string, dataset: string): FakeSoda {
  const { store } = state.resource;
  const { faults, requests, timers } = state;
  let closing: Promise<void> | undefined;
  return {
    baseUrl,
    dataset,
    requests,
    unexpectedErrors: state.unexpectedErrors,
    get rowCount() {
      return store.size;
    },
    setRows: (rows, setOptions) => store.setRows(rows, setOptions),
    upsertRows: (rows, upsertOptions) => store.upsertRows(rows, upsertOptions),
    deleteRows: (ids) => store.deleteRows(ids),
    deleteAll: () => store.setRows([]),
    fault: (spec) => faults.add(spec),
    clearFaults: () => faults.clear(),
    pendingFaults: () => faults.pending(),
    clearRequests: () => {
      requests.length = 0;
    },
    close() {
      if (closing) return closing;
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

/** Logs the request, then applies the fault it matches (if any) or serves it. */
function handleRequest(state: ServerState, req: IncomingMessage, res: ServerResponse): void {
  const log = logRequest(req);
  state.requests.push(log);
  if (state.failAfterRequests !== undefined && state.requests.length > state.failAfterRequests) {
    log.fault = 'reset';
    req.socket.destroy();
    return;
  }
  const offset = Number(log.query.$offset ?? '0');
  const fault = state.faults.take(Number.isFinite(offset) ? offset : 0, log.query.$where ?? '');
  if (fault) log.fault = fault.kind;
  switch (fault?.kind) {
    case 'status':
      sendStatusFault(res, log, fault);
      return;
    case 'reset':
      req.socket.destroy();
      return;
    case 'hang':
      return; // Never answered; close() destroys the connection.
    case 'slow': {
      const timer = setTimeout(() => {
        state.timers.delete(timer);
        if (!res.destroyed) serveGuarded(state, req, res, log, fault);
      }, fault.delayMs);
      state.timers.add(timer);
      return;
    }
    default:
      serveGuarded(state, req, res, log, fault);
  }
}

/** Serves the resource; an error of the fake itself is recorded and answered as 500. */
function serveGuarded(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  log: FakeSodaRequest,
  fault: FakeSodaFault | undefined,
): void {
  try {
    serveResource(state.resource, req, res, log, fault);
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    state.unexpectedErrors.push(failure);
    if (!res.headersSent) sendError(res, log, 500, 'fake.internal_error', failure.message);
    else res.destroy(failure);
  }
}

interface ResourceContext {
  dataset: string;
  resourcePath: string;
  /** `/api/views/{dataset}.json`: the dataset's metadata (soda-views.ts). */
  viewPath: string;
  viewSpec: FakeSodaViewSpec | undefined;
  requiredAppToken: string | undefined;
  store: SodaStore;
  /** The server's timers (a trickling body registers its interval here). */
  timers: Set<NodeJS.Timeout>;
}

function logRequest(req: IncomingMessage): FakeSodaRequest {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: flattenHeaders(req.headers),
    receivedAt: new Date(),
  };
}

/** Answers a request that got past faults: routing, auth, SoQL and the page itself. */
function serveResource(
  resource: ResourceContext,
  req: IncomingMessage,
  res: ServerResponse,
  log: FakeSodaRequest,
  fault: FakeSodaFault | undefined,
): void {
  if (log.path === resource.viewPath) {
    serveView(resource, req, res, log);
    return;
  }
  if (!admitRequest(resource, req, res, log)) return;
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
  const view = resource.store.selectView(query);
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
    'x-socrata-requestid': socrataRequestId(),
    'last-modified': new Date(resource.store.newestUpdatedAtMs || Date.now()).toUTCString(),
  };
  log.status = 200;
  writePage(res, body, headers, {
    head: req.method === 'HEAD',
    truncate: fault?.kind === 'truncate',
    trickle: fault?.kind === 'trickle' ? { intervalMs: fault.intervalMs, timers: resource.timers } : undefined,
  });
}

/** The dataset's view object (columns and their types), behind the same token rules as the rows. */
function serveView(resource: ResourceContext, req: IncomingMessage, res: ServerResponse, log: FakeSodaRequest): void {
  if (!admitRequest(resource, req, res, log, resource.viewPath)) return;
  const view = buildSodaView(
    resource.dataset,
    resource.store.dataRows(),
    resource.viewSpec,
    resource.store.newestUpdatedAtMs || Date.now(),
  );
  sendJson(res, log, 200, view);
}

/** Answers 404/405/401/403 as Socrata does and returns false, or returns true for a servable request. */
function admitRequest(
  resource: ResourceContext,
  req: IncomingMessage,
  res: ServerResponse,
  log: FakeSodaRequest,
  servedPath = resource.resourcePath,
): boolean {
  if (log.path !== servedPath) {
    sendError(
      res,
      log,
      404,
      'not_found',
      `Cannot find view with id ${log.path.replace(/^\/(resource|api\/views)\//, '').replace(/\.json$/, '')}`,
    );
    return false;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendError(res, log, 405, 'method_not_allowed', `Method ${req.method ?? ''} is not allowed on this resource`);
    return false;
  }
  if (resource.requiredAppToken === undefined) return true;
  const token = log.headers['x-app-token'] ?? log.query.$$app_token;
  if (!token) {
    sendError(res, log, 401, 'authentication_required', 'This dataset requires an application token (X-App-Token)');
    return false;
  }
  if (token !== resource.requiredAppToken) {
    sendError(res, log, 403, 'invalid_app_token', 'Invalid app_token specified');
    return false;
  }
  return true;
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
