/**
 * Alerts are exactly-once in effect even when the process dies at the worst moment: `civicops
 * alerts` runs in a child process against the loopback fake Slack in this process; the fake holds
 * its answer to the parent post (or to the first thread reply) after accepting it, the test kills
 * the child with SIGKILL right then — Slack has the message, the warehouse has not recorded it —
 * and the next run must find that message by its metadata instead of posting it again.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingestRows } from '../src/ingest/ingest.js';
import { bundledSnapshotPath, readSodaSnapshot } from '../src/ingest/snapshot.js';
import { trainAndRegister } from '../src/model/train-pipeline.js';
import { createLogger } from '../src/shared/logger.js';
import { ALERT_PARENT_EVENT_TYPE, ALERT_REPLY_EVENT_TYPE } from '../src/slack/alerts/run-alerts-job.js';
import { startFakeSlack, type FakeSlack } from '../src/testing/fake-slack.js';
import { listAlerts } from '../src/warehouse/alert.repository.js';
import { openPGlite, type Warehouse } from '../src/warehouse/database.js';
import { migrate } from '../src/warehouse/migrate.js';
import { createTestWarehouse, engines, type TestWarehouse } from './helpers/databases.js';

const logger = createLogger({ level: 'silent' });
const timeZone = 'America/New_York';
const CHANNEL = 'C0ALERTKILL';
/** The killed run; the next one comes an hour later, when a run still "running" is taken for dead. */
const FIRST_RUN_AT = '2023-07-13T12:00:00.000Z';
const NEXT_RUN_AT = '2023-07-13T13:00:00.000Z';

/** The snapshot, a model trained on it, and four open tickets created in the alert lookback window. */
async function seedWarehouse(warehouse: Warehouse): Promise<void> {
  const deps = { db: warehouse.db, logger, timeZone };
  const snapshot = (await readSodaSnapshot(bundledSnapshotPath)) as Record<string, unknown>[];
  await ingestRows(deps, snapshot, { source: 'file:snapshot' });
  await trainAndRegister({ ...deps, slaHours: 72 }, { asOf: new Date(FIRST_RUN_AT) });
  const templates = snapshot.filter((row) => String(row.created ?? '') >= '2023-01-01' && row.location_detail).slice(0, 4);
  await ingestRows(
    deps,
    templates.map((template, index) => {
      const row: Record<string, unknown> = { ...template, id: `990000${index}`, status: 'Submitted' };
      for (const key of ['closed', 'minutes_to_close', 'days_to_close', 'acknowledged']) delete row[key];
      row.created = `2023-07-1${index % 3}T0${index + 1}:15:00.000`;
      row.last_updated = `07/1${index % 3}/2023 0${index + 1}:15:00`;
      return row;
    }),
    { source: 'file:synthetic' },
  );
}

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

describe.each(engines)('alerts survive a SIGKILL between Slack accepting and the warehouse recording on $name', ({ name }) => {
  let fake: FakeSlack;
  let pgWarehouse: TestWarehouse | undefined;
  let dataDir: string | undefined;

  /** The warehouse the child processes use, opened here only while no child runs (PGlite is one process at a time). */
  async function withWarehouse<T>(use: (warehouse: Warehouse) => Promise<T>): Promise<T> {
    if (pgWarehouse) return use(pgWarehouse);
    const warehouse = await openPGlite(join(dataDir!, 'pglite'));
    try {
      return await use(warehouse);
    } finally {
      await warehouse.close();
    }
  }

  /** `civicops alerts --as-of <asOf>` in a child process on the shared warehouse, posting to the fake. */
  function runAlertsChild(asOf: string, onStart: (kill: () => Promise<void>) => void = () => {}): Promise<ChildRun> {
    const env: Record<string, string | undefined> = {
      ...process.env,
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_API_URL: fake.apiUrl,
      ALERT_CHANNEL: CHANNEL,
      ALERT_THRESHOLD: '0',
      TZ_CITY: timeZone,
      SLA_HOURS: '72',
      LOG_LEVEL: 'silent',
    };
    if (pgWarehouse) env.DATABASE_URL = pgWarehouse.url;
    else {
      delete env.DATABASE_URL;
      env.CIVICOPS_DATA_DIR = dataDir;
    }
    const child = spawn(
      process.execPath,
      ['node_modules/vite-node/vite-node.mjs', 'test/helpers/ingest-child.ts', '--', 'alerts', '--as-of', asOf],
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<ChildRun>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
    onStart(async () => {
      child.kill('SIGKILL');
      await exited;
    });
    return exited;
  }

  /** Every alert message in the channel as Slack returns it with include_all_metadata: parents and their replies. */
  async function readChannel(): Promise<{
    parents: { ts: string; ids: string[] }[];
    replies: { ts: string; threadTs: string; ids: string[] }[];
  }> {
    const client = new WebClient(fake.botToken, { slackApiUrl: fake.apiUrl });
    const idsOf = (message: { metadata?: { event_payload?: Record<string, unknown> } }) =>
      String(message.metadata?.event_payload?.ticket_ids ?? '')
        .split(',')
        .filter(Boolean);
    const history = await client.conversations.history({ channel: CHANNEL, include_all_metadata: true, limit: 999 });
    const parents = (history.messages ?? [])
      .filter((message) => message.metadata?.event_type === ALERT_PARENT_EVENT_TYPE)
      .map((message) => ({ ts: message.ts!, ids: idsOf(message) }));
    const replies: { ts: string; threadTs: string; ids: string[] }[] = [];
    for (const parent of parents) {
      const thread = await client.conversations.replies({ channel: CHANNEL, ts: parent.ts, include_all_metadata: true, limit: 999 });
      for (const message of thread.messages ?? []) {
        if (message.metadata?.event_type === ALERT_REPLY_EVENT_TYPE)
          replies.push({ ts: message.ts!, threadTs: parent.ts, ids: idsOf(message) });
      }
    }
    return { parents, replies };
  }

  beforeAll(async () => {
    fake = await startFakeSlack();
    if (name === 'postgres') {
      pgWarehouse = await createTestWarehouse('postgres');
      await seedWarehouse(pgWarehouse);
    } else {
      dataDir = mkdtempSync(join(tmpdir(), 'civicops-alerts-kill-'));
      await withWarehouse(async (warehouse) => {
        await migrate(warehouse.db);
        await seedWarehouse(warehouse);
      });
    }
  }, 300_000);
  afterAll(async () => {
    await fake?.close();
    await pgWarehouse?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    fake.reset();
    await withWarehouse(async (warehouse) => {
      await warehouse.db.deleteFrom('slack_alert').execute();
      await warehouse.db.deleteFrom('slack_alert_run').execute();
    });
  });

  /**
   * Runs the alerts job in a child killed once Slack has accepted the post `killAt` picks, checks
   * that the warehouse never heard of that post, runs the job again, and returns the channel.
   */
  async function killThenRerun(killAt: (args: Record<string, unknown>) => boolean) {
    let kill: (() => Promise<void>) | undefined;
    fake.failNext('chat.postMessage', { when: killAt, holdAnswer: () => kill!() });
    const killed = await runAlertsChild(FIRST_RUN_AT, (killChild) => {
      kill = killChild;
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const accepted = await readChannel();
    const left = await withWarehouse(async (warehouse) => ({
      alerts: await listAlerts(warehouse.db),
      runs: await warehouse.db.selectFrom('slack_alert_run').select(['status', 'parent_ts']).execute(),
    }));
    // Killed before recording: every alert pending, the run still "running" with no parent ts.
    expect(left.alerts.length).toBeGreaterThan(0);
    expect(left.alerts.every((alert) => alert.status === 'pending')).toBe(true);
    expect(left.runs).toEqual([{ status: 'running', parent_ts: null }]);

    const rerun = await runAlertsChild(NEXT_RUN_AT);
    expect(rerun.code, rerun.stderr).toBe(0);
    const alerts = await withWarehouse((warehouse) => listAlerts(warehouse.db));
    return { accepted, channel: await readChannel(), alerts };
  }

  /** Exactly one parent, and every alerted ticket in exactly one reply under it, as the warehouse records. */
  function expectOnePostPerAlert(channel: Awaited<ReturnType<typeof readChannel>>, alerts: Awaited<ReturnType<typeof listAlerts>>): void {
    expect(channel.parents).toHaveLength(1);
    const parent = channel.parents[0]!;
    const posted = channel.replies.flatMap((reply) => reply.ids);
    expect([...posted].sort()).toEqual(alerts.map((alert) => alert.ticketId).sort());
    expect(new Set(posted).size).toBe(posted.length);
    expect(channel.replies.every((reply) => reply.threadTs === parent.ts)).toBe(true);
    for (const alert of alerts) {
      expect(alert.status).toBe('posted');
      expect(alert.parentTs).toBe(parent.ts);
      expect(alert.replyTs).toBe(channel.replies.find((reply) => reply.ids.includes(alert.ticketId))?.ts);
    }
  }

  it('killed right after Slack accepted the parent message: the next run threads every alert under that one parent', async () => {
    const { accepted, channel, alerts } = await killThenRerun((args) => args.thread_ts === undefined);
    expect(accepted.parents).toHaveLength(1);
    expect(accepted.replies).toHaveLength(0);
    expectOnePostPerAlert(channel, alerts);
    expect(channel.parents[0]?.ts).toBe(accepted.parents[0]?.ts);
  }, 300_000);

  it('killed right after Slack accepted the first reply: the next run records that reply and posts only the rest', async () => {
    const { accepted, channel, alerts } = await killThenRerun((args) => args.thread_ts !== undefined);
    expect(accepted.parents).toHaveLength(1);
    expect(accepted.replies).toHaveLength(1);
    expectOnePostPerAlert(channel, alerts);
    expect(channel.replies[0]).toEqual(accepted.replies[0]);
  }, 300_000);
});
