import { sql, type Kysely, type Transaction } from 'kysely';
import type { WarehouseSchema } from './schema.js';

type Db = Kysely<WarehouseSchema> | Transaction<WarehouseSchema>;

export interface IngestRun {
  runId: number;
  source: string;
  mode: 'full' | 'incremental' | 'file';
  status: 'running' | 'succeeded' | 'failed' | 'resumed';
  startedAt: Date;
  finishedAt: Date | null;
  sinceUpdatedAt: Date | null;
  /** Upper bound of :updated_at fixed when the run started; the next run's lower bound. */
  upperUpdatedAt: Date | null;
  highWaterMark: Date | null;
  /** Checkpoint: the last :id committed (rows are read in :id order). */
  resumeAfterId: string | null;
  /** Rows read so far (informational; paging is by :id, not by offset). */
  nextOffset: number;
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  /** Rows that repeated a ticket id of the same page with other content (the older copy is quarantined). */
  duplicates: number;
  error: string | null;
}

export interface PageProgress {
  nextOffset: number;
  resumeAfterId: string | null;
  highWaterMark: Date | null;
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  duplicates: number;
}

function toRun(row: {
  run_id: number;
  source: string;
  mode: IngestRun['mode'];
  status: IngestRun['status'];
  started_at: Date;
  finished_at: Date | null;
  since_updated_at: Date | null;
  upper_updated_at: Date | null;
  high_water_mark: Date | null;
  resume_after_id: string | null;
  next_offset: number;
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  duplicates: number;
  error: string | null;
}): IngestRun {
  return {
    runId: row.run_id,
    source: row.source,
    mode: row.mode,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    sinceUpdatedAt: row.since_updated_at,
    upperUpdatedAt: row.upper_updated_at,
    highWaterMark: row.high_water_mark,
    resumeAfterId: row.resume_after_id,
    nextOffset: row.next_offset,
    fetched: row.fetched,
    inserted: row.inserted,
    updated: row.updated,
    unchanged: row.unchanged,
    quarantined: row.quarantined,
    duplicates: row.duplicates,
    error: row.error,
  };
}

/** The newest run for a source, whatever its status. */
export async function findLatestRun(db: Db, source: string): Promise<IngestRun | undefined> {
  const row = await db
    .selectFrom('ingest_run')
    .selectAll()
    .where('source', '=', source)
    .orderBy('run_id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toRun(row) : undefined;
}

/** High-water mark of the newest successful run: incremental sync fetches rows updated after it. */
export async function findHighWaterMark(db: Db, source: string): Promise<Date | null> {
  const row = await db
    .selectFrom('ingest_run')
    .select('high_water_mark')
    .where('source', '=', source)
    .where('status', '=', 'succeeded')
    .where('high_water_mark', 'is not', null)
    .orderBy('run_id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.high_water_mark ?? null;
}

export async function startRun(
  db: Db,
  run: {
    source: string;
    mode: IngestRun['mode'];
    since: Date | null;
    upper?: Date | null;
    startOffset: number;
    resumeAfterId?: string | null;
    highWaterMark: Date | null;
    resumedFromRun: number | null;
  },
): Promise<IngestRun> {
  const row = await db
    .insertInto('ingest_run')
    .values({
      source: run.source,
      mode: run.mode,
      since_updated_at: run.since,
      upper_updated_at: run.upper ?? null,
      resume_after_id: run.resumeAfterId ?? null,
      next_offset: run.startOffset,
      high_water_mark: run.highWaterMark,
      resumed_from_run: run.resumedFromRun,
      error: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toRun(row);
}

/** Records a committed page: the checkpoint a resumed run starts from (after all its chunks committed). */
export async function recordPage(db: Db, runId: number, progress: PageProgress): Promise<void> {
  await db
    .updateTable('ingest_run')
    .set({
      next_offset: progress.nextOffset,
      resume_after_id: progress.resumeAfterId,
      high_water_mark: progress.highWaterMark,
      fetched: progress.fetched,
      inserted: progress.inserted,
      updated: progress.updated,
      unchanged: progress.unchanged,
      quarantined: progress.quarantined,
      duplicates: progress.duplicates,
    })
    .where('run_id', '=', runId)
    .execute();
}

export async function finishRun(
  db: Db,
  runId: number,
  outcome: { status: 'succeeded' | 'failed' | 'resumed'; error?: string },
): Promise<void> {
  await db
    .updateTable('ingest_run')
    .set({
      status: outcome.status,
      finished_at: sql<Date>`now()`,
      error: outcome.error ?? null,
      // A finished run has read everything up to its fixed upper bound: that is the next run's start.
      ...(outcome.status === 'succeeded' ? { high_water_mark: sql<Date>`coalesce(upper_updated_at, high_water_mark)` } : {}),
    })
    .where('run_id', '=', runId)
    .execute();
}

export async function listRecentRuns(db: Db, limit = 10): Promise<IngestRun[]> {
  const rows = await db.selectFrom('ingest_run').selectAll().orderBy('run_id', 'desc').limit(limit).execute();
  return rows.map(toRun);
}
