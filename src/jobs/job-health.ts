import type { Kysely } from 'kysely';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { summariseJobRuns, type JobRun, type JobRunSummary } from '../warehouse/job-run.repository.js';
import { findCronIntervalMs } from './cron-ticks.js';
import type { JobSchedule } from './schedule.js';

/**
 * ok: last outcome succeeded and a success is recent enough; failing: the newest run that
 * finished failed; overdue: no success within 2× the schedule's interval; never_run: no attempt
 * recorded yet (a fresh install before its first tick).
 */
export type JobHealthState = 'ok' | 'failing' | 'overdue' | 'never_run';

/** What `/healthz` and `civicops status` show for one job. */
export interface JobHealth {
  job: string;
  cron: string | null;
  state: JobHealthState;
  /** Every problem found (a job can be failing and overdue at once); empty when healthy. */
  problems: ('failing' | 'overdue')[];
  /** One readable sentence for people. */
  message: string;
  intervalMs: number | null;
  lastRun: {
    status: JobRun['status'];
    startedAt: string;
    finishedAt: string | null;
    error: string | null;
    counts: JobRun['counts'];
    runner: string;
  } | null;
  lastSuccessAt: string | null;
  failuresSinceSuccess: number;
}

export interface JobsHealthReport {
  /** False when any job is failing or overdue. */
  ok: boolean;
  checkedAt: string;
  jobs: JobHealth[];
}

const OVERDUE_FACTOR = 2;

function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

function assessJob(schedule: JobSchedule, summary: JobRunSummary, now: Date): JobHealth {
  const intervalMs = schedule.cron ? findCronIntervalMs(schedule.cron, schedule.timeZone, now) : null;
  const problems: JobHealth['problems'] = [];
  const sentences: string[] = [];
  const { lastRun, lastSuccess, lastOutcome } = summary;

  if (lastOutcome?.status === 'failed') {
    problems.push('failing');
    const times = summary.failuresSinceSuccess > 1 ? ` (${summary.failuresSinceSuccess} failures in a row)` : '';
    sentences.push(`last run failed at ${lastOutcome.startedAt.toISOString()}${times}: ${lastOutcome.error ?? 'no error recorded'}`);
  }
  if (intervalMs !== null && lastRun) {
    const limit = OVERDUE_FACTOR * intervalMs;
    // Never succeeded: judged from its first attempt, so a fresh install is not flagged at once.
    const reference = lastSuccess?.startedAt ?? summary.firstRunAt;
    if (reference && now.getTime() - reference.getTime() > limit) {
      problems.push('overdue');
      sentences.push(
        lastSuccess
          ? `no success for ${formatDuration(now.getTime() - reference.getTime())} (expected every ${formatDuration(intervalMs)})`
          : `never succeeded since its first attempt ${formatDuration(now.getTime() - reference.getTime())} ago`,
      );
    }
  }
  let state: JobHealthState;
  if (problems.length > 0) state = problems[0]!;
  else if (!lastRun) state = 'never_run';
  else state = 'ok';
  if (state === 'never_run') sentences.push('no run recorded yet');
  if (state === 'ok') {
    sentences.push(
      lastSuccess
        ? `last success ${lastSuccess.startedAt.toISOString()}`
        : `last attempt ${lastRun!.status} at ${lastRun!.startedAt.toISOString()}`,
    );
  }
  return {
    job: schedule.job,
    cron: schedule.cron,
    state,
    problems,
    message: sentences.join('; '),
    intervalMs,
    lastRun: lastRun
      ? {
          status: lastRun.status,
          startedAt: lastRun.startedAt.toISOString(),
          finishedAt: lastRun.finishedAt?.toISOString() ?? null,
          error: lastRun.error,
          counts: lastRun.counts,
          runner: lastRun.runner,
        }
      : null,
    lastSuccessAt: lastSuccess?.startedAt.toISOString() ?? null,
    failuresSinceSuccess: summary.failuresSinceSuccess,
  };
}

/**
 * Health of every scheduled job as of `now`, for `GET /healthz` and `civicops status`: the last
 * run of each, flagged failing (its newest finished run failed) or overdue (no success within
 * 2× its cron interval). Chained jobs (no cron) can be failing but never overdue.
 */
export async function getJobHealth(db: Kysely<WarehouseSchema>, now: Date, schedules: readonly JobSchedule[]): Promise<JobsHealthReport> {
  const summaries = await summariseJobRuns(
    db,
    schedules.map((schedule) => schedule.job),
  );
  const jobs = schedules.map((schedule, index) => assessJob(schedule, summaries[index]!, now));
  return { ok: jobs.every((job) => job.problems.length === 0), checkedAt: now.toISOString(), jobs };
}
