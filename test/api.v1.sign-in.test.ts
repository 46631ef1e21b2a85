import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { modelCardResponseSchema } from '../src/dashboard/build-model-card.js';
import { createApp, type App } from '../src/main.js';
import { createLogger } from '../src/shared/logger.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

const API_KEY = 'k3y-Of-The-City-311-e2a9';

describe.each(engines)('sign-in with API_KEY set ($name)', ({ name }) => {
  let warehouse: TestWarehouse;
  let app: App;
  let base: string;
  const logLines: string[] = [];
  const seen: string[] = [];

  /** A request whose whole reply (status line, headers, body) is kept to check the key never comes back. */
  async function call(path: string, init: RequestInit = {}) {
    const response = await fetch(`${base}${path}`, { redirect: 'manual', ...init });
    const body = await response.text();
    seen.push(response.url, JSON.stringify([...response.headers.entries()]), body);
    return { status: response.status, headers: response.headers, body };
  }

  const form = (key: string, headers: Record<string, string> = {}) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ api_key: key }).toString(),
  });

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
    app = createApp({ config: loadConfig({ API_KEY }), logger, warehouse: { ...warehouse, close: async () => {} } });
    const { port } = await (await app.server()).listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await warehouse?.dispose();
  });

  it('answers an API call without the key with a 401 JSON, and with the X-API-Key header', async () => {
    const denied = await call('/api/v1/model');
    expect(denied.status).toBe(401);
    expect(denied.headers.get('content-type')).toContain('application/json');
    expect(JSON.parse(denied.body).error.code).toBe('UNAUTHORIZED');
    const wrong = await call('/api/v1/model', { headers: { 'x-api-key': 'not-it' } });
    expect(wrong.status).toBe(401);
    const allowed = await call('/api/v1/model', { headers: { 'x-api-key': API_KEY } });
    expect(allowed.status).toBe(200);
    // Before any training the card says so instead of failing.
    expect(modelCardResponseSchema.parse(JSON.parse(allowed.body)).model).toBeNull();
  });

  it('sends a browser without a session from / to the sign-in form', async () => {
    const page = await call('/', { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login');
    const login = await call('/login', { headers: { accept: 'text/html' } });
    expect(login.status).toBe(200);
    expect(login.headers.get('content-type')).toContain('text/html');
    expect(login.body).toContain('<label for="api_key">');
    expect(login.body).toContain('<button type="submit">');
    expect(login.body).toContain('method="post" action="/login"');
  });

  it('shows the form again with "That key is not right" and a 401 for a wrong key', async () => {
    const wrong = await call('/login', form('guess'));
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('That key is not right');
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const notAForm = await call('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(notAForm.status).toBe(415);
  });

  it('sets an HttpOnly, SameSite=Strict session cookie on a right key, which opens the API and the page', async () => {
    const signIn = await call('/login', form(API_KEY));
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('location')).toBe('/');
    const cookie = signIn.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^civicops_session=[A-Za-z0-9_-]{20,}; HttpOnly; SameSite=Strict; Path=\/$/);
    const session = cookie.split(';')[0];

    expect((await call('/api/v1/model', { headers: { cookie: session } })).status).toBe(200);
    expect((await call('/api/v1/filters', { headers: { cookie: session } })).status).toBe(200);
    const page = await call('/', { headers: { cookie: session, accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect((await call('/api/v1/model', { headers: { cookie: 'civicops_session=forged' } })).status).toBe(401);

    // Behind a TLS proxy the cookie is Secure.
    const overHttps = await call('/login', form(API_KEY, { 'x-forwarded-proto': 'https' }));
    expect(overHttps.headers.get('set-cookie')).toContain('; Secure');

    const signOut = await call('/logout', { method: 'POST', headers: { cookie: session } });
    expect(signOut.status).toBe(303);
    expect(signOut.headers.get('location')).toBe('/login');
    expect(signOut.headers.get('set-cookie')).toMatch(/^civicops_session=; .*Max-Age=0/);
  });

  it('returns a shared link to its own view after signing in, and never to another origin', async () => {
    const shared = '/?type=pothole&since=2023-04-01&until=2023-06-30';
    const page = await call(shared, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(303);
    const location = page.headers.get('location') ?? '';
    expect(new URL(location, base).pathname).toBe('/login');
    expect(new URL(location, base).searchParams.get('next')).toBe(shared);
    const login = await call(location, { headers: { accept: 'text/html' } });
    expect(login.body).toContain('<input type="hidden" name="next" value="/?type=pothole&amp;since=2023-04-01&amp;until=2023-06-30">');

    const withNext = (next: string, key = API_KEY) => ({
      ...form(key),
      body: new URLSearchParams({ next, api_key: key }).toString(),
    });
    const signIn = await call('/login', withNext(shared));
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('location')).toBe(shared);
    // A wrong key keeps the way back in the form shown again.
    expect((await call('/login', withNext(shared, 'guess'))).body).toContain('name="next" value="/?type=pothole&amp;');
    for (const elsewhere of ['//evil.example/', '/\\evil.example/', 'https://evil.example/', '/x\r\nset-cookie: a=b']) {
      expect((await call('/login', withNext(elsewhere))).headers.get('location'), elsewhere).toBe('/');
    }
  });

  it('answers the worklist with a 503 JSON before the first training', async () => {
    const worklist = await call('/api/v1/worklist', { headers: { 'x-api-key': API_KEY } });
    expect(worklist.status).toBe(503);
    const error = JSON.parse(worklist.body).error;
    expect(error.code).toBe('MODEL_NOT_TRAINED');
    expect(error.message).toContain('civicops train');
  });

  it('never writes the key to the log or sends it back', async () => {
    expect(logLines.some((line) => line.includes('"http request"'))).toBe(true);
    expect(logLines.join('\n')).not.toContain(API_KEY);
    expect(seen.join('\n')).not.toContain(API_KEY);
  });
});
