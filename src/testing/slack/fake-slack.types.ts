/** The public shape of the fake Slack Web API: options, recorded calls, stored state and handle. */
import type { IncomingHttpHeaders } from 'node:http';

/** Pseudo method name under which POSTs to upload URLs are recorded (and can be failed). */
export const UPLOAD_URL_METHOD = 'upload_url';
/** Pseudo method name under which POSTs to response URLs are recorded (and can be failed). */
export const RESPONSE_URL_METHOD = 'response_url';
/** How long a trigger id can open a view after Slack issued it (3 s, as in Slack). */
export const TRIGGER_ID_LIFETIME_MS = 3_000;

export interface FakeSlackOptions {
  /** Port to listen on (127.0.0.1); 0 (default) picks a free one. */
  port?: number;
  /** The only bot token the fake accepts; default `xoxb-test`. */
  botToken?: string;
  /**
   * Channels known up front; default one public channel `C0CIVIC311` (#sla-ops). The bot is a
   * member unless `isMember: false`: then chat.postMessage and file shares there answer
   * `not_in_channel`, as Slack does without `chat:write.public`.
   */
  channels?: { id: string; name: string; isMember?: boolean }[];
  /**
   * When false (default) any channel-shaped id (C…/G…/D…, or U… for a DM) is accepted and created on
   * first use. When true only known channels exist; others answer `channel_not_found`.
   */
  strictChannels?: boolean;
  /**
   * The fake's clock in epoch milliseconds (default `Date.now`), read to age the trigger ids it
   * issues; a test passes its own to expire one without sleeping.
   */
  now?: () => number;
}

/** One request the fake received, in arrival order. */
export interface RecordedCall {
  /** Web API method (`chat.postMessage`), or UPLOAD_URL_METHOD / RESPONSE_URL_METHOD. */
  method: string;
  /** Parsed arguments; JSON-encoded form fields (blocks, view, files, ...) are decoded. */
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  at: Date;
  /** HTTP status the fake answered with. */
  status: number;
  /** The JSON (or text) the fake answered with. */
  response: unknown;
}

/**
 * A scripted failure of one method. Web API methods answer Slack's envelope
 * `{ ok: false, error, response_metadata?: { messages } }`; RESPONSE_URL_METHOD answers
 * `{ ok: false, error }` (e.g. 404 `used_url` / `expired_url`); UPLOAD_URL_METHOD answers the
 * error as plain text.
 */
export interface FakeSlackFault {
  /** HTTP status; 429 adds `Retry-After`. Omitted → 200 with `{ ok: false, error }` (500 for response and upload URLs). */
  status?: number;
  /** Seconds for the `Retry-After` header of a 429 (default 1). */
  retryAfterSeconds?: number;
  /** Slack error code for `{ ok: false, error }` (default `ratelimited` for 429, `fatal_error` otherwise). */
  error?: string;
  /** `response_metadata.messages` of a Web API error, as Slack sends with `invalid_blocks` or `invalid_arguments`. */
  messages?: string[];
  /**
   * Only calls whose arguments satisfy this fail (e.g. one channel for `not_in_channel`); others
   * pass and do not use the fault up. Response URL calls see their id as `response_url_id`.
   */
  when?: (args: Record<string, unknown>) => boolean;
  /** How many consecutive (matching) calls fail (default 1). */
  times?: number;
  /**
   * Carry the call out (the message is stored), then close the connection without answering: what
   * a client sees when Slack accepted a post but the answer was lost (a timeout, a dropped socket).
   * Web API methods only; `status`, `error` and `messages` are ignored.
   */
  acceptThenDrop?: boolean;
  /**
   * Carry the call out (the message is stored and the call recorded), then wait for the promise
   * this returns before answering: the moment between Slack accepting a post and the client
   * hearing of it, e.g. to kill the client process right there. A client gone by then gets no
   * answer. Web API methods only; `status`, `error` and `messages` are ignored.
   */
  holdAnswer?: (args: Record<string, unknown>) => Promise<void>;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  threadTs?: string;
  replyCount: number;
  /** Set for chat.postEphemeral: the only user who sees it. */
  ephemeralTo?: string;
  fileIds?: string[];
  /** Message metadata as posted (`chat.postMessage` / `chat.update` `metadata`). */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

export interface FakeView {
  id: string;
  externalId?: string;
  hash: string;
  view: Record<string, unknown>;
}

export interface RecordedUpload {
  fileId: string;
  /** Filename sent to files.getUploadURLExternal. */
  filename: string;
  /** Length declared to files.getUploadURLExternal. */
  declaredLength: number;
  /** Content type of the upload request (multipart/form-data for WebClient, or the raw type). */
  contentType: string;
  byteLength: number;
  /** The first 16 bytes, e.g. to check a PNG signature. */
  firstBytes: Buffer;
  bytes: Buffer;
  at: Date;
}

export interface FakeSlack {
  /** Base URL for WebClient's `slackApiUrl`, e.g. `http://127.0.0.1:PORT/api/`. */
  readonly apiUrl: string;
  /** `http://127.0.0.1:PORT`. */
  readonly baseUrl: string;
  readonly botToken: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  /** Every request received since start or the last reset(), oldest first. */
  readonly calls: readonly RecordedCall[];
  /** Calls to one method, oldest first. */
  callsTo(method: string): RecordedCall[];
  /** A `response_url` on the fake; POSTs to it are recorded under RESPONSE_URL_METHOD. */
  responseUrl(id?: string): string;
  /** Bodies POSTed to one response URL id, oldest first. */
  responsesTo(id: string): Record<string, unknown>[];
  /** Messages (including ephemeral ones and thread replies) in a channel, oldest first. */
  messagesIn(channelId: string): FakeMessage[];
  /** Views opened and currently held (by view id). */
  readonly views: ReadonlyMap<string, FakeView>;
  /** Bytes received on upload URLs, oldest first. */
  readonly uploads: readonly RecordedUpload[];
  /** Errors thrown inside the fake while handling a request (answered with HTTP 500); should stay empty. */
  readonly internalErrors: readonly Error[];
  /**
   * A trigger id as Slack hands one out with a slash command or an interaction, its issue time
   * taken from the fake's clock: `views.open` with it answers `expired_trigger_id` once it is more
   * than TRIGGER_ID_LIFETIME_MS old. Trigger ids the fake did not issue never expire.
   */
  issueTriggerId(): string;
  /** Makes the next `times` (matching) calls to `method` fail as scripted. */
  failNext(method: string, fault: FakeSlackFault): void;
  /** Adds a known channel (e.g. for strictChannels); `isMember: false` for one the bot was not invited to. */
  addChannel(channel: { id: string; name: string; isMember?: boolean }): void;
  /** Forgets calls, messages, views, uploads, faults and issued and used trigger ids (channels stay). */
  reset(): void;
  close(): Promise<void>;
}
