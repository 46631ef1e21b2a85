import { asError } from '../shared/errors.js';
import { finishRun, startRun } from '../warehouse/ingest-run.repository.js';
import { commitPage } from './commit-page.js';
import type { IngestDeps, IngestSummary } from './ingest-types.js';
import { recoverQuarantinedRows } from './recover-quarantine.js';
import { RunTally, summarise } from './run-tally.js';

/** Groups rows into pages of `size`, pulling from the source only as fast as pages are taken. */
async function* pagesOf(rows: AsyncIterable<unknown> | Iterable<unknown>, size: number): AsyncGenerator<unknown[]> {
  let page: unknown[] = [];
  for await (const row of rows) {
    page.push(row);
    if (page.length === size) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

export interface RowStreamIngestOptions {
  source: string;
  pageSize?: number;
}

/**
 * Loads rows from a stream (a snapshot file read by streamSnapshotRows, or rows in hand) through
 * the same validation and upserts, page by page, recorded as a 'file' run. The next page is read
 * while the current one is written, and at most those two pages are in memory.
 */
export async function ingestRowStream(
  deps: IngestDeps,
  rows: AsyncIterable<unknown> | Iterable<unknown>,
  options: RowStreamIngestOptions,
): Promise<IngestSummary> {
  const pageSize = options.pageSize ?? 5_000;
  const run = await startRun(deps.db, {
    source: options.source,
    mode: 'file',
    since: null,
    startOffset: 0,
    highWaterMark: null,
    resumedFromRun: null,
  });
  const recovered = await recoverQuarantinedRows(deps, run.runId);
  const tally = new RunTally(null, 0);
  const pages = pagesOf(rows, pageSize);
  try {
    let offset = 0;
    let pending = pages.next();
    for (;;) {
      const current = await pending;
      if (current.done) break;
      deps.signal?.throwIfAborted();
      offset += current.value.length;
      const commit = commitPage(deps, run, tally, current.value, offset);
      // Read (parse) the next page while this one is written; a read error surfaces on its turn.
      pending = pages.next();
      pending.catch(() => undefined);
      await commit;
    }
  } catch (error) {
    await pages.return(undefined); // closes the file
    await finishRun(deps.db, run.runId, { status: 'failed', error: asError(error).message });
    throw error;
  }
  await finishRun(deps.db, run.runId, { status: 'succeeded' });
  return { ...summarise(run, tally, null), recovered_from_quarantine: recovered };
}

/** Loads rows already in hand (see ingestRowStream). */
export function ingestRows(deps: IngestDeps, rows: unknown[], options: RowStreamIngestOptions): Promise<IngestSummary> {
  return ingestRowStream(deps, rows, options);
}
