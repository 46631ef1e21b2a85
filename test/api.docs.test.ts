import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../src/api/api-server.js';
import { resolveSwaggerUiDir } from '../src/api/swagger-ui.js';
import { loadConfig } from '../src/config/config.js';
import { createScorer } from '../src/model/score-ticket.js';
import { createLogger } from '../src/shared/logger.js';
import type { OpenApiDocumentView } from './helpers/api-replies.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

const API_KEY = 'docs-test-key-81b2';

/** Every src/href in a page, resolved against the page's own URL. */
function referencedUrls(html: string, pageUrl: string): URL[] {
  return [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((match) => new URL(match[1], pageUrl));
}

describe.each(engines)('Swagger UI at /docs on $name', ({ name }) => {
  const config = loadConfig({ API_KEY });
  let warehouse: TestWarehouse;
  let api: ApiServer;
  let base: string;

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    const logger = createLogger({ level: 'silent' });
    const scorer = await createScorer({
      db: warehouse.db,
      logger,
      slaHours: config.slaHours,
      timeZone: config.cityTimeZone,
      risk: config.risk,
    });
    api = createApiServer({ config, logger, warehouse, scorer });
    base = `http://127.0.0.1:${(await api.listen(0, '127.0.0.1')).port}`;
  });

  afterAll(async () => {
    await api?.close();
    await warehouse?.dispose();
  });

  it('serves an HTML page that loads only assets of this server, with no inline script', async () => {
    const response = await fetch(`${base}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    const urls = referencedUrls(html, `${base}/docs`);
    expect(urls.map((url) => url.pathname)).toEqual(
      expect.arrayContaining(['/docs/assets/swagger-ui.css', '/docs/assets/swagger-ui-bundle.js', '/docs/assets/civicops-docs.js']),
    );
    for (const url of urls) expect(url.origin).toBe(base);
  });

  it('answers every asset the page references with 200, its content type and caching headers, API key or not', async () => {
    const html = await (await fetch(`${base}/docs`)).text();
    const expectedType: Record<string, RegExp> = { css: /^text\/css/, js: /^text\/javascript/, png: /^image\/png$/ };
    for (const url of referencedUrls(html, `${base}/docs`)) {
      const response = await fetch(url);
      expect(response.status, url.pathname).toBe(200);
      const extension = url.pathname.split('.').pop() ?? '';
      expect(response.headers.get('content-type'), url.pathname).toMatch(expectedType[extension]);
      expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
      expect(response.headers.get('etag')).toBeTruthy();
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  it("serves swagger-ui-dist's own bundle, gzipped for clients that accept it", async () => {
    const original = await readFile(join(resolveSwaggerUiDir(), 'swagger-ui-bundle.js'));
    const plain = await request(`${base}/docs/assets/swagger-ui-bundle.js`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(Buffer.from(await plain.body.arrayBuffer()).equals(original)).toBe(true);
    const zipped = await request(`${base}/docs/assets/swagger-ui-bundle.js`, { headers: { 'accept-encoding': 'gzip, br' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('accept-encoding');
    const bytes = Buffer.from(await zipped.body.arrayBuffer());
    expect(bytes.length).toBeLessThan(original.length / 2);
    expect(gunzipSync(bytes).equals(original)).toBe(true);
  });

  it('answers 304 to a revalidation with the current ETag', async () => {
    const first = await fetch(`${base}/docs/assets/swagger-ui.css`);
    const etag = first.headers.get('etag') ?? '';
    await first.arrayBuffer();
    const again = await fetch(`${base}/docs/assets/swagger-ui.css`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('starts Swagger UI on this server\'s /openapi.json, with "Authorize" kept across reloads', async () => {
    const script = await (await fetch(`${base}/docs/assets/civicops-docs.js`)).text();
    expect(script).toContain('SwaggerUIBundle(');
    expect(script).toContain("url: 'openapi.json'");
    expect(new URL('openapi.json', `${base}/docs`).pathname).toBe('/openapi.json');
    expect(script).toContain('persistAuthorization: true');
    expect(script).toContain('validatorUrl: null');
  });

  it('declares the X-API-Key header scheme that Authorize fills in, and requires it on scoring only', async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as OpenApiDocumentView;
    expect(document.components.securitySchemes.apiKey).toEqual({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(document.paths['/score_ticket'].post.security).toEqual([{ apiKey: [] }]);
    expect(document.paths['/score_tickets'].post.security).toEqual([{ apiKey: [] }]);
    expect(document.paths['/healthz'].get.security).toBeUndefined();
  });

  it('serves no other file of the package and nothing outside it', async () => {
    for (const file of ['package.json', 'index.html', 'swagger-ui-es-bundle.js', '..%2Fpackage.json', '%2e%2e%2f%2e%2e%2fpackage.json']) {
      const response = await fetch(`${base}/docs/assets/${file}`);
      expect(response.status, file).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
    expect((await fetch(`${base}/docs/assets/swagger-ui.css`, { method: 'POST' })).status).toBe(405);
  });
});
