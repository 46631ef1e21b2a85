import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpRequestError } from './http-errors.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The X-API-Key check of 'api-key' routes: a no-op without a configured key, else a 401 for a
 * missing or different key. Digests are compared, so the comparison is constant-time whatever the lengths.
 */
export function createApiKeyCheck(apiKey: string | undefined): (req: IncomingMessage) => void {
  if (!apiKey) return () => {};
  const expected = digest(apiKey);
  return (req) => {
    const given = req.headers['x-api-key'];
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) {
      throw new HttpRequestError(401, 'UNAUTHORIZED', 'Missing or wrong X-API-Key header.', {
        'www-authenticate': 'ApiKey header="X-API-Key"',
      });
    }
  };
}
