import { asError, SocrataRequestError } from '../shared/errors.js';
import type { SodaClient } from '../socrata/soda-client.js';
import { findHighWaterMark, findLatestRun, finishRun, startRun, type IngestRun } from '../warehouse/ingest-run.repository.js';
import { commitPage } from './commit-page.js';
import type { IngestDeps, IngestSummary } from './ingest-types.js';
import { recoverQuarantinedRows } from './recover-quarantine.js';
import { RunTally, summarise } from './run-tally.js';

/** Socrata's floating-timestamp literal for `$where` (no zone; system fields are UTC). */
export function sodaTimestampLiteral(instant: Date): string {
  return instant.toISOString().replace('Z', '');
}

export interface SocrataIngestOptions {
  client: SodaClient;
  /** Identifies the dataset in ingest_run, e.g. 'https://data.cityofgainesville.org/78uv-94ar'. */
  source: string;
  pageSize: number;
  /**
   * Ignore the high-water mark and fetch everything again; an interrupted full run is resumed from
   * its checkpoint (an interrupted incremental run is not: it would not read everything).
   */
  full?: boolean;
}

function whereClause(since: Date | null, upper: Date, afterId: string | null): string {
  const terms = [];
  if (since) terms.push(`:updated_at > '${sodaTimestampLiteral(since)}'`);
  terms.push(`:updated_at <= '${sodaTimestampLiteral(upper)}'`);
  if (afterId) terms.push(`:id > '${afterId.replace(/'/g, "''")}'`);
  return terms.join(' AND ');
}

/**
 * One ingest run from the SODA API. The run fixes an upper bound U (the newest `:updated_at` when
 * it starts) and reads rows with `since < :updated_at <= U` in `:id` order, page after page by
 * `:id > last` (keyset paging: rows that change or vanish mid-run cannot shift later pages the way
 * `$offset` would). U becomes the next run's `since`, so a row updated during this run (its new
 * `:updated_at` is past U) is read by the next run. The first run has no `since` and loads
 * everything. A killed or failed run is resumed after its last committed `:id` with the same
 * bounds, so the warehouse ends as if it had never stopped.
 */
export async function ingestFromSocrata(deps: IngestDeps, options: SocrataIngestOptions): Promise<IngestSummary> {
  const { db, logger } = deps;
  const latest = await findLatestRun(db, options.source);
  // A killed or failed run is resumed after its last checkpoint. `--full` resumes only a full run
  // (no lower bound): it reads the same rows the new full run would, so starting over would only
  // re-fetch what is committed already.
  const resumable =
    latest &&
    (latest.status === 'running' || latest.status === 'failed') &&
    latest.upperUpdatedAt &&
    (!options.full || (latest.mode === 'full' && latest.sinceUpdatedAt === null));
  const interrupted = resumable ? latest : undefined;
  let run: IngestRun;
  if (interrupted) {
    run = await startRun(db, {
      source: options.source,
      mode: interrupted.mode,
      since: interrupted.sinceUpdatedAt,
      upper: interrupted.upperUpdatedAt,
      startOffset: interrupted.nextOffset,
      resumeAfterId: interrupted.resumeAfterId,
      highWaterMark: interrupted.highWaterMark,
      resumedFromRun: interrupted.runId,
    });
    await finishRun(db, interrupted.runId, { status: 'resumed', error: interrupted.error ?? 'interrupted before finishing' });
    logger.info(
      { runId: run.runId, resumedFrom: interrupted.runId, afterId: interrupted.resumeAfterId },
      'resuming interrupted ingest run',
    );
  } else {
    if (latest && (latest.status === 'running' || latest.status === 'failed')) {
      // Stopped before it had fixed its bounds: nothing was written; start afresh.
      await finishRun(db, latest.runId, { status: 'resumed', error: latest.error ?? 'interrupted before reading' });
    }
    const since = options.full ? null : await findHighWaterMark(db, options.source);
    const upper = await options.client.fetchLatestUpdatedAt(deps.signal);
    run = await startRun(db, {
      source: options.source,
      mode: since ? 'incremental' : 'full',
      since,
      upper: upper ?? since,
      startOffset: 0,
      highWaterMark: since,
      resumedFromRun: null,
    });
    logger.info({ runId: run.runId, mode: run.mode, since: since?.toISOString(), upper: upper?.toISOString() }, 'ingest run started');
  }

  const recovered = await recoverQuarantinedRows(deps, run.runId);
  const tally = new RunTally(run.highWaterMark, run.nextOffset, run.resumeAfterId);
  const upper = run.upperUpdatedAt;
  const pageAfter = (afterId: string | null) =>
    options.client.fetchPage(
      { select: ':*,*', where: whereClause(run.sinceUpdatedAt, upper!, afterId), order: ':id', limit: options.pageSize },
      deps.signal,
    );
  try {
    // Nothing newer than the last run (or an empty dataset): nothing to read.
    const nothingNew = !upper || (run.sinceUpdatedAt !== null && upper <= run.sinceUpdatedAt);
    let pending = nothingNew ? Promise.resolve([] as Record<string, unknown>[]) : pageAfter(run.resumeAfterId);
    for (;;) {
      const rows = await pending;
      const full = rows.length === options.pageSize;
      const lastId = rows.length > 0 ? rows[rows.length - 1]![':id'] : tally.progress.resumeAfterId;
      if (rows.length > 0 && typeof lastId !== 'string') {
        throw new SocrataRequestError('Socrata rows lack the :id system field; the ingest pages by :id and needs $select=:*,*', {
          url: options.source,
          attempts: 1,
        });
      }
      // Fetch the next page while this one is validated and written.
      if (full) {
        pending = pageAfter(lastId as string);
        pending.catch(() => undefined); // observed on the next loop turn
      }
      await commitPage(deps, run, tally, rows, tally.progress.nextOffset + rows.length, (lastId as string | null) ?? null);
      if (!full) break;
      deps.signal?.throwIfAborted();
    }
  } catch (error) {
    const message = asError(error).message;
    await finishRun(db, run.runId, { status: 'failed', error: message });
    logger.error(
      { runId: run.runId, error: message, committedAfterId: tally.progress.resumeAfterId },
      'ingest run stopped; the next run resumes from its last committed page',
    );
    throw error;
  }
  await finishRun(db, run.runId, { status: 'succeeded' });
  const summary = summarise(run, tally, interrupted?.runId ?? null);
  summary.high_water_mark = upper?.toISOString() ?? summary.high_water_mark;
  summary.recovered_from_quarantine = recovered;
  logger.info(summary, 'ingest run finished');
  return summary;
}
