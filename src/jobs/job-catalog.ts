import type { Kysely } from 'kysely';
import { ingestFromSocrata, type IngestDeps, type IngestSummary } from '../ingest/ingest.js';
import { compactWarehouseChanges } from '../warehouse/warehouse-version.repository.js';
import type { Logger } from '../shared/logger.js';
import type { SodaClient } from '../socrata/soda-client.js';
import type { JobCounts } from '../warehouse/job-run.repository.js';
import type { WarehouseSchema } from '../warehouse/schema.js';

/** Every job the scheduler knows, in the order `civicops jobs list` shows them. */
export const jobNames = ['ingest', 'alerts', 'train', 'digest'] as const;
export type JobName = (typeof jobNames)[number];

export function isJobName(value: string): value is JobName {
  return (jobNames as readonly string[]).includes(value);
}

/** What a job function receives: stop at the next checkpoint once `signal` aborts. */
export interface JobContext {
  signal: AbortSignal;
  logger: Logger;
}

/** A job's work; resolves to the counts stored in job_run.counts (rows fetched, tickets scored...). */
export type JobFn = (context: JobContext) => Promise<JobCounts>;

/**
 * The job functions of this build. Ingest is always there; train, digest and alerts come from
 * their own modules and are plugged in at the composition root. A missing one is reported as
 * "not available in this build" and is not scheduled.
 */
export interface JobFunctions {
  ingest: JobFn;
  train?: JobFn;
  digest?: JobFn;
  alerts?: JobFn;
}

/** Names of the jobs this build can run. */
export function listAvailableJobs(jobs: JobFunctions): JobName[] {
  return jobNames.filter((name) => jobs[name] !== undefined);
}

/**
 * The incremental ingest as a job: the first run loads everything, later runs fetch rows updated
 * since the last successful run, and an interrupted run (shutdown, crash) is resumed from its
 * last committed page. Abort stops it between pages.
 */
export function createIngestJob(deps: {
  db: Kysely<WarehouseSchema>;
  client: SodaClient;
  /** ingest_run source key, e.g. socrataSource(config) — it carries the high-water mark. */
  source: string;
  pageSize: number;
  timeZone: string;
  /** The city profile (config.city): column mapping, formats, status words. */
  profile?: IngestDeps['profile'];
}): JobFn {
  return async ({ signal, logger }) => {
    const summary = await ingestFromSocrata(
      { db: deps.db, logger, timeZone: deps.timeZone, profile: deps.profile, signal },
      { client: deps.client, source: deps.source, pageSize: deps.pageSize },
    );
    // Each ingest adds warehouse_change rows; folding the old ones keeps the version a cheap read.
    await compactWarehouseChanges(deps.db);
    return ingestCounts(summary);
  };
}

/** An ingest summary as job_run.counts (the scheduled job and `civicops ingest` record the same). */
export function ingestCounts(summary: IngestSummary): JobCounts {
  return {
    ingest_run_id: summary.run_id,
    mode: summary.mode,
    fetched: summary.fetched,
    inserted: summary.inserted,
    updated: summary.updated,
    unchanged: summary.unchanged,
    quarantined: summary.quarantined,
    duplicates: summary.duplicates,
    high_water_mark: summary.high_water_mark,
    resumed_from_run: summary.resumed_from_run,
  };
}
