/**
 * /slack/events against requests Slack would never send and against Slack's own repeats: a
 * timestamp in the future, a body of megabytes, a command retried with X-Slack-Retry-Num, an
 * action delivered twice. Driven through the real API server and Bolt app, with the fake Slack.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SLA_SHARE_ACTION_ID } from '../src/slack/blocks/sla-blocks.js';
import { createMemoryDedupeStore, identifySlackRequest } from '../src/slack/request-dedupe.js';
import {
  blockActionsPayload,
  createTriggerId,
  interactionBody,
  signSlackRequest,
  slashCommandBody,
  viewSubmissionPayload,
} from '../src/testing/slack-signing.js';
import { createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { cityTime, insertFixtureTickets, type FixtureTicket } from './helpers/ticket-fixtures.js';
import { findButtons, SIGNING_SECRET, startSlackHarness, waitFor, type SlackHarness } from './slack.app.harness.js';

const now = cityTime('2024-06-03 08:00');
const HOUR_MS = 3_600_000;
const nowSeconds = () => Math.floor(Date.now() / 1000);

function roadRepairTickets(): FixtureTicket[] {
  return Array.from({ length: 40 }, (_, index) => {
    const createdAt = new Date(now.getTime() - (index + 1) * 12 * HOUR_MS);
    return {
      ticketId: `H${index + 1}`,
      requestType: index % 2 === 0 ? 'Road Repair' : 'Streetlight/Lamp',
      createdAt,
      closedAt: index % 3 === 0 ? null : new Date(createdAt.getTime() + (24 + index * 3) * HOUR_MS),
      commissionDistrict: String(1 + (index % 4)),
    };
  });
}

describe('Slack request hardening', () => {
  let warehouse: TestWarehouse;
  let harness: SlackHarness;

  beforeAll(async () => {
    warehouse = await createTestWarehouse('pglite');
    await insertFixtureTickets(warehouse.db, roadRepairTickets());
    harness = await startSlackHarness({ warehouse, now: () => now });
  });
  afterAll(async () => {
    await harness?.close();
    await warehouse?.dispose();
  });
  beforeEach(() => harness.fake.reset());

  /** POSTs `body` signed now, with extra headers (X-Slack-Retry-Num…). */
  async function postSigned(body: string, headers: Record<string, string> = {}, timestamp?: number) {
    const signed = signSlackRequest({ body, signingSecret: SIGNING_SECRET, timestamp });
    const response = await fetch(harness.eventsUrl, { method: 'POST', headers: { ...signed, ...headers }, body });
    return { status: response.status, text: await response.text() };
  }

  /** A fresh /sla whose answer has arrived: everything sent before it has had time to run too. */
  async function settle(): Promise<void> {
    const reply = await harness.command('/sla', 'road repair');
    await waitFor(() => harness.fake.responsesTo(reply.responseId).length > 0, 'the settling /sla');
    await new Promise((resolve) => setTimeout(resolve, 300));
  }

  it('rejects a correctly signed request dated 10 minutes ahead with 401 and runs no listener', async () => {
    const ahead = await harness.command('/sla', 'road repair', { timestamp: nowSeconds() + 10 * 60 });
    expect(ahead.status).toBe(401);
    const behind = await harness.command('/sla', 'road repair', { timestamp: nowSeconds() - 10 * 60 });
    expect(behind.status).toBe(401);
    // A minute either way is clock skew, not a replay.
    const skewed = await harness.command('/sla', 'road repair', { timestamp: nowSeconds() + 60 });
    expect(skewed.status).toBe(200);
    await waitFor(() => harness.fake.responsesTo(skewed.responseId).length > 0, 'the skewed request answer');
    await settle();
    expect(harness.fake.responsesTo(ahead.responseId)).toHaveLength(0);
    expect(harness.fake.responsesTo(behind.responseId)).toHaveLength(0);
  });

  it('answers a signed 6 MB body with 413 at once, and still answers Slack afterwards', async () => {
    const base = slashCommandBody({ command: '/sla', text: 'road repair', responseUrl: harness.fake.responseUrl('huge') });
    const huge = `${base}&padding=${'x'.repeat(6 * 1024 * 1024)}`;
    const started = Date.now();
    const reply = await postSigned(huge);
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.text)).toMatchObject({ error: { code: 'BODY_TOO_LARGE' } });
    // Generous for a loaded machine: the point is no 3 s Bolt timeout, no parsing of 6 MB.
    expect(Date.now() - started).toBeLessThan(15_000);
    await settle();
    expect(harness.fake.responsesTo('huge')).toHaveLength(0);
  });

  it('answers a chunked body that grows past the limit with 413', async () => {
    const url = new URL(harness.eventsUrl);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const signed = signSlackRequest({ body: 'unused', signingSecret: SIGNING_SECRET });
    const status = await new Promise<number>((resolve, reject) => {
      const outgoing = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...signed } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      outgoing.on('error', reject);
      // 2 MiB with no Content-Length: only counting while streaming can catch it.
      for (let sent = 0; sent < 32; sent++) outgoing.write(chunk);
      outgoing.end();
    });
    expect(status).toBe(413);
  });

  it('runs a /sla retried with X-Slack-Retry-Num 1 and 2 once: one answer, two empty acks', async () => {
    const responseId = 'retried-sla';
    const body = slashCommandBody({ command: '/sla', text: 'road repair', responseUrl: harness.fake.responseUrl(responseId) });
    const first = await postSigned(body);
    const retries = [
      await postSigned(body, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' }),
      await postSigned(body, { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' }),
    ];
    expect([first.status, ...retries.map((retry) => retry.status)]).toEqual([200, 200, 200]);
    expect(retries.map((retry) => retry.text)).toEqual(['', '']);
    await waitFor(() => harness.fake.responsesTo(responseId).length > 0, 'the /sla answer');
    await settle();
    expect(harness.fake.responsesTo(responseId)).toHaveLength(1);
  });

  it('shares once when the same Share click (same action_ts) arrives twice: one post, one upload', async () => {
    const card = await harness.command('/sla', 'streetlight');
    const [privateCard] = await waitFor(
      () => harness.fake.responsesTo(card.responseId).length > 0 && harness.fake.responsesTo(card.responseId),
      'private card',
    );
    const share = findButtons(privateCard?.blocks).find((button) => button.action_id === SLA_SHARE_ACTION_ID);
    expect(share).toBeDefined();
    const shareId = 'double-share';
    const click = blockActionsPayload({
      actionId: SLA_SHARE_ACTION_ID,
      value: share?.value,
      responseUrl: harness.fake.responseUrl(shareId),
      blockId: 'sla_actions',
    });
    const replies = await Promise.all([postSigned(interactionBody(click)), postSigned(interactionBody(click))]);
    expect(replies.map((reply) => reply.status)).toEqual([200, 200]);
    await waitFor(() => harness.fake.uploads.length > 0, 'the chart upload');
    await settle();
    expect(harness.fake.responsesTo(shareId)).toHaveLength(1);
    expect(harness.fake.uploads).toHaveLength(1);
  });

  it('identifies each kind of request by what stays the same across its deliveries', () => {
    const triggerId = createTriggerId();
    const command = Object.fromEntries(new URLSearchParams(slashCommandBody({ command: '/sla', responseUrl: 'https://x', triggerId })));
    expect(identifySlackRequest(command)).toBe(`command:T0CIVIC311:/sla:${triggerId}`);
    const click = blockActionsPayload({ actionId: 'sla_share', responseUrl: 'https://x' });
    const clickAgain = { ...click, trigger_id: createTriggerId() };
    expect(identifySlackRequest(clickAgain)).toBe(identifySlackRequest(click));
    const otherUser = { ...click, user: { id: 'U0SECONDOP' } };
    expect(identifySlackRequest(otherUser)).not.toBe(identifySlackRequest(click));
    const submission = viewSubmissionPayload({ callbackId: 'score_ticket', values: {}, triggerId });
    expect(identifySlackRequest(submission)).toBe(`view:T0CIVIC311:V0FAKEVIEW1:1700000000.fakehash:${triggerId}`);
    expect(identifySlackRequest({ type: 'event_callback', team_id: 'T1', event_id: 'Ev1' })).toBe('event:T1:Ev1');
    expect(identifySlackRequest({ type: 'block_suggestion', value: 'road' })).toBeUndefined();
  });

  it('forgets an identity after its TTL, and keeps at most maxEntries', () => {
    let clock = 0;
    const store = createMemoryDedupeStore({ now: () => clock, maxEntries: 2 });
    expect(store.claim('a', 1_000)).toBe(true);
    expect(store.claim('a', 1_000)).toBe(false);
    clock = 1_001;
    expect(store.claim('a', 1_000)).toBe(true);
    expect(store.claim('b', 1_000)).toBe(true);
    expect(store.claim('c', 1_000)).toBe(true);
    // 'a' was the oldest of three: pushed out by the cap.
    expect(store.claim('a', 1_000)).toBe(true);
  });
});
