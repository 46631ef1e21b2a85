import type { IncomingMessage } from 'node:http';
import { HttpRequestError } from './http-errors.js';

// A client that keeps sending far past the limit is cut off instead of drained.
const DRAIN_FACTOR = 8;

function tooLarge(limitBytes: number): HttpRequestError {
  return new HttpRequestError(413, 'BODY_TOO_LARGE', `Request body is larger than ${limitBytes} bytes.`, { connection: 'close' });
}

/**
 * Reads a request body up to `limitBytes`. An oversized body is drained (up to a bound) before
 * the 413 is sent, so the client can read the reply instead of seeing a reset connection.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes * DRAIN_FACTOR) return Promise.reject(tooLarge(limitBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= limitBytes) chunks.push(chunk);
      else if (received > limitBytes * DRAIN_FACTOR) settle(() => reject(tooLarge(limitBytes)));
    });
    req.on('end', () =>
      settle(() =>
        received > limitBytes ? reject(tooLarge(limitBytes)) : resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received)),
      ),
    );
    req.on('error', (error) => settle(() => reject(error)));
    req.on('aborted', () => settle(() => reject(new HttpRequestError(400, 'REQUEST_ABORTED', 'The client aborted the request.'))));
  });
}

const JSON_CONTENT_TYPE = /^application\/json\s*(?:;|$)/i;

/**
 * Throws 415 unless the request says its body is JSON (`application/json`, any case, any
 * parameters): a form post or text/plain that happens to parse is a client bug worth naming.
 */
export function requireJsonContentType(req: IncomingMessage): void {
  const type = req.headers['content-type'];
  if (type !== undefined && JSON_CONTENT_TYPE.test(type)) return;
  const sent = type === undefined ? 'no Content-Type' : `Content-Type ${type}`;
  throw new HttpRequestError(415, 'UNSUPPORTED_MEDIA_TYPE', `The body must be JSON sent as Content-Type: application/json (got ${sent}).`);
}

/** Parses a body as JSON; anything else (including an empty body) is a 400. */
export function parseJsonBody(bytes: Buffer): unknown {
  if (bytes.length === 0) throw new HttpRequestError(400, 'MALFORMED_JSON', 'Request body is empty; send a JSON object.');
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new HttpRequestError(400, 'MALFORMED_JSON', `Request body is not valid JSON: ${(error as Error).message}`);
  }
}
