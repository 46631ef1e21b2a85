import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpRequestError } from './http-errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a route answers; the server adds content-length and x-request-id. */
export interface Reply {
  status: number;
  body: string | Buffer;
  contentType: string;
  headers?: Record<string, string>;
}

export interface RouteContext {
  req: IncomingMessage;
  requestId: string;
  /** The path without the query string. */
  path: string;
  /** The query string, parsed (empty when there is none). */
  query: URLSearchParams;
  /** Values of the `:name` segments of the route's path. */
  params: Readonly<Record<string, string>>;
}

interface RouteBase {
  method: HttpMethod;
  /** An exact path ('/healthz') or one with `:name` segments ('/docs/assets/:file'). */
  path: string;
  /** 'api-key' routes need the X-API-Key header when API_KEY is set; probes and docs stay 'public'. */
  access: 'public' | 'api-key';
}

/** The usual route: parse, call one domain function, return a Reply; errors go to mapErrorToHttp. */
export interface ReplyRoute extends RouteBase {
  handle(context: RouteContext): Promise<Reply> | Reply;
}

/** A route that answers on the raw response itself and must get the body unread (Slack's signature check). */
export interface PassThroughRoute extends RouteBase {
  passThrough(req: IncomingMessage, res: ServerResponse): void;
}

export type Route = ReplyRoute | PassThroughRoute;

/**
 * Routes that belong together (scoring, health, docs, Slack, the JSON API…). Passed to
 * createApiServer; a group may describe its paths for the OpenAPI document.
 */
export interface RouteGroup {
  readonly name: string;
  readonly routes: readonly Route[];
  /** Merged into /openapi.json: `paths` keyed like '/api/v1/worklist', `schemas` into components. */
  readonly openApi?: { paths?: Record<string, unknown>; schemas?: Record<string, unknown> };
}

export interface ResolvedRoute {
  route: Route;
  params: Record<string, string>;
}

export interface Router {
  /** The route for a request; throws HttpRequestError 404 (no such path) or 405 (with Allow). */
  resolve(method: string, path: string): ResolvedRoute;
}

interface PatternRoutes {
  segments: readonly string[];
  byMethod: Map<string, Route>;
}

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function matchSegments(pattern: readonly string[], path: string): Record<string, string> | undefined {
  const parts = path.split('/');
  if (parts.length !== pattern.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of pattern.entries()) {
    const part = parts[index];
    if (segment.startsWith(':')) {
      if (part === '') return undefined;
      try {
        params[segment.slice(1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (segment !== part) {
      return undefined;
    }
  }
  return params;
}

/**
 * Method + path → route. Exact paths are one map lookup (the scoring hot path); paths with
 * `:name` segments are tried in order after that. HEAD is answered by the GET route.
 * Two routes with the same method and path are a wiring mistake and throw here.
 */
export function createRouter(groups: readonly RouteGroup[]): Router {
  const exact = new Map<string, Map<string, Route>>();
  const patterns: PatternRoutes[] = [];
  for (const group of groups) {
    for (const route of group.routes) {
      let byMethod: Map<string, Route>;
      if (route.path.includes('/:')) {
        const segments = route.path.split('/');
        const existing = patterns.find((pattern) => pattern.segments.join('/') === route.path);
        byMethod = existing?.byMethod ?? new Map();
        if (!existing) patterns.push({ segments, byMethod });
      } else {
        byMethod = exact.get(route.path) ?? new Map();
        exact.set(route.path, byMethod);
      }
      if (byMethod.has(route.method)) throw new Error(`Route ${route.method} ${route.path} of group "${group.name}" is registered twice.`);
      byMethod.set(route.method, route);
    }
  }

  function pick(byMethod: Map<string, Route>, method: string, path: string): Route {
    const route = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined);
    if (route) return route;
    const allowed = [...byMethod.keys()].join(', ');
    throw new HttpRequestError(405, 'METHOD_NOT_ALLOWED', `${path} accepts ${allowed}.`, { allow: allowed });
  }

  return {
    resolve(method, path) {
      const byMethod = exact.get(path);
      if (byMethod) return { route: pick(byMethod, method, path), params: NO_PARAMS };
      for (const pattern of patterns) {
        const params = matchSegments(pattern.segments, path);
        if (params) return { route: pick(pattern.byMethod, method, path), params };
      }
      throw new HttpRequestError(404, 'NOT_FOUND', `No route ${path}. See /docs.`);
    },
  };
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** A JSON reply. */
export function jsonReply(status: number, value: unknown, headers?: Record<string, string>): Reply {
  return { status, body: JSON.stringify(value), contentType: JSON_TYPE, headers };
}
