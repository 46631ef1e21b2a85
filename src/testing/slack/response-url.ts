/**
 * POSTs to `response_url`s handed out by FakeSlack.responseUrl, recorded under RESPONSE_URL_METHOD.
 * Slack answers these with `{ ok: true }` or `{ ok: false, error }`; scripted faults give e.g. the
 * 404 `used_url` / `expired_url` of a spent or stale URL.
 */
import { RESPONSE_URL_METHOD } from './fake-slack.types.js';
import type { ParsedRequest } from './request-body.js';
import type { SlackFaultBook } from './slack-faults.js';
import type { SlackWorkspace } from './slack-workspace.js';

/** How many times Slack accepts one response_url. */
export const MAX_RESPONSE_URL_USES = 5;

export function handleResponseUrl(
  workspace: SlackWorkspace,
  faults: SlackFaultBook,
  id: string,
  parsed: ParsedRequest,
): { status: number; json: Record<string, unknown> } {
  const fault = faults.take(RESPONSE_URL_METHOD, { ...parsed.body, response_url_id: id });
  if (fault) return { status: fault.status ?? 500, json: { ok: false, error: fault.error ?? 'fatal_error' } };
  if (parsed.parseError) return { status: 400, json: { ok: false, error: 'invalid_payload' } };
  const list = workspace.responses.get(id) ?? [];
  // Slack accepts a response_url up to 5 times (within 30 minutes); the next use is refused.
  if (list.length >= MAX_RESPONSE_URL_USES) return { status: 404, json: { ok: false, error: 'used_url' } };
  list.push(parsed.body);
  workspace.responses.set(id, list);
  return { status: 200, json: { ok: true } };
}
