import { HttpRequestError } from '../api/http-errors.js';
import type { Reply, RouteGroup } from '../api/router.js';
import { renderDashboardPage } from './dashboard.page.js';
import { createWebAssets, type WebAssets } from './web-assets.js';

export interface DashboardRoutesDeps {
  /** Defaults to the bundle in dist/web/assets (or one made from src/web on first request). */
  assets?: WebAssets;
  /**
   * Who may open the page: 'api-key' puts it behind the same check as the JSON API (the sign-in
   * session); 'public' serves the shell to anyone, and the data calls still need the session.
   */
  access?: 'public' | 'api-key';
}

/** Asset names carry a content hash, so a file never changes under its name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The page and its scripts come only from this origin; Chart.js draws on canvas and sets inline
 * styles on it; the data calls go to this origin; nothing may frame the page.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function acceptsGzip(header: string | undefined): boolean {
  return header !== undefined && /\bgzip\b/i.test(header) && !/\bgzip\s*;\s*q=0(\.0*)?\b/i.test(header);
}

/** GET / (the dashboard) and GET /assets/:file (its bundled script and stylesheet). */
export function createDashboardPageRoutes(deps: DashboardRoutesDeps = {}): RouteGroup {
  const assets = deps.assets ?? createWebAssets();
  return {
    name: 'dashboard',
    routes: [
      {
        method: 'GET',
        path: '/',
        access: deps.access ?? 'api-key',
        async handle({ query }): Promise<Reply> {
          const [scriptUrl, styleUrl] = await Promise.all([assets.urlOf('dashboard.js'), assets.urlOf('dashboard.css')]);
          return {
            status: 200,
            body: renderDashboardPage({ scriptUrl, styleUrl, query }),
            contentType: 'text/html; charset=utf-8',
            headers: {
              'cache-control': 'no-cache',
              'content-security-policy': DASHBOARD_CSP,
              'x-content-type-options': 'nosniff',
              'referrer-policy': 'same-origin',
            },
          };
        },
      },
      {
        method: 'GET',
        path: '/assets/:file',
        access: 'public',
        async handle({ req, params }): Promise<Reply> {
          const asset = await assets.get(params.file);
          if (!asset) throw new HttpRequestError(404, 'NOT_FOUND', `No asset ${params.file}.`);
          const headers: Record<string, string> = {
            'cache-control': IMMUTABLE,
            etag: asset.etag,
            vary: 'accept-encoding',
            'x-content-type-options': 'nosniff',
          };
          if (req.headers['if-none-match'] === asset.etag) return { status: 304, body: '', contentType: asset.contentType, headers };
          if (acceptsGzip(req.headers['accept-encoding'])) {
            return {
              status: 200,
              body: asset.gzipped,
              contentType: asset.contentType,
              headers: { ...headers, 'content-encoding': 'gzip' },
            };
          }
          return { status: 200, body: asset.body, contentType: asset.contentType, headers };
        },
      },
    ],
  };
}
