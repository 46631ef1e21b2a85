import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { WarehouseSchema } from './schema.js';
import type { JobRunStatus, JobRunTable, JobTrigger } from './schema-jobs.js';

type Db = Kysely<WarehouseSchema> | Transaction<WarehouseSchema>;

export type { JobRunStatus, JobTrigger };

/** Counts a job reports (rows fetched, tickets scored...), stored as jsonb. */
export type JobCounts = Record<string, number | string | null>;

/** One attempt to run a job, as stored in job_run. */
export interface JobRun {
  jobRunId: number;
  job: string;
  trigger: JobTrigger;
  status: JobRunStatus;
  startedAt: Date;
  finishedAt: Date | null;
  counts: JobCounts;
  error: string | null;
  /** hostname:pid of the replica that made the attempt. */
  runner: string;
}

function toJobRun(row: Selectable<JobRunTable>): JobRun {
  return {
    jobRunId: row.job_run_id,
    job: row.job,
    trigger: row.trigger,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    counts: row.counts ?? {},
    error: row.error,
    runner: row.runner,
  };
}

/** Records the start of an attempt (status running); the lock is taken afterwards. */
export async function startJobRun(db: Db, run: { job: string; trigger: JobTrigger; runner: string }): Promise<JobRun> {
  const row = await db
    .insertInto('job_run')
    .values({ job: run.job, trigger: run.trigger, runner: run.runner })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toJobRun(row);
}

/** Records how an attempt ended. */
export async function finishJobRun(
  db: Db,
  jobRunId: number,
  outcome: { status: Exclude<JobRunStatus, 'running'>; counts?: JobCounts; error?: string | null },
): Promise<void> {
  await db
    .updateTable('job_run')
    .set({
      status: outcome.status,
      finished_at: sql<Date>`now()`,
      counts: JSON.stringify(outcome.counts ?? {}),
      error: outcome.error ?? null,
    })
    .where('job_run_id', '=', jobRunId)
    .execute();
}

/**
 * Marks runs of a job still shown as running (other than `exceptRunId`) as interrupted. Only
 * call it while holding the job's lock: then no such run can be alive anywhere, so those rows
 * were left by a process that was killed or lost its connection.
 */
export async function markAbandonedJobRuns(db: Db, job: string, exceptRunId: number): Promise<number> {
  const result = await db
    .updateTable('job_run')
    .set({
      status: 'interrupted',
      finished_at: sql<Date>`now()`,
      error: 'abandoned: the process ended without recording an outcome (killed or crashed)',
    })
    .where('job', '=', job)
    .where('status', '=', 'running')
    .where('job_run_id', '!=', exceptRunId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** What health checks need about each job: its newest attempt, success and outcome. */
export interface JobRunSummary {
  job: string;
  /** Newest attempt of any status (including skipped_locked and running). */
  lastRun: JobRun | null;
  lastSuccess: JobRun | null;
  /** Newest attempt that succeeded or failed (skips and interruptions say nothing about health). */
  lastOutcome: JobRun | null;
  /** Failed attempts since the last success. */
  failuresSinceSuccess: number;
  /** When the job was first attempted (null: never). */
  firstRunAt: Date | null;
}

/** Summaries for the given jobs (a job never run gets nulls), in the order given. */
export async function summariseJobRuns(db: Db, jobs: readonly string[]): Promise<JobRunSummary[]> {
  if (jobs.length === 0) return [];
  const newest = (statuses?: JobRunStatus[]) => {
    let query = db
      .selectFrom('job_run')
      .selectAll()
      .distinctOn('job')
      .where('job', 'in', [...jobs]);
    if (statuses) query = query.where('status', 'in', statuses);
    return query.orderBy('job').orderBy('started_at', 'desc').orderBy('job_run_id', 'desc').execute();
  };
  const [latest, successes, outcomes, failures, firsts] = await Promise.all([
    newest(),
    newest(['succeeded']),
    newest(['succeeded', 'failed']),
    db
      .selectFrom('job_run as r')
      .select(['r.job', (eb) => eb.fn.countAll<number>().as('failures')])
      .where('r.job', 'in', [...jobs])
      .where('r.status', '=', 'failed')
      .where(({ eb, selectFrom }) =>
        eb(
          'r.started_at',
          '>',
          eb.fn.coalesce(
            selectFrom('job_run as s')
              .select((inner) => inner.fn.max('s.started_at').as('m'))
              .whereRef('s.job', '=', 'r.job')
              .where('s.status', '=', 'succeeded'),
            sql<Date>`'-infinity'::timestamptz`,
          ),
        ),
      )
      .groupBy('r.job')
      .execute(),
    db
      .selectFrom('job_run')
      .select(['job', (eb) => eb.fn.min('started_at').as('first_run_at')])
      .where('job', 'in', [...jobs])
      .groupBy('job')
      .execute(),
  ]);
  const byJob = <T extends { job: string }>(rows: T[]) => new Map(rows.map((row) => [row.job, row]));
  const latestBy = byJob(latest);
  const successBy = byJob(successes);
  const outcomeBy = byJob(outcomes);
  const failuresBy = byJob(failures);
  const firstBy = byJob(firsts);
  return jobs.map((job) => {
    const last = latestBy.get(job);
    const success = successBy.get(job);
    const outcome = outcomeBy.get(job);
    return {
      job,
      lastRun: last ? toJobRun(last) : null,
      lastSuccess: success ? toJobRun(success) : null,
      lastOutcome: outcome ? toJobRun(outcome) : null,
      failuresSinceSuccess: Number(failuresBy.get(job)?.failures ?? 0),
      firstRunAt: firstBy.get(job)?.first_run_at ?? null,
    };
  });
}

/** Newest attempts first, optionally of one job. */
export async function listJobRuns(db: Db, options: { job?: string; limit?: number } = {}): Promise<JobRun[]> {
  let query = db.selectFrom('job_run').selectAll();
  if (options.job) query = query.where('job', '=', options.job);
  const rows = await query
    .orderBy('started_at', 'desc')
    .orderBy('job_run_id', 'desc')
    .limit(options.limit ?? 20)
    .execute();
  return rows.map(toJobRun);
}
