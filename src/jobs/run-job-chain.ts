import type { JobTrigger } from '../warehouse/job-run.repository.js';
import type { JobFunctions, JobName } from './job-catalog.js';
import { runJob, type JobOutcome, type JobRunnerDeps } from './job-runner.js';
import type { JobSchedule } from './schedule.js';

export interface JobChainDeps extends Omit<JobRunnerDeps, 'trigger'> {
  jobs: JobFunctions;
  schedules: readonly JobSchedule[];
  /**
   * Told of every attempt as soon as it ends, before any follow-up starts (e.g. the server of
   * this process refreshes its scorer after an ingest). Must not throw; an error is logged.
   */
  onOutcome?: (outcome: JobOutcome) => void;
}

/**
 * Runs a job and then, if it succeeded, the jobs its schedule lists under `then` (alerts after
 * ingest), each under its own lock and job_run row. A job missing from this build is logged and
 * skipped. Never throws; returns every attempt's outcome in order.
 */
export async function runJobChain(
  deps: JobChainDeps,
  name: JobName,
  options: { trigger: JobTrigger; followUps?: boolean },
): Promise<JobOutcome[]> {
  const fn = deps.jobs[name];
  if (!fn) {
    deps.logger.warn({ job: name }, `job "${name}" is not configured here (Slack jobs need SLACK_BOT_TOKEN and a channel); nothing to run`);
    return [];
  }
  const outcome = await runJob({ ...deps, trigger: options.trigger }, name, fn);
  try {
    deps.onOutcome?.(outcome);
  } catch (error) {
    deps.logger.error({ err: error, job: name }, 'job outcome listener failed');
  }
  const outcomes = [outcome];
  if (outcome.status !== 'succeeded' || options.followUps === false || deps.signal?.aborted) return outcomes;
  const next = deps.schedules.find((schedule) => schedule.job === name)?.then ?? [];
  for (const follower of next) {
    if (deps.signal?.aborted) break;
    if (!deps.jobs[follower]) {
      deps.logger.debug({ job: follower, after: name }, 'follow-up job not available in this build');
      continue;
    }
    outcomes.push(...(await runJobChain(deps, follower, { trigger: 'chained', followUps: options.followUps })));
  }
  return outcomes;
}
