import type { ColumnType, Generated } from 'kysely';
import type { NullableTimestamp } from './schema.js';

export type JobRunStatus = 'running' | 'succeeded' | 'failed' | 'skipped_locked' | 'interrupted';
export type JobTrigger = 'schedule' | 'manual' | 'chained';

/** One attempt to run a scheduled job (db/migrations/005_jobs.sql). */
export interface JobRunTable {
  job_run_id: Generated<number>;
  job: string;
  trigger: JobTrigger;
  status: ColumnType<JobRunStatus, JobRunStatus | undefined, JobRunStatus>;
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  finished_at: NullableTimestamp;
  /** jsonb: serialised by the caller on the way in, parsed object on the way out. */
  counts: ColumnType<Record<string, number | string | null>, string | undefined, string>;
  error: string | null;
  runner: string;
}

/** Tables owned by the jobs domain (migration files in db/migrations). */
export interface JobTables {
  job_run: JobRunTable;
}
