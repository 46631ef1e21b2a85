import type { z } from 'zod';
import { CivicOpsError, InputError, ModelChangedError, ModelNotTrainedError, UnknownRequestTypeError } from '../shared/errors.js';
import type { ErrorResponse } from './score-ticket.schema.js';

/**
 * A failure that only exists at the HTTP layer (malformed JSON, body too large, wrong route,
 * missing API key). Domain failures stay CivicOpsError subclasses and are mapped below.
 */
export class HttpRequestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpRequestError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export interface HttpErrorReply {
  status: number;
  headers: Record<string, string>;
  body: ErrorResponse;
  /** True when the error is a bug or an outage (logged with its stack), not the caller's mistake. */
  unexpected: boolean;
}

/**
 * The one place errors become HTTP replies. Messages of known errors are written for callers;
 * anything else gets a generic 500 (the stack goes to the log only, keyed by request_id).
 */
export function mapErrorToHttp(error: unknown, requestId: string): HttpErrorReply {
  const reply = (
    status: number,
    code: string,
    message: string,
    extra: Partial<ErrorResponse['error']> = {},
    headers: Record<string, string> = {},
  ) => ({
    status,
    headers,
    body: { error: { code, message, ...extra, request_id: requestId } },
    unexpected: status >= 500 && code !== 'MODEL_NOT_TRAINED' && code !== 'MODEL_CHANGED',
  });
  if (error instanceof HttpRequestError) return reply(error.status, error.code, error.message, {}, error.headers);
  if (error instanceof InputError) return reply(422, error.code, error.message, { fields: error.fields });
  if (error instanceof UnknownRequestTypeError) return reply(422, error.code, error.message, { suggestions: error.suggestions });
  if (error instanceof ModelNotTrainedError) {
    return reply(503, error.code, 'No trained model yet: run `civicops train` on the server, then retry.', {}, { 'retry-after': '60' });
  }
  if (error instanceof ModelChangedError) return reply(503, error.code, error.message, {}, { 'retry-after': '1' });
  if (error instanceof CivicOpsError && error.code === 'NOT_FOUND') return reply(404, error.code, error.message);
  return reply(500, 'INTERNAL', 'Internal server error; the request id identifies it in the server log.');
}

/** Every zod issue as a field path ("tickets.3.request_type"); unknown keys are listed one by one. */
export function toFieldErrors(issues: readonly z.core.$ZodIssue[]): { path: string; message: string }[] {
  const fields: { path: string; message: string }[] = [];
  for (const issue of issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields.push({ path: [...base, key].join('.'), message: 'Unknown field' });
    } else {
      fields.push({ path: base.length ? base.join('.') : '(body)', message: issue.message });
    }
  }
  return fields;
}

/** Validates a parsed JSON body; a mismatch becomes one InputError naming every bad field. */
export function parseWithSchema<Schema extends z.ZodType>(schema: Schema, value: unknown): z.infer<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fields = toFieldErrors(parsed.error.issues);
  throw new InputError(`Request body does not match the schema: ${fields.map((field) => field.path).join(', ')}`, fields);
}
