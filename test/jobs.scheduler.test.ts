import { getTasks } from 'node-cron';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { startScheduler } from '../src/jobs/scheduler.js';
import { loadSchedules, type JobSchedule } from '../src/jobs/schedule.js';
import { getJobHealth } from '../src/jobs/job-health.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/shared/logger.js';
import { ConfigError } from '../src/shared/errors.js';
import type { JobFn } from '../src/jobs/job-catalog.js';

const logger = createLogger({ level: 'silent' });
const schedules = loadSchedules(loadConfig({}));

describe('job schedules (jobs/schedules.json)', () => {
  it('take cron values from the environment over the file defaults, in the city time zone', () => {
    const custom = loadSchedules(loadConfig({ INGEST_CRON: '*/5 * * * *', TZ_CITY: 'America/Chicago' }));
    const byJob = new Map(custom.map((schedule) => [schedule.job, schedule]));
    expect(byJob.get('ingest')).toMatchObject({
      cron: '*/5 * * * *',
      cronEnv: 'INGEST_CRON',
      timeZone: 'America/Chicago',
      then: ['alerts'],
    });
    expect(byJob.get('train')).toMatchObject({ cron: '30 2 * * *', cronEnv: 'TRAIN_CRON' });
    expect(byJob.get('digest')).toMatchObject({ cron: '0 8 * * *', cronEnv: 'DIGEST_CRON' });
    expect(byJob.get('alerts')).toMatchObject({ cron: null, cronEnv: null });
  });

  it('reject a cron expression node-cron cannot run, naming the variable', () => {
    expect(() => loadSchedules(loadConfig({ TRAIN_CRON: '61 2 * * *' }))).toThrow(ConfigError);
    expect(() => loadSchedules(loadConfig({ TRAIN_CRON: '61 2 * * *' }))).toThrow(/TRAIN_CRON/);
  });
});

describe.each(engines)('scheduler on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  beforeEach(async () => {
    warehouse = await createTestWarehouse(name);
  });
  afterEach(async () => warehouse?.dispose());

  it('a failing job is recorded with its error, the scheduler survives, and the next tick runs it again', async () => {
    let ingestCalls = 0;
    let alertCalls = 0;
    const ingest: JobFn = async () => {
      ingestCalls += 1;
      if (ingestCalls === 1) throw new Error('city API unreachable: ECONNREFUSED');
      return { fetched: 10 };
    };
    const alerts: JobFn = async () => {
      alertCalls += 1;
      return { scored: 4 };
    };
    const scheduler = startScheduler({ warehouse, logger, schedules, jobs: { ingest, alerts } }, { timers: false });

    const first = await scheduler.tick('ingest');
    expect(first).toMatchObject([{ job: 'ingest', status: 'failed' }]);
    expect(alertCalls).toBe(0); // alerts only follow a successful ingest
    const afterFailure = await getJobHealth(warehouse.db, new Date(), schedules);
    expect(afterFailure.jobs.find((job) => job.job === 'ingest')).toMatchObject({ state: 'failing', failuresSinceSuccess: 1 });
    expect(afterFailure.ok).toBe(false);

    const second = await scheduler.tick('ingest');
    expect(second).toMatchObject([
      { job: 'ingest', status: 'succeeded', counts: { fetched: 10 } },
      { job: 'alerts', status: 'succeeded', counts: { scored: 4 } },
    ]);
    const rows = await warehouse.db.selectFrom('job_run').select(['job', 'status', 'trigger', 'error']).orderBy('job_run_id').execute();
    expect(rows).toEqual([
      { job: 'ingest', status: 'failed', trigger: 'schedule', error: 'Error: city API unreachable: ECONNREFUSED' },
      { job: 'ingest', status: 'succeeded', trigger: 'schedule', error: null },
      { job: 'alerts', status: 'succeeded', trigger: 'chained', error: null },
    ]);
    const recovered = await getJobHealth(warehouse.db, new Date(), schedules);
    expect(recovered.jobs.find((job) => job.job === 'ingest')).toMatchObject({ state: 'ok', failuresSinceSuccess: 0 });
    await scheduler.stop();
  });

  it('stop aborts a running job, waits for it to checkpoint, and later ticks do nothing', async () => {
    let checkpointed = false;
    const ingest: JobFn = async ({ signal }) => {
      if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      checkpointed = true; // a real job commits its current page here
      signal.throwIfAborted();
      return {};
    };
    const scheduler = startScheduler({ warehouse, logger, schedules, jobs: { ingest } }, { timers: false });
    const running = scheduler.tick('ingest');
    await waitFor(async () => (await warehouse.db.selectFrom('job_run').select('status').executeTakeFirst())?.status === 'running');
    const stopped = await scheduler.stop();
    expect(stopped).toEqual({ drained: true });
    expect(checkpointed).toBe(true);
    expect(await running).toMatchObject([{ status: 'interrupted' }]);
    expect(await scheduler.tick('ingest')).toEqual([]);
    const rows = await warehouse.db.selectFrom('job_run').select('status').execute();
    expect(rows).toEqual([{ status: 'interrupted' }]);
  });

  it('stop gives up waiting at its deadline when a job ignores the abort', async () => {
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const scheduler = startScheduler({ warehouse, logger, schedules, jobs: { ingest: () => stuck.then(() => ({})) } }, { timers: false });
    const running = scheduler.tick('ingest');
    await waitFor(async () => (await warehouse.db.selectFrom('job_run').select('status').executeTakeFirst())?.status === 'running');
    expect(await scheduler.stop({ timeoutMs: 200 })).toEqual({ drained: false });
    release();
    await running;
  });
});

describe('scheduler timers', () => {
  let warehouse: TestWarehouse;
  beforeEach(async () => {
    warehouse = await createTestWarehouse('pglite');
  });
  afterEach(async () => warehouse?.dispose());

  it('arms node-cron for each available scheduled job, fires on the cron, and removes its timers on stop', async () => {
    const everySecond: JobSchedule[] = schedules.map((schedule) =>
      schedule.job === 'ingest' ? { ...schedule, cron: '* * * * * *' } : schedule,
    );
    const tasksBefore = getTasks().size;
    let runs = 0;
    const scheduler = startScheduler({ warehouse, logger, schedules: everySecond, jobs: { ingest: async () => ({ run: ++runs }) } });
    expect(scheduler.scheduled).toEqual(['ingest']); // train and digest are not in this build
    expect(getTasks().size).toBe(tasksBefore + 1);
    await waitFor(async () => {
      const row = await warehouse.db
        .selectFrom('job_run')
        .select(['status', 'trigger'])
        .where('status', '=', 'succeeded')
        .executeTakeFirst();
      return row?.trigger === 'schedule';
    }, 10_000);
    await scheduler.stop();
    expect(getTasks().size).toBe(tasksBefore);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
