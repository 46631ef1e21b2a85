import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ALERT_ACKNOWLEDGE_ACTION_ID,
  MAX_BLOCKS_PER_MESSAGE,
  buildAlertReplyPages,
  escapeMrkdwn,
  type AlertItem,
} from '../src/slack/blocks/alert-blocks.js';
import { SLA_SHARE_ACTION_ID } from '../src/slack/blocks/sla-blocks.js';
import { buildScoreModal, toTypeOptionValue } from '../src/slack/blocks/score-modal.js';
import { resolveTypeOptionValue } from '../src/slack/listeners/shared/request-type-options.js';
import { describeSlackFailure, SlackPostError } from '../src/slack/web-client.js';
import { RESPONSE_URL_METHOD, startFakeSlack } from '../src/testing/fake-slack.js';
import { blockActionsPayload, createTriggerId, FAKE_WORKSPACE } from '../src/testing/slack-signing.js';
import { claimAlerts, findAlert, markAlertsPosted } from '../src/warehouse/alert.repository.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { cityTime, insertFixtureTickets, type FixtureTicket } from './helpers/ticket-fixtures.js';
import { CHANNEL_ID, collectBlockText, findButtons, startSlackHarness, waitFor, type SlackHarness } from './slack.app.harness.js';

const timeZone = 'America/New_York';
const now = cityTime('2024-06-03 08:00');
const HOUR_MS = 3_600_000;

/** A few weeks of two types, enough for /sla answers and for alert tickets to exist. */
const LONG_TYPE_KEY = `very_long_${'type_'.repeat(40)}key`;

function tickets(): FixtureTicket[] {
  const list: FixtureTicket[] = [{ ticketId: 'L1', requestType: 'A type with a very long key', typeKey: LONG_TYPE_KEY, createdAt: now }];
  for (let i = 0; i < 80; i++) {
    const createdAt = new Date(now.getTime() - (i * 9 + 2) * HOUR_MS);
    list.push({
      ticketId: `R${i + 1}`,
      requestType: i % 2 ? 'Road Repair' : 'Streetlight/Lamp',
      createdAt,
      closedAt: i % 3 === 0 ? null : new Date(createdAt.getTime() + 40 * HOUR_MS),
      commissionDistrict: String(1 + (i % 4)),
    });
  }
  return list;
}

const answersTo = (harness: SlackHarness, id: string, count = 1) =>
  waitFor(() => harness.fake.responsesTo(id).length >= count && harness.fake.responsesTo(id), `answer on ${id}`);

describe('Slack refusals are read through our wrappers', () => {
  it('describeSlackFailure finds the Slack error code inside a SlackPostError', () => {
    const platform = Object.assign(new Error('An API error occurred: not_in_channel'), { data: { ok: false, error: 'not_in_channel' } });
    const wrapped = new SlackPostError('files.uploadV2', platform);
    expect(describeSlackFailure(wrapped)).toEqual({ message: 'not_in_channel', slackError: 'not_in_channel' });
    expect(describeSlackFailure(new Error('outer', { cause: wrapped })).slackError).toBe('not_in_channel');
  });
});

describe('the fake Slack refuses what Slack refuses', () => {
  it('answers not_in_channel, invalid_blocks, msg_too_long and a used-up response_url', async () => {
    const fake = await startFakeSlack({
      channels: [
        { id: 'C0OUTSIDE1', name: 'road-crew', isMember: false },
        { id: 'C0INSIDE01', name: 'ops' },
      ],
    });
    try {
      const client = new WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
      const code = (promise: Promise<unknown>) =>
        promise.then(
          () => 'ok',
          (error: unknown) => describeSlackFailure(error).slackError,
        );
      expect(await code(client.chat.postMessage({ channel: 'C0OUTSIDE1', text: 'hi' }))).toBe('not_in_channel');
      expect(await code(client.chat.postMessage({ channel: 'C0INSIDE01', text: 'x'.repeat(40_001) }))).toBe('msg_too_long');
      const longSection = [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3_001) } }];
      expect(await code(client.chat.postMessage({ channel: 'C0INSIDE01', text: 'x', blocks: longSection }))).toBe('invalid_blocks');
      expect(await code(client.chat.postMessage({ channel: 'C0INSIDE01', text: 'x'.repeat(40_000) }))).toBe('ok');
      const url = fake.responseUrl('five');
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"x"}' });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
      expect(fake.callsTo(RESPONSE_URL_METHOD).at(-1)?.response).toEqual({ ok: false, error: 'used_url' });
    } finally {
      await fake.close();
    }
  });
});

describe('alert replies stay within Block Kit limits whatever perReply says', () => {
  const item = (index: number, acknowledged: boolean): AlertItem => ({
    ticketId: `T${index}`,
    requestType: 'Road Repair',
    createdAt: now,
    address: '1 Main St',
    latitude: null,
    longitude: null,
    commissionDistrict: '1',
    description: 'd'.repeat(600),
    probability: 0.9,
    riskLevel: 'High',
    topFactors: ['a', 'b', 'c'],
    modelVersion: 'm',
    ticketUrl: `https://example.org/${index}`,
    acknowledgement: acknowledged ? { userId: 'U0OPS', at: now } : null,
  });
  it('perReply 10…50 with every ticket acknowledged: every message ≤ 50 blocks, each ticket once', () => {
    for (const perReply of [10, 12, 13, 16, 17, 25, 49, 50]) {
      const items = Array.from({ length: 60 }, (_, index) => item(index, true));
      const pages = buildAlertReplyPages(items, { timeZone, perReply });
      for (const page of pages) expect(page.blocks.length).toBeLessThanOrEqual(MAX_BLOCKS_PER_MESSAGE);
      expect(pages.flatMap((page) => page.ticketIds)).toHaveLength(60);
    }
  });
  it('never sends a text over 40,000 characters or a section over 3,000, even for absurd city data', () => {
    const huge = {
      ...item(1, false),
      ticketId: 'x'.repeat(5_000),
      requestType: '<!channel> '.repeat(1_000),
      topFactors: ['f'.repeat(9_000)],
    };
    const pages = buildAlertReplyPages(
      Array.from({ length: 12 }, () => huge),
      { timeZone, perReply: 12 },
    );
    for (const page of pages) {
      expect(page.text.length).toBeLessThanOrEqual(40_000);
      for (const block of page.blocks as { type: string; text?: { text: string } }[]) {
        if (block.type === 'section') expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(3_000);
      }
      expect(page.text).not.toContain('<!channel>');
    }
  });
});

describe('/score type options keep the whole key', () => {
  it('with more types than a static menu holds, the form searches as you type (external_select, min_query_length 0)', () => {
    const many = Array.from({ length: 150 }, (_, index) => ({ typeKey: `type_${index}`, displayName: `Type ${index}` }));
    const element = (view: ReturnType<typeof buildScoreModal>) =>
      (view.blocks[1] as unknown as { element: Record<string, unknown> }).element;
    expect(element(buildScoreModal({ requestTypes: many }))).toEqual({
      type: 'external_select',
      action_id: 'request_type',
      placeholder: { type: 'plain_text', text: 'Type to search, e.g. road' },
      min_query_length: 0,
    });
    expect(element(buildScoreModal({ requestTypes: many.slice(0, 100) })).type).toBe('static_select');
  });

  it('option values are never cut: a key longer than 150 characters becomes a stable hash; only the text is cut to 75', () => {
    const longKey = `k${'e'.repeat(200)}`;
    const view = buildScoreModal({
      requestTypes: [
        { typeKey: longKey, displayName: 'N'.repeat(120) },
        { typeKey: 'road_repair', displayName: 'Road Repair' },
      ],
    });
    const options = (view.blocks[1] as { element: { options: { text: { text: string }; value: string }[] } }).element.options;
    expect(options.map((option) => option.value)).toEqual([toTypeOptionValue(longKey), 'road_repair']);
    expect(options[0]?.text.text).toHaveLength(75);
    expect(toTypeOptionValue('road_repair')).toBe('road_repair');
    expect(toTypeOptionValue(longKey)).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    expect(toTypeOptionValue(longKey)).toBe(toTypeOptionValue(longKey));
    expect(toTypeOptionValue(longKey).length).toBeLessThanOrEqual(150);
  });
});

describe.each(engines)('Slack replies: help, refusals, escaping, unhandled actions, acknowledgements on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  let harness: SlackHarness;

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await insertFixtureTickets(warehouse.db, tickets());
    harness = await startSlackHarness({ warehouse, now: () => now });
  });
  afterAll(async () => {
    await harness?.close();
    await warehouse?.dispose();
  });
  beforeEach(() => harness.fake.reset());

  it('an options request (block_suggestion) for the /score type menu answers the types matching the typed text', async () => {
    const ask = async (value: string) => {
      const answer = await harness.interact({
        type: 'block_suggestion',
        user: {
          id: FAKE_WORKSPACE.userId,
          username: FAKE_WORKSPACE.userName,
          name: FAKE_WORKSPACE.userName,
          team_id: FAKE_WORKSPACE.teamId,
        },
        container: { type: 'view', view_id: 'V0FAKEVIEW1' },
        api_app_id: FAKE_WORKSPACE.apiAppId,
        token: FAKE_WORKSPACE.verificationToken,
        action_id: 'request_type',
        block_id: 'request_type',
        value,
        team: { id: FAKE_WORKSPACE.teamId, domain: FAKE_WORKSPACE.teamDomain },
        view: { id: 'V0FAKEVIEW1', type: 'modal', callback_id: 'score_ticket', state: { values: {} } },
      });
      expect(answer.status).toBe(200);
      return JSON.parse(answer.text) as { options: { text: { type: string; text: string }; value: string }[] };
    };
    const road = await ask('road');
    expect(road.options[0]).toEqual({ text: { type: 'plain_text', text: 'Road Repair' }, value: 'road_repair' });
    expect(road.options.map((option) => option.value)).not.toContain('streetlight_lamp');
    const all = await ask('');
    expect(all.options.map((option) => option.value).sort()).toEqual(
      ['road_repair', 'streetlight_lamp', toTypeOptionValue(LONG_TYPE_KEY)].sort(),
    );
    expect((await ask('lamp')).options.map((option) => option.value)).toEqual(['streetlight_lamp']);
  });

  it('a hashed option value maps back to the whole type key', async () => {
    expect(LONG_TYPE_KEY.length).toBeGreaterThan(150);
    expect(await resolveTypeOptionValue(warehouse.db, toTypeOptionValue(LONG_TYPE_KEY))).toBe(LONG_TYPE_KEY);
    expect(await resolveTypeOptionValue(warehouse.db, 'road_repair')).toBe('road_repair');
  });

  it('/sla help and /score help answer usage text instead of "unknown request type"', async () => {
    const sla = await harness.command('/sla', 'help');
    const [slaHelp] = await answersTo(harness, sla.responseId);
    expect(slaHelp?.response_type).toBe('ephemeral');
    expect(String(slaHelp?.text)).toContain('/sla road repair in_channel');
    expect(String(slaHelp?.text)).not.toContain('Unknown request type');
    const score = await harness.command('/score', ' HELP ');
    const [scoreHelp] = await answersTo(harness, score.responseId);
    expect(String(scoreHelp?.text)).toContain('/score help');
    expect(harness.fake.callsTo('views.open')).toHaveLength(0);
  });

  it('a Share click where the bot is not in the channel tells the person to invite it, in one line', async () => {
    harness.fake.addChannel({ id: 'C0OUTSIDE1', name: 'road-crew', isMember: false });
    const clickId = 'share-outside';
    await harness.interact(
      blockActionsPayload({
        actionId: SLA_SHARE_ACTION_ID,
        value: JSON.stringify({ type: 'road_repair', inChannel: true }),
        responseUrl: harness.fake.responseUrl(clickId),
        channelId: 'C0OUTSIDE1',
      }),
    );
    const answers = await answersTo(harness, clickId, 2);
    expect(answers[0]?.response_type).toBe('in_channel');
    const hint = String(answers[1]?.text);
    expect(hint).toContain('Invite @CivicOps-311 to <#C0OUTSIDE1> (`/invite @CivicOps-311`), then press Share again.');
    expect(hint.split('\n')).toHaveLength(1);
    expect(answers[1]?.response_type).toBe('ephemeral');
  });

  it('an expired trigger_id on views.open says it took too long and to try /score again', async () => {
    harness.fake.failNext('views.open', { error: 'expired_trigger_id' });
    const reply = await harness.command('/score', '', { triggerId: createTriggerId() });
    const [answer] = await answersTo(harness, reply.responseId);
    expect(answer?.response_type).toBe('ephemeral');
    expect(String(answer?.text)).toMatch(/That took too long.*try \/score again/);
  });

  it('/sla <!channel> x is never echoed raw: fallback text and blocks escape it', async () => {
    const reply = await harness.command('/sla', '<!channel> x');
    const [answer] = await answersTo(harness, reply.responseId);
    const everything = `${String(answer?.text)}\n${collectBlockText(answer?.blocks)}`;
    expect(everything).not.toContain('<!channel>');
    expect(everything).toContain('&lt;!channel&gt; x');
    expect(escapeMrkdwn('a & <b>')).toBe('a &amp; &lt;b&gt;');
  });

  it('an action id no listener knows is acknowledged at once (no 404 after 3 s)', async () => {
    const started = Date.now();
    const click = await harness.interact(
      blockActionsPayload({ actionId: 'old_button_from_last_year', value: 'x', responseUrl: harness.fake.responseUrl('old') }),
    );
    expect(click.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('two people acknowledging different tickets of one reply: the final message shows both', async () => {
    const ids = ['R1', 'R2', 'R3'];
    await claimAlerts(warehouse.db, {
      channel: CHANNEL_ID,
      at: now,
      scores: ids.map((ticketId, index) => ({
        ticketId,
        probability: 0.9 - index / 100,
        riskLevel: 'High',
        modelVersion: 'm',
        topFactors: [],
      })),
    });
    const claimed = await Promise.all(ids.map((id) => findAlert(warehouse.db, id)));
    expect(claimed.every((alert) => alert?.status === 'pending')).toBe(true);
    const items: AlertItem[] = ids.map((id, index) => ({
      ticketId: id,
      requestType: 'Road Repair',
      createdAt: now,
      address: null,
      latitude: null,
      longitude: null,
      commissionDistrict: '1',
      description: null,
      probability: 0.9 - index / 100,
      riskLevel: 'High',
      topFactors: [],
      modelVersion: 'm',
      ticketUrl: `https://example.org/${id}`,
    }));
    const [page] = buildAlertReplyPages(items, { timeZone, perReply: 3 });
    const client = new WebClient(harness.fake.botToken, { slackApiUrl: harness.fake.apiUrl });
    const parent = await client.chat.postMessage({ channel: CHANNEL_ID, text: 'parent' });
    const posted = await client.chat.postMessage({ channel: CHANNEL_ID, thread_ts: parent.ts, text: page!.text, blocks: page!.blocks });
    await markAlertsPosted(warehouse.db, ids, { channel: CHANNEL_ID, parentTs: parent.ts!, replyTs: posted.ts!, at: now });

    // Both clicks carry the original message (no acknowledgement yet), as Slack sends them.
    await Promise.all(
      [
        { id: 'R1', user: 'U0FIRSTOPS' },
        { id: 'R3', user: 'U0SECONDOP' },
      ].map(({ id, user }) =>
        harness.interact(
          blockActionsPayload({
            actionId: ALERT_ACKNOWLEDGE_ACTION_ID,
            value: id,
            blockId: `alert_${id}`,
            userId: user,
            responseUrl: harness.fake.responseUrl(`ack-${id}`),
            messageTs: posted.ts,
            messageBlocks: page!.blocks,
          }),
        ),
      ),
    );
    await waitFor(() => harness.fake.callsTo('chat.update').length >= 2, 'two chat.update calls');
    const updates = harness.fake.callsTo('chat.update');
    const last = updates.at(-1)!;
    const text = collectBlockText(last.body.blocks);
    expect(text).toContain('Acknowledged by <@U0FIRSTOPS>');
    expect(text).toContain('Acknowledged by <@U0SECONDOP>');
    expect(findButtons(last.body.blocks).map((button) => button.value)).toEqual(['R2']);
    const message = harness.fake.messagesIn(CHANNEL_ID).find((candidate) => candidate.ts === posted.ts);
    expect(collectBlockText(message?.blocks)).toContain('<@U0FIRSTOPS>');
    expect(collectBlockText(message?.blocks)).toContain('<@U0SECONDOP>');
    expect(collectBlockText(message?.blocks)).toContain('3 tickets');
    expect(FAKE_WORKSPACE.channelId).toBe(CHANNEL_ID);
  });
});
