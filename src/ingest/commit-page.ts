import { createLazyClockContext } from '../analytics/sla-clock.js';
import { loadCityHolidaysOrFederal } from '../config/holidays.js';
import { recordPage, type IngestRun, type PageProgress } from '../warehouse/ingest-run.repository.js';
import { transactionWithCopy } from '../warehouse/staging-copy.js';
import { clearStaging, upsertTicketBatch, type PreparedTicketBatch } from '../warehouse/staging.repository.js';
import { DUPLICATE_REASON_PREFIX, quarantineRows, type QuarantinedRow } from '../warehouse/ticket.repository.js';
import type { IngestDeps } from './ingest-types.js';
import { countsOf, type RunTally } from './run-tally.js';
import { validateAndPrepareChunk, type PageCopies } from './validate-chunk.js';

// A page commits in chunks of this many rows inside its one transaction (bounded statement size).
const UPSERT_CHUNK = 5_000;

// Chunks of a page are written by this many transactions at once (PostgreSQL has a pool; PGlite
// serialises them on its one connection).
const CONCURRENT_WRITES = 2;
const DEADLOCK_RETRIES = 3;

function isRetryableConflict(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === '40P01' || code === '40001'; // deadlock detected, serialization failure
}

/**
 * Validates and writes one page of rows, then moves the run's checkpoint past it. Chunks of the
 * page commit in parallel transactions; the checkpoint (with the run's counts, duplicates among
 * them) is written only after all of them, so a crash mid-page re-reads the page on resume, and
 * the idempotent upserts make the warehouse end identical to an uninterrupted run (only the
 * inserted/unchanged split of that page's counts can differ).
 */
export async function commitPage(
  deps: IngestDeps,
  run: IngestRun,
  tally: RunTally,
  rows: unknown[],
  nextOffset: number,
  resumeAfterId: string | null = null,
): Promise<void> {
  const fetchedAt = new Date();
  // Business-hours SLA deadlines are computed as each chunk is upserted (warehouse/sla-due.repository.ts).
  const slaClock = createLazyClockContext(deps.timeZone, () => loadCityHolidaysOrFederal(deps.profile?.name));
  const next: PageProgress = { ...tally.progress, nextOffset, resumeAfterId, fetched: tally.progress.fetched + rows.length };
  let firstRejected: QuarantinedRow | undefined;
  let rejectedCount = 0;
  const nulReplaced: (string | null)[] = [];
  const duplicateIds: string[] = [];
  const copies: PageCopies = new Map();
  const writeChunk = async (tickets: PreparedTicketBatch, rejected: QuarantinedRow[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        // The chunk is COPYed into ingest_staging and upserted from there in this one transaction.
        const counts = await transactionWithCopy(deps.db, async (trx, copyIn) => {
          const upserted = await upsertTicketBatch(trx, copyIn, tickets, { runId: run.runId, fetchedAt, slaClock });
          await quarantineRows(trx, rejected, run.runId);
          return upserted;
        });
        next.inserted += counts.inserted;
        next.updated += counts.updated;
        next.unchanged += counts.unchanged;
        return;
      } catch (error) {
        if (!isRetryableConflict(error) || attempt >= DEADLOCK_RETRIES) throw error;
        deps.logger.warn({ runId: run.runId, attempt, code: (error as { code?: string }).code }, 'write conflict; retrying the chunk');
      }
    }
  };
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  for (let start = 0; start < rows.length && failure === undefined; start += UPSERT_CHUNK) {
    const chunk = await validateAndPrepareChunk(
      rows.slice(start, start + UPSERT_CHUNK),
      deps.timeZone,
      next.highWaterMark,
      copies,
      deps.profile,
    );
    next.highWaterMark = chunk.highWaterMark;
    rejectedCount += chunk.rejected.length - chunk.duplicateIds.length;
    firstRejected ??= chunk.rejected.find((row) => !row.reasons[0]?.startsWith(DUPLICATE_REASON_PREFIX));
    nulReplaced.push(...chunk.nulReplaced);
    duplicateIds.push(...chunk.duplicateIds);
    if (inFlight.size >= CONCURRENT_WRITES) await Promise.race(inFlight);
    const write: Promise<void> = writeChunk(chunk.tickets, chunk.rejected).then(
      () => void inFlight.delete(write),
      (error: unknown) => {
        inFlight.delete(write);
        failure ??= error;
      },
    );
    inFlight.add(write);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  next.quarantined += rejectedCount;
  next.duplicates += duplicateIds.length;
  await recordPage(deps.db, run.runId, next);
  await clearStaging(deps.db); // the page's staged rows are all upserted by now
  Object.assign(tally.progress, next);
  tally.pages += 1;
  logPageWarnings(deps, run.runId, { duplicateIds, nulReplaced, rejectedCount, firstRejected });
  await deps.onProgress?.({
    runId: run.runId,
    pages: tally.pages,
    offset: nextOffset,
    ...countsOf(tally.progress),
    rowsPerSecond: tally.rowsPerSecond(),
  });
}

/** One warning per kind of trouble in a committed page, with a few ticket ids as examples. */
function logPageWarnings(
  deps: IngestDeps,
  runId: number,
  page: { duplicateIds: string[]; nulReplaced: (string | null)[]; rejectedCount: number; firstRejected: QuarantinedRow | undefined },
): void {
  const { duplicateIds, nulReplaced, rejectedCount, firstRejected } = page;
  if (duplicateIds.length > 0) {
    deps.logger.warn(
      { runId, duplicates: duplicateIds.length, ticketIds: duplicateIds.slice(0, 10) },
      'tickets came twice in one page with different content; kept the copy with the newer :updated_at, the other is in the quarantine',
    );
  }
  if (nulReplaced.length > 0) {
    deps.logger.warn(
      { runId, rows: nulReplaced.length, ticketIds: nulReplaced.slice(0, 10) },
      'rows held NUL characters, which PostgreSQL cannot store; each was replaced by U+FFFD (�)',
    );
  }
  if (firstRejected) {
    deps.logger.warn(
      { runId, quarantined: rejectedCount, example: { ticketId: firstRejected.ticketId, reasons: firstRejected.reasons } },
      'rows failed validation and were quarantined',
    );
  }
}
