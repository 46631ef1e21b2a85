import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

/**
 * The /docs page: Swagger UI from the swagger-ui-dist package, served by the app itself under
 * /docs/assets/ (no CDN, so it works on a city network without internet access). The page has no
 * inline script: the initializer is an asset too, so a strict script-src 'self' policy holds.
 */

const gzipAsync = promisify(gzip);

/** Where the HTML sends the browser for the files below (relative to /docs, so a path prefix of a proxy keeps working). */
export const DOCS_ASSET_PREFIX = 'docs/assets/';

const INITIALIZER = 'civicops-docs.js';

const TEXT_CSS = 'text/css; charset=utf-8';
const TEXT_JS = 'text/javascript; charset=utf-8';

/** The files of swagger-ui-dist the page uses (plus the CSS source map), with their content types. */
const DIST_FILES: Readonly<Record<string, string>> = {
  'swagger-ui.css': TEXT_CSS,
  'swagger-ui.css.map': 'application/json; charset=utf-8',
  'index.css': TEXT_CSS,
  'swagger-ui-bundle.js': TEXT_JS,
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/** Text assets are worth compressing: the bundle is 1.7 MB, about a third of that gzipped. */
const COMPRESSIBLE = /^(text\/|application\/json)/;

/**
 * Swagger UI's options. `url` is relative to /docs; the validator badge (an image from
 * validator.swagger.io) is off; an API key entered under "Authorize" survives a reload.
 */
const INITIALIZER_SOURCE = `// CivicOps-311: starts Swagger UI on the app's own OpenAPI document.
window.addEventListener('DOMContentLoaded', function () {
  window.ui = SwaggerUIBundle({
    url: 'openapi.json',
    dom_id: '#swagger-ui',
    layout: 'BaseLayout',
    deepLinking: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
`;

export interface DocsAsset {
  readonly body: Buffer;
  /** Gzipped body, for clients that accept it (undefined when not worth it). */
  readonly gzipped?: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

export interface SwaggerUiAssets {
  /** The swagger-ui-dist version served. */
  readonly version: string;
  /** An asset by file name, or undefined when the page does not use such a file. */
  get(file: string): Promise<DocsAsset | undefined>;
}

/** The folder of the installed swagger-ui-dist package. */
export function resolveSwaggerUiDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

async function toAsset(body: Buffer, contentType: string): Promise<DocsAsset> {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const gzipped = COMPRESSIBLE.test(contentType) && body.length > 1024 ? await gzipAsync(body) : undefined;
  return { body, gzipped, contentType, etag };
}

/**
 * Reads each file on first request and keeps it (with its gzip and ETag) for the life of the
 * server. Only the listed files are served; any other name is undefined, never a path on disk.
 */
export function createSwaggerUiAssets(dir: string = resolveSwaggerUiDir()): SwaggerUiAssets {
  const loaded = new Map<string, Promise<DocsAsset>>();
  const packageJson = createRequire(import.meta.url)(join(dir, 'package.json')) as { version: string };
  return {
    version: packageJson.version,
    get(file) {
      const contentType = file === INITIALIZER ? TEXT_JS : Object.hasOwn(DIST_FILES, file) ? DIST_FILES[file] : undefined;
      if (!contentType) return Promise.resolve(undefined);
      let asset = loaded.get(file);
      if (!asset) {
        const bytes = file === INITIALIZER ? Promise.resolve(Buffer.from(INITIALIZER_SOURCE)) : readFile(join(dir, file));
        asset = bytes.then((body) => toAsset(body, contentType));
        // A failed read is not cached: the next request tries again.
        asset.catch(() => loaded.delete(file));
        loaded.set(file, asset);
      }
      return asset;
    },
  };
}

/** The /docs HTML: every URL in it is one of the app's own assets. */
export function renderSwaggerUiPage(options: { title: string }): string {
  const asset = (file: string) => `${DOCS_ASSET_PREFIX}${file}`;
  const title = options.title.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${title}</title>
    <link rel="stylesheet" href="${asset('swagger-ui.css')}">
    <link rel="stylesheet" href="${asset('index.css')}">
    <link rel="icon" type="image/png" href="${asset('favicon-32x32.png')}" sizes="32x32">
    <link rel="icon" type="image/png" href="${asset('favicon-16x16.png')}" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${asset('swagger-ui-bundle.js')}" charset="utf-8"></script>
    <script src="${asset(INITIALIZER)}" charset="utf-8"></script>
  </body>
</html>
`;
}
