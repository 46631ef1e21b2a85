import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliContext } from '../src/cli/command.js';
import { withTestApp } from './helpers/cli-context.js';
import { alertsCommand } from '../src/cli/commands/alerts.js';
import { LogLevel, WebClient } from '@slack/web-api';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { loadConfig, type AppConfig } from '../src/config/config.js';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { createScorer } from '../src/model/score-ticket.js';
import type { Scorer } from '../src/model/scorer.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { ConfigError } from '../src/shared/errors.js';
import { createLogger } from '../src/shared/logger.js';
import { ALERT_ACKNOWLEDGE_ACTION_ID, MAX_BLOCKS_PER_MESSAGE, MAX_TEXT_CHARS } from '../src/slack/blocks/alert-blocks.js';
import { runAlertsJob } from '../src/slack/alerts/run-alerts-job.js';
import { createSlackWebClient, SlackPostError } from '../src/slack/web-client.js';
import { startFakeSlack, type FakeMessage, type FakeSlack } from '../src/testing/fake-slack.js';
import { claimAlerts, findAlert, finishAlertRun, listAlerts, recordAlertAcknowledgement } from '../src/warehouse/alert.repository.js';
import { Capture } from './helpers/capture.js';

const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
/** The snapshot ends on 2023-07-09; the alert job runs "now", on the morning of 13 July. */
const now = new Date('2023-07-13T12:00:00Z');
const CHANNEL = 'C0ALERTS01';
const risk = { mediumThreshold: 0.4, highThreshold: 0.7 };
/** The one real ticket of the snapshot that is open and created in the 7 days before `now`. */
const REAL_RECENT_OPEN = '3534220';
/** A real ticket open since 2014: far outside the lookback, never alerted. */
const REAL_OLD_OPEN = '1286318';

type SodaRow = Record<string, unknown>;

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** A real row turned into a new open ticket created at a city-local wall time (SODA shapes kept). */
function syntheticOpenRow(template: SodaRow, id: string, local: { day: number; hour: number; minute: number }): SodaRow {
  const row: SodaRow = { ...template, id, status: 'Submitted' };
  for (const key of ['closed', 'minutes_to_close', 'days_to_close', 'acknowledged']) delete row[key];
  row.created = `2023-07-${pad(local.day)}T${pad(local.hour)}:${pad(local.minute)}:00.000`;
  row.last_updated = `07/${pad(local.day)}/2023 ${pad(local.hour)}:${pad(local.minute)}:00`;
  row.description = `${String(template.description ?? '').slice(0, 120)} (synthetic ${id})`;
  return row;
}

function makeConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test',
    ALERT_CHANNEL: CHANNEL,
    ALERT_THRESHOLD: '0',
    TICKET_URL_TEMPLATE: 'https://311.example.gov/tickets/{id}',
    TZ_CITY: timeZone,
    ...overrides,
  });
}

function textOf(message: FakeMessage): string {
  return JSON.stringify(message.blocks ?? []);
}

/** Every Acknowledge button value in a message's blocks. */
function acknowledgeValues(message: FakeMessage): string[] {
  const values: string[] = [];
  for (const block of (message.blocks ?? []) as { accessory?: { action_id?: string; value?: string } }[]) {
    if (block.accessory?.action_id === ALERT_ACKNOWLEDGE_ACTION_ID && block.accessory.value) values.push(block.accessory.value);
  }
  return values;
}

describe.each(engines)('high-risk alerts on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  let fake: FakeSlack;
  let templates: SodaRow[];
  let syntheticIds: string[];

  const newScorer = () => createScorer({ db: warehouse.db, logger, slaHours: 72, timeZone, risk, now: () => now });
  const newClient = (config: AppConfig): WebClient =>
    createSlackWebClient(
      { ...config.slack, apiUrl: fake.apiUrl },
      { logger, retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 50 } },
    );
  const run = async (options: { config?: AppConfig; scorer?: Scorer; client?: WebClient; dryRun?: boolean; perReply?: number } = {}) => {
    const config = options.config ?? makeConfig();
    return runAlertsJob(
      {
        db: warehouse.db,
        scorer: options.scorer ?? (await newScorer()),
        client: options.client ?? newClient(config),
        config,
        logger,
        now: () => now,
      },
      { dryRun: options.dryRun, perReply: options.perReply },
    );
  };
  const ingest = (rows: SodaRow[]) => ingestRows({ db: warehouse.db, logger, timeZone }, rows, { source: 'file:synthetic' });

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    fake = await startFakeSlack();
    const snapshot = (await readSodaSnapshot(bundledSnapshotPath)) as SodaRow[];
    await ingestRows({ db: warehouse.db, logger, timeZone }, snapshot, { source: 'file:snapshot' });
    await trainAndRegister({ db: warehouse.db, logger, slaHours: 72, timeZone }, { asOf: now });
    // Six new open tickets of real types and places, created 10–12 July.
    templates = snapshot.filter((row) => String(row.created ?? '') >= '2023-01-01' && row.location_detail).slice(0, 6);
    syntheticIds = templates.map((_, index) => `990000${index}`);
    await ingest(
      templates.map((template, index) =>
        syntheticOpenRow(template, syntheticIds[index]!, { day: 10 + (index % 3), hour: 9 + index, minute: 15 }),
      ),
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

  it('posts one parent message per run and the tickets as thread replies with a link and an Acknowledge button', async () => {
    const result = await run();
    const expected = [...syntheticIds, REAL_RECENT_OPEN].sort();
    expect(result.posted).toBe(7);
    const [parent, ...replies] = fake.messagesIn(CHANNEL);
    expect(parent?.threadTs).toBeUndefined();
    expect(parent?.text).toContain('7 new high-risk tickets');
    expect(textOf(parent!)).toContain('7 new high-risk tickets');
    // One thread reply per ticket (a run this short is not paged).
    expect(replies.length).toBe(7);
    for (const reply of replies) expect(reply.threadTs).toBe(parent?.ts);
    for (const reply of replies) expect(acknowledgeValues(reply)).toHaveLength(1);
    const posted = replies.flatMap(acknowledgeValues);
    expect([...posted].sort()).toEqual(expected);
    expect(replies.map(textOf).join('\n')).toContain('https://311.example.gov/tickets/9900000');
    // A ticket open since 2014 is outside the 7-day lookback.
    expect(posted).not.toContain(REAL_OLD_OPEN);
    expect(await findAlert(warehouse.db, REAL_OLD_OPEN)).toBeUndefined();

    // Each ticket was scored with its real creation time and fields, and recorded as posted.
    const scorer = await newScorer();
    const ticket = await warehouse.db
      .selectFrom('fact_ticket')
      .selectAll()
      .where('ticket_id', '=', syntheticIds[0]!)
      .executeTakeFirstOrThrow();
    const direct = await scorer.scoreTicket({
      ticketId: ticket.ticket_id,
      requestType: ticket.type_key,
      createdAt: ticket.created_at,
      latitude: ticket.latitude ?? undefined,
      longitude: ticket.longitude ?? undefined,
      commissionDistrict: ticket.commission_district ?? undefined,
      policeSector: ticket.police_sector ?? undefined,
      description: ticket.description ?? undefined,
      reporterDisplay: ticket.reporter_display ?? undefined,
    });
    const record = await findAlert(warehouse.db, syntheticIds[0]!);
    expect(record?.status).toBe('posted');
    expect(record?.probability).toBe(direct.slaBreachProbability);
    expect(record?.topFactors).toEqual(direct.topFactors);
    expect(record?.parentTs).toBe(parent?.ts);
    const reply = replies.find((candidate) => acknowledgeValues(candidate).includes(syntheticIds[0]!))!;
    expect(record?.replyTs).toBe(reply.ts);
    expect(textOf(reply)).toContain(`${Math.round(direct.slaBreachProbability * 100)}%`);
    expect(textOf(reply)).toContain(String(ticket.location_detail).slice(0, 12));
  });

  it('alerts only tickets at or above ALERT_THRESHOLD, and scores the others once', async () => {
    const scorer = await newScorer();
    const dry = await run({ scorer, dryRun: true });
    const probabilities = dry.items.map((item) => item.probability).sort((a, b) => a - b);
    expect(probabilities.length).toBe(7);
    // A threshold between the lowest and highest score splits the tickets.
    const threshold = probabilities[3]!;
    const expectedAbove = dry.items
      .filter((item) => item.probability >= threshold)
      .map((item) => item.ticketId)
      .sort();
    const config = makeConfig({ ALERT_THRESHOLD: String(threshold) });
    const result = await run({ config, scorer });
    expect(result.posted).toBe(expectedAbove.length);
    expect(result.belowThreshold).toBe(7 - expectedAbove.length);
    const posted = fake.messagesIn(CHANNEL).flatMap(acknowledgeValues).sort();
    expect(posted).toEqual(expectedAbove);
    expect((await listAlerts(warehouse.db, { status: 'below_threshold' })).length).toBe(7 - expectedAbove.length);
    // Seen once: lowering the threshold later does not re-score (or alert) tickets already seen.
    fake.reset();
    const again = await run({ config: makeConfig({ ALERT_THRESHOLD: '0' }), scorer });
    expect(again.scored).toBe(0);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('keeps tickets pending when Slack refuses the post, and the next run posts them (once)', async () => {
    fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    const failed = run();
    await expect(failed).rejects.toBeInstanceOf(SlackPostError);
    await expect(failed).rejects.toThrow(/channel_not_found/);
    expect(fake.messagesIn(CHANNEL)).toHaveLength(0);
    const pending = await listAlerts(warehouse.db, { status: 'pending' });
    expect(pending).toHaveLength(7);
    expect(pending.every((alert) => alert.attempts === 1 && alert.lastError?.includes('channel_not_found'))).toBe(true);

    const retry = await run();
    expect(retry.retried).toBe(7);
    expect(retry.posted).toBe(7);
    expect(fake.messagesIn(CHANNEL).flatMap(acknowledgeValues)).toHaveLength(7);
    expect(textOf(fake.messagesIn(CHANNEL)[0]!)).toContain('7 retried from an earlier run');
    expect(await listAlerts(warehouse.db, { status: 'pending' })).toHaveLength(0);

    fake.reset();
    const after = await run();
    expect(after.posted).toBe(0);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('a reply that fails mid-thread leaves only the unposted tickets pending, and the next run posts just those', async () => {
    // A real fault at the fake, injected as the third chat.postMessage (the second reply) leaves the client.
    let postMessages = 0;
    const client = new WebClient('xoxb-test', {
      slackApiUrl: fake.apiUrl,
      logLevel: LogLevel.ERROR,
      retryConfig: { retries: 0 },
      requestInterceptor: (request) => {
        if (String(request.url ?? '').endsWith('chat.postMessage') && ++postMessages === 3)
          fake.failNext('chat.postMessage', { error: 'fatal_error' });
        return request;
      },
    });
    await expect(run({ client, perReply: 3 })).rejects.toThrow(/fatal_error/);
    const firstReply = fake.messagesIn(CHANNEL)[1]!;
    const postedFirst = acknowledgeValues(firstReply);
    expect(postedFirst).toHaveLength(3);
    expect((await listAlerts(warehouse.db, { status: 'posted' })).map((alert) => alert.ticketId).sort()).toEqual([...postedFirst].sort());
    expect(await listAlerts(warehouse.db, { status: 'pending' })).toHaveLength(4);

    fake.reset();
    const retry = await run({ perReply: 3 });
    expect(retry.retried).toBe(4);
    expect(fake.messagesIn(CHANNEL)[0]?.text).toContain('4 new high-risk tickets');
    const postedSecond = fake.messagesIn(CHANNEL).flatMap(acknowledgeValues);
    expect(postedSecond).toHaveLength(4);
    expect(postedSecond.filter((id) => postedFirst.includes(id))).toEqual([]);
    expect(await listAlerts(warehouse.db, { status: 'posted' })).toHaveLength(7);
  });

  it('waits out a 429 for its Retry-After and then posts', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 });
    const result = await run();
    expect(result.posted).toBe(7);
    const calls = fake.callsTo('chat.postMessage');
    expect(calls[0]?.status).toBe(429);
    expect(calls[1]?.status).toBe(200);
    // The retry came after the Retry-After interval, not before.
    expect(calls[1]!.at.getTime() - calls[0]!.at.getTime()).toBeGreaterThanOrEqual(900);
    expect(fake.messagesIn(CHANNEL)).toHaveLength(8); // the parent and one reply per ticket
  });

  it('a dry run posts nothing, writes nothing and needs no Slack client', async () => {
    const config = makeConfig({ SLACK_BOT_TOKEN: '', ALERT_CHANNEL: '' });
    const result = await runAlertsJob({ db: warehouse.db, scorer: await newScorer(), config, logger, now: () => now }, { dryRun: true });
    expect(result.items.map((item) => item.ticketId).sort()).toEqual([...syntheticIds, REAL_RECENT_OPEN].sort());
    expect(result.parent?.text).toContain('7 new high-risk tickets');
    expect(result.pages).toHaveLength(7);
    expect(fake.calls).toHaveLength(0);
    expect(await listAlerts(warehouse.db)).toHaveLength(0);
  });

  it('says which settings are missing instead of posting', async () => {
    const config = makeConfig({ SLACK_BOT_TOKEN: '', ALERT_CHANNEL: '' });
    const attempt = runAlertsJob({ db: warehouse.db, scorer: await newScorer(), config, logger, now: () => now });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/SLACK_BOT_TOKEN and ALERT_CHANNEL/);
    expect(await listAlerts(warehouse.db)).toHaveLength(0);
  });

  it('records who acknowledged an alert; the first acknowledgement wins', async () => {
    await run();
    const at = new Date('2023-07-13T13:00:00Z');
    const first = await recordAlertAcknowledgement(warehouse.db, { ticketId: syntheticIds[1]!, userId: 'U0OPS1', userName: 'dana', at });
    expect(first).toMatchObject({ outcome: 'recorded', acknowledgedBy: 'U0OPS1', acknowledgedByName: 'dana' });
    const second = await recordAlertAcknowledgement(warehouse.db, { ticketId: syntheticIds[1]!, userId: 'U0OPS2', userName: 'lee' });
    expect(second).toMatchObject({ outcome: 'already_acknowledged', acknowledgedBy: 'U0OPS1', acknowledgedByName: 'dana' });
    expect(second.outcome === 'already_acknowledged' && second.acknowledgedAt.getTime()).toBe(at.getTime());
    expect(await recordAlertAcknowledgement(warehouse.db, { ticketId: 'no-such-ticket', userId: 'U0OPS1' })).toEqual({
      outcome: 'not_found',
      ticketId: 'no-such-ticket',
    });
    const stored = await findAlert(warehouse.db, syntheticIds[1]!);
    expect(stored?.acknowledgedBy).toBe('U0OPS1');
    expect(stored?.acknowledgedAt?.getTime()).toBe(at.getTime());
  });

  it('civicops alerts --dry-run prints the tickets it would post, --json the Block Kit', async () => {
    const runCommand = async (values: Record<string, string | boolean>) => {
      const stdout = new Capture();
      const context: CliContext = withTestApp(
        {
          config: makeConfig({ SLACK_BOT_TOKEN: '' }),
          logger,
          stdout,
          stderr: new Capture(),
        },
        warehouse,
      );
      const code = await alertsCommand.run({ values, positionals: [] }, context);
      return { code, stdout: stdout.text };
    };
    const text = await runCommand({ 'dry-run': true, 'as-of': now.toISOString() });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Would post to ${CHANNEL}: "7 new high-risk tickets"`);
    for (const id of syntheticIds) expect(text.stdout).toContain(`#${id}`);
    expect(text.stdout).toContain('https://311.example.gov/tickets/3534220');
    const json = await runCommand({ 'dry-run': true, json: true, 'as-of': now.toISOString() });
    const output = JSON.parse(json.stdout.trim()) as { parent: { text: string }; replies: { blocks: unknown[] }[]; posted: number };
    expect(output.posted).toBe(0);
    expect(output.parent.text).toContain('7 new high-risk tickets');
    expect(JSON.stringify(output.replies)).toContain(ALERT_ACKNOWLEDGE_ACTION_ID);
    expect(await listAlerts(warehouse.db)).toHaveLength(0);
    expect(fake.calls).toHaveLength(0);
  });

  it('re-claims pending tickets only from runs that are over (finished, or stale), never from a run still posting them', async () => {
    const minutes = (n: number) => n * 60_000;
    const openRun = async (values: { status: 'running' | 'failed'; startedAt: Date }) =>
      (
        await warehouse.db
          .insertInto('slack_alert_run')
          .values({
            channel: CHANNEL,
            started_at: values.startedAt,
            status: values.status,
            finished_at: values.status === 'running' ? null : values.startedAt,
          })
          .returning('run_id')
          .executeTakeFirstOrThrow()
      ).run_id;
    const pending = (runId: number, ids: string[]) =>
      warehouse.db
        .insertInto('slack_alert')
        .values(
          ids.map((id) => ({
            ticket_id: id,
            run_id: runId,
            probability: 0.9,
            risk_level: 'High',
            model_version: 'm',
            status: 'pending' as const,
            scored_at: now,
          })),
        )
        .execute();
    // A run posting right now (started a minute ago), one that failed, one "running" for two hours (died).
    const live = await openRun({ status: 'running', startedAt: new Date(now.getTime() - minutes(1)) });
    const failed = await openRun({ status: 'failed', startedAt: new Date(now.getTime() - minutes(20)) });
    const dead = await openRun({ status: 'running', startedAt: new Date(now.getTime() - minutes(120)) });
    await pending(live, [syntheticIds[0]!, syntheticIds[1]!]);
    await pending(failed, [syntheticIds[2]!]);
    await pending(dead, [syntheticIds[3]!]);

    const claim = await claimAlerts(warehouse.db, { channel: CHANNEL, at: now, scores: [] });
    expect(claim.retried).toBe(2);
    expect(claim.claimed.map((entry) => entry.ticket.ticketId).sort()).toEqual([syntheticIds[2]!, syntheticIds[3]!].sort());
    const owners = await warehouse.db.selectFrom('slack_alert').select(['ticket_id', 'run_id']).orderBy('ticket_id').execute();
    expect(Object.fromEntries(owners.map((row) => [row.ticket_id, Number(row.run_id)]))).toEqual({
      [syntheticIds[0]!]: live,
      [syntheticIds[1]!]: live,
      [syntheticIds[2]!]: claim.runId,
      [syntheticIds[3]!]: claim.runId,
    });
    await finishAlertRun(warehouse.db, claim.runId, { status: 'failed', postedCount: 0, error: 'test' });

    // A whole run beside the live one posts everything except the live run's tickets.
    const result = await run();
    const posted = fake.messagesIn(CHANNEL).flatMap(acknowledgeValues);
    expect(posted).not.toContain(syntheticIds[0]);
    expect(posted).not.toContain(syntheticIds[1]);
    expect([...posted].sort()).toEqual([...syntheticIds.slice(2), REAL_RECENT_OPEN].sort());
    expect(result.retried).toBe(2);
    // Once the live run is over (its post failed), the next run retries its tickets, once.
    await finishAlertRun(warehouse.db, live, { status: 'failed', postedCount: 0, error: 'test' });
    fake.reset();
    const after = await run();
    expect(after.retried).toBe(2);
    expect(fake.messagesIn(CHANNEL).flatMap(acknowledgeValues).sort()).toEqual([syntheticIds[0]!, syntheticIds[1]!].sort());
    expect(await listAlerts(warehouse.db, { status: 'pending' })).toEqual([]);
  });

  // Near the end: it adds a ticket (9900100) the earlier cases do not expect.
  it('alerts a ticket at most once, across a restart and a re-ingest of the same rows', async () => {
    const first = await run();
    expect(first.posted).toBe(7);
    fake.reset();
    // "Restart": a new scorer and a new Slack client on the same warehouse.
    const second = await run({ scorer: await newScorer(), client: newClient(makeConfig()) });
    expect(second.posted).toBe(0);
    expect(second.candidates).toBe(0);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(0);
    // The city serves the same tickets again (updated), plus one genuinely new ticket.
    const updated = templates.map((template, index) => ({
      ...syntheticOpenRow(template, syntheticIds[index]!, { day: 10 + (index % 3), hour: 9 + index, minute: 15 }),
      last_updated: '07/12/2023 10:00:00',
    }));
    await ingest([...updated, syntheticOpenRow(templates[0]!, '9900100', { day: 12, hour: 8, minute: 30 })]);
    const third = await run();
    expect(third.posted).toBe(1);
    const messages = fake.messagesIn(CHANNEL);
    expect(messages[0]?.text).toContain('1 new high-risk ticket');
    expect(messages.flatMap(acknowledgeValues)).toEqual(['9900100']);
  });

  // Last: it adds tickets the other cases do not expect.
  it('pages 60 tickets into several replies within Block Kit limits, each ticket exactly once', async () => {
    // 7 + 1 (from the restart case) + 52 = 60 open tickets in the lookback.
    const extra = Array.from({ length: 52 }, (_, index) =>
      syntheticOpenRow(templates[index % templates.length]!, `99100${pad(index)}`, {
        day: 10 + (index % 3),
        hour: index % 24,
        minute: index % 60,
      }),
    );
    await ingest(extra);
    const result = await run();
    expect(result.posted).toBe(60);
    const [parent, ...replies] = fake.messagesIn(CHANNEL);
    expect(parent?.text).toContain('60 new high-risk tickets');
    expect(replies.length).toBe(6);
    const ids: string[] = [];
    for (const reply of replies) {
      expect(reply.threadTs).toBe(parent?.ts);
      expect(reply.blocks?.length ?? 0).toBeLessThanOrEqual(MAX_BLOCKS_PER_MESSAGE);
      expect(reply.text.length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
      for (const block of (reply.blocks ?? []) as { text?: { text?: string }; elements?: { text?: string }[] }[]) {
        expect(block.text?.text?.length ?? 0).toBeLessThanOrEqual(MAX_TEXT_CHARS);
        for (const element of block.elements ?? []) expect(element.text?.length ?? 0).toBeLessThanOrEqual(MAX_TEXT_CHARS);
      }
      ids.push(...acknowledgeValues(reply));
    }
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    // Highest risk first across the pages.
    const probabilities = await Promise.all(ids.map(async (id) => (await findAlert(warehouse.db, id))!.probability));
    expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
    expect(await listAlerts(warehouse.db, { status: 'posted' })).toHaveLength(60);
  });
});
