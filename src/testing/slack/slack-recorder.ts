/** Every request the fake answered, and every error it hit itself, in arrival order. */
import type { IncomingHttpHeaders } from 'node:http';
import type { RecordedCall } from './fake-slack.types.js';

export interface SlackRecorder {
  /** Live list behind FakeSlack.calls. */
  readonly calls: RecordedCall[];
  /** Live list behind FakeSlack.internalErrors. */
  readonly internalErrors: Error[];
  record(call: {
    method: string;
    body: Record<string, unknown>;
    headers: IncomingHttpHeaders;
    at: Date;
    status: number;
    response: unknown;
  }): void;
  callsTo(method: string): RecordedCall[];
  clear(): void;
}

export function createSlackRecorder(): SlackRecorder {
  const calls: RecordedCall[] = [];
  const internalErrors: Error[] = [];
  return {
    calls,
    internalErrors,
    record: (call) => {
      calls.push({ ...call });
    },
    callsTo: (method) => calls.filter((call) => call.method === method),
    clear: () => {
      calls.length = 0;
      internalErrors.length = 0;
    },
  };
}
