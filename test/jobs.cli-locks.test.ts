import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { alertsCommand } from '../src/cli/commands/alerts.js';
import { ingestCommand } from '../src/cli/commands/ingest.js';
import type { CliContext } from '../src/cli/command.js';
import { withTestApp } from './helpers/cli-context.js';
import { loadConfig, type AppConfig } from '../src/config/config.js';
import type { JobFn } from '../src/jobs/job-catalog.js';
import { runJob } from '../src/jobs/job-runner.js';
import { createLogger } from '../src/shared/logger.js';
import { openPostgres } from '../src/warehouse/database.js';
import { startFakeSoda, type FakeSoda } from '../src/testing/fake-soda.js';
import { ConfigError } from '../src/shared/errors.js';

const logger = createLogger({ level: 'silent' });
const FIXTURE = fileURLToPath(new URL('./fixtures/soda-rows-1200.json', import.meta.url));
const sampleRows: Record<string, unknown>[] = JSON.parse(readFileSync(FIXTURE, 'utf8'));
const TOKEN = 'cli-locks-token';
let fake: FakeSoda;

/** A job that blocks until released: "a scheduled run is in progress". */
function gatedJob() {
  let release!: () => void;
  let markStarted!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const fn: JobFn = async () => {
    markStarted();
    await gate;
    return { done: 1 };
  };
  return { fn, release, started };
}

function makeConfig(overrides: Record<string, string> = {}): AppConfig {
  // A Slack URL nothing listens on: a command that wrongly posted would fail loudly.
  return loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test',
    ALERT_CHANNEL: 'C0ALERTS01',
    SLACK_API_URL: 'http://127.0.0.1:9/api/',
    SOCRATA_BASE_URL: fake.baseUrl,
    SOCRATA_APP_TOKEN: TOKEN,
    SOCRATA_PAGE_SIZE: '100',
    SOCRATA_MAX_RETRIES: '0',
    ...overrides,
  });
}

describe.each(engines)('civicops ingest / alerts under the job locks on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  beforeAll(async () => {
    fake = await startFakeSoda({ rows: sampleRows.slice(0, 300), requiredAppToken: TOKEN, updatedAt: new Date('2024-01-01T00:00:00Z') });
  });
  afterAll(async () => fake?.close());
  beforeEach(async () => {
    warehouse = await createTestWarehouse(name);
  });
  afterEach(async () => warehouse?.dispose());

  async function command(which: typeof ingestCommand, values: Record<string, string | boolean>, config = makeConfig()) {
    let stdout = '';
    const context: CliContext = withTestApp(
      {
        config,
        logger,
        stdout: new Writable({
          write: (chunk, _encoding, done) => {
            stdout += String(chunk);
            done();
          },
        }),
        stderr: new Writable({ write: (_chunk, _encoding, done) => done() }),
      },
      warehouse,
    );
    const code = await which.run({ values, positionals: [] }, context);
    return { code, stdout, lastLine: stdout.trim().split('\n').at(-1) ?? '' };
  }
  const jobRuns = (job: string) =>
    warehouse.db.selectFrom('job_run').select(['status', 'trigger', 'counts']).where('job', '=', job).orderBy('job_run_id').execute();
  const factCount = async () =>
    Number(
      (
        await warehouse.db
          .selectFrom('fact_ticket')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('`civicops ingest` while a scheduled ingest runs says so, exits 0 and touches nothing; once it is over it ingests', async () => {
    const scheduled = gatedJob();
    const running = runJob({ warehouse, logger, trigger: 'schedule' }, 'ingest', scheduled.fn);
    await scheduled.started;

    const skipped = await command(ingestCommand, { 'from-file': FIXTURE, json: true });
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.lastLine)).toMatchObject({
      status: 'skipped',
      reason: 'locked',
      fetched: 0,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      quarantined: 0,
      high_water_mark: null,
    });
    expect(JSON.parse(skipped.lastLine).message).toMatch(/another ingest run holds the job lock/);
    const text = await command(ingestCommand, { 'from-file': FIXTURE });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ingest: skipped — another ingest run holds the job lock/);
    // Nothing written: no ingest_run (the live one is not taken for interrupted), no facts,
    // and the scheduled run is still "running", not marked abandoned.
    expect(await warehouse.db.selectFrom('ingest_run').selectAll().execute()).toEqual([]);
    expect(await factCount()).toBe(0);
    // From the city API it is a run of the ingest job: the skip is recorded, as `jobs run` records it.
    const api = await command(ingestCommand, { json: true });
    expect(api.code).toBe(0);
    expect(JSON.parse(api.lastLine)).toMatchObject({ status: 'skipped', reason: 'locked', fetched: 0 });
    expect(fake.requests.length).toBe(0);
    expect((await jobRuns('ingest')).map((row) => [row.status, row.trigger])).toEqual([
      ['running', 'schedule'],
      ['skipped_locked', 'manual'],
    ]);

    scheduled.release();
    expect((await running).status).toBe('succeeded');
    const done = await command(ingestCommand, { 'from-file': FIXTURE, json: true });
    expect(done.code).toBe(0);
    const summary = JSON.parse(done.lastLine) as Record<string, unknown>;
    expect(summary).toMatchObject({ mode: 'file', fetched: 1200, updated: 0 });
    for (const key of ['fetched', 'inserted', 'updated', 'unchanged', 'quarantined', 'high_water_mark'])
      expect(summary).toHaveProperty(key);
    expect(await factCount()).toBeGreaterThan(1000);
    // A snapshot load is not the ingest job: it does not count for the job's health.
    expect((await jobRuns('ingest')).map((row) => row.status)).toEqual(['succeeded', 'skipped_locked']);
    const fromApi = await command(ingestCommand, { json: true });
    expect(JSON.parse(fromApi.lastLine)).toMatchObject({ mode: 'full', fetched: 300 });
    expect((await jobRuns('ingest')).at(-1)).toMatchObject({
      status: 'succeeded',
      trigger: 'manual',
      counts: { mode: 'full', fetched: 300 },
    });
  });

  it('a failing `civicops ingest` still throws its own error and releases the lock; an API failure is recorded as failed', async () => {
    await expect(command(ingestCommand, { 'from-file': '/no/such/snapshot.json' })).rejects.toThrow(/Cannot read snapshot file/);
    expect(await jobRuns('ingest')).toEqual([]);
    fake.fault({ kind: 'status', status: 500, times: 3 });
    try {
      await expect(command(ingestCommand, {})).rejects.toThrow(/HTTP 500/);
    } finally {
      fake.clearFaults();
    }
    expect(await jobRuns('ingest')).toMatchObject([{ status: 'failed', trigger: 'manual' }]);
    // The lock was released: the next run goes ahead.
    expect((await command(ingestCommand, { 'from-file': FIXTURE, json: true })).code).toBe(0);
    expect(await factCount()).toBeGreaterThan(1000);
  });

  it('`civicops alerts` without its Slack settings says what is missing and records no alerts run', async () => {
    await expect(command(alertsCommand, {}, makeConfig({ ALERT_CHANNEL: '' }))).rejects.toThrow(ConfigError);
    expect(await jobRuns('alerts')).toEqual([]);
  });

  it('`civicops alerts` while the alerts job runs says so, exits 0 and neither claims nor posts; --dry-run needs no lock', async () => {
    const scheduled = gatedJob();
    const running = runJob({ warehouse, logger, trigger: 'chained' }, 'alerts', scheduled.fn);
    await scheduled.started;

    const text = await command(alertsCommand, {});
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^alerts: skipped — another alerts run holds the job lock/);
    const json = await command(alertsCommand, { json: true });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.lastLine)).toMatchObject({ dryRun: false, status: 'skipped', reason: 'locked', posted: 0 });
    expect(await warehouse.db.selectFrom('slack_alert_run').selectAll().execute()).toEqual([]);
    expect((await jobRuns('alerts')).map((row) => row.status)).toEqual(['running', 'skipped_locked', 'skipped_locked']);

    // A dry run writes nothing, so it runs beside the live one.
    const dry = await command(alertsCommand, { 'dry-run': true, json: true });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.lastLine)).toMatchObject({ dryRun: true, posted: 0 });
    expect((await jobRuns('alerts')).length).toBe(3);

    scheduled.release();
    expect((await running).status).toBe('succeeded');
  });

  it.runIf(name === 'postgres')(
    'two processes: `civicops ingest` in a child process skips while this process holds the ingest lock, then runs',
    async () => {
      // "This process" is a replica with its own connection pool, running the scheduled ingest.
      const replica = await openPostgres(warehouse.url!, { max: 3 });
      try {
        const scheduled = gatedJob();
        const running = runJob({ warehouse: replica, logger, trigger: 'schedule', runner: 'replica-a:1' }, 'ingest', scheduled.fn);
        await scheduled.started;

        const child = await runCliChild(['ingest', '--from-file', FIXTURE, '--json'], warehouse.url!);
        expect(child.code).toBe(0);
        expect(JSON.parse(child.stdout.trim().split('\n').at(-1)!)).toMatchObject({ status: 'skipped', reason: 'locked', inserted: 0 });
        expect(await factCount()).toBe(0);
        expect((await jobRuns('ingest')).map((row) => row.status)).toEqual(['running']);

        scheduled.release();
        expect((await running).status).toBe('succeeded');
        const again = await runCliChild(['ingest', '--from-file', FIXTURE, '--json'], warehouse.url!);
        expect(again.code).toBe(0);
        expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!)).toMatchObject({ mode: 'file', fetched: 1200 });
        expect(await factCount()).toBeGreaterThan(1000);
      } finally {
        await replica.close();
      }
    },
    60_000,
  );
});

/** Runs the real `civicops` CLI in a child process (through vite-node, as the SIGKILL ingest test does). */
function runCliChild(args: string[], databaseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' };
    const child = spawn(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'test/helpers/ingest-child.ts', '--', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
