/**
 * Two replicas behind a load balancer: two Apps built by the composition root on one warehouse,
 * each serving /slack/events. A retry of a request (X-Slack-Retry-Num) or a second delivery of a
 * click can reach the other replica; the identity claimed in the warehouse (slack_request_seen)
 * makes the side effect happen once across both.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createApp, type App } from '../src/main.js';
import { createLogger } from '../src/shared/logger.js';
import { SLA_SHARE_ACTION_ID } from '../src/slack/blocks/sla-blocks.js';
import { startFakeSlack, type FakeSlack } from '../src/testing/fake-slack.js';
import { blockActionsPayload, createTriggerId, interactionBody, slashCommandBody } from '../src/testing/slack-signing.js';
import { claimSlackRequest } from '../src/warehouse/slack-request-seen.repository.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { cityTime, insertFixtureTickets, type FixtureTicket } from './helpers/ticket-fixtures.js';
import { findButtons, postSigned, SIGNING_SECRET, waitFor } from './slack.app.harness.js';

const logger = createLogger({ level: 'silent' });
const HOUR_MS = 3_600_000;
const RETRY = { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' };

function streetTickets(): FixtureTicket[] {
  const end = cityTime('2024-06-03 08:00');
  return Array.from({ length: 30 }, (_, index) => {
    const createdAt = new Date(end.getTime() - (index + 1) * 12 * HOUR_MS);
    return {
      ticketId: `R${index + 1}`,
      requestType: index % 2 === 0 ? 'Road Repair' : 'Streetlight/Lamp',
      createdAt,
      closedAt: index % 3 === 0 ? null : new Date(createdAt.getTime() + (24 + index * 3) * HOUR_MS),
      commissionDistrict: String(1 + (index % 4)),
    };
  });
}

describe.each(engines)('Slack retries and double clicks across two replicas on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  let fake: FakeSlack;
  let replicas: App[] = [];
  let eventsUrls: string[] = [];

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await insertFixtureTickets(warehouse.db, streetTickets());
    fake = await startFakeSlack();
    const config = loadConfig({
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_API_URL: fake.apiUrl,
      TZ_CITY: 'America/New_York',
      SLA_HOURS: '72',
      LOG_LEVEL: 'silent',
    });
    // Both replicas share the warehouse; the test closes it, not the Apps.
    replicas = [0, 1].map(() => createApp({ config, logger, warehouse: { ...warehouse, close: async () => {} } }));
    eventsUrls = [];
    for (const replica of replicas) {
      const { port } = await (await replica.server()).listen(0, '127.0.0.1');
      eventsUrls.push(`http://127.0.0.1:${port}/slack/events`);
    }
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    await fake?.close();
    await warehouse?.dispose();
  });
  beforeEach(() => fake.reset());

  /** A fresh /sla on each replica whose answers have arrived: what was sent before has run too. */
  async function settle(): Promise<void> {
    for (const url of eventsUrls) {
      const id = `settle-${createTriggerId().slice(-8)}`;
      await postSigned(url, slashCommandBody({ command: '/sla', text: 'road repair', responseUrl: fake.responseUrl(id) }));
      await waitFor(() => fake.responsesTo(id).length > 0, 'the settling /sla');
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }

  it('runs a /sla once when Slack delivers it to one replica and its retry to the other', async () => {
    const responseId = 'sla-on-two-replicas';
    const body = slashCommandBody({ command: '/sla', text: 'road repair', responseUrl: fake.responseUrl(responseId) });
    const replies = await Promise.all([
      postSigned(eventsUrls[0]!, body),
      postSigned(eventsUrls[1]!, body, { headers: RETRY }),
      postSigned(eventsUrls[1]!, body, { headers: { ...RETRY, 'x-slack-retry-num': '2' } }),
    ]);
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200]);
    await waitFor(() => fake.responsesTo(responseId).length > 0, 'the /sla answer');
    await settle();
    expect(fake.responsesTo(responseId)).toHaveLength(1);
    const seen = await warehouse.db.selectFrom('slack_request_seen').select('request_key').execute();
    expect(seen.map((row) => row.request_key)).toContainEqual(expect.stringMatching(/^command:T0CIVIC311:\/sla:/));
  });

  it('shares once when the same Share click reaches both replicas: one post, one upload', async () => {
    const cardId = 'card-for-share';
    await postSigned(eventsUrls[0]!, slashCommandBody({ command: '/sla', text: 'streetlight', responseUrl: fake.responseUrl(cardId) }));
    const [privateCard] = await waitFor(() => fake.responsesTo(cardId).length > 0 && fake.responsesTo(cardId), 'the private card');
    const share = findButtons(privateCard?.blocks).find((button) => button.action_id === SLA_SHARE_ACTION_ID);
    expect(share).toBeDefined();
    const shareId = 'share-on-two-replicas';
    const click = interactionBody(
      blockActionsPayload({
        actionId: SLA_SHARE_ACTION_ID,
        value: share?.value,
        responseUrl: fake.responseUrl(shareId),
        blockId: 'sla_actions',
      }),
    );
    const replies = await Promise.all(eventsUrls.map((url) => postSigned(url, click)));
    expect(replies.map((reply) => reply.status)).toEqual([200, 200]);
    await waitFor(() => fake.uploads.length > 0, 'the chart upload');
    await settle();
    expect(fake.responsesTo(shareId)).toHaveLength(1);
    expect(fake.uploads).toHaveLength(1);
  });

  it('claims an identity once until it expires; expired identities are deleted by the next claim', async () => {
    const ttlMs = 10 * 60_000;
    const claims = await Promise.all(Array.from({ length: 6 }, () => claimSlackRequest(warehouse.db, { requestKey: 'k:same', ttlMs })));
    expect(claims.filter(Boolean)).toHaveLength(1);
    // Seen 11 minutes ago: past Slack's retry window, so it is claimable again and the old row is gone.
    const elevenMinutesAgo = new Date(Date.now() - 11 * 60_000);
    await warehouse.db
      .insertInto('slack_request_seen')
      .values([
        { request_key: 'k:old', seen_at: elevenMinutesAgo },
        { request_key: 'k:stale-other', seen_at: elevenMinutesAgo },
      ])
      .execute();
    expect(await claimSlackRequest(warehouse.db, { requestKey: 'k:old', ttlMs })).toBe(true);
    expect(await claimSlackRequest(warehouse.db, { requestKey: 'k:old', ttlMs })).toBe(false);
    const keys = (await warehouse.db.selectFrom('slack_request_seen').select('request_key').execute()).map((row) => row.request_key);
    expect(keys).toContain('k:same');
    expect(keys).not.toContain('k:stale-other');
  });
});
