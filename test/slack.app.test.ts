import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnknownRequestTypeError } from '../src/shared/errors.js';
import { buildAlertReplyPages, type AlertItem } from '../src/slack/blocks/alert-blocks.js';
import { SLA_SHARE_ACTION_ID } from '../src/slack/blocks/sla-blocks.js';
import {
  blockActionsPayload,
  createTriggerId,
  interactionBody,
  viewSubmissionPayload,
  FAKE_WORKSPACE,
} from '../src/testing/slack-signing.js';
import { UPLOAD_URL_METHOD } from '../src/testing/fake-slack.js';
import { claimAlerts, findAlert } from '../src/warehouse/alert.repository.js';
import { selectWorstTypes } from '../src/analytics/worst-types.js';
import { getSlaReport, listTypeReports } from '../src/warehouse/sla-report.repository.js';
import { resolveRequestType } from '../src/warehouse/request-type.repository.js';
import { WebClient } from '@slack/web-api';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';
import { cityTime, insertFixtureTickets, seededRandom, type FixtureTicket } from './helpers/ticket-fixtures.js';
import { CHANNEL_ID, collectBlockText, findButtons, startSlackHarness, waitFor, type SlackHarness } from './slack.app.harness.js';

const timeZone = 'America/New_York';
const now = cityTime('2024-06-03 08:00');
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Seven types that close at different speeds over 120 days, so "worst five" has a real order. */
function generateSlaTickets(): FixtureTicket[] {
  const random = seededRandom(11);
  const types = [
    { name: 'Road Repair', meanHours: 90, perWeek: 6 },
    { name: 'Streetlight/Lamp', meanHours: 40, perWeek: 5 },
    { name: 'Noise Complaint', meanHours: 12, perWeek: 7 },
    { name: 'Graffiti', meanHours: 150, perWeek: 3 },
    { name: 'Sidewalk Repair', meanHours: 120, perWeek: 3 },
    { name: 'Tree Trimming', meanHours: 70, perWeek: 4 },
    { name: 'Abandoned Vehicle', meanHours: 200, perWeek: 2 },
  ];
  const tickets: FixtureTicket[] = [];
  let id = 1;
  for (const type of types) {
    const count = Math.round((type.perWeek * 120) / 7);
    for (let i = 0; i < count; i++) {
      const createdAt = new Date(now.getTime() - Math.floor(random() * 120 * 24) * HOUR_MS - HOUR_MS);
      const hours = -Math.log(1 - random()) * type.meanHours;
      const closedAt = new Date(createdAt.getTime() + hours * HOUR_MS);
      tickets.push({
        ticketId: `S${id++}`,
        requestType: type.name,
        createdAt,
        closedAt: closedAt <= now ? closedAt : null,
        commissionDistrict: String(1 + (i % 4)),
      });
    }
  }
  return tickets;
}

const percent = (share: number | null) => (share === null ? '–' : `${Math.round(share * 100)}%`);

describe.each(engines)('Slack app /sla, Share, did-you-mean, Acknowledge and request signing on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  let harness: SlackHarness;

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    await insertFixtureTickets(warehouse.db, generateSlaTickets());
    harness = await startSlackHarness({ warehouse, now: () => now });
  });
  afterAll(async () => {
    await harness?.close();
    await warehouse?.dispose();
  });
  beforeEach(() => harness.fake.reset());

  const window = () => ({ since: new Date(now.getTime() - 28 * DAY_MS), until: now, now, slaHours: 72, timeZone });

  it('/sla road repair acks with an empty 200, then answers privately with attainment, P90 and backlog', async () => {
    const reply = await harness.command('/sla', 'road repair');
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('');
    const [answer] = await waitFor(
      () => harness.fake.responsesTo(reply.responseId).length > 0 && harness.fake.responsesTo(reply.responseId),
      '/sla answer',
    );
    const report = await getSlaReport(warehouse.db, { ...window(), typeKey: 'road_repair' });
    expect(report.current.tickets).toBeGreaterThan(5);
    expect(answer?.response_type).toBe('ephemeral');
    const text = collectBlockText(answer?.blocks);
    expect(text).toContain('Road Repair — SLA 72 h');
    expect(text).toContain(
      `*SLA attainment*\n*${percent(report.current.attainment)}* (${report.current.metSla} of ${report.current.withKnownOutcome} judged)`,
    );
    expect(text).toContain(`*P90 hours to close*\n*${report.current.p90HoursToClose?.toFixed(1)} h*`);
    expect(text).toContain(`*Backlog now*\n*${report.current.backlog}* open`);
    expect(text).toMatch(/\*Last 7 days\*\n\d+ tickets/);
    expect(String(answer?.text)).toContain(`${percent(report.current.attainment)} within the 72 h SLA`);
    expect(findButtons(answer?.blocks).map((button) => button.action_id)).toEqual([SLA_SHARE_ACTION_ID]);
    // A private answer uploads nothing to the channel.
    expect(harness.fake.uploads).toHaveLength(0);
  });

  it('/sla with no text lists the five types furthest from SLA, worst first', async () => {
    const reply = await harness.command('/sla', '');
    const [answer] = await waitFor(
      () => harness.fake.responsesTo(reply.responseId).length > 0 && harness.fake.responsesTo(reply.responseId),
      '/sla answer',
    );
    const expected = selectWorstTypes(await listTypeReports(warehouse.db, window()), 5);
    expect(expected).toHaveLength(5);
    const text = collectBlockText(answer?.blocks);
    const positions = expected.map((summary, index) =>
      text.indexOf(`*${index + 1}. ${summary.displayName}* — *${percent(summary.current.attainment)}*`),
    );
    for (const position of positions) expect(position).toBeGreaterThanOrEqual(0);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // A Details button per type, and Share.
    const buttons = findButtons(answer?.blocks);
    expect(buttons.filter((button) => button.text === 'Details')).toHaveLength(5);
    expect(buttons.some((button) => button.action_id === SLA_SHARE_ACTION_ID)).toBe(true);
  });

  it('/sla with an unknown type offers did-you-mean buttons, and a click shows the picked type', async () => {
    const typed = 'noise road';
    const suggestions = await resolveRequestType(warehouse.db, typed).then(
      () => [],
      (error: unknown) => (error instanceof UnknownRequestTypeError ? error.suggestions : []),
    );
    expect(suggestions.length).toBeGreaterThan(0);
    const reply = await harness.command('/sla', typed);
    const [answer] = await waitFor(
      () => harness.fake.responsesTo(reply.responseId).length > 0 && harness.fake.responsesTo(reply.responseId),
      'did-you-mean',
    );
    expect(answer?.response_type).toBe('ephemeral');
    expect(collectBlockText(answer?.blocks)).toContain(`I don't know the request type *${typed}*`);
    const buttons = findButtons(answer?.blocks);
    expect(buttons.map((button) => button.text)).toEqual(suggestions);

    const picked = buttons[0]!;
    const clickId = 'pick1';
    const click = await harness.interact(
      blockActionsPayload({
        actionId: picked.action_id,
        value: picked.value,
        responseUrl: harness.fake.responseUrl(clickId),
        blockId: 'sla_did_you_mean',
      }),
    );
    expect(click.status).toBe(200);
    const [card] = await waitFor(() => harness.fake.responsesTo(clickId).length > 0 && harness.fake.responsesTo(clickId), 'picked card');
    expect(card?.replace_original).toBe(true);
    expect(collectBlockText(card?.blocks)).toContain(`${suggestions[0]} — SLA 72 h`);
  });

  it('/sla road repair in_channel posts for the channel and uploads the trend chart as a PNG', async () => {
    const reply = await harness.command('/sla', 'Road Repair in_channel');
    const [answer] = await waitFor(
      () => harness.fake.responsesTo(reply.responseId).length > 0 && harness.fake.responsesTo(reply.responseId),
      'in_channel answer',
    );
    expect(answer?.response_type).toBe('in_channel');
    expect(collectBlockText(answer?.blocks)).toContain(`Shared by <@${FAKE_WORKSPACE.userId}>`);
    expect(findButtons(answer?.blocks)).toHaveLength(0);
    const upload = await waitFor(() => harness.fake.uploads[0], 'chart upload');
    expect(upload.firstBytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(upload.filename).toBe('sla-road-repair.png');
    const fileMessage = await waitFor(
      () => harness.fake.messagesIn(CHANNEL_ID).find((message) => message.fileIds?.length),
      'file in channel',
    );
    expect(fileMessage.fileIds).toEqual([upload.fileId]);
    expect(harness.fake.callsTo(UPLOAD_URL_METHOD)).toHaveLength(1);
  });

  it('the Share button posts the private card for the channel, with the chart', async () => {
    const reply = await harness.command('/sla', 'streetlight');
    const [privateCard] = await waitFor(
      () => harness.fake.responsesTo(reply.responseId).length > 0 && harness.fake.responsesTo(reply.responseId),
      'private card',
    );
    const share = findButtons(privateCard?.blocks).find((button) => button.action_id === SLA_SHARE_ACTION_ID);
    expect(share).toBeDefined();
    const shareId = 'share1';
    const click = await harness.interact(
      blockActionsPayload({
        actionId: SLA_SHARE_ACTION_ID,
        value: share?.value,
        responseUrl: harness.fake.responseUrl(shareId),
        blockId: 'sla_actions',
      }),
    );
    expect(click.status).toBe(200);
    const [shared] = await waitFor(() => harness.fake.responsesTo(shareId).length > 0 && harness.fake.responsesTo(shareId), 'shared card');
    expect(shared?.response_type).toBe('in_channel');
    expect(collectBlockText(shared?.blocks)).toContain('Streetlight/Lamp — SLA 72 h');
    const upload = await waitFor(() => harness.fake.uploads[0], 'chart upload');
    expect(upload.firstBytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  });

  it('acks /sla while the warehouse is blocked and answers once it is free', async () => {
    let release!: () => void;
    let locked!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const holder = warehouse.db.transaction().execute(async (trx) => {
      await sql`lock table fact_ticket in access exclusive mode`.execute(trx);
      locked();
      await gate;
    });
    await lockTaken;
    try {
      const reply = await harness.command('/sla', 'road repair');
      expect(reply.status).toBe(200);
      // The ack arrived although no query on fact_ticket can have finished.
      expect(harness.fake.responsesTo(reply.responseId)).toHaveLength(0);
      release();
      await holder;
      const [answer] = await waitFor(
        () => harness.fake.responsesTo(reply.responseId).length > 0 && harness.fake.responsesTo(reply.responseId),
        'late answer',
      );
      expect(collectBlockText(answer?.blocks)).toContain('Road Repair — SLA 72 h');
    } finally {
      release();
      await holder;
    }
  });

  it('rejects a request signed with the wrong secret with 401 and runs no listener', async () => {
    const bad = await harness.command('/sla', 'road repair', { secret: 'not-the-secret' });
    expect(bad.status).toBe(401);
    // A good request sent after it is answered; the bad one never is.
    const good = await harness.command('/sla', 'road repair');
    await waitFor(() => harness.fake.responsesTo(good.responseId).length > 0, 'good answer');
    expect(harness.fake.responsesTo(bad.responseId)).toHaveLength(0);
  });

  it('rejects a correctly signed request older than 5 minutes (replay) with 401', async () => {
    const stale = await harness.command('/sla', 'road repair', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(401);
    const tampered = await fetch(harness.eventsUrl, {
      method: 'POST',
      headers: {
        'x-slack-signature': 'v0=deadbeef',
        'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'command=%2Fsla&text=road',
    });
    expect(tampered.status).toBe(401);
    const good = await harness.command('/sla', '');
    await waitFor(() => harness.fake.responsesTo(good.responseId).length > 0, 'good answer');
    expect(harness.fake.responsesTo(stale.responseId)).toHaveLength(0);
  });

  it('answers GET /slack/events with 405', async () => {
    const response = await fetch(harness.eventsUrl);
    expect(response.status).toBe(405);
  });

  it('/score submitted before any model is trained says so in the modal', async () => {
    const open = await harness.command('/score', '', { triggerId: createTriggerId() });
    expect(open.status).toBe(200);
    const viewId = await waitFor(() => harness.fake.views.keys().next().value, 'modal');
    const submit = await harness.post(
      interactionBody(
        viewSubmissionPayload({
          callbackId: 'score_ticket',
          viewId,
          values: {
            request_type: {
              request_type: {
                type: 'static_select',
                selected_option: { text: { type: 'plain_text', text: 'Road Repair' }, value: 'road_repair' },
              },
            },
            district: {
              district: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'District 2' }, value: '2' } },
            },
            location: { location: { type: 'plain_text_input', value: null } },
            description: { description: { type: 'plain_text_input', value: null } },
          },
        }),
      ),
    );
    expect(JSON.parse(submit.text)).toMatchObject({ response_action: 'update' });
    const update = await waitFor(() => harness.fake.callsTo('views.update')[0], 'views.update');
    expect(collectBlockText(update.body.view)).toContain('civicops train');
  });

  it('Acknowledge records who acknowledged the alert once and updates the alert message', async () => {
    const ticketId = 'S1';
    await claimAlerts(warehouse.db, {
      channel: CHANNEL_ID,
      at: now,
      scores: [
        {
          ticketId,
          probability: 0.91,
          riskLevel: 'High',
          modelVersion: 'test-model',
          topFactors: ['Road Repair tickets often run late (raises the risk).'],
        },
        { ticketId: 'S2', probability: 0.85, riskLevel: 'High', modelVersion: 'test-model', topFactors: [] },
      ],
    });
    const items: AlertItem[] = ['S1', 'S2'].map((id) => ({
      ticketId: id,
      requestType: 'Road Repair',
      createdAt: now,
      address: '123 NW 1st Ave',
      latitude: null,
      longitude: null,
      commissionDistrict: '2',
      description: null,
      probability: 0.9,
      riskLevel: 'High',
      topFactors: [],
      modelVersion: 'test-model',
      ticketUrl: `https://example.org/tickets/${id}`,
    }));
    // A paged reply (long lists carry several tickets per reply): acknowledging one keeps the other's button.
    const [page] = buildAlertReplyPages(items, { timeZone, perReply: 2 });
    const client = new WebClient(harness.fake.botToken, { slackApiUrl: harness.fake.apiUrl });
    const posted = await client.chat.postMessage({ channel: CHANNEL_ID, text: page!.text, blocks: page!.blocks });

    const clickId = 'ack1';
    const click = await harness.interact(
      blockActionsPayload({
        actionId: 'alert_acknowledge',
        value: ticketId,
        blockId: `alert_${ticketId}`,
        responseUrl: harness.fake.responseUrl(clickId),
        messageTs: posted.ts,
        messageBlocks: page!.blocks,
      }),
    );
    expect(click.status).toBe(200);
    await waitFor(() => harness.fake.callsTo('chat.update')[0], 'chat.update');
    const alert = await findAlert(warehouse.db, ticketId);
    expect(alert?.acknowledgedBy).toBe(FAKE_WORKSPACE.userId);
    expect(alert?.acknowledgedAt?.getTime()).toBe(now.getTime());
    const message = harness.fake.messagesIn(CHANNEL_ID).find((candidate) => candidate.ts === posted.ts);
    expect(collectBlockText(message?.blocks)).toContain(`Acknowledged by <@${FAKE_WORKSPACE.userId}>`);
    // Only the clicked ticket lost its button; the other still has one.
    expect(findButtons(message?.blocks).map((button) => button.value)).toEqual(['S2']);
    expect((await findAlert(warehouse.db, 'S2'))?.acknowledgedBy).toBeNull();

    // A second person clicking the same (stale) button is told who was first; the record stays.
    const secondId = 'ack2';
    await harness.interact(
      blockActionsPayload({
        actionId: 'alert_acknowledge',
        value: ticketId,
        userId: 'U0SECONDOP',
        responseUrl: harness.fake.responseUrl(secondId),
        messageTs: posted.ts,
        messageBlocks: page!.blocks,
      }),
    );
    const [notice] = await waitFor(
      () => harness.fake.responsesTo(secondId).length > 0 && harness.fake.responsesTo(secondId),
      'already acknowledged',
    );
    expect(String(notice?.text)).toContain(`already acknowledged by <@${FAKE_WORKSPACE.userId}>`);
    expect((await findAlert(warehouse.db, ticketId))?.acknowledgedBy).toBe(FAKE_WORKSPACE.userId);
  });
});
