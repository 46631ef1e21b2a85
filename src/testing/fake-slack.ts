/**
 * A loopback fake of the parts of Slack's Web API this app uses, speaking the real wire format
 * (form-encoded or JSON POSTs, Bearer auth, `{ ok, ... }` bodies, HTTP 429 + Retry-After), so the
 * real @slack/web-api WebClient and Bolt can be pointed at it with `slackApiUrl`.
 * It also serves the file upload URLs handed out by files.getUploadURLExternal and `response_url`s.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Pseudo method name under which POSTs to upload URLs are recorded (and can be failed). */
export const UPLOAD_URL_METHOD = 'upload_url';
/** Pseudo method name under which POSTs to response URLs are recorded (and can be failed). */
export const RESPONSE_URL_METHOD = 'response_url';

const MAX_BODY_BYTES = 20 * 1024 * 1024;
/** Nested arguments WebClient JSON-encodes inside form bodies. */
const JSON_ENCODED_FIELDS = ['blocks', 'attachments', 'view', 'files', 'metadata', 'unfurls'];

export interface FakeSlackOptions {
  /** Port to listen on (127.0.0.1); 0 (default) picks a free one. */
  port?: number;
  /** The only bot token the fake accepts; default `xoxb-test`. */
  botToken?: string;
  /** Channels known up front; default one public channel `C0CIVIC311` (#sla-ops). */
  channels?: { id: string; name: string }[];
  /**
   * When false (default) any channel-shaped id (C…/G…/D…, or U… for a DM) is accepted and created on
   * first use. When true only known channels exist; others answer `channel_not_found`.
   */
  strictChannels?: boolean;
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

export interface FakeSlackFault {
  /** HTTP status; 429 adds `Retry-After`. Omitted → 200 with `{ ok: false, error }`. */
  status?: number;
  /** Seconds for the `Retry-After` header of a 429 (default 1). */
  retryAfterSeconds?: number;
  /** Slack error code for `{ ok: false, error }` (default `ratelimited` for 429, `fatal_error` otherwise). */
  error?: string;
  /** How many consecutive calls fail (default 1). */
  times?: number;
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
  /** Makes the next `times` calls to `method` fail as scripted. */
  failNext(method: string, fault: FakeSlackFault): void;
  /** Adds a known channel (e.g. for strictChannels). */
  addChannel(channel: { id: string; name: string }): void;
  /** Forgets calls, messages, views, uploads, faults and used trigger ids (channels stay). */
  reset(): void;
  close(): Promise<void>;
}

interface ChannelState {
  id: string;
  name: string;
  isMember: boolean;
  created: number;
}

interface PendingFile {
  id: string;
  filename: string;
  declaredLength: number;
  altText?: string;
  upload?: RecordedUpload;
}

interface ParsedRequest {
  body: Record<string, unknown>;
  rawBytes: Buffer;
  /** File parts of a multipart body. */
  fileParts: { name: string; filename?: string; contentType?: string; data: Buffer }[];
  parseError?: string;
}

type ApiResult = { status?: number; headers?: Record<string, string>; json: Record<string, unknown> };
type Handler = (args: Record<string, unknown>) => ApiResult;

class ApiFailure extends Error {
  constructor(
    readonly slackError: string,
    readonly messages: string[] = [],
  ) {
    super(slackError);
  }
}

/**
 * Starts the fake on 127.0.0.1 (port 0 by default). Close it with `close()`.
 */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botToken = options.botToken ?? 'xoxb-test';
  const teamId = 'T0CIVIC311';
  const botUserId = 'U0CIVICBOT';
  const botId = 'B0CIVIC311';
  const appId = 'A0CIVIC311';
  const strictChannels = options.strictChannels ?? false;
  const seedChannels = options.channels ?? [{ id: 'C0CIVIC311', name: 'sla-ops' }];

  const calls: RecordedCall[] = [];
  const faults = new Map<string, { fault: FakeSlackFault; remaining: number }[]>();
  const channels = new Map<string, ChannelState>();
  const messages: FakeMessage[] = [];
  const views = new Map<string, FakeView>();
  const files = new Map<string, PendingFile>();
  const uploads: RecordedUpload[] = [];
  const usedTriggerIds = new Set<string>();
  const responses = new Map<string, Record<string, unknown>[]>();
  const internalErrors: Error[] = [];
  let lastTsMicros = 0n;
  let idCounter = 0;

  const addChannel = (channel: { id: string; name: string }): void => {
    channels.set(channel.id, { id: channel.id, name: channel.name, isMember: true, created: Math.floor(Date.now() / 1000) });
  };
  const seed = (): void => {
    channels.clear();
    for (const channel of seedChannels) addChannel(channel);
  };
  seed();

  /** Slack message timestamps: seconds.microseconds, unique and strictly increasing per workspace. */
  const nextTs = (): string => {
    const nowMicros = BigInt(Date.now()) * 1000n;
    lastTsMicros = nowMicros > lastTsMicros + 100n ? nowMicros - (nowMicros % 100n) : lastTsMicros + 100n;
    const seconds = lastTsMicros / 1_000_000n;
    const micros = lastTsMicros % 1_000_000n;
    return `${seconds}.${micros.toString().padStart(6, '0')}`;
  };
  const nextId = (prefix: string): string => {
    idCounter += 1;
    return `${prefix}0${idCounter.toString(36).toUpperCase().padStart(4, '0')}${randomBytes(3).toString('hex').toUpperCase()}`;
  };

  const resolveChannel = (value: unknown): ChannelState | undefined => {
    if (typeof value !== 'string' || value === '') return undefined;
    const known = channels.get(value);
    if (known) return known;
    const name = value.startsWith('#') ? value.slice(1) : value;
    for (const channel of channels.values()) if (channel.name === name) return channel;
    if (strictChannels) return undefined;
    if (/^[CGD][A-Z0-9]{6,}$/.test(value)) {
      addChannel({ id: value, name: value.toLowerCase() });
      return channels.get(value);
    }
    if (/^[UW][A-Z0-9]{6,}$/.test(value)) {
      // Posting to a user id lands in the bot's DM with them, which Slack reports as a D… channel.
      const dmId = `D${value.slice(1)}`;
      if (!channels.has(dmId)) addChannel({ id: dmId, name: dmId.toLowerCase() });
      return channels.get(dmId);
    }
    return undefined;
  };

  const requireString = (args: Record<string, unknown>, field: string): string => {
    const value = args[field];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number') return String(value);
    throw new ApiFailure('invalid_arguments', [`[ERROR] missing required field: ${field}`]);
  };
  const optionalString = (args: Record<string, unknown>, field: string): string | undefined => {
    const value = args[field];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number') return String(value);
    return undefined;
  };
  const requireChannel = (args: Record<string, unknown>, field = 'channel'): ChannelState => {
    const channel = resolveChannel(args[field]);
    if (!channel) throw new ApiFailure('channel_not_found');
    return channel;
  };
  const readBlocks = (args: Record<string, unknown>): unknown[] | undefined => {
    const blocks = args.blocks;
    if (blocks === undefined || blocks === null || blocks === '') return undefined;
    if (!Array.isArray(blocks)) throw new ApiFailure('invalid_blocks_format');
    if (blocks.length > 50) throw new ApiFailure('invalid_blocks', ['[ERROR] no more than 50 items allowed [json-pointer:/blocks]']);
    blocks.forEach((block, index) => {
      if (typeof block !== 'object' || block === null || typeof (block as { type?: unknown }).type !== 'string') {
        throw new ApiFailure('invalid_blocks', [`[ERROR] missing required field: type [json-pointer:/blocks/${index}]`]);
      }
    });
    return blocks;
  };
  const buildMessageJson = (message: FakeMessage): Record<string, unknown> => ({
    user: botUserId,
    type: 'message',
    ts: message.ts,
    bot_id: botId,
    app_id: appId,
    text: message.text,
    team: teamId,
    bot_profile: { id: botId, app_id: appId, name: 'CivicOps-311', deleted: false, team_id: teamId },
    ...(message.blocks ? { blocks: message.blocks } : {}),
    ...(message.threadTs ? { thread_ts: message.threadTs, parent_user_id: botUserId } : {}),
  });
  const findMessage = (channelId: string, ts: string): FakeMessage | undefined =>
    messages.find((message) => message.channel === channelId && message.ts === ts && message.ephemeralTo === undefined);

  const readView = (args: Record<string, unknown>): Record<string, unknown> => {
    const view = args.view;
    if (typeof view !== 'object' || view === null || Array.isArray(view)) {
      throw new ApiFailure('invalid_arguments', ['[ERROR] missing required field: view']);
    }
    const record = view as Record<string, unknown>;
    if (record.type !== 'modal' && record.type !== 'home') {
      throw new ApiFailure('invalid_arguments', ['[ERROR] must be one of: modal, home [json-pointer:/view/type]']);
    }
    if (record.type === 'modal' && (typeof record.title !== 'object' || record.title === null)) {
      throw new ApiFailure('invalid_arguments', ['[ERROR] missing required field: title [json-pointer:/view]']);
    }
    if (!Array.isArray(record.blocks)) {
      throw new ApiFailure('invalid_arguments', ['[ERROR] missing required field: blocks [json-pointer:/view]']);
    }
    if (record.blocks.length > 100) throw new ApiFailure('invalid_arguments', ['[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]']);
    return record;
  };
  const buildViewJson = (stored: FakeView): Record<string, unknown> => ({
    id: stored.id,
    team_id: teamId,
    type: stored.view.type,
    blocks: stored.view.blocks,
    private_metadata: stored.view.private_metadata ?? '',
    callback_id: stored.view.callback_id ?? '',
    state: { values: {} },
    hash: stored.hash,
    title: stored.view.title,
    clear_on_close: stored.view.clear_on_close ?? false,
    notify_on_close: stored.view.notify_on_close ?? false,
    close: stored.view.close ?? null,
    submit: stored.view.submit ?? null,
    previous_view_id: null,
    root_view_id: stored.id,
    app_id: appId,
    external_id: stored.externalId ?? '',
    app_installed_team_id: teamId,
    bot_id: botId,
  });
  const newViewHash = (): string => `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`;

  const buildFileJson = (file: PendingFile, title: string | undefined, channelId: string | undefined): Record<string, unknown> => {
    const extension = /\.([a-z0-9]+)$/i.exec(file.filename)?.[1]?.toLowerCase() ?? 'binary';
    const mimetype = guessMimeType(extension, file.upload?.firstBytes);
    const created = Math.floor(Date.now() / 1000);
    return {
      id: file.id,
      created,
      timestamp: created,
      name: file.filename,
      title: title ?? file.filename,
      mimetype,
      filetype: extension,
      pretty_type: extension.toUpperCase(),
      user: botUserId,
      user_team: teamId,
      editable: false,
      size: file.upload?.byteLength ?? file.declaredLength,
      mode: 'hosted',
      is_external: false,
      external_type: '',
      is_public: channelId !== undefined,
      public_url_shared: false,
      display_as_bot: false,
      username: '',
      url_private: `https://files.slack.com/files-pri/${teamId}-${file.id}/${encodeURIComponent(file.filename)}`,
      permalink: `https://civicops-test.slack.com/files/${botUserId}/${file.id}/${encodeURIComponent(file.filename)}`,
      alt_txt: file.altText,
      channels: channelId ? [channelId] : [],
      groups: [],
      ims: [],
      comments_count: 0,
    };
  };

  const handlers: Record<string, Handler> = {
    'api.test': (args) => ({ json: { ok: true, args } }),
    'auth.test': () => ({
      json: {
        ok: true,
        url: 'https://civicops-test.slack.com/',
        team: 'CivicOps Test',
        user: 'civicops311',
        team_id: teamId,
        user_id: botUserId,
        bot_id: botId,
        is_enterprise_install: false,
      },
    }),
    'chat.postMessage': (args) => {
      const channel = requireChannel(args);
      const blocks = readBlocks(args);
      const text = optionalString(args, 'text') ?? '';
      if (text === '' && !blocks && args.attachments === undefined) throw new ApiFailure('no_text');
      const threadTs = optionalString(args, 'thread_ts');
      if (threadTs !== undefined) {
        const parent = findMessage(channel.id, threadTs);
        // Slack threads a reply onto the root of the thread even when given a reply's ts.
        if (parent) parent.replyCount += 1;
      }
      const message: FakeMessage = { channel: channel.id, ts: nextTs(), text, blocks, threadTs, replyCount: 0 };
      messages.push(message);
      return { json: { ok: true, channel: channel.id, ts: message.ts, message: buildMessageJson(message) } };
    },
    'chat.postEphemeral': (args) => {
      const channel = requireChannel(args);
      const user = requireString(args, 'user');
      const blocks = readBlocks(args);
      const text = optionalString(args, 'text') ?? '';
      if (text === '' && !blocks && args.attachments === undefined) throw new ApiFailure('no_text');
      const message: FakeMessage = {
        channel: channel.id,
        ts: nextTs(),
        text,
        blocks,
        threadTs: optionalString(args, 'thread_ts'),
        replyCount: 0,
        ephemeralTo: user,
      };
      messages.push(message);
      return { json: { ok: true, message_ts: message.ts } };
    },
    'chat.update': (args) => {
      const channel = requireChannel(args);
      const ts = requireString(args, 'ts');
      const message = findMessage(channel.id, ts);
      if (!message) throw new ApiFailure('message_not_found');
      const blocks = readBlocks(args);
      const text = optionalString(args, 'text');
      if (text === undefined && !blocks && args.attachments === undefined) throw new ApiFailure('no_text');
      if (text !== undefined) message.text = text;
      if (blocks) message.blocks = blocks;
      return { json: { ok: true, channel: channel.id, ts, text: message.text, message: buildMessageJson(message) } };
    },
    'views.open': (args) => {
      const triggerId = requireString(args, 'trigger_id');
      if (!/^\d+\.\d+\.[0-9a-f]+$/.test(triggerId)) throw new ApiFailure('invalid_trigger_id');
      // A trigger id opens exactly one view; a second views.open with it is a bug in the caller.
      if (usedTriggerIds.has(triggerId)) throw new ApiFailure('exchanged_trigger_id');
      const view = readView(args);
      usedTriggerIds.add(triggerId);
      const externalId = typeof view.external_id === 'string' ? view.external_id : undefined;
      const stored: FakeView = { id: nextId('V'), externalId, hash: newViewHash(), view };
      views.set(stored.id, stored);
      return { json: { ok: true, view: buildViewJson(stored) } };
    },
    'views.update': (args) => {
      const viewId = optionalString(args, 'view_id');
      const externalId = optionalString(args, 'external_id');
      if (!viewId && !externalId) throw new ApiFailure('invalid_arguments', ['[ERROR] missing required field: view_id or external_id']);
      const view = readView(args);
      const stored = viewId ? views.get(viewId) : [...views.values()].find((candidate) => candidate.externalId === externalId);
      if (!stored) throw new ApiFailure('not_found');
      const hash = optionalString(args, 'hash');
      if (hash !== undefined && hash !== stored.hash) throw new ApiFailure('hash_conflict');
      stored.view = view;
      stored.hash = newViewHash();
      return { json: { ok: true, view: buildViewJson(stored) } };
    },
    'conversations.info': (args) => {
      const channel = requireChannel(args);
      return { json: { ok: true, channel: buildChannelJson(channel) } };
    },
    'conversations.join': (args) => {
      const channel = requireChannel(args);
      const alreadyIn = channel.isMember;
      channel.isMember = true;
      return {
        json: {
          ok: true,
          channel: buildChannelJson(channel),
          ...(alreadyIn ? { warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } } : {}),
        },
      };
    },
    'files.getUploadURLExternal': (args) => {
      const filename = requireString(args, 'filename');
      const lengthText = requireString(args, 'length');
      const declaredLength = Number(lengthText);
      if (!Number.isInteger(declaredLength) || declaredLength <= 0) {
        throw new ApiFailure('invalid_arguments', ['[ERROR] length must be a positive integer']);
      }
      const file: PendingFile = { id: nextId('F'), filename, declaredLength, altText: optionalString(args, 'alt_text') };
      files.set(file.id, file);
      return { json: { ok: true, upload_url: `${baseUrl}/upload/v1/${file.id}`, file_id: file.id } };
    },
    'files.completeUploadExternal': (args) => {
      const list = args.files;
      if (!Array.isArray(list) || list.length === 0) throw new ApiFailure('invalid_arguments', ['[ERROR] missing required field: files']);
      const channelValue = optionalString(args, 'channel_id') ?? optionalString(args, 'channels');
      const channel = channelValue === undefined ? undefined : resolveChannel(channelValue);
      if (channelValue !== undefined && !channel) throw new ApiFailure('channel_not_found');
      const threadTs = optionalString(args, 'thread_ts');
      if (threadTs !== undefined && !channel) throw new ApiFailure('invalid_arguments', ['[ERROR] thread_ts requires channel_id']);
      const completed = list.map((entry: unknown) => {
        const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
        const file = typeof id === 'string' ? files.get(id) : undefined;
        // A file whose bytes never reached the upload URL cannot be completed.
        if (!file || !file.upload) throw new ApiFailure('file_not_found');
        const title = (entry as { title?: unknown }).title;
        return buildFileJson(file, typeof title === 'string' ? title : undefined, channel?.id);
      });
      if (channel) {
        if (threadTs !== undefined) {
          const parent = findMessage(channel.id, threadTs);
          if (parent) parent.replyCount += 1;
        }
        messages.push({
          channel: channel.id,
          ts: nextTs(),
          text: optionalString(args, 'initial_comment') ?? '',
          blocks: readBlocks(args),
          threadTs,
          replyCount: 0,
          fileIds: completed.map((file) => String(file.id)),
        });
      }
      return { json: { ok: true, files: completed } };
    },
  };

  const buildChannelJson = (channel: ChannelState): Record<string, unknown> => ({
    id: channel.id,
    name: channel.name,
    is_channel: channel.id.startsWith('C'),
    is_group: channel.id.startsWith('G'),
    is_im: channel.id.startsWith('D'),
    is_private: !channel.id.startsWith('C'),
    is_archived: false,
    is_member: channel.isMember,
    created: channel.created,
    creator: 'U0OPSLEAD1',
    name_normalized: channel.name,
    context_team_id: teamId,
  });

  const takeFault = (method: string): FakeSlackFault | undefined => {
    const queue = faults.get(method);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    return head.fault;
  };
  const answerFault = (fault: FakeSlackFault): ApiResult => {
    const status = fault.status ?? 200;
    const headers: Record<string, string> = {};
    if (status === 429) headers['retry-after'] = String(fault.retryAfterSeconds ?? 1);
    const error = fault.error ?? (status === 429 ? 'ratelimited' : 'fatal_error');
    return { status, headers, json: { ok: false, error } };
  };

  const handleApi = (method: string, request: IncomingMessage, parsed: ParsedRequest): ApiResult => {
    const fault = takeFault(method);
    if (fault) return answerFault(fault);
    if (parsed.parseError) return { json: { ok: false, error: parsed.parseError } };
    const authorization = request.headers.authorization;
    const bearer = typeof authorization === 'string' && /^Bearer\s+/i.test(authorization) ? authorization.replace(/^Bearer\s+/i, '').trim() : undefined;
    const token = bearer ?? (typeof parsed.body.token === 'string' ? parsed.body.token : undefined);
    if (!token) return { json: { ok: false, error: 'not_authed' } };
    if (token !== botToken) return { json: { ok: false, error: 'invalid_auth' } };
    const handler = handlers[method];
    if (!handler) return { json: { ok: false, error: 'unknown_method', req_method: method } };
    try {
      return handler(parsed.body);
    } catch (error) {
      if (error instanceof ApiFailure) {
        return {
          json: {
            ok: false,
            error: error.slackError,
            ...(error.messages.length ? { response_metadata: { messages: error.messages } } : {}),
          },
        };
      }
      throw error;
    }
  };

  const handleUpload = (fileId: string, request: IncomingMessage, parsed: ParsedRequest): { status: number; text: string } => {
    const fault = takeFault(UPLOAD_URL_METHOD);
    if (fault) return { status: fault.status ?? 500, text: fault.error ?? 'upload_failed' };
    const file = files.get(fileId);
    if (!file) return { status: 404, text: 'Not Found' };
    // WebClient sends multipart/form-data with one file part; curl-style clients send the raw bytes.
    const part = parsed.fileParts.find((candidate) => candidate.filename !== undefined) ?? parsed.fileParts[0];
    const bytes = part ? part.data : parsed.rawBytes;
    const upload: RecordedUpload = {
      fileId,
      filename: file.filename,
      declaredLength: file.declaredLength,
      contentType: request.headers['content-type'] ?? '',
      byteLength: bytes.length,
      firstBytes: Buffer.from(bytes.subarray(0, 16)),
      bytes,
      at: new Date(),
    };
    file.upload = upload;
    uploads.push(upload);
    return { status: 200, text: `OK - ${bytes.length}` };
  };

  const handleResponseUrl = (id: string, parsed: ParsedRequest): { status: number; json: Record<string, unknown> } => {
    const fault = takeFault(RESPONSE_URL_METHOD);
    if (fault) return { status: fault.status ?? 500, json: { ok: false, error: fault.error ?? 'fatal_error' } };
    if (parsed.parseError) return { status: 400, json: { ok: false, error: 'invalid_payload' } };
    const list = responses.get(id) ?? [];
    list.push(parsed.body);
    responses.set(id, list);
    return { status: 200, json: { ok: true } };
  };

  const handleRequest = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', baseUrl);
    const at = new Date();
    const rawBytes = await readBody(request);
    if (rawBytes === undefined) {
      response.writeHead(413, { 'content-type': 'text/plain' }).end('Request Entity Too Large');
      return;
    }
    const parsed = parseRequestBody(request.headers['content-type'], rawBytes, url.searchParams);
    const record = (method: string, body: Record<string, unknown>, status: number, answer: unknown): void => {
      calls.push({ method, body, headers: request.headers, at, status, response: answer });
    };

    const apiMatch = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (apiMatch && (request.method === 'POST' || request.method === 'GET')) {
      const method = apiMatch[1] ?? '';
      const result = handleApi(method, request, parsed);
      const status = result.status ?? 200;
      record(method, parsed.body, status, result.json);
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...result.headers });
      response.end(JSON.stringify(result.json));
      return;
    }
    const uploadMatch = /^\/upload\/v1\/([A-Za-z0-9]+)$/.exec(url.pathname);
    if (uploadMatch && request.method === 'POST') {
      const result = handleUpload(uploadMatch[1] ?? '', request, parsed);
      record(UPLOAD_URL_METHOD, { file_id: uploadMatch[1], byte_length: uploads.at(-1)?.byteLength }, result.status, result.text);
      response.writeHead(result.status, { 'content-type': 'text/plain; charset=utf-8' }).end(result.text);
      return;
    }
    const responseMatch = /^\/response\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    if (responseMatch && request.method === 'POST') {
      const result = handleResponseUrl(responseMatch[1] ?? '', parsed);
      record(RESPONSE_URL_METHOD, { ...parsed.body, response_url_id: responseMatch[1] }, result.status, result.json);
      response.writeHead(result.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(result.json));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
  };

  const server = createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      const failure = error instanceof Error ? error : new Error(String(error));
      internalErrors.push(failure);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: false, error: 'fake_slack_internal', detail: failure.message }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    apiUrl: `${baseUrl}/api/`,
    baseUrl,
    botToken,
    teamId,
    botUserId,
    botId,
    calls,
    callsTo: (method) => calls.filter((call) => call.method === method),
    responseUrl: (id = randomBytes(8).toString('hex')) => `${baseUrl}/response/${id}`,
    responsesTo: (id) => [...(responses.get(id) ?? [])],
    messagesIn: (channelId) => messages.filter((message) => message.channel === channelId),
    views,
    uploads,
    internalErrors,
    failNext: (method, fault) => {
      const queue = faults.get(method) ?? [];
      queue.push({ fault, remaining: Math.max(1, fault.times ?? 1) });
      faults.set(method, queue);
    },
    addChannel,
    reset: () => {
      calls.length = 0;
      faults.clear();
      messages.length = 0;
      views.clear();
      files.clear();
      uploads.length = 0;
      usedTriggerIds.clear();
      responses.clear();
      internalErrors.length = 0;
      seed();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets from WebClient's agent would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

/** Reads a request body; undefined when it exceeds MAX_BODY_BYTES. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(buffer);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

function parseRequestBody(contentTypeHeader: string | undefined, raw: Buffer, query: URLSearchParams): ParsedRequest {
  const contentType = (contentTypeHeader ?? '').toLowerCase();
  const body: Record<string, unknown> = Object.fromEntries(query.entries());
  const fileParts: ParsedRequest['fileParts'] = [];
  if (contentType.startsWith('application/json')) {
    if (raw.length === 0) return { body, rawBytes: raw, fileParts };
    try {
      const value: unknown = JSON.parse(raw.toString('utf8'));
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return { body, rawBytes: raw, fileParts, parseError: 'invalid_json' };
      }
      return { body: { ...body, ...(value as Record<string, unknown>) }, rawBytes: raw, fileParts };
    } catch {
      // Slack answers malformed JSON with an error code rather than failing the connection.
      return { body, rawBytes: raw, fileParts, parseError: 'invalid_json' };
    }
  }
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) body[key] = value;
    if (typeof body.payload === 'string') body.payload = decodeJsonField(body.payload);
  } else if (contentType.startsWith('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentTypeHeader ?? '');
    const boundaryText = boundary?.[1] ?? boundary?.[2];
    if (boundaryText) {
      for (const part of parseMultipart(raw, boundaryText)) {
        if (part.filename !== undefined || (part.contentType && !part.contentType.startsWith('text/'))) fileParts.push(part);
        else body[part.name] = part.data.toString('utf8');
      }
    }
  }
  for (const field of JSON_ENCODED_FIELDS) {
    if (typeof body[field] === 'string') body[field] = decodeJsonField(body[field]);
  }
  return { body, rawBytes: raw, fileParts };
}

/** JSON-decodes a form field, keeping the raw string when it is not JSON (Slack then rejects it). */
function decodeJsonField(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function parseMultipart(raw: Buffer, boundary: string): { name: string; filename?: string; contentType?: string; data: Buffer }[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { name: string; filename?: string; contentType?: string; data: Buffer }[] = [];
  let position = raw.indexOf(delimiter);
  while (position !== -1) {
    const afterDelimiter = position + delimiter.length;
    // `--boundary--` closes the body.
    if (raw.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const headerStart = afterDelimiter + 2; // skip CRLF
    const headerEnd = raw.indexOf('\r\n\r\n', headerStart);
    if (headerEnd === -1) break;
    const next = raw.indexOf(delimiter, headerEnd + 4);
    if (next === -1) break;
    const headerText = raw.subarray(headerStart, headerEnd).toString('utf8');
    const data = raw.subarray(headerEnd + 4, next - 2); // part data ends with CRLF before the delimiter
    const disposition = /content-disposition:[^\r\n]*/i.exec(headerText)?.[0] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '';
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    const contentType = /content-type:\s*([^\r\n]+)/i.exec(headerText)?.[1]?.trim();
    parts.push({ name, filename, contentType, data: Buffer.from(data) });
    position = next;
  }
  return parts;
}

function guessMimeType(extension: string, firstBytes: Buffer | undefined): string {
  if (firstBytes && firstBytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  const byExtension: Record<string, string> = {
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    svg: 'image/svg+xml',
    csv: 'text/csv',
    txt: 'text/plain',
    json: 'application/json',
    pdf: 'application/pdf',
  };
  return byExtension[extension] ?? 'application/octet-stream';
}
