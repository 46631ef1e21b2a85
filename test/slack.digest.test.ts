import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliContext } from '../src/cli/command.js';
import { withTestApp } from './helpers/cli-context.js';
import { digestCommand } from '../src/cli/commands/digest.js';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { cityTime, insertFixtureTickets, type FixtureTicket } from './helpers/ticket-fixtures.js';
import { createChartRenderer } from '../src/charts/chart-renderer.js';
import { isPng, readPngSize } from '../src/charts/png-image.js';
import { loadConfig, type AppConfig } from '../src/config/config.js';
import { ConfigError } from '../src/shared/errors.js';
import { createLogger } from '../src/shared/logger.js';
import { formatDigestText, renderDigestBlocks, trendArrow } from '../src/slack/blocks/digest-blocks.js';
import { buildDigest, SURGE_RULE_TEXT } from '../src/slack/digest/build-digest.js';
import { digestCharts } from '../src/slack/digest/digest-charts.js';
import { runDigestJob, summarizeDigestRun } from '../src/slack/digest/run-digest-job.js';
import { claimDigestPost, findDigestPost } from '../src/warehouse/digest-post.repository.js';
import { createSlackWebClient } from '../src/slack/web-client.js';
import { startFakeSlack, type FakeSlack } from '../src/testing/fake-slack.js';
import { Capture } from './helpers/capture.js';

const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
/** Monday 10 July 2023, 08:00 in Gainesville: the digest covers Sunday 9 July. */
const now = cityTime('2023-07-10 08:00');
const CHANNEL = 'C0DIGEST01';

function dayKeys(first: string, last: string, step = 1): string[] {
  const keys: string[] = [];
  for (let at = new Date(`${first}T12:00:00Z`); at <= new Date(`${last}T12:00:00Z`); at = new Date(at.getTime() + step * 86_400_000)) {
    keys.push(at.toISOString().slice(0, 10));
  }
  return keys;
}

const hours = (h: number) => h * 3_600_000;

/**
 * Known data, by design:
 * - Road Repair: one ticket a day 1 May – 8 July at 10:00, five on Sunday 9 July; each closed 24 h later (met).
 * - Noise Complaint: none until 3 July, then two a day 3–8 July (12): a surge; closed after 2 h (met).
 * - Streetlight Repair: every other day 11 June – 7 July at 09:00 (14), never closed (breached once 72 h old).
 */
function knownTickets(): FixtureTicket[] {
  const tickets: FixtureTicket[] = [];
  for (const day of dayKeys('2023-05-01', '2023-07-08')) {
    const createdAt = cityTime(`${day} 10:00`);
    tickets.push({ ticketId: `road-${day}`, requestType: 'Road Repair', createdAt, closedAt: new Date(createdAt.getTime() + hours(24)) });
  }
  for (let i = 0; i < 5; i++) {
    const createdAt = cityTime(`2023-07-09 10:0${i}`);
    tickets.push({
      ticketId: `road-2023-07-09-${i}`,
      requestType: 'Road Repair',
      createdAt,
      closedAt: new Date(createdAt.getTime() + hours(24)),
    });
  }
  for (const day of dayKeys('2023-07-03', '2023-07-08')) {
    for (const time of ['14:00', '15:00']) {
      const createdAt = cityTime(`${day} ${time}`);
      tickets.push({
        ticketId: `noise-${day}-${time}`,
        requestType: 'Noise Complaint',
        createdAt,
        closedAt: new Date(createdAt.getTime() + hours(2)),
      });
    }
  }
  for (const day of dayKeys('2023-06-11', '2023-07-07', 2)) {
    tickets.push({ ticketId: `light-${day}`, requestType: 'Streetlight Repair', createdAt: cityTime(`${day} 09:00`) });
  }
  return tickets;
}

function makeConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({ SLACK_BOT_TOKEN: 'xoxb-test', DIGEST_CHANNEL: CHANNEL, TZ_CITY: timeZone, SLA_HOURS: '72', ...overrides });
}

describe.each(engines)('daily digest on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  let fake: FakeSlack;
  const renderer = createChartRenderer();

  beforeAll(async () => {
    warehouse = await createTestWarehouse(name);
    fake = await startFakeSlack();
    await insertFixtureTickets(warehouse.db, knownTickets(), timeZone);
  });
  afterAll(async () => {
    await fake?.close();
    await warehouse?.dispose();
  });
  beforeEach(() => fake.reset());

  it('compares yesterday with the same weekday of the 8 weeks before, and the last 7 days with the usual week', async () => {
    const digest = await buildDigest(warehouse.db, { now, timeZone, slaHours: 72 });
    expect(digest.date).toBe('2023-07-09');
    expect(digest.weekday).toBe('Sunday');
    expect(digest.day.count).toBe(5);
    // Sundays 2 Jul … 14 May: one road repair each, plus a streetlight on 25 Jun and 11 Jun.
    expect(digest.day.basis).toEqual([1, 2, 1, 2, 1, 1, 1, 1]);
    expect(digest.day.usual).toBeCloseTo(1.25, 10);
    expect(digest.week).toMatchObject({ firstDay: '2023-07-03', lastDay: '2023-07-09', count: 11 + 12 + 3 });
    expect(digest.week.basis).toEqual([10, 11, 10, 8, 7, 7, 7, 7]);
    expect(digest.week.usual).toBeCloseTo(67 / 8, 10);
    expect(trendArrow(digest.day)).toBe('↑');
  });

  it('names the surging type by the stated rule and leaves steady types out', async () => {
    const digest = await buildDigest(warehouse.db, { now, timeZone, slaHours: 72 });
    expect(digest.surges.rule).toBe(SURGE_RULE_TEXT);
    expect(digest.surges.surging.map((type) => type.displayName)).toEqual(['Noise Complaint']);
    const noise = digest.surges.surging[0]!;
    expect(noise.last7Days).toBe(12);
    expect(noise.usualWeekly).toBe(0);
    expect(noise.pValue).toBeLessThan(0.01);
    const road = digest.surges.busiest.find((type) => type.displayName === 'Road Repair');
    expect(road).toMatchObject({ last7Days: 11, usualWeekly: 7, surging: false });
  });

  it('reports SLA attainment and backlog of the last 28 days with the worst types first', async () => {
    const digest = await buildDigest(warehouse.db, { now, timeZone, slaHours: 72 });
    expect(digest.sla.firstDay).toBe('2023-06-12');
    // Judged: road repairs 12 Jun – 8 Jul (27, met), noise (12, met), streetlights 13 Jun – 5 Jul (12, open past 72 h).
    expect(digest.sla.judged).toBe(51);
    expect(digest.sla.breached).toBe(12);
    expect(digest.sla.attainment).toBeCloseTo(39 / 51, 10);
    // Open at midnight after 9 July: the five road repairs of that day and all 14 streetlights.
    expect(digest.sla.backlog).toBe(19);
    expect(digest.sla.worstTypes.map((type) => type.displayName)).toEqual(['Streetlight Repair', 'Noise Complaint', 'Road Repair']);
    expect(digest.sla.worstTypes[0]).toMatchObject({ attainment: 0, judged: 12, breached: 12, backlog: 14 });
    expect(digest.daily).toHaveLength(28);
    expect(digest.daily.at(-1)).toMatchObject({ date: '2023-07-09', count: 5, usual: 1.25 });
  });

  it('renders the numbers into Block Kit and readable text', async () => {
    const digest = await buildDigest(warehouse.db, { now, timeZone, slaHours: 72 });
    const message = renderDigestBlocks(digest);
    const json = JSON.stringify(message.blocks);
    expect(message.text).toContain('Sunday, Jul 9, 2023');
    expect(json).toContain('5 ↑ +300% vs usual Sunday 1.3');
    expect(json).toContain('26 ↑ +210% vs usual week 8.4');
    expect(json).toContain('Noise Complaint');
    expect(json).toContain('1. Streetlight Repair — 0% of 12 judged within 72 h');
    expect(json).toContain('19 open');
    expect(json).toContain('Poisson');
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    const text = formatDigestText(digest).join('\n');
    expect(text).toContain("Sunday's tickets:");
    expect(text).toContain('(last 8 Sundays: 1, 2, 1, 2, 1, 1, 1, 1)');
    expect(text).toContain('Noise Complaint: 12 in 7 days vs usual 0/week');
  });

  it('posts the digest to DIGEST_CHANNEL and uploads its three charts as PNGs in the thread', async () => {
    const config = makeConfig();
    const client = createSlackWebClient(
      { ...config.slack, apiUrl: fake.apiUrl },
      { logger, retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 20 } },
    );
    const result = await runDigestJob({ db: warehouse.db, client, renderer, config, logger, now: () => now });
    expect(result).toMatchObject({ posted: 1, charts: 3, date: '2023-07-09', channel: CHANNEL });
    const [message, chartsReply] = fake.messagesIn(CHANNEL);
    expect(message?.ts).toBe(result.ts);
    expect(JSON.stringify(message?.blocks)).toContain('5 ↑ +300% vs usual Sunday');
    expect(chartsReply?.threadTs).toBe(result.ts);
    expect(chartsReply?.fileIds).toHaveLength(3);
    expect(fake.uploads.map((upload) => upload.filename).sort()).toEqual([
      'digest-sla-2023-07-09.png',
      'digest-surges-2023-07-09.png',
      'digest-volume-2023-07-09.png',
    ]);
    for (const upload of fake.uploads) {
      expect(isPng(upload.bytes)).toBe(true);
      expect(upload.byteLength).toBe(upload.declaredLength);
      expect(readPngSize(upload.bytes)?.width).toBeGreaterThan(300);
    }
  });

  it('a dry run builds the same message and posts nothing, without Slack settings', async () => {
    const config = makeConfig({ SLACK_BOT_TOKEN: '', DIGEST_CHANNEL: '' });
    const result = await runDigestJob({ db: warehouse.db, renderer, config, logger, now: () => now }, { dryRun: true });
    expect(result.posted).toBe(0);
    expect(result.charts).toBe(3);
    expect(result.text.join('\n')).toContain('311 daily digest for Sunday, Jul 9, 2023');
    expect(fake.calls).toHaveLength(0);
  });

  it('says which settings are missing instead of posting', async () => {
    const config = makeConfig({ DIGEST_CHANNEL: '' });
    const client = createSlackWebClient({ ...config.slack, apiUrl: fake.apiUrl }, { logger });
    await expect(runDigestJob({ db: warehouse.db, client, renderer, config, logger, now: () => now })).rejects.toThrow(ConfigError);
    await expect(runDigestJob({ db: warehouse.db, client, renderer, config, logger, now: () => now })).rejects.toThrow(
      /DIGEST_CHANNEL is not set/,
    );
    expect(fake.calls).toHaveLength(0);
  });

  it('digests any day asked for, and leaves out charts with nothing to show', async () => {
    const digest = await buildDigest(warehouse.db, { now, timeZone, slaHours: 72, date: '2023-04-20' });
    expect(digest.day.count).toBe(0);
    expect(digest.surges.surging).toEqual([]);
    expect(digest.sla.worstTypes).toEqual([]);
    expect(digestCharts(digest).map((chart) => chart.name)).toEqual(['volume']);
    await expect(buildDigest(warehouse.db, { now, timeZone, slaHours: 72, date: '2023-02-30' })).rejects.toThrow(/must be a day/);
  });

  describe('once per day across replicas', () => {
    const config = makeConfig();
    const newClient = () => createSlackWebClient({ ...config.slack, apiUrl: fake.apiUrl }, { logger, retryConfig: { retries: 0 } });
    const post = (date: string) =>
      runDigestJob({ db: warehouse.db, client: newClient(), renderer, config, logger, now: () => now }, { date });
    const parents = () => fake.messagesIn(CHANNEL).filter((message) => message.threadTs === undefined);
    beforeEach(async () => {
      await sql`delete from digest_post`.execute(warehouse.db);
    });

    it('two replicas ticking together post the day once; the other run, and any later one, skip with a count', async () => {
      const [a, b] = await Promise.all([post('2023-07-08'), post('2023-07-08')]);
      expect([a.posted, b.posted].sort()).toEqual([0, 1]);
      expect([a.alreadyPosted, b.alreadyPosted].sort()).toEqual([0, 1]);
      expect(parents()).toHaveLength(1);
      const winner = a.posted ? a : b;
      const record = await findDigestPost(warehouse.db, '2023-07-08');
      expect(record).toMatchObject({ date: '2023-07-08', channel: CHANNEL, ts: winner.ts });
      expect(record?.postedAt).toBeInstanceOf(Date);

      const later = await post('2023-07-08');
      expect(later).toMatchObject({ posted: 0, alreadyPosted: 1, ts: winner.ts, channel: CHANNEL });
      expect(summarizeDigestRun(later)).toMatchObject({ posted: 0, already_posted: 1 });
      expect(parents()).toHaveLength(1);
      // Another day is its own claim.
      expect((await post('2023-07-07')).posted).toBe(1);
      expect(parents()).toHaveLength(2);
    });

    it('a failed post gives the day back, and the next tick posts it', async () => {
      fake.failNext('chat.postMessage', { error: 'channel_not_found' });
      await expect(post('2023-07-06')).rejects.toThrow(/channel_not_found/);
      expect(await findDigestPost(warehouse.db, '2023-07-06')).toBeUndefined();
      expect(parents()).toHaveLength(0);
      const retry = await post('2023-07-06');
      expect(retry).toMatchObject({ posted: 1, alreadyPosted: 0 });
      expect(parents()).toHaveLength(1);
    });

    it('a message that went out before its charts failed is not posted again', async () => {
      fake.failNext('files.getUploadURLExternal', { error: 'internal_error' });
      await expect(post('2023-07-05')).rejects.toThrow();
      expect(parents()).toHaveLength(1);
      const record = await findDigestPost(warehouse.db, '2023-07-05');
      expect(record?.ts).toBe(parents()[0]!.ts);
      expect((await post('2023-07-05')).alreadyPosted).toBe(1);
      expect(parents()).toHaveLength(1);
    });

    it('a claim left by a run that died mid-post is taken over once stale, and a fresh one is not', async () => {
      await sql`insert into digest_post (date, channel, claimed_at) values ('2023-07-04', ${CHANNEL}, now() - interval '2 hours'), ('2023-07-03', ${CHANNEL}, now())`.execute(
        warehouse.db,
      );
      expect((await post('2023-07-04')).posted).toBe(1);
      expect(await post('2023-07-03')).toMatchObject({ posted: 0, alreadyPosted: 1, ts: null });
      expect(parents()).toHaveLength(1);
      expect(await claimDigestPost(warehouse.db, { date: '2023-07-03', channel: CHANNEL, staleAfterMs: 0 })).toMatchObject({
        claimed: true,
      });
    });
  });

  describe('civicops digest', () => {
    async function runCommand(values: Record<string, string | boolean>, config: AppConfig) {
      const stdout = new Capture();
      const context: CliContext = withTestApp(
        {
          config,
          logger,
          stdout,
          stderr: new Capture(),
        },
        warehouse,
      );
      const code = await digestCommand.run({ values, positionals: [] }, context);
      return { code, stdout: stdout.text };
    }

    it('--dry-run prints the digest as text and writes the charts with --charts-dir', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'civicops-digest-'));
      try {
        const { code, stdout } = await runCommand({ 'dry-run': true, date: '2023-07-09', 'charts-dir': dir }, makeConfig());
        expect(code).toBe(0);
        expect(stdout).toContain('311 daily digest for Sunday, Jul 9, 2023');
        expect(stdout).toContain('Noise Complaint: 12 in 7 days');
        expect(stdout).toContain(`Would post to ${CHANNEL} with 3 chart(s)`);
        const png = await readFile(join(dir, 'digest-volume-2023-07-09.png'));
        expect(isPng(png)).toBe(true);
        expect(fake.calls).toHaveLength(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('--dry-run --json prints the Block Kit message and the digest data', async () => {
      const { code, stdout } = await runCommand({ 'dry-run': true, json: true, date: '2023-07-09' }, makeConfig({ SLACK_BOT_TOKEN: '' }));
      expect(code).toBe(0);
      const output = JSON.parse(stdout.trim()) as {
        message: { blocks: { type: string }[] };
        digest: { day: { count: number } };
        posted: number;
      };
      expect(output.posted).toBe(0);
      expect(output.message.blocks[0]?.type).toBe('header');
      expect(output.digest.day.count).toBe(5);
    });

    it('posting a day that was already posted says so, exits 0 and posts nothing', async () => {
      await sql`delete from digest_post`.execute(warehouse.db);
      const config = makeConfig({ SLACK_API_URL: fake.apiUrl });
      const first = await runCommand({ date: '2023-07-02' }, config);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/^Posted the digest for 2023-07-02 to C0DIGEST01/);
      const second = await runCommand({ date: '2023-07-02' }, config);
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/The digest for 2023-07-02 was already posted to C0DIGEST01 \(ts [\d.]+\); not posting it again/);
      const json = await runCommand({ date: '2023-07-02', json: true }, config);
      expect(JSON.parse(json.stdout.trim())).toMatchObject({ posted: 0, alreadyPosted: 1 });
      expect(fake.messagesIn(CHANNEL).filter((message) => message.threadTs === undefined)).toHaveLength(1);
    });

    it('without Slack settings, posting says what is missing', async () => {
      await expect(runCommand({ date: '2023-07-09' }, makeConfig({ SLACK_BOT_TOKEN: '', DIGEST_CHANNEL: '' }))).rejects.toThrow(
        /SLACK_BOT_TOKEN and DIGEST_CHANNEL are not set/,
      );
    });
  });
});
