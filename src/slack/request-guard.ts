/**
 * Checks on a request to /slack/events made before Bolt sees it: the request's timestamp must be
 * within 5 minutes of now in either direction (Bolt itself only rejects old ones), and the body
 * must fit a small limit (Slack's payloads are a few KiB; Bolt would buffer any size).
 */
import type { IncomingMessage } from 'node:http';
import { HttpRequestError } from '../api/http-errors.js';
import { readBody } from '../api/request-body.js';

/** Largest body accepted at /slack/events; Slack's own payloads stay far below it. */
export const SLACK_MAX_BODY_BYTES = 1024 * 1024;

/** How far X-Slack-Request-Timestamp may be from now, either way (Slack's recommendation). */
export const SLACK_TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

/** An IncomingMessage whose body was already read; Bolt's HTTPReceiver uses `rawBody` instead of reading again. */
type BufferedRequest = IncomingMessage & { rawBody?: Buffer };

/**
 * Throws HttpRequestError 401 when the timestamp is too far from `nowMs`. A request without the
 * header is left to Bolt, which answers 401 to it unless it is Slack's unsigned ssl_check.
 */
export function checkSlackTimestamp(req: IncomingMessage, nowMs: number): void {
  const header = req.headers['x-slack-request-timestamp'];
  if (header === undefined) return;
  const seconds = typeof header === 'string' && /^\d{1,12}$/.test(header) ? Number(header) : Number.NaN;
  if (Number.isNaN(seconds) || Math.abs(nowMs / 1000 - seconds) > SLACK_TIMESTAMP_TOLERANCE_SECONDS) {
    throw new HttpRequestError(401, 'STALE_REQUEST', 'X-Slack-Request-Timestamp is more than 5 minutes from now.', { connection: 'close' });
  }
}

/**
 * Runs both checks and reads the body (413 beyond `maxBodyBytes`, whether declared by
 * Content-Length or found while streaming), leaving it on the request for Bolt.
 */
export async function guardSlackRequest(req: IncomingMessage, options: { nowMs: number; maxBodyBytes?: number }): Promise<void> {
  checkSlackTimestamp(req, options.nowMs);
  const body = await readBody(req, options.maxBodyBytes ?? SLACK_MAX_BODY_BYTES);
  (req as BufferedRequest).rawBody = body;
}
