import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpRequestError } from './http-errors.js';

/** Name of the session cookie POST /login sets. */
export const SESSION_COOKIE = 'civicops_session';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The session token of a key: an HMAC of a fixed label under the key, so the cookie proves the
 * key was given without carrying it, and every replica (and a restarted server) accepts it.
 */
export function sessionTokenOf(apiKey: string): string {
  return createHmac('sha256', apiKey).update('civicops-session/1').digest('base64url');
}

/** One cookie's value from a Cookie header, or undefined. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** A browser navigating to a page (not a script's fetch): it is sent to the sign-in form instead of a 401. */
function isPageNavigation(req: IncomingMessage): boolean {
  const method = req.method ?? 'GET';
  const accept = req.headers.accept;
  return (method === 'GET' || method === 'HEAD') && typeof accept === 'string' && accept.includes('text/html');
}

export interface ApiKeyVerifier {
  /** Whether a key someone typed is the configured one (constant-time); true when no key is configured. */
  matches(given: string): boolean;
  /** Whether the request carries the key (X-API-Key) or a valid session cookie. */
  isSignedIn(req: IncomingMessage): boolean;
  /** The cookie value that proves sign-in; undefined when no key is configured. */
  readonly sessionToken: string | undefined;
}

/** The one place the configured key is compared: header, typed-in form value and session cookie. */
export function createApiKeyVerifier(apiKey: string | undefined): ApiKeyVerifier {
  if (!apiKey) return { matches: () => true, isSignedIn: () => true, sessionToken: undefined };
  const expected = digest(apiKey);
  const token = sessionTokenOf(apiKey);
  const expectedToken = digest(token);
  // Digests are compared, so the comparison is constant-time whatever the lengths.
  const matches = (given: string) => timingSafeEqual(digest(given), expected);
  return {
    matches,
    sessionToken: token,
    isSignedIn(req) {
      const given = req.headers['x-api-key'];
      if (typeof given === 'string') return matches(given);
      const cookie = readCookie(req, SESSION_COOKIE);
      return cookie !== undefined && timingSafeEqual(digest(cookie), expectedToken);
    },
  };
}

/**
 * The check of 'api-key' routes: a no-op without a configured key, else the X-API-Key header or
 * the session cookie of POST /login must be right. A script gets a 401; a browser navigating to
 * a page (GET accepting text/html) is sent to the sign-in form with a 303 instead.
 */
export function createApiKeyCheck(apiKey: string | undefined): (req: IncomingMessage) => void {
  if (!apiKey) return () => {};
  const verifier = createApiKeyVerifier(apiKey);
  return (req) => {
    if (verifier.isSignedIn(req)) return;
    if (isPageNavigation(req) && req.headers['x-api-key'] === undefined) {
      // The page asked for (with its query: a shared view) is where the sign-in returns to.
      throw new HttpRequestError(303, 'SIGN_IN_REQUIRED', 'Sign in first: see /login.', {
        location: req.url && req.url !== '/' ? `/login?${new URLSearchParams({ next: req.url })}` : '/login',
        'cache-control': 'no-store',
      });
    }
    throw new HttpRequestError(401, 'UNAUTHORIZED', 'Missing or wrong X-API-Key header (or sign in at /login).', {
      'www-authenticate': 'ApiKey header="X-API-Key"',
    });
  };
}
