/**
 * Scripted misbehaviour of the fake SODA resource: HTTP error statuses (429 + Retry-After, HTML
 * gateway pages), bodies cut off mid-way, HTML behind a 200, slow or hung answers and connection
 * resets and bodies that trickle in a byte at a time. Faults queue up and are consumed in order by the next matching requests.
 */
import type { ServerResponse } from 'node:http';
import { InputError } from '../../shared/errors.js';
import type { FakeSodaRequest } from './fake-soda.types.js';
import { sendError, sendHtml } from './soda-responses.js';

/** Narrows a fault to one page and/or several consecutive matching requests. */
export interface FaultTarget {
  /** Only requests whose `$offset` (default 0) equals this match. */
  onOffset?: number;
  /** Only requests whose `$where` contains this text (e.g. ':id >' for keyset pages after the first). */
  whereIncludes?: string;
  /** Let this many matching requests through untouched before the fault applies (default 0). */
  skip?: number;
  /** How many matching requests the fault applies to (default 1). */
  times?: number;
}

/** One scripted misbehaviour; queued faults are consumed in order by the next matching requests. */
export type FakeSodaFault = FaultTarget &
  (
    | { kind: 'status'; status: number; retryAfterSeconds?: number }
    | { kind: 'truncate' }
    | { kind: 'invalid-json' }
    | { kind: 'slow'; delayMs: number }
    | { kind: 'hang' }
    | { kind: 'reset' }
    /** Headers at once, then the body one byte every `intervalMs` (each gap within any idle timeout). */
    | { kind: 'trickle'; intervalMs: number }
  );

/** The queue behind `FakeSoda.fault`, `clearFaults` and `pendingFaults`. */
export interface SodaFaultQueue {
  /** Validates and queues a fault; throws InputError for a malformed one. */
  add(spec: FakeSodaFault): void;
  /** The fault for a request at this `$offset` with this `$where`, consuming one use of it. */
  take(offset: number, where: string): FakeSodaFault | undefined;
  clear(): void;
  pending(): FakeSodaFault[];
}

interface QueuedFault {
  spec: FakeSodaFault;
  remaining: number;
  skipLeft: number;
}

export function createSodaFaultQueue(): SodaFaultQueue {
  const faults: QueuedFault[] = [];
  return {
    add(spec) {
      validateFault(spec);
      faults.push({ spec, remaining: spec.times ?? 1, skipLeft: spec.skip ?? 0 });
    },
    take(offset, where) {
      const index = faults.findIndex(
        (queued) =>
          (queued.spec.onOffset === undefined || queued.spec.onOffset === offset) &&
          (queued.spec.whereIncludes === undefined || where.includes(queued.spec.whereIncludes)),
      );
      if (index < 0) return undefined;
      const queued = faults[index];
      if (queued.skipLeft > 0) {
        queued.skipLeft -= 1;
        return undefined;
      }
      queued.remaining -= 1;
      if (queued.remaining <= 0) faults.splice(index, 1);
      return queued.spec;
    },
    clear() {
      faults.length = 0;
    },
    pending: () => faults.map((queued) => queued.spec),
  };
}

/** Answers a `status` fault as Socrata's edge would: JSON 429/4xx/500, HTML for gateway errors. */
export function sendStatusFault(res: ServerResponse, log: FakeSodaRequest, fault: { status: number; retryAfterSeconds?: number }): void {
  if (fault.status === 429) {
    const retryAfter: Record<string, string> =
      fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
    sendError(res, log, 429, 'too_many_requests', 'Too many requests, please use an app token or slow down', retryAfter);
  } else if (fault.status >= 502 && fault.status <= 504) {
    // Gateway errors come from the load balancer, as HTML.
    sendHtml(res, log, fault.status, 'text/html; charset=utf-8');
  } else {
    sendError(res, log, fault.status, fault.status >= 500 ? 'internal_error' : 'error', `Fake SODA scripted HTTP ${fault.status}`);
  }
}

function validateFault(spec: FakeSodaFault): void {
  if (spec.times !== undefined && (!Number.isInteger(spec.times) || spec.times < 1)) {
    throw new InputError('fault.times must be a positive integer', [{ path: 'times', message: String(spec.times) }]);
  }
  if (spec.kind === 'status' && (!Number.isInteger(spec.status) || spec.status < 400 || spec.status > 599)) {
    throw new InputError('fault.status must be an HTTP error status (400-599)', [{ path: 'status', message: String(spec.status) }]);
  }
  if (spec.kind === 'trickle' && !(spec.intervalMs > 0)) {
    throw new InputError('fault.intervalMs must be > 0', [{ path: 'intervalMs', message: String(spec.intervalMs) }]);
  }
  if (spec.kind === 'slow' && !(spec.delayMs >= 0)) {
    throw new InputError('fault.delayMs must be >= 0', [{ path: 'delayMs', message: String(spec.delayMs) }]);
  }
}
