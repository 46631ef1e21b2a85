/**
 * A loopback fake of the parts of Slack's Web API this app uses, speaking the real wire format
 * (form-encoded or JSON POSTs, Bearer auth, `{ ok, ... }` bodies, HTTP 429 + Retry-After), so the
 * real @slack/web-api WebClient and Bolt can be pointed at it with `slackApiUrl`.
 * It also serves the file upload URLs handed out by files.getUploadURLExternal and `response_url`s.
 * This file routes HTTP; the methods live in `*.methods.ts`, the state in slack-workspace.ts.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTriggerId } from '../slack-signing.js';
import { createAuthMethods } from './auth.methods.js';
import { createChatMethods } from './chat.methods.js';
import { createConversationsMethods } from './conversations.methods.js';
import { RESPONSE_URL_METHOD, UPLOAD_URL_METHOD, type FakeSlack, type FakeSlackOptions } from './fake-slack.types.js';
import { createFilesMethods, handleUploadUrl } from './files.methods.js';
import { parseRequestBody, readBody } from './request-body.js';
import { handleResponseUrl } from './response-url.js';
import { handleApiCall, type ApiContext } from './slack-api.js';
import { createSlackFaultBook, type SlackFaultBook } from './slack-faults.js';
import { createSlackRecorder, type SlackRecorder } from './slack-recorder.js';
import { createSlackWorkspace, type SlackWorkspace } from './slack-workspace.js';
import { createViewsMethods } from './views.methods.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

interface FakeSlackContext {
  workspace: SlackWorkspace;
  faults: SlackFaultBook;
  recorder: SlackRecorder;
  api: ApiContext;
}

/**
 * Starts the fake on 127.0.0.1 (port 0 by default). Close it with `close()`.
 */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botToken = options.botToken ?? 'xoxb-test';
  let context: FakeSlackContext | undefined;
  const server = createServer((request, response) => {
    // The context needs the bound port, so it is set right after listen() resolves.
    const ready = context;
    if (!ready) {
      response.writeHead(503, { 'content-type': 'text/plain' }).end('Starting');
      return;
    }
    handleRequest(ready, request, response).catch((error: unknown) => answerInternalError(ready.recorder, response, error));
  });
  // Keep idle connections open longer than a slow test takes between calls (Node's default is 5 s):
  // a client reusing a socket the fake had just closed would see ECONNRESET, which a client that
  // never re-sends a possibly-accepted post (createSlackWebClient) rightly does not retry.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  await listen(server, options.port ?? 0);
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const workspace = createSlackWorkspace({
    baseUrl,
    seedChannels: options.channels ?? [{ id: 'C0CIVIC311', name: 'sla-ops' }],
    strictChannels: options.strictChannels ?? false,
    now: options.now,
  });
  const faults = createSlackFaultBook();
  const recorder = createSlackRecorder();
  const methods = {
    ...createAuthMethods(workspace),
    ...createChatMethods(workspace),
    ...createViewsMethods(workspace),
    ...createConversationsMethods(workspace),
    ...createFilesMethods(workspace),
  };
  context = { workspace, faults, recorder, api: { botToken, faults, methods } };
  return buildHandle(context, server, botToken);
}

function buildHandle(context: FakeSlackContext, server: Server, botToken: string): FakeSlack {
  const { workspace, faults, recorder } = context;
  return {
    apiUrl: `${workspace.baseUrl}/api/`,
    baseUrl: workspace.baseUrl,
    botToken,
    teamId: workspace.teamId,
    botUserId: workspace.botUserId,
    botId: workspace.botId,
    calls: recorder.calls,
    callsTo: (method) => recorder.callsTo(method),
    responseUrl: (id = randomBytes(8).toString('hex')) => `${workspace.baseUrl}/response/${id}`,
    responsesTo: (id) => [...(workspace.responses.get(id) ?? [])],
    messagesIn: (channelId) => workspace.messages.filter((message) => message.channel === channelId),
    views: workspace.views,
    uploads: workspace.uploads,
    internalErrors: recorder.internalErrors,
    issueTriggerId: () => {
      const triggerId = createTriggerId();
      workspace.issuedTriggerIds.set(triggerId, workspace.now());
      return triggerId;
    },
    failNext: (method, fault) => faults.add(method, fault),
    addChannel: (channel) => workspace.addChannel(channel),
    reset: () => {
      recorder.clear();
      faults.clear();
      workspace.reset();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets from WebClient's agent would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Routes `/api/{method}`, `/upload/v1/{fileId}` and `/response/{id}`; anything else is 404. */
async function handleRequest(context: FakeSlackContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { workspace, faults, recorder } = context;
  const url = new URL(request.url ?? '/', workspace.baseUrl);
  const at = new Date();
  const rawBytes = await readBody(request);
  if (rawBytes === undefined) {
    response.writeHead(413, { 'content-type': 'text/plain' }).end('Request Entity Too Large');
    return;
  }
  const parsed = parseRequestBody(request.headers['content-type'], rawBytes, url.searchParams);
  const record = (method: string, body: Record<string, unknown>, status: number, answer: unknown): void =>
    recorder.record({ method, body, headers: request.headers, at, status, response: answer });

  const apiMatch = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
  if (apiMatch && (request.method === 'POST' || request.method === 'GET')) {
    const method = apiMatch[1] ?? '';
    const result = handleApiCall(context.api, method, request, parsed);
    const status = result.status ?? 200;
    record(method, parsed.body, status, result.drop ? 'connection dropped after the call took effect' : result.json);
    if (result.drop) {
      request.socket.destroy();
      return;
    }
    if (result.hold) {
      await result.hold;
      // The client went away while the answer was held (e.g. its process was killed).
      if (response.destroyed || request.socket.destroyed) return;
    }
    response.writeHead(status, { 'content-type': JSON_CONTENT_TYPE, ...result.headers });
    response.end(JSON.stringify(result.json));
    return;
  }
  const uploadMatch = /^\/upload\/v1\/([A-Za-z0-9]+)$/.exec(url.pathname);
  if (uploadMatch && request.method === 'POST') {
    const result = handleUploadUrl(workspace, faults, uploadMatch[1] ?? '', request, parsed);
    record(UPLOAD_URL_METHOD, { file_id: uploadMatch[1], byte_length: workspace.uploads.at(-1)?.byteLength }, result.status, result.text);
    response.writeHead(result.status, { 'content-type': 'text/plain; charset=utf-8' }).end(result.text);
    return;
  }
  const responseMatch = /^\/response\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
  if (responseMatch && request.method === 'POST') {
    const result = handleResponseUrl(workspace, faults, responseMatch[1] ?? '', parsed);
    record(RESPONSE_URL_METHOD, { ...parsed.body, response_url_id: responseMatch[1] }, result.status, result.json);
    response.writeHead(result.status, { 'content-type': JSON_CONTENT_TYPE }).end(JSON.stringify(result.json));
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
}

function answerInternalError(recorder: SlackRecorder, response: ServerResponse, error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error));
  recorder.internalErrors.push(failure);
  if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ ok: false, error: 'fake_slack_internal', detail: failure.message }));
}
