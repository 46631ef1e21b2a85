import type { JobCounts } from '../warehouse/job-run.repository.js';
import type { JobContext, JobName } from './job-catalog.js';
import { withJobLock } from './job-lock.js';
import { runJob, type JobOutcome, type JobRunnerDeps } from './job-runner.js';

/** What a CLI command run under a job's lock got: its own result, or the news that the lock was taken. */
export type CommandJobResult<T> =
  | { status: 'succeeded'; value: T; outcome: JobOutcome | null }
  | { status: 'skipped'; outcome: JobOutcome | null };

/**
 * Runs a CLI command's work (`civicops ingest`, `civicops alerts`) as a run of the job `name`:
 * under the same lock as the scheduled job (so it never races a scheduled run, another replica or
 * another command) and recorded in job_run (trigger manual by default), exactly as
 * `civicops jobs run` does.
 *
 * Unlike runJob it hands back the command's own result, and a failure is re-thrown as the original
 * error (after job_run has recorded it), so the command reports it as it always did. When another
 * run holds the lock nothing is done and `{ status: 'skipped' }` is returned; say so and exit 0.
 *
 * `record: false` takes the lock without a job_run row (outcome null): for work that is not the
 * job itself (loading a snapshot file), whose success or failure must not count for the job's health.
 */
export async function runCommandAsJob<T>(
  deps: JobRunnerDeps,
  name: JobName,
  work: (context: JobContext) => Promise<{ value: T; counts: JobCounts }>,
  options: { record?: boolean } = {},
): Promise<CommandJobResult<T>> {
  if (options.record === false) {
    const signal = deps.signal ?? new AbortController().signal;
    const locked = await withJobLock(deps.warehouse, name, () => work({ signal, logger: deps.logger.child({ job: name }) }));
    return locked.acquired ? { status: 'succeeded', value: locked.value.value, outcome: null } : { status: 'skipped', outcome: null };
  }
  let result: { value: T } | undefined;
  let failure: { error: unknown } | undefined;
  const outcome = await runJob({ trigger: 'manual', ...deps }, name, async (context) => {
    try {
      const done = await work(context);
      result = { value: done.value };
      return done.counts;
    } catch (error) {
      failure = { error };
      throw error;
    }
  });
  if (outcome.status === 'succeeded' && result) return { status: 'succeeded', value: result.value, outcome };
  if (outcome.status === 'skipped') return { status: 'skipped', outcome };
  if (failure) throw failure.error;
  // job_run itself could not be written (the warehouse is down): the job never ran.
  throw new Error(outcome.status === 'succeeded' ? `${name}: finished without a result` : outcome.error);
}

/** The line a command prints when it finds its job's lock taken. */
export function lockTakenMessage(job: JobName): string {
  return `${job}: skipped — another ${job} run holds the job lock (the scheduler, another replica or another command is running it); nothing was done. Try again when it has finished (see \`civicops jobs history ${job}\`).`;
}
