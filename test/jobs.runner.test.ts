import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engines, createTestWarehouse, type TestWarehouse } from './helpers/databases.js';
import { runJob } from '../src/jobs/job-runner.js';
import { startScheduler } from '../src/jobs/scheduler.js';
import { loadSchedules } from '../src/jobs/schedule.js';
import { loadConfig } from '../src/config/config.js';
import { openPostgres, type Warehouse } from '../src/warehouse/database.js';
import { createLogger } from '../src/shared/logger.js';
import { SocrataRequestError } from '../src/shared/errors.js';
import type { JobFn } from '../src/jobs/job-catalog.js';

const logger = createLogger({ level: 'silent' });
const schedules = loadSchedules(loadConfig({}));

/** A job that blocks until released, so a test can hold it "running" while something else happens. */
function gatedJob(counts: Record<string, number> = { done: 1 }) {
  let release!: () => void;
  let markStarted!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  let calls = 0;
  const fn: JobFn = async () => {
    calls += 1;
    markStarted();
    await gate;
    return counts;
  };
  return { fn, release, started, calls: () => calls };
}

describe.each(engines)('job runner on $name', ({ name }) => {
  let warehouse: TestWarehouse;
  beforeEach(async () => {
    warehouse = await createTestWarehouse(name);
  });
  afterEach(async () => warehouse?.dispose());

  const rows = () => warehouse.db.selectFrom('job_run').selectAll().orderBy('job_run_id').execute();

  it('records a successful run with its counts, trigger and runner', async () => {
    const outcome = await runJob({ warehouse, logger, trigger: 'schedule', runner: 'replica-a:1' }, 'ingest', async () => ({
      fetched: 250,
      mode: 'incremental',
      high_water_mark: null,
    }));
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { fetched: 250, mode: 'incremental' } });
    const [row] = await rows();
    expect(row).toMatchObject({ job: 'ingest', status: 'succeeded', trigger: 'schedule', runner: 'replica-a:1', error: null });
    expect(row!.counts).toEqual({ fetched: 250, mode: 'incremental', high_water_mark: null });
    expect(row!.finished_at!.getTime()).toBeGreaterThanOrEqual(row!.started_at.getTime());
  });

  it('records a failing job with its error class, message and cause, and returns instead of throwing', async () => {
    const outcome = await runJob({ warehouse, logger }, 'ingest', async () => {
      throw new SocrataRequestError('GET https://example.test/resource/78uv-94ar.json failed: HTTP 503', {
        url: 'https://example.test',
        status: 503,
        attempts: 7,
        cause: new Error('upstream maintenance'),
      });
    });
    expect(outcome.status).toBe('failed');
    const [row] = await rows();
    expect(row!.status).toBe('failed');
    expect(row!.error).toContain('SocrataRequestError');
    expect(row!.error).toContain('HTTP 503');
    expect(row!.error).toContain('upstream maintenance');
    expect(row!.finished_at).not.toBeNull();
  });

  it('a second run of a job while the first holds the lock is skipped and recorded as skipped_locked', async () => {
    const job = gatedJob();
    const first = runJob({ warehouse, logger }, 'train', job.fn);
    await job.started;
    const second = await runJob({ warehouse, logger }, 'train', job.fn);
    expect(second).toMatchObject({ status: 'skipped', reason: 'locked' });
    // Another job is not blocked by train's lock.
    const other = await runJob({ warehouse, logger }, 'digest', async () => ({ posted: 1 }));
    expect(other.status).toBe('succeeded');
    job.release();
    expect((await first).status).toBe('succeeded');
    expect(job.calls()).toBe(1);
    const trainRows = (await rows()).filter((row) => row.job === 'train');
    expect(trainRows.map((row) => row.status).sort()).toEqual(['skipped_locked', 'succeeded']);
    // Once released, the lock is free again.
    expect((await runJob({ warehouse, logger }, 'train', async () => ({}))).status).toBe('succeeded');
  });

  it('two schedulers in one process on one warehouse run a tick once; the other records the skip', async () => {
    const job = gatedJob({ fetched: 3 });
    const deps = { warehouse, logger, schedules, jobs: { ingest: job.fn } };
    const a = startScheduler({ ...deps, runner: 'a' }, { timers: false });
    const b = startScheduler({ ...deps, runner: 'b' }, { timers: false });
    const tickA = a.tick('ingest');
    await job.started;
    const tickB = await b.tick('ingest');
    job.release();
    const results = [...(await tickA), ...tickB];
    expect(results.map((outcome) => outcome.status).sort()).toEqual(['skipped', 'succeeded']);
    expect(job.calls()).toBe(1);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('a run left "running" by a killed process is marked interrupted by the next run of that job', async () => {
    await warehouse.db.insertInto('job_run').values({ job: 'ingest', trigger: 'schedule', runner: 'dead-replica:42' }).execute();
    await runJob({ warehouse, logger }, 'ingest', async () => ({}));
    const all = await rows();
    expect(all.map((row) => [row.runner, row.status])).toEqual([
      ['dead-replica:42', 'interrupted'],
      [expect.any(String), 'succeeded'],
    ]);
    expect(all[0]!.error).toContain('abandoned');
  });

  it('a job aborted by shutdown is recorded as interrupted, not failed', async () => {
    const controller = new AbortController();
    const outcome = await runJob({ warehouse, logger, signal: controller.signal }, 'ingest', async ({ signal }) => {
      controller.abort(new Error('received SIGTERM'));
      signal.throwIfAborted();
      return {};
    });
    expect(outcome.status).toBe('interrupted');
    const [row] = await rows();
    expect(row).toMatchObject({ status: 'interrupted' });
    expect(row!.error).toContain('SIGTERM');
  });

  it.runIf(name === 'postgres')(
    'two replicas (separate connection pools) on one PostgreSQL: the advisory lock lets one run the job, the other skips',
    async () => {
      const replicas: Warehouse[] = [await openPostgres(warehouse.url!, { max: 3 }), await openPostgres(warehouse.url!, { max: 3 })];
      try {
        const job = gatedJob({ scored: 12 });
        const [a, b] = replicas.map((replica, index) =>
          startScheduler(
            { warehouse: replica, logger, schedules, jobs: { ingest: async () => ({}), alerts: job.fn }, runner: `replica-${index}` },
            { timers: false },
          ),
        );
        const running = a!.tick('alerts');
        await job.started;
        const locks = await sql<{
          n: number;
        }>`select count(*)::int as n from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`.execute(
          warehouse.db,
        );
        expect(locks.rows[0]!.n).toBe(1);
        const skipped = await b!.tick('alerts');
        expect(skipped).toMatchObject([{ status: 'skipped', reason: 'locked' }]);
        job.release();
        expect(await running).toMatchObject([{ status: 'succeeded', counts: { scored: 12 } }]);
        expect(job.calls()).toBe(1);
        const recorded = await warehouse.db
          .selectFrom('job_run')
          .select(['runner', 'status'])
          .where('job', '=', 'alerts')
          .orderBy('job_run_id')
          .execute();
        expect(recorded).toEqual([
          { runner: 'replica-0', status: 'succeeded' },
          { runner: 'replica-1', status: 'skipped_locked' },
        ]);
        // The lock went with the job: replica b can run the next tick, and no advisory lock is left.
        expect(await b!.tick('alerts')).toMatchObject([{ status: 'succeeded' }]);
        const after = await sql<{
          n: number;
        }>`select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`.execute(
          warehouse.db,
        );
        expect(after.rows[0]!.n).toBe(0);
        await Promise.all([a!.stop(), b!.stop()]);
      } finally {
        await Promise.all(replicas.map((replica) => replica.close()));
      }
    },
  );
});
