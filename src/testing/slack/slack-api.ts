/**
 * The Web API dispatcher: scripted faults first, then body errors, Bearer (or `token`) auth, the
 * method table and Slack's `{ ok: false, error }` envelope for SlackApiFailure.
 */
import type { IncomingMessage } from 'node:http';
import { SlackApiFailure, type MethodArgs } from './slack-args.js';
import { answerApiFault, slackErrorBody, type SlackFaultBook } from './slack-faults.js';
import type { ParsedRequest } from './request-body.js';

/** What a method answers: HTTP status (default 200), extra headers and the JSON body. */
export type ApiResult = {
  status?: number;
  headers?: Record<string, string>;
  json: Record<string, unknown>;
  /** Close the connection instead of answering (the call took effect: see FakeSlackFault.acceptThenDrop). */
  drop?: boolean;
  /** Answer only once this settles (the call took effect: see FakeSlackFault.holdAnswer). */
  hold?: Promise<void>;
};
export type MethodHandler = (args: MethodArgs) => ApiResult;
/** Handlers by Web API method name (`chat.postMessage`). */
export type MethodTable = Record<string, MethodHandler>;

export interface ApiContext {
  botToken: string;
  faults: SlackFaultBook;
  methods: MethodTable;
}

export function handleApiCall(context: ApiContext, method: string, request: IncomingMessage, parsed: ParsedRequest): ApiResult {
  const fault = context.faults.take(method, parsed.body);
  if (fault && !fault.acceptThenDrop && !fault.holdAnswer) return answerApiFault(fault);
  if (parsed.parseError) return { json: { ok: false, error: parsed.parseError } };
  const token = readToken(request, parsed.body);
  if (!token) return { json: { ok: false, error: 'not_authed' } };
  if (token !== context.botToken) return { json: { ok: false, error: 'invalid_auth' } };
  const handler = Object.hasOwn(context.methods, method) ? context.methods[method] : undefined;
  if (!handler) return { json: { ok: false, error: 'unknown_method', req_method: method } };
  try {
    const result = handler(parsed.body);
    if (fault?.acceptThenDrop) return { ...result, drop: true };
    return fault?.holdAnswer ? { ...result, hold: fault.holdAnswer(parsed.body) } : result;
  } catch (error) {
    if (error instanceof SlackApiFailure) return { json: slackErrorBody(error.slackError, error.messages) };
    throw error;
  }
}

/** The Bearer token of the Authorization header, else the `token` argument. */
function readToken(request: IncomingMessage, body: MethodArgs): string | undefined {
  const authorization = request.headers.authorization;
  const bearer =
    typeof authorization === 'string' && /^Bearer\s+/i.test(authorization) ? authorization.replace(/^Bearer\s+/i, '').trim() : undefined;
  return bearer ?? (typeof body.token === 'string' ? body.token : undefined);
}
