import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isValidSlackRequest } from '@slack/bolt';
import { ErrorCode, LogLevel, WebClient, WebClientEvent } from '@slack/web-api';
import { createCanvas } from '@napi-rs/canvas';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SLACK_EVENTS_PATH } from '../src/slack/app.js';
import { RESPONSE_URL_METHOD, UPLOAD_URL_METHOD, startFakeSlack, type FakeSlack } from '../src/testing/fake-slack.js';
import { TRIGGER_ID_LIFETIME_MS } from '../src/testing/slack/fake-slack.types.js';
import {
  blockActionsPayload,
  createTriggerId,
  interactionBody,
  signSlackRequest,
  slashCommandBody,
  viewSubmissionPayload,
} from '../src/testing/slack-signing.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function createClient(fake: FakeSlack, token = 'xoxb-test'): WebClient {
  return new WebClient(token, {
    slackApiUrl: fake.apiUrl,
    logLevel: LogLevel.ERROR,
    retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 50 },
  });
}

/** Reads the Slack error code off whatever WebClient threw. */
async function captureSlackError(promise: Promise<unknown>): Promise<{ code?: string; error?: string; statusCode?: number }> {
  try {
    await promise;
  } catch (thrown) {
    const error = thrown as { code?: string; data?: { error?: string }; statusCode?: number };
    return { code: error.code, error: error.data?.error, statusCode: error.statusCode };
  }
  throw new Error('expected the call to fail');
}

describe('fake Slack Web API driven by the real WebClient', () => {
  let fake: FakeSlack;
  let client: WebClient;

  beforeAll(async () => {
    fake = await startFakeSlack();
    client = createClient(fake);
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
  });

  it('listens on loopback and answers auth.test with the bot identity', async () => {
    expect(fake.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    const result = await client.auth.test();
    expect(result.ok).toBe(true);
    expect(result.user_id).toBe(fake.botUserId);
    expect(result.team_id).toBe(fake.teamId);
    expect(fake.callsTo('auth.test')[0]?.headers.authorization).toBe('Bearer xoxb-test');
  });

  it('posts a message with blocks and threads a reply under it', async () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'SLA digest' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*12* tickets at risk' } },
    ];
    const parent = await client.chat.postMessage({ channel: 'C0CIVIC311', text: 'SLA digest', blocks });
    expect(parent.ok).toBe(true);
    expect(parent.channel).toBe('C0CIVIC311');
    expect(parent.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(parent.message?.blocks).toEqual(blocks);

    const reply = await client.chat.postMessage({ channel: 'C0CIVIC311', text: 'details', thread_ts: parent.ts });
    expect(Number(reply.ts)).toBeGreaterThan(Number(parent.ts));
    expect(reply.message?.thread_ts).toBe(parent.ts);

    const [first, second] = fake.callsTo('chat.postMessage');
    // WebClient form-encodes and JSON-encodes nested fields; the fake hands back parsed blocks.
    expect(first?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(first?.body.blocks).toEqual(blocks);
    expect(second?.body.thread_ts).toBe(parent.ts);
    const stored = fake.messagesIn('C0CIVIC311');
    expect(stored).toHaveLength(2);
    expect(stored[0]?.replyCount).toBe(1);
    expect(stored[1]?.threadTs).toBe(parent.ts);
  });

  it('hands out unique, strictly increasing message timestamps', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => client.chat.postMessage({ channel: 'C0CIVIC311', text: `m${index}` })),
    );
    const stamps = results.map((result) => result.ts ?? '');
    expect(new Set(stamps).size).toBe(20);
    const sorted = [...stamps].sort((a, b) => Number(a) - Number(b));
    expect(fake.messagesIn('C0CIVIC311').map((message) => message.ts)).toEqual(sorted);
  });

  it('rejects messages without text or blocks, and malformed blocks, like Slack', async () => {
    expect((await captureSlackError(client.chat.postMessage({ channel: 'C0CIVIC311', text: '' }))).error).toBe('no_text');
    const badBlocks = await captureSlackError(
      client.chat.postMessage({ channel: 'C0CIVIC311', text: 'x', blocks: [{ text: 'no type' } as never] }),
    );
    expect(badBlocks.code).toBe(ErrorCode.PlatformError);
    expect(badBlocks.error).toBe('invalid_blocks');
  });

  it('posts ephemeral messages and updates a posted message', async () => {
    const ephemeral = await client.chat.postEphemeral({ channel: 'C0CIVIC311', user: 'U0OPSLEAD1', text: 'only you' });
    expect(ephemeral.message_ts).toMatch(/^\d{10}\.\d{6}$/);

    const posted = await client.chat.postMessage({ channel: 'C0CIVIC311', text: 'loading…' });
    const updated = await client.chat.update({
      channel: 'C0CIVIC311',
      ts: posted.ts ?? '',
      text: 'done',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'done' } }],
    });
    expect(updated.ts).toBe(posted.ts);
    expect(updated.text).toBe('done');
    const message = fake.messagesIn('C0CIVIC311').find((candidate) => candidate.ts === posted.ts);
    expect(message?.text).toBe('done');
    expect(message?.blocks).toHaveLength(1);

    const missing = await captureSlackError(client.chat.update({ channel: 'C0CIVIC311', ts: '1.000001', text: 'x' }));
    expect(missing.error).toBe('message_not_found');
  });

  it('opens a modal once per trigger id and updates it by view id and hash', async () => {
    const view = {
      type: 'modal' as const,
      callback_id: 'score_ticket',
      title: { type: 'plain_text' as const, text: 'Score a ticket' },
      submit: { type: 'plain_text' as const, text: 'Score' },
      blocks: [
        {
          type: 'input',
          block_id: 'ticket',
          label: { type: 'plain_text', text: 'Ticket' },
          element: { type: 'plain_text_input', action_id: 'id' },
        },
      ],
    };
    const triggerId = createTriggerId();
    const opened = await client.views.open({ trigger_id: triggerId, view });
    expect(opened.view?.id).toMatch(/^V/);
    expect(opened.view?.callback_id).toBe('score_ticket');
    expect(fake.callsTo('views.open')[0]?.body.view).toEqual(view);

    expect((await captureSlackError(client.views.open({ trigger_id: triggerId, view }))).error).toBe('exchanged_trigger_id');
    expect((await captureSlackError(client.apiCall('views.open', { view }))).error).toBe('invalid_arguments');

    const updated = await client.views.update({
      view_id: opened.view?.id ?? '',
      hash: opened.view?.hash ?? '',
      view: { ...view, title: { type: 'plain_text', text: 'Scored' } },
    });
    expect(updated.view?.id).toBe(opened.view?.id);
    expect(updated.view?.hash).not.toBe(opened.view?.hash);
    const stale = await captureSlackError(client.views.update({ view_id: opened.view?.id ?? '', hash: opened.view?.hash ?? '', view }));
    expect(stale.error).toBe('hash_conflict');
  });

  it('expires a trigger id it issued once it is more than 3 s old by its clock; ids it never issued keep working', async () => {
    let clockMs = Date.parse('2026-01-05T09:00:00Z');
    const timed = await startFakeSlack({ now: () => clockMs });
    try {
      const timedClient = createClient(timed);
      const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Score' }, blocks: [] };
      const inTime = timed.issueTriggerId();
      const late = timed.issueTriggerId();
      expect(inTime).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
      clockMs += TRIGGER_ID_LIFETIME_MS;
      await expect(timedClient.views.open({ trigger_id: inTime, view })).resolves.toMatchObject({ ok: true });
      clockMs += 1;
      expect((await captureSlackError(timedClient.views.open({ trigger_id: late, view }))).error).toBe('expired_trigger_id');
      expect(timed.callsTo('views.open').map((call) => call.response)).toEqual([
        expect.objectContaining({ ok: true }),
        { ok: false, error: 'expired_trigger_id' },
      ]);
      clockMs += 60_000;
      await expect(timedClient.views.open({ trigger_id: createTriggerId(), view })).resolves.toMatchObject({ ok: true });
    } finally {
      await timed.close();
    }
  });

  it('uploads a PNG through files.uploadV2 and records the bytes and the completion', async () => {
    const canvas = createCanvas(64, 32);
    const context = canvas.getContext('2d');
    context.fillStyle = '#1f4e79';
    context.fillRect(0, 0, 64, 32);
    const png = canvas.toBuffer('image/png');

    const parent = await client.chat.postMessage({ channel: 'C0CIVIC311', text: 'digest' });
    const result = await client.files.uploadV2({
      channel_id: 'C0CIVIC311',
      file: png,
      filename: 'backlog.png',
      initial_comment: 'Backlog by request type',
      thread_ts: parent.ts ?? '',
    });
    expect(result.ok).toBe(true);

    const getUrl = fake.callsTo('files.getUploadURLExternal');
    expect(getUrl).toHaveLength(1);
    expect(getUrl[0]?.body).toMatchObject({ filename: 'backlog.png', length: String(png.length) });

    expect(fake.uploads).toHaveLength(1);
    const upload = fake.uploads[0];
    expect(upload?.byteLength).toBe(png.length);
    expect(upload?.firstBytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(upload?.bytes.equals(png)).toBe(true);
    expect(upload?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(fake.callsTo(UPLOAD_URL_METHOD)).toHaveLength(1);

    const complete = fake.callsTo('files.completeUploadExternal')[0];
    expect(complete?.body).toMatchObject({
      channel_id: 'C0CIVIC311',
      initial_comment: 'Backlog by request type',
      thread_ts: parent.ts,
      files: [{ id: upload?.fileId, title: 'backlog.png' }],
    });
    const completed = (complete?.response as { files: { id: string; mimetype: string; size: number }[] } | undefined)?.files[0];
    expect(completed).toMatchObject({ id: upload?.fileId, mimetype: 'image/png', size: png.length });

    const shared = fake.messagesIn('C0CIVIC311').find((message) => message.fileIds?.includes(upload?.fileId ?? ''));
    expect(shared?.threadTs).toBe(parent.ts);
    expect(shared?.text).toBe('Backlog by request type');
  });

  it('refuses to complete an upload whose bytes never arrived', async () => {
    const { file_id: fileId } = await client.files.getUploadURLExternal({ filename: 'x.png', length: 10 });
    const refused = await captureSlackError(client.files.completeUploadExternal({ files: [{ id: fileId ?? '' }] }));
    expect(refused.error).toBe('file_not_found');
  });

  it('answers a scripted 429 with Retry-After, which WebClient waits out and retries', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 });
    const waits: number[] = [];
    const onRateLimited = (seconds: number): void => {
      waits.push(seconds);
    };
    client.on(WebClientEvent.RATE_LIMITED, onRateLimited);
    try {
      const result = await client.chat.postMessage({ channel: 'C0CIVIC311', text: 'after the limit' });
      expect(result.ok).toBe(true);
    } finally {
      client.off(WebClientEvent.RATE_LIMITED, onRateLimited);
    }
    const attempts = fake.callsTo('chat.postMessage');
    expect(attempts.map((call) => call.status)).toEqual([429, 200]);
    expect(attempts[0]?.response).toEqual({ ok: false, error: 'ratelimited' });
    expect(waits).toEqual([1]);
    expect(fake.messagesIn('C0CIVIC311')).toHaveLength(1);
  });

  it('answers scripted HTTP 500s the given number of times, then recovers', async () => {
    fake.failNext('auth.test', { status: 500, times: 2 });
    const result = await client.auth.test();
    expect(result.ok).toBe(true);
    expect(fake.callsTo('auth.test').map((call) => call.status)).toEqual([500, 500, 200]);

    fake.failNext('auth.test', { status: 500, times: 3 });
    const exhausted = await captureSlackError(client.auth.test());
    expect(exhausted.code).toBe(ErrorCode.HTTPError);
    expect(exhausted.statusCode).toBe(500);
  });

  it('answers a scripted Slack error code once, with HTTP 200 and ok:false', async () => {
    fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    const failure = await captureSlackError(client.chat.postMessage({ channel: 'C0CIVIC311', text: 'x' }));
    expect(failure.code).toBe(ErrorCode.PlatformError);
    expect(failure.error).toBe('channel_not_found');
    expect(fake.callsTo('chat.postMessage')[0]?.status).toBe(200);
    await expect(client.chat.postMessage({ channel: 'C0CIVIC311', text: 'x' })).resolves.toMatchObject({ ok: true });
  });

  it('fails only the calls a scripted fault matches, leaving it queued for a later match', async () => {
    fake.failNext('chat.postMessage', { error: 'not_in_channel', when: (args) => args.channel === 'C0PRIVATE1' });
    await expect(client.chat.postMessage({ channel: 'C0CIVIC311', text: 'public' })).resolves.toMatchObject({ ok: true });
    const refused = await captureSlackError(client.chat.postMessage({ channel: 'C0PRIVATE1', text: 'private' }));
    expect(refused).toMatchObject({ code: ErrorCode.PlatformError, error: 'not_in_channel' });
    await expect(client.chat.postMessage({ channel: 'C0PRIVATE1', text: 'again' })).resolves.toMatchObject({ ok: true });
    expect(fake.callsTo('chat.postMessage').map((call) => call.response)).toMatchObject([
      { ok: true },
      { ok: false, error: 'not_in_channel' },
      { ok: true },
    ]);
  });

  it('scripts real per-method errors with Slack’s response_metadata messages', async () => {
    fake.failNext('chat.postMessage', { error: 'msg_too_long' });
    expect((await captureSlackError(client.chat.postMessage({ channel: 'C0CIVIC311', text: 'long' }))).error).toBe('msg_too_long');

    const messages = ['[ERROR] must be more than 0 characters [json-pointer:/blocks/0/text/text]'];
    fake.failNext('chat.update', { error: 'invalid_blocks', messages });
    const posted = await client.chat.postMessage({ channel: 'C0CIVIC311', text: 'x' });
    const thrown = await client.chat.update({ channel: 'C0CIVIC311', ts: posted.ts ?? '', text: 'y' }).catch((error: unknown) => error);
    expect((thrown as { data?: unknown }).data).toMatchObject({ ok: false, error: 'invalid_blocks', response_metadata: { messages } });
    expect(fake.callsTo('chat.update')[0]?.response).toEqual({ ok: false, error: 'invalid_blocks', response_metadata: { messages } });

    fake.failNext('views.open', { error: 'expired_trigger_id' });
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'T' }, blocks: [] };
    expect((await captureSlackError(client.views.open({ trigger_id: createTriggerId(), view }))).error).toBe('expired_trigger_id');
  });

  it('answers a spent response_url with 404 used_url while other response URLs still work', async () => {
    fake.failNext(RESPONSE_URL_METHOD, { status: 404, error: 'used_url', when: (args) => args.response_url_id === 'spent' });
    const post = (id: string): Promise<Response> =>
      fetch(fake.responseUrl(id), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: id }) });
    const fresh = await post('fresh');
    expect(fresh.status).toBe(200);
    expect(await fresh.json()).toEqual({ ok: true });
    const spent = await post('spent');
    expect(spent.status).toBe(404);
    expect(await spent.json()).toEqual({ ok: false, error: 'used_url' });
    expect(fake.responsesTo('spent')).toEqual([]);
    expect(fake.responsesTo('fresh')).toEqual([{ text: 'fresh' }]);
  });

  it('rejects a wrong token with invalid_auth and a missing one with not_authed', async () => {
    const wrong = await captureSlackError(createClient(fake, 'xoxb-wrong').auth.test());
    expect(wrong.error).toBe('invalid_auth');
    const anonymous = new WebClient(undefined, { slackApiUrl: fake.apiUrl, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 } });
    expect((await captureSlackError(anonymous.auth.test())).error).toBe('not_authed');
  });

  it('accepts JSON bodies with a Bearer token, as Slack does', async () => {
    const response = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-test', 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C0CIVIC311', text: 'json', blocks: [{ type: 'divider' }] }),
    });
    const json = (await response.json()) as { ok: boolean; ts: string };
    expect(response.status).toBe(200);
    expect(json.ok).toBe(true);
    expect(fake.callsTo('chat.postMessage')[0]?.body.blocks).toEqual([{ type: 'divider' }]);
  });

  it('records raw-byte uploads and POSTs to response URLs', async () => {
    const { upload_url: uploadUrl } = await client.files.getUploadURLExternal({ filename: 'raw.png', length: 12 });
    const bytes = Buffer.concat([PNG_SIGNATURE, Buffer.from([1, 2, 3, 4])]);
    const uploaded = await fetch(uploadUrl ?? '', { method: 'POST', headers: { 'content-type': 'image/png' }, body: bytes });
    expect(uploaded.status).toBe(200);
    expect(fake.uploads[0]?.bytes.equals(bytes)).toBe(true);

    const responseUrl = fake.responseUrl('cmd1');
    const reply = { response_type: 'in_channel', replace_original: false, text: 'SLA', blocks: [{ type: 'divider' }] };
    const posted = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(reply),
    });
    expect(posted.status).toBe(200);
    expect(fake.responsesTo('cmd1')).toEqual([reply]);
    expect(fake.callsTo(RESPONSE_URL_METHOD)[0]?.body).toMatchObject(reply);
  });

  it('answers channel_not_found for unknown channels when strict', async () => {
    const strict = await startFakeSlack({ strictChannels: true, botToken: 'xoxb-strict' });
    try {
      const strictClient = createClient(strict, 'xoxb-strict');
      expect((await captureSlackError(strictClient.chat.postMessage({ channel: 'C0NOWHERE1', text: 'x' }))).error).toBe(
        'channel_not_found',
      );
      const info = await strictClient.conversations.info({ channel: 'C0CIVIC311' });
      expect(info.channel?.name).toBe('sla-ops');
      await expect(strictClient.chat.postMessage({ channel: '#sla-ops', text: 'by name' })).resolves.toMatchObject({
        channel: 'C0CIVIC311',
      });
    } finally {
      await strict.close();
    }
    expect(fake.internalErrors).toEqual([]);
  });
});

describe('Slack request signing', () => {
  it('reproduces the example signature from Slack’s request-verification docs', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const headers = signSlackRequest({ body, signingSecret: '8f742231b10e8888abcd99yyyzzz85a5', timestamp: 1531420618 });
    expect(headers['x-slack-signature']).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
    expect(headers['x-slack-request-timestamp']).toBe('1531420618');
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('matches an HMAC computed independently and passes Bolt’s own verifier', () => {
    const body = JSON.stringify({ type: 'event_callback', event: { type: 'app_mention' } });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = signSlackRequest({ body, signingSecret: 'shh', timestamp });
    const expected = `v0=${createHmac('sha256', 'shh').update(`v0:${timestamp}:${body}`).digest('hex')}`;
    expect(headers['x-slack-signature']).toBe(expected);
    expect(headers['content-type']).toBe('application/json');
    const verification = {
      body,
      headers: { 'x-slack-signature': headers['x-slack-signature'], 'x-slack-request-timestamp': timestamp },
    };
    expect(isValidSlackRequest({ ...verification, signingSecret: 'shh' })).toBe(true);
    expect(isValidSlackRequest({ ...verification, signingSecret: 'other' })).toBe(false);
  });

  it('builds slash-command bodies with Slack’s fields in Slack’s order', () => {
    const body = slashCommandBody({
      command: '/sla',
      text: 'Pothole in_channel',
      userId: 'U123',
      channelId: 'C456',
      responseUrl: 'http://127.0.0.1:1/response/abc',
      triggerId: '1.2.ab',
      teamId: 'T789',
    });
    const params = new URLSearchParams(body);
    expect([...params.keys()]).toEqual([
      'token',
      'team_id',
      'team_domain',
      'channel_id',
      'channel_name',
      'user_id',
      'user_name',
      'command',
      'text',
      'api_app_id',
      'is_enterprise_install',
      'response_url',
      'trigger_id',
    ]);
    expect(Object.fromEntries(params)).toMatchObject({
      command: '/sla',
      text: 'Pothole in_channel',
      user_id: 'U123',
      channel_id: 'C456',
      team_id: 'T789',
      response_url: 'http://127.0.0.1:1/response/abc',
      trigger_id: '1.2.ab',
      is_enterprise_install: 'false',
    });
    expect(body).toContain('command=%2Fsla');
  });

  it('wraps interaction payloads in a form-encoded payload field', () => {
    const action = blockActionsPayload({ actionId: 'refresh', value: 'Pothole', responseUrl: 'http://127.0.0.1:1/response/x' });
    const submission = viewSubmissionPayload({
      callbackId: 'score_ticket',
      values: { ticket: { id: { type: 'plain_text_input', value: '42' } } },
    });
    for (const payload of [action, submission]) {
      const params = new URLSearchParams(interactionBody(payload));
      expect([...params.keys()]).toEqual(['payload']);
      expect(JSON.parse(params.get('payload') ?? '')).toEqual(payload);
    }
    expect(action).toMatchObject({ type: 'block_actions', actions: [{ action_id: 'refresh', value: 'Pothole' }] });
    expect(createTriggerId()).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
  });
});

describe('manifest.yml', () => {
  const manifest = readFileSync(new URL('../manifest.yml', import.meta.url), 'utf8');

  it('declares both slash commands and interactivity on the /slack/events endpoint', () => {
    expect(manifest).toMatch(/^_metadata:\n {2}major_version: 1$/m);
    expect(manifest).toMatch(/^ {4}- command: \/sla$/m);
    expect(manifest).toMatch(/^ {4}- command: \/score$/m);
    expect(manifest).toContain('usage_hint: "[request type | help] [in_channel]"');
    expect(manifest.match(/^ {6}url: https:\/\/YOUR-HOST\/slack\/events$/gm)).toHaveLength(2);
    expect(manifest.match(/^ {6}should_escape: false$/gm)).toHaveLength(2);
    expect(manifest).toMatch(/^ {2}interactivity:\n {4}is_enabled: true\n {4}request_url: https:\/\/YOUR-HOST\/slack\/events$/m);
    for (const flag of ['org_deploy_enabled', 'socket_mode_enabled', 'token_rotation_enabled']) {
      expect(manifest).toMatch(new RegExp(`^ {2}${flag}: false$`, 'm'));
    }
  });

  /** Each `- command:` entry of features.slash_commands, as its `key: value` lines. */
  function slashCommands(): Record<string, string>[] {
    const section = manifest.slice(manifest.indexOf('\n  slash_commands:'), manifest.indexOf('\noauth_config:'));
    return section
      .split(/^ {4}- /m)
      .slice(1)
      .map((entry) =>
        Object.fromEntries(
          [...entry.matchAll(/^\s*([a-z_]+): (.*)$/gm)].map((match) => [match[1], (match[2] ?? '').replace(/^"(.*)"$/, '$1')]),
        ),
      );
  }

  it('every slash command names help in its usage hint', () => {
    const commands = slashCommands();
    expect(commands.map((command) => command.command)).toEqual(['/sla', '/score']);
    for (const command of commands) expect(command.usage_hint, command.command).toMatch(/\bhelp\b/);
    expect(commands.find((command) => command.command === '/sla')?.usage_hint).toBe('[request type | help] [in_channel]');
  });

  it("sends options loads (the /score type-ahead menu) and every request to the app's Slack endpoint", () => {
    // Slack's manifest field for the interactive Options Load URL is settings.interactivity.message_menu_options_url.
    const interactivity = manifest.slice(manifest.indexOf('\n  interactivity:'), manifest.indexOf('\n  org_deploy_enabled:'));
    const optionsUrl = /^ {4}message_menu_options_url: (\S+)$/m.exec(interactivity)?.[1];
    expect(optionsUrl).toBeDefined();
    expect(new URL(optionsUrl ?? '').pathname).toBe(SLACK_EVENTS_PATH);
    const urls = [...manifest.matchAll(/^ +(?:url|request_url|message_menu_options_url): (\S+)$/gm)].map((match) => match[1] ?? '');
    expect(urls).toHaveLength(5);
    for (const url of urls) expect(new URL(url).pathname, url).toBe(SLACK_EVENTS_PATH);
  });

  it('asks only for the bot scopes the app uses', () => {
    // Only the oauth_config section lists scopes (settings lists bot events the same way).
    const oauth = manifest.slice(manifest.indexOf('\noauth_config:'), manifest.indexOf('\nsettings:'));
    const scopes = [...oauth.matchAll(/^ {6}- ([a-z:._]+)$/gm)].map((match) => match[1]);
    expect(scopes.sort()).toEqual(['channels:history', 'chat:write', 'commands', 'files:write', 'groups:history']);
  });

  it('enables the Home tab and subscribes to app_home_opened on the /slack/events endpoint', () => {
    expect(manifest).toMatch(
      /^ {2}app_home:\n {4}home_tab_enabled: true\n {4}messages_tab_enabled: false\n {4}messages_tab_read_only_enabled: false$/m,
    );
    expect(manifest).toMatch(
      /^ {2}event_subscriptions:\n {4}request_url: https:\/\/YOUR-HOST\/slack\/events\n {4}bot_events:\n {6}- app_home_opened$/m,
    );
    // app_home_opened is the only event: nothing else is delivered.
    const settings = manifest.slice(manifest.indexOf('\nsettings:'));
    expect([...settings.matchAll(/^ {6}- ([a-z_.]+)$/gm)].map((match) => match[1])).toEqual(['app_home_opened']);
  });
});
