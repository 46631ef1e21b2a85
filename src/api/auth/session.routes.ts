/**
 * Sign-in for people: GET /login (the form), POST /login (the key, once, in a urlencoded body),
 * POST /logout. A right key sets the session cookie the API-key check accepts; the key itself
 * never travels in a URL, a redirect or a log line.
 */
import type { IncomingMessage } from 'node:http';
import { createApiKeyVerifier, SESSION_COOKIE } from '../api-key.js';
import { HttpRequestError } from '../http-errors.js';
import { readBody } from '../request-body.js';
import type { Reply, RouteGroup } from '../router.js';

/** A sign-in form is a few hundred bytes; anything larger is not one. */
const MAX_LOGIN_BODY_BYTES = 4 * 1024;
export const WRONG_KEY_MESSAGE = 'That key is not right';
const HTML_TYPE = 'text/html; charset=utf-8';
const NO_STORE = { 'cache-control': 'no-store' };

export interface SessionRoutesDeps {
  /** The configured API_KEY; without one the pages say no sign-in is needed. */
  apiKey: string | undefined;
}

/** The request came over https (directly or through a proxy that says so), so the cookie gets Secure. */
function cameOverHttps(req: IncomingMessage): boolean {
  const forwarded = req.headers['x-forwarded-proto'];
  const proto = Array.isArray(forwarded) ? forwarded[0] : forwarded;
  if (proto?.split(',')[0]?.trim().toLowerCase() === 'https') return true;
  return 'encrypted' in req.socket && req.socket.encrypted === true;
}

function sessionCookie(value: string, req: IncomingMessage, maxAgeSeconds?: number): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'HttpOnly',
    'SameSite=Strict',
    'Path=/',
    ...(maxAgeSeconds === undefined ? [] : [`Max-Age=${maxAgeSeconds}`]),
    ...(cameOverHttps(req) ? ['Secure'] : []),
  ].join('; ');
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/**
 * Where to go after signing in: the `next` page when it is a path on this server (so a shared
 * link like /?type=…&since=… lands on its view), else the dashboard. Anything that could leave
 * the origin (`//host`, `/\host`, `https:`) or carries control characters is refused.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next?.startsWith('/') || next.startsWith('//')) return '/';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  return next;
}

/** The sign-in page: one labelled field, one button, and the error line when the key was wrong. */
export function renderLoginPage(options: { error?: string; keyRequired: boolean; next?: string }): string {
  const next = safeNextPath(options.next);
  const nextField = next === '/' ? '' : `\n      <input type="hidden" name="next" value="${escapeHtml(next)}">`;
  const error = options.error
    ? `<p id="login-error" class="error" role="alert">${options.error}</p>`
    : '<p id="login-error" class="error" role="alert" hidden></p>';
  const body = options.keyRequired
    ? `<form method="post" action="/login">${nextField}
      <label for="api_key">API key</label>
      <input id="api_key" name="api_key" type="password" autocomplete="current-password" required aria-describedby="login-error"${options.error ? ' aria-invalid="true"' : ''} autofocus>
      ${error}
      <button type="submit">Sign in</button>
    </form>`
    : `<p>This server has no API key configured: no sign-in is needed. <a href="${escapeHtml(next)}">Open the dashboard</a>.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in – CivicOps-311</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 24rem; margin: 4rem auto; padding: 0 1rem; color: #1a1a1a; }
  label { display: block; font-weight: 600; margin-bottom: .25rem; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; border: 1px solid #555; border-radius: 4px; }
  button { margin-top: 1rem; padding: .5rem 1.25rem; font-size: 1rem; background: #0b5394; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
  button:focus-visible, input:focus-visible { outline: 3px solid #f1c232; outline-offset: 2px; }
  .error { color: #a61c00; font-weight: 600; margin: .5rem 0 0; }
</style>
</head>
<body>
<main>
  <h1>CivicOps-311</h1>
  <p>Sign in with the API key of this server.</p>
  ${body}
</main>
</body>
</html>
`;
}

function htmlReply(status: number, html: string, headers: Record<string, string> = {}): Reply {
  return { status, body: html, contentType: HTML_TYPE, headers: { ...NO_STORE, ...headers } };
}

function seeOther(location: string, headers: Record<string, string> = {}): Reply {
  return { status: 303, body: '', contentType: 'text/plain; charset=utf-8', headers: { ...NO_STORE, location, ...headers } };
}

/** GET/POST /login and POST /logout, public (they are how one gets in). */
export function createSessionRoutes(deps: SessionRoutesDeps): RouteGroup {
  const verifier = createApiKeyVerifier(deps.apiKey);
  const keyRequired = Boolean(deps.apiKey);
  return {
    name: 'session',
    routes: [
      {
        method: 'GET',
        path: '/login',
        access: 'public',
        handle: ({ query }) => htmlReply(200, renderLoginPage({ keyRequired, next: query.get('next') ?? undefined })),
      },
      {
        method: 'POST',
        path: '/login',
        access: 'public',
        async handle({ req }) {
          const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
          if (type !== 'application/x-www-form-urlencoded') {
            throw new HttpRequestError(415, 'UNSUPPORTED_MEDIA_TYPE', 'POST /login takes a form (application/x-www-form-urlencoded).', {
              accept: 'application/x-www-form-urlencoded',
            });
          }
          const form = new URLSearchParams((await readBody(req, MAX_LOGIN_BODY_BYTES)).toString('utf8'));
          const given = form.get('api_key') ?? '';
          const next = safeNextPath(form.get('next'));
          if (!keyRequired) return seeOther(next);
          if (given === '' || !verifier.matches(given)) {
            return htmlReply(401, renderLoginPage({ keyRequired, error: WRONG_KEY_MESSAGE, next }));
          }
          return seeOther(next, { 'set-cookie': sessionCookie(verifier.sessionToken ?? '', req) });
        },
      },
      {
        method: 'POST',
        path: '/logout',
        access: 'public',
        handle: ({ req }) => seeOther('/login', { 'set-cookie': sessionCookie('', req, 0) }),
      },
    ],
  };
}
