import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebClient } from '@slack/web-api';
import { loadConfig, type AppConfig } from '../src/config/config.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createScorer } from '../src/model/score-ticket.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { createLogger } from '../src/shared/logger.js';
import { ALERT_PARENT_EVENT_TYPE, ALERT_REPLY_EVENT_TYPE, runAlertsJob } from '../src/slack/alerts/run-alerts-job.js';
import { ALERT_ACKNOWLEDGE_ACTION_ID } from '../src/slack/blocks/alert-blocks.js';
import { createSlackWebClient } from '../src/slack/web-client.js';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../src/testing/fake-slack.js';
import { listAlerts } from '../src/warehouse/alert.repository.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
const now = new Date('2023-07-13T12:00:00Z');
const CHANNEL = 'C0ALERTS01';

function acknowledgeValues(message: FakeMessage): string[] {
  return ((message.blocks ?? []) as { accessory?: { action_id?: string; value?: string } }[])
    .filter((block) => block.accessory?.action_id === ALERT_ACKNOWLEDGE_ACTION_ID)
    .map((block) => block.accessory?.value ?? '');
}

describe.each(engines)('alert delivery is exactly-once in effect on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  let fake: FakeSlack;
  const config: AppConfig = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-test', ALERT_CHANNEL: CHANNEL, ALERT_THRESHOLD: '0', TZ_CITY: timeZone });
  const newClient = (): WebClient =>
    createSlackWebClient(
      { ...config.slack, apiUrl: fake.apiUrl },
      { logger, retryConfig: { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 50 }, timeoutMs: 2_000 },
    );
  const run = async () =>
    runAlertsJob({
      db: warehouse.db,
      scorer: await createScorer({
        db: warehouse.db,
        logger,
        slaHours: 72,
        timeZone,
        risk: { mediumThreshold: 0.4, highThreshold: 0.7 },
        now: () => now,
      }),
      client: newClient(),
      config,
      logger,
      now: () => now,
    });

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    fake = await startFakeSlack();
    const snapshot = (await readSodaSnapshot(bundledSnapshotPath)) as Record<string, unknown>[];
    await ingestRows({ db: warehouse.db, logger, timeZone }, snapshot, { source: 'file:snapshot' });
    await trainAndRegister({ db: warehouse.db, logger, slaHours: 72, timeZone }, { asOf: now });
    const templates = snapshot.filter((row) => String(row.created ?? '') >= '2023-01-01' && row.location_detail).slice(0, 4);
    await ingestRows(
      { db: warehouse.db, logger, timeZone },
      templates.map((template, index) => {
        const row: Record<string, unknown> = { ...template, id: `880000${index}`, status: 'Submitted' };
        for (const key of ['closed', 'minutes_to_close', 'days_to_close', 'acknowledged']) delete row[key];
        row.created = `2023-07-1${index % 3}T0${index + 1}:15:00.000`;
        row.last_updated = `07/1${index % 3}/2023 0${index + 1}:15:00`;
        return row;
      }),
      { source: 'file:synthetic' },
    );
  });
  afterAll(async () => {
    await fake?.close();
    await warehouse?.dispose();
  });
  beforeEach(async () => {
    fake.reset();
    await warehouse.db.deleteFrom('slack_alert').execute();
    await warehouse.db.deleteFrom('slack_alert_run').execute();
  });

  it('tags the parent and every reply with metadata naming its tickets, returned by history/replies only with include_all_metadata', async () => {
    const result = await run();
    const [parent, ...replies] = fake.messagesIn(CHANNEL);
    expect(parent?.metadata?.event_type).toBe(ALERT_PARENT_EVENT_TYPE);
    expect(String(parent?.metadata?.event_payload.ticket_ids).split(',').sort()).toEqual(result.items.map((item) => item.ticketId).sort());
    for (const reply of replies) {
      expect(reply.metadata?.event_type).toBe(ALERT_REPLY_EVENT_TYPE);
      expect(String(reply.metadata?.event_payload.ticket_ids).split(',')).toEqual(acknowledgeValues(reply));
    }
    const client = newClient();
    const plain = await client.conversations.history({ channel: CHANNEL });
    expect(plain.messages?.[0]?.metadata).toBeUndefined();
    const tagged = await client.conversations.history({ channel: CHANNEL, include_all_metadata: true });
    expect(tagged.messages?.[0]?.metadata?.event_type).toBe(ALERT_PARENT_EVENT_TYPE);
    const thread = await client.conversations.replies({ channel: CHANNEL, ts: parent!.ts, include_all_metadata: true });
    expect(thread.messages?.map((message) => message.metadata?.event_type)).toEqual([
      ALERT_PARENT_EVENT_TYPE,
      ...replies.map(() => ALERT_REPLY_EVENT_TYPE),
    ]);
  });

  it('a parent post Slack accepted but whose answer was lost is not re-sent, and the next run threads under it', async () => {
    fake.failNext('chat.postMessage', { acceptThenDrop: true });
    await expect(run()).rejects.toThrow();
    // WebClient did not re-send the post after the dropped connection.
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
    expect(fake.messagesIn(CHANNEL)).toHaveLength(1);
    const pending = await listAlerts(warehouse.db, { status: 'pending' });
    expect(pending.length).toBeGreaterThan(0);

    const retry = await run();
    const messages = fake.messagesIn(CHANNEL);
    const parents = messages.filter((message) => message.threadTs === undefined);
    expect(parents).toHaveLength(1);
    const posted = messages.flatMap(acknowledgeValues);
    expect(posted.sort()).toEqual(pending.map((alert) => alert.ticketId).sort());
    expect(new Set(posted).size).toBe(posted.length);
    for (const reply of messages.slice(1)) expect(reply.threadTs).toBe(parents[0]?.ts);
    expect(retry.parentTs).toBe(parents[0]?.ts);
    expect(await listAlerts(warehouse.db, { status: 'pending' })).toHaveLength(0);
  });

  it('a run that died between Slack accepting a reply and the warehouse recording it: the next run finds the reply and posts nothing twice', async () => {
    // The second reply is accepted, then the connection drops; the run is then made to look as if
    // the process had been killed right there (still "running", nothing recorded, long ago).
    let replies = 0;
    fake.failNext('chat.postMessage', { acceptThenDrop: true, when: (args) => args.thread_ts !== undefined && ++replies === 2 });
    await expect(run()).rejects.toThrow();
    const acceptedIds = fake.messagesIn(CHANNEL).flatMap(acknowledgeValues);
    await warehouse.db.updateTable('slack_alert').set({ attempts: 0, last_error: null }).where('status', '=', 'pending').execute();
    await warehouse.db
      .updateTable('slack_alert_run')
      .set({ status: 'running', finished_at: null, error: null, started_at: new Date(now.getTime() - 2 * 3_600_000) })
      .execute();
    await warehouse.db
      .updateTable('slack_alert')
      .set({ scored_at: new Date(now.getTime() - 2 * 3_600_000) })
      .execute();

    const before = fake.messagesIn(CHANNEL).length;
    await run();
    const messages = fake.messagesIn(CHANNEL);
    const posted = messages.flatMap(acknowledgeValues);
    expect(new Set(posted).size).toBe(posted.length);
    expect(posted.slice(0, acceptedIds.length)).toEqual(acceptedIds);
    expect(messages.filter((message) => message.threadTs === undefined)).toHaveLength(1);
    expect(messages.length).toBeGreaterThanOrEqual(before);
    const all = await listAlerts(warehouse.db);
    expect(all.every((alert) => alert.status === 'posted')).toBe(true);
    expect(all.map((alert) => alert.ticketId).sort()).toEqual([...posted].sort());
  });
});
