import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { findCronIntervalMs, findPreviousTicks } from '../src/jobs/cron-ticks.js';
import { getJobHealth } from '../src/jobs/job-health.js';
import { loadSchedules } from '../src/jobs/schedule.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/shared/logger.js';
import { statusCommand, type StatusReport } from '../src/cli/commands/status.js';
import type { CliContext } from '../src/cli/command.js';
import { withTestApp } from './helpers/cli-context.js';
import type { JobRunStatus } from '../src/warehouse/schema-jobs.js';
import { FEATURE_NAMES } from '../src/features/feature-catalog.js';
import { insertModel, promoteModel } from '../src/warehouse/model.repository.js';
import { generateFixtureTickets, insertFixtureTickets } from './helpers/ticket-fixtures.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (dates: Date[] | null) => dates?.map((date) => date.toISOString());

describe('cron ticks', () => {
  it('finds the previous ticks of a quarter-hour schedule, newest first', () => {
    expect(iso(findPreviousTicks('*/15 * * * *', 'America/New_York', new Date('2024-06-01T10:31:20Z'), 3))).toEqual([
      '2024-06-01T10:30:00.000Z',
      '2024-06-01T10:15:00.000Z',
      '2024-06-01T10:00:00.000Z',
    ]);
    expect(findCronIntervalMs('*/15 * * * *', 'America/New_York', new Date('2024-06-01T10:31:20Z'))).toBe(15 * 60_000);
  });

  it('reads a nightly schedule in the city zone across the spring DST change (02:30 does not exist that night)', () => {
    expect(iso(findPreviousTicks('30 2 * * *', 'America/New_York', new Date('2024-03-12T12:00:00Z'), 3))).toEqual([
      '2024-03-12T06:30:00.000Z', // 02:30 EDT
      '2024-03-11T06:30:00.000Z',
      '2024-03-09T07:30:00.000Z', // 02:30 EST; 2024-03-10 jumped from 02:00 to 03:00
    ]);
  });

  it('walks back over non-matching days across a DST change and over months', () => {
    expect(iso(findPreviousTicks('0 8 * * 1', 'America/New_York', new Date('2024-03-12T12:00:00Z'), 2))).toEqual([
      '2024-03-11T12:00:00.000Z', // Monday 08:00 EDT
      '2024-03-04T13:00:00.000Z', // Monday 08:00 EST
    ]);
    expect(iso(findPreviousTicks('0 9 1 * *', 'America/New_York', new Date('2024-06-05T00:00:00Z'), 2))).toEqual([
      '2024-06-01T13:00:00.000Z',
      '2024-05-01T13:00:00.000Z',
    ]);
  });

  it('judges an uneven schedule by its longest gap (weekdays only: the weekend)', () => {
    expect(findCronIntervalMs('0 8 * * 1-5', 'America/New_York', new Date('2024-06-05T15:00:00Z'))).toBe(3 * DAY);
    expect(findCronIntervalMs('0 8 * * *', 'America/New_York', new Date('2024-06-05T15:00:00Z'))).toBe(DAY);
  });
});

describe.each(engines)('job health and civicops status on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  const config = loadConfig({});
  const schedules = loadSchedules(config);
  const now = new Date('2024-06-01T12:00:00Z');

  beforeEach(async () => {
    warehouse = await createTestWarehouse(name);
  });
  afterEach(async () => warehouse?.dispose());

  async function record(job: string, status: JobRunStatus, startedAt: Date, error: string | null = null) {
    await warehouse.db
      .insertInto('job_run')
      .values({
        job,
        trigger: 'schedule',
        status,
        started_at: startedAt,
        finished_at: new Date(startedAt.getTime() + 60_000),
        error,
        runner: 'test:1',
        counts: '{}',
      })
      .execute();
  }

  async function seedMixedHealth() {
    // ingest (every 15 min): succeeded 10 minutes ago, a skip since → ok.
    await record('ingest', 'succeeded', new Date(now.getTime() - 10 * 60_000));
    await record('ingest', 'skipped_locked', new Date(now.getTime() - 5 * 60_000));
    // train (nightly): last success 3 days ago, nothing since → overdue (limit 2 days).
    await record('train', 'succeeded', new Date(now.getTime() - 3 * DAY));
    // digest (daily): succeeded yesterday, failed today → failing (but not overdue).
    await record('digest', 'succeeded', new Date(now.getTime() - DAY));
    await record('digest', 'failed', new Date(now.getTime() - HOUR), 'SlackApiError: channel_not_found');
    // alerts: never run.
  }

  it('flags failing and overdue jobs, and reports never-run ones without alarm', async () => {
    await seedMixedHealth();
    const report = await getJobHealth(warehouse.db, now, schedules);
    const byJob = new Map(report.jobs.map((job) => [job.job, job]));
    expect(report.ok).toBe(false);
    expect(byJob.get('ingest')).toMatchObject({
      state: 'ok',
      problems: [],
      lastRun: { status: 'skipped_locked' },
      intervalMs: 15 * 60_000,
    });
    expect(byJob.get('train')).toMatchObject({ state: 'overdue', problems: ['overdue'], intervalMs: DAY });
    expect(byJob.get('train')!.message).toContain('no success for 3 days');
    expect(byJob.get('digest')).toMatchObject({ state: 'failing', problems: ['failing'], failuresSinceSuccess: 1 });
    expect(byJob.get('digest')!.message).toContain('channel_not_found');
    expect(byJob.get('alerts')).toMatchObject({ state: 'never_run', problems: [], lastRun: null, intervalMs: null });
  });

  it('a job that has only ever failed is both failing and, after two intervals, overdue', async () => {
    await record('ingest', 'failed', new Date(now.getTime() - 2 * HOUR), 'Error: boom');
    await record('ingest', 'failed', new Date(now.getTime() - HOUR), 'Error: boom');
    const report = await getJobHealth(warehouse.db, now, schedules);
    expect(report.jobs.find((job) => job.job === 'ingest')).toMatchObject({
      state: 'failing',
      problems: ['failing', 'overdue'],
      failuresSinceSuccess: 2,
    });
  });

  it('is healthy when every job has succeeded recently', async () => {
    await record('ingest', 'succeeded', new Date(now.getTime() - 20 * 60_000));
    await record('train', 'succeeded', new Date(now.getTime() - 10 * HOUR));
    await record('digest', 'succeeded', new Date(now.getTime() - 4 * HOUR));
    await record('alerts', 'succeeded', new Date(now.getTime() - 20 * 60_000));
    const report = await getJobHealth(warehouse.db, now, schedules);
    expect(report.ok).toBe(true);
    expect(report.jobs.map((job) => job.state)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('`civicops status` prints the warehouse, the last ingest and each job, and exits 1 when a job needs attention', async () => {
    const recent = new Date(Date.now() - 60_000);
    await record('ingest', 'succeeded', recent);
    await record('digest', 'failed', recent, 'SlackApiError: channel_not_found');
    await warehouse.db
      .insertInto('ingest_run')
      .values({
        source: 'fake',
        mode: 'full',
        status: 'succeeded',
        fetched: 42,
        inserted: 40,
        error: null,
        since_updated_at: null,
        high_water_mark: null,
        resumed_from_run: null,
      })
      .execute();

    const text = await runStatus(warehouse, []);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(warehouse.describe);
    expect(text.stdout).toMatch(/Last ingest\s+run \d+ succeeded \(full\).*fetched 42/);
    expect(text.stdout).toMatch(/Model\s+not trained yet/);
    expect(text.stdout).toMatch(/digest\s+FAILING.*channel_not_found/);
    expect(text.stdout).toMatch(/ingest\s+ok/);

    const json = await runStatus(warehouse, ['--json']);
    const report = JSON.parse(json.stdout) as StatusReport;
    expect(report).toMatchObject({ facts: 0, quarantined: 0, modelVersion: null, lastIngestRun: { fetched: 42 } });
    expect(report.jobs.jobs.find((job) => job.job === 'digest')!.state).toBe('failing');

    await record('digest', 'succeeded', new Date());
    expect((await runStatus(warehouse, [])).code).toBe(0);
  });

  it('`civicops status` flags a model whose data runs more than MODEL_MAX_AGE_DAYS past its training, with its features drift', async () => {
    const trainStart = new Date('2023-01-02T05:00:00Z');
    const trainedThrough = new Date(trainStart.getTime() + 60 * DAY);
    // 120 days of tickets; the model saw the first 60.
    await insertFixtureTickets(warehouse.db, generateFixtureTickets({ count: 480, start: trainStart, days: 120, seed: 5 }));
    await insertModel(warehouse.db, {
      modelVersion: 'status-test-gbt',
      kind: 'gbt',
      slaHours: 72,
      trainFrom: trainStart,
      trainTo: new Date(trainedThrough.getTime() - 12 * DAY),
      testFrom: new Date(trainedThrough.getTime() - 12 * DAY),
      testTo: trainedThrough,
      nTrain: 190,
      nTest: 50,
      featureNames: [...FEATURE_NAMES],
      metrics: {},
      report: { top_features: [{ feature: 'hourOfDay', importance: 0.4 }] },
      artifact: { featureNames: [...FEATURE_NAMES] },
    });
    await warehouse.db.transaction().execute((trx) => promoteModel(trx, 'status-test-gbt', 'test'));

    const text = await runStatus(warehouse, []);
    // Staleness is shown, not an exit code: monitors of the jobs keep their meaning.
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Model\s+status-test-gbt/);
    expect(text.stdout).toMatch(/trained through 2023-03-03, data through 2023-\d\d-\d\d \(\d+(\.\d)? days later; limit 30\): STALE/);
    expect(text.stdout).toMatch(/feature drift \(PSI, recent vs training\): hourOfDay \d/);

    const report = JSON.parse((await runStatus(warehouse, ['--json'])).stdout) as StatusReport;
    expect(report.model).toMatchObject({
      version: 'status-test-gbt',
      stale: true,
      maxAgeDays: 30,
      trainedThrough: trainedThrough.toISOString(),
    });
    expect(report.model!.ageDays).toBeGreaterThan(30);
    expect(report.model!.drift!.features.map((feature) => feature.feature)).toEqual(['hourOfDay']);
  });
});

function captureStream() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

async function runStatus(warehouse: TestWarehouse, args: string[]) {
  const stdout = captureStream();
  const stderr = captureStream();
  const context: CliContext = withTestApp(
    {
      config: loadConfig({}),
      logger: createLogger({ level: 'silent' }),
      stdout: stdout.stream,
      stderr: stderr.stream,
    },
    warehouse,
  );
  const code = await statusCommand.run({ values: { json: args.includes('--json') }, positionals: [] }, context);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
