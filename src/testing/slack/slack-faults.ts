/**
 * Scripted failures per method (`FakeSlack.failNext`): each method has its own queue, consumed in
 * order by the next calls whose arguments match. How a fault is answered depends on the endpoint:
 * see answerApiFault and the upload/response URL handlers.
 */
import type { FakeSlackFault } from './fake-slack.types.js';
import type { MethodArgs } from './slack-args.js';
import type { ApiResult } from './slack-api.js';

export interface SlackFaultBook {
  /** Queues a fault for the next `times` matching calls to `method`. */
  add(method: string, fault: FakeSlackFault): void;
  /** The fault that applies to this call, consuming one use of it. */
  take(method: string, args: MethodArgs): FakeSlackFault | undefined;
  clear(): void;
}

interface QueuedFault {
  fault: FakeSlackFault;
  remaining: number;
}

export function createSlackFaultBook(): SlackFaultBook {
  const faults = new Map<string, QueuedFault[]>();
  return {
    add(method, fault) {
      const queue = faults.get(method) ?? [];
      queue.push({ fault, remaining: Math.max(1, fault.times ?? 1) });
      faults.set(method, queue);
    },
    take(method, args) {
      const queue = faults.get(method);
      if (!queue) return undefined;
      const index = queue.findIndex((queued) => queued.fault.when === undefined || queued.fault.when(args));
      if (index < 0) return undefined;
      const queued = queue[index];
      queued.remaining -= 1;
      if (queued.remaining <= 0) queue.splice(index, 1);
      return queued.fault;
    },
    clear() {
      faults.clear();
    },
  };
}

/** A Web API method's scripted answer: Slack's error envelope, HTTP 200 unless a status is given. */
export function answerApiFault(fault: FakeSlackFault): ApiResult {
  const status = fault.status ?? 200;
  const headers: Record<string, string> = {};
  if (status === 429) headers['retry-after'] = String(fault.retryAfterSeconds ?? 1);
  const error = fault.error ?? (status === 429 ? 'ratelimited' : 'fatal_error');
  return { status, headers, json: slackErrorBody(error, fault.messages ?? []) };
}

/** `{ ok: false, error }`, with `response_metadata.messages` when there are any. */
export function slackErrorBody(error: string, messages: string[]): Record<string, unknown> {
  return { ok: false, error, ...(messages.length ? { response_metadata: { messages } } : {}) };
}
