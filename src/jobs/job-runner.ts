import { hostname } from 'node:os';
import { asError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Warehouse } from '../warehouse/database.js';
import { finishJobRun, markAbandonedJobRuns, startJobRun, type JobCounts, type JobTrigger } from '../warehouse/job-run.repository.js';
import type { JobFn } from './job-catalog.js';
import { withJobLock } from './job-lock.js';

export interface JobRunnerDeps {
  warehouse: Pick<Warehouse, 'db' | 'kind'>;
  logger: Logger;
  /** Aborted on shutdown: the job stops at its next checkpoint and is recorded as interrupted. */
  signal?: AbortSignal;
  /** Why it runs (default 'manual'). */
  trigger?: JobTrigger;
  /** Identifies this replica in job_run (default hostname:pid). */
  runner?: string;
}

/** How one attempt ended. `jobRunId` is null only when job_run itself could not be written. */
export type JobOutcome =
  | { job: string; status: 'succeeded'; jobRunId: number; counts: JobCounts; durationMs: number }
  | { job: string; status: 'failed'; jobRunId: number | null; error: string; durationMs: number }
  | { job: string; status: 'interrupted'; jobRunId: number | null; error: string; durationMs: number }
  | { job: string; status: 'skipped'; reason: 'locked'; jobRunId: number | null; durationMs: number };

/** This replica's name in job_run. */
export function describeRunner(): string {
  return `${hostname()}:${process.pid}`;
}

/** "SocrataRequestError: ... (cause: ...)" — the class and the first cause say what went wrong. */
export function describeFailure(error: unknown): string {
  const failure = asError(error);
  const cause = failure.cause === undefined ? '' : ` (cause: ${asError(failure.cause).message})`;
  return `${failure.name}: ${failure.message}${cause}`;
}

/**
 * Runs one job under its lock and records the attempt in job_run: running, then succeeded
 * (with counts), failed (with the error), interrupted (shutdown) or skipped_locked (another
 * replica holds the lock). Never throws: the scheduler and the server must survive any job.
 */
export async function runJob(deps: JobRunnerDeps, name: string, fn: JobFn): Promise<JobOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const signal = deps.signal ?? new AbortController().signal;
  const db = deps.warehouse.db;
  let jobRunId: number | null = null;
  let log = deps.logger.child({ job: name });
  try {
    jobRunId = (await startJobRun(db, { job: name, trigger: deps.trigger ?? 'manual', runner: deps.runner ?? describeRunner() })).jobRunId;
    log = log.child({ jobRunId });
    const runId = jobRunId;
    const locked = await withJobLock(deps.warehouse, name, async () => {
      // Holding the lock, no other run of this job is alive anywhere: any row still "running" is a leftover.
      const abandoned = await markAbandonedJobRuns(db, name, runId);
      if (abandoned > 0)
        log.warn({ abandoned }, 'earlier runs of this job ended without an outcome (killed or crashed); marked interrupted');
      log.info('job started');
      return fn({ signal, logger: log });
    });
    if (!locked.acquired) {
      await finishJobRun(db, runId, { status: 'skipped_locked', error: 'lock held by another run (another replica or an earlier tick)' });
      log.info('job skipped: another run holds its lock (another replica is running it)');
      return { job: name, status: 'skipped', reason: 'locked', jobRunId, durationMs: elapsed() };
    }
    await finishJobRun(db, runId, { status: 'succeeded', counts: locked.value });
    log.info({ counts: locked.value, durationMs: elapsed() }, 'job succeeded');
    return { job: name, status: 'succeeded', jobRunId, counts: locked.value, durationMs: elapsed() };
  } catch (error) {
    const interrupted = signal.aborted;
    const message = interrupted ? `interrupted by shutdown: ${describeFailure(error)}` : describeFailure(error);
    if (interrupted) log.warn({ error: message }, 'job interrupted by shutdown; its work is checkpointed and the next run resumes');
    else log.error({ err: error, error: message }, 'job failed; it will be retried on its next tick');
    if (jobRunId !== null) {
      try {
        await finishJobRun(db, jobRunId, { status: interrupted ? 'interrupted' : 'failed', error: message });
      } catch (recordError) {
        // The warehouse is probably down as well; say so, the job's own failure is logged above.
        log.error({ err: recordError }, 'could not record the job outcome in job_run');
      }
    }
    return interrupted
      ? { job: name, status: 'interrupted', jobRunId, error: message, durationMs: elapsed() }
      : { job: name, status: 'failed', jobRunId, error: message, durationMs: elapsed() };
  }
}
