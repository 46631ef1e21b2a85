import { HttpRequestError } from '../http-errors.js';
import type { Reply, RouteGroup } from '../router.js';
import { createSwaggerUiAssets, renderSwaggerUiPage, type SwaggerUiAssets } from '../swagger-ui.js';

export interface DocsRoutesDeps {
  /** The OpenAPI document, already serialised. */
  openApiJson: string;
  title: string;
  /** Defaults to the installed swagger-ui-dist. */
  assets?: SwaggerUiAssets;
}

/** Assets change only with a new swagger-ui-dist or app release; the ETag catches that after a day at most. */
const ASSET_CACHE = 'public, max-age=86400';

/**
 * Scripts only from the app itself (the page has no inline script); Swagger UI sets inline styles
 * and its CSS uses data: images; try-it calls go to this origin.
 */
const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function acceptsGzip(header: string | undefined): boolean {
  return header !== undefined && /\bgzip\b/i.test(header) && !/\bgzip\s*;\s*q=0(\.0*)?\b/i.test(header);
}

/** GET /openapi.json, GET /docs (Swagger UI) and its files under /docs/assets/; all public. */
export function createDocsRoutes(deps: DocsRoutesDeps): RouteGroup {
  const assets = deps.assets ?? createSwaggerUiAssets();
  const html = renderSwaggerUiPage({ title: deps.title });
  return {
    name: 'docs',
    routes: [
      {
        method: 'GET',
        path: '/openapi.json',
        access: 'public',
        handle: (): Reply => ({ status: 200, body: deps.openApiJson, contentType: 'application/json; charset=utf-8' }),
      },
      {
        method: 'GET',
        path: '/docs',
        access: 'public',
        handle: (): Reply => ({
          status: 200,
          body: html,
          contentType: 'text/html; charset=utf-8',
          headers: { 'cache-control': 'no-cache', 'content-security-policy': DOCS_CSP, 'x-content-type-options': 'nosniff' },
        }),
      },
      {
        method: 'GET',
        path: '/docs/assets/:file',
        access: 'public',
        async handle({ req, params }): Promise<Reply> {
          const asset = await assets.get(params.file);
          if (!asset) throw new HttpRequestError(404, 'NOT_FOUND', `No docs asset ${params.file}.`);
          const headers: Record<string, string> = { 'cache-control': ASSET_CACHE, etag: asset.etag, 'x-content-type-options': 'nosniff' };
          if (asset.gzipped) headers.vary = 'accept-encoding';
          if (req.headers['if-none-match'] === asset.etag) return { status: 304, body: '', contentType: asset.contentType, headers };
          if (asset.gzipped && acceptsGzip(req.headers['accept-encoding'])) {
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
