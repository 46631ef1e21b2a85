import type { Kysely } from 'kysely';
import type { Logger } from '../shared/logger.js';
import { asError } from '../shared/errors.js';
import type { SodaClient } from '../socrata/soda-client.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { upsertTickets, quarantineRows, type QuarantinedRow } from '../warehouse/ticket.repository.js';
import {
  findHighWaterMark,
  findLatestRun,
  finishRun,
  recordPage,
  startRun,
  type IngestRun,
  type PageProgress,
} from '../warehouse/ingest-run.repository.js';
import { hashRowData, validateSodaRow, type SodaRow, type TicketRecord } from './soda-row.js';

export interface IngestProgress {
  runId: number;
  pages: number;
  offset: number;
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  rowsPerSecond: number;
}

/** What `civicops ingest --json` prints; field names are part of the CLI contract. */
export interface IngestSummary {
  run_id: number;
  source: string;
  mode: IngestRun['mode'];
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  high_water_mark: string | null;
  resumed_from_run: number | null;
  duration_ms: number;
  rows_per_second: number;
}

export interface IngestDeps {
  db: Kysely<WarehouseSchema>;
  logger: Logger;
  timeZone: string;
  onProgress?: (progress: IngestProgress) => void;
  /** Stops between pages: the committed pages stay, the run is left resumable. */
  signal?: AbortSignal;
}

// A page commits in chunks of this many rows inside its one transaction (bounded statement size).
const UPSERT_CHUNK = 5_000;

class RunTally {
  readonly progress: PageProgress;
  private readonly startedAt = performance.now();
  pages = 0;
  constructor(highWaterMark: Date | null, startOffset: number) {
    this.progress = { nextOffset: startOffset, highWaterMark, fetched: 0, inserted: 0, updated: 0, unchanged: 0, quarantined: 0 };
  }
  rowsPerSecond(): number {
    const seconds = (performance.now() - this.startedAt) / 1000;
    return seconds > 0 ? Math.round(this.progress.fetched / seconds) : 0;
  }
  durationMs(): number {
    return Math.round(performance.now() - this.startedAt);
  }
}

interface ValidatedChunk {
  valid: { ticket: TicketRecord; raw: SodaRow }[];
  rejected: QuarantinedRow[];
  highWaterMark: Date | null;
}

// Validation yields to the event loop every few hundred rows so the previous chunk's SQL keeps
// flowing to the database meanwhile: JavaScript and PostgreSQL work on two cores at once.
const VALIDATION_SLICE = 500;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function validateChunk(rows: unknown[], timeZone: string, highWaterMark: Date | null): Promise<ValidatedChunk> {
  const chunk: ValidatedChunk = { valid: [], rejected: [], highWaterMark };
  for (let index = 0; index < rows.length; index++) {
    if (index > 0 && index % VALIDATION_SLICE === 0) await yieldToEventLoop();
    const outcome = validateSodaRow(rows[index], timeZone);
    if (outcome.ok) {
      chunk.valid.push({ ticket: outcome.ticket, raw: outcome.raw });
      const updatedAt = outcome.ticket.sourceUpdatedAt;
      if (updatedAt && (!chunk.highWaterMark || updatedAt > chunk.highWaterMark)) chunk.highWaterMark = updatedAt;
    } else {
      chunk.rejected.push({ ticketId: outcome.ticketId, payload: outcome.raw, payloadHash: hashRowData(outcome.raw), reasons: outcome.reasons });
    }
  }
  return chunk;
}

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
 * page commit in parallel transactions; the checkpoint is written only after all of them, so a
 * crash mid-page re-reads the page on resume, and the idempotent upserts make the warehouse end
 * identical to an uninterrupted run (only the inserted/unchanged split of that page's counts can
 * differ).
 */
async function commitPage(deps: IngestDeps, run: IngestRun, tally: RunTally, rows: unknown[], nextOffset: number): Promise<void> {
  const fetchedAt = new Date();
  const next: PageProgress = { ...tally.progress, nextOffset, fetched: tally.progress.fetched + rows.length };
  let firstRejected: QuarantinedRow | undefined;
  let rejectedCount = 0;
  const writeChunk = async (chunk: ValidatedChunk) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const counts = await deps.db.transaction().execute(async (trx) => {
          const upserted = await upsertTickets(trx, chunk.valid, { runId: run.runId, fetchedAt });
          await quarantineRows(trx, chunk.rejected, run.runId);
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
    const chunk = await validateChunk(rows.slice(start, start + UPSERT_CHUNK), deps.timeZone, next.highWaterMark);
    next.highWaterMark = chunk.highWaterMark;
    rejectedCount += chunk.rejected.length;
    firstRejected ??= chunk.rejected[0];
    if (inFlight.size >= CONCURRENT_WRITES) await Promise.race(inFlight);
    const write: Promise<void> = writeChunk(chunk).then(
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
  await recordPage(deps.db, run.runId, next);
  Object.assign(tally.progress, next);
  tally.pages += 1;
  if (firstRejected) {
    deps.logger.warn(
      { runId: run.runId, quarantined: rejectedCount, example: { ticketId: firstRejected.ticketId, reasons: firstRejected.reasons } },
      'rows failed validation and were quarantined',
    );
  }
  deps.onProgress?.({ runId: run.runId, pages: tally.pages, offset: nextOffset, ...stripOffset(tally.progress), rowsPerSecond: tally.rowsPerSecond() });
}

function stripOffset(progress: PageProgress) {
  const { fetched, inserted, updated, unchanged, quarantined } = progress;
  return { fetched, inserted, updated, unchanged, quarantined };
}

function summarise(run: IngestRun, tally: RunTally, resumedFromRun: number | null): IngestSummary {
  return {
    run_id: run.runId,
    source: run.source,
    mode: run.mode,
    ...stripOffset(tally.progress),
    high_water_mark: tally.progress.highWaterMark?.toISOString() ?? null,
    resumed_from_run: resumedFromRun,
    duration_ms: tally.durationMs(),
    rows_per_second: tally.rowsPerSecond(),
  };
}

/** Socrata's floating-timestamp literal for `$where` (no zone; system fields are UTC). */
export function sodaTimestampLiteral(instant: Date): string {
  return instant.toISOString().replace('Z', '');
}

export interface SocrataIngestOptions {
  client: SodaClient;
  /** Identifies the dataset in ingest_run, e.g. 'https://data.cityofgainesville.org/78uv-94ar'. */
  source: string;
  pageSize: number;
  /** Ignore the high-water mark and any interrupted run: fetch everything again. */
  full?: boolean;
}

/**
 * One ingest run from the SODA API. The first run loads everything; later runs fetch only rows
 * whose `:updated_at` is past the last successful run's high-water mark. A run that was killed or
 * failed is resumed from its last committed page with the same bounds, so the warehouse ends as
 * if the run had never stopped.
 */
export async function ingestFromSocrata(deps: IngestDeps, options: SocrataIngestOptions): Promise<IngestSummary> {
  const { db, logger } = deps;
  const latest = await findLatestRun(db, options.source);
  const interrupted = !options.full && latest && (latest.status === 'running' || latest.status === 'failed') ? latest : undefined;
  let run: IngestRun;
  if (interrupted) {
    run = await startRun(db, {
      source: options.source,
      mode: interrupted.mode,
      since: interrupted.sinceUpdatedAt,
      startOffset: interrupted.nextOffset,
      highWaterMark: interrupted.highWaterMark,
      resumedFromRun: interrupted.runId,
    });
    await finishRun(db, interrupted.runId, { status: 'resumed', error: interrupted.error ?? 'interrupted before finishing' });
    logger.info({ runId: run.runId, resumedFrom: interrupted.runId, offset: interrupted.nextOffset }, 'resuming interrupted ingest run');
  } else {
    const since = options.full ? null : await findHighWaterMark(db, options.source);
    run = await startRun(db, {
      source: options.source,
      mode: since ? 'incremental' : 'full',
      since,
      startOffset: 0,
      highWaterMark: since,
      resumedFromRun: null,
    });
    logger.info({ runId: run.runId, mode: run.mode, since: since?.toISOString() }, 'ingest run started');
  }

  const tally = new RunTally(run.highWaterMark, run.nextOffset);
  const where = run.sinceUpdatedAt ? `:updated_at > '${sodaTimestampLiteral(run.sinceUpdatedAt)}'` : undefined;
  const pageAt = (offset: number) =>
    options.client.fetchPage({ select: ':*,*', where, order: ':id', limit: options.pageSize, offset }, deps.signal);
  try {
    let offset = run.nextOffset;
    let pending = pageAt(offset);
    for (;;) {
      const rows = await pending;
      const full = rows.length === options.pageSize;
      // Fetch the next page while this one is validated and written.
      if (full) {
        pending = pageAt(offset + rows.length);
        pending.catch(() => undefined); // observed on the next loop turn
      }
      await commitPage(deps, run, tally, rows, offset + rows.length);
      offset += rows.length;
      if (!full) break;
      deps.signal?.throwIfAborted();
    }
  } catch (error) {
    const message = asError(error).message;
    await finishRun(db, run.runId, { status: 'failed', error: message });
    logger.error({ runId: run.runId, error: message, committedOffset: tally.progress.nextOffset }, 'ingest run stopped; the next run resumes from its last committed page');
    throw error;
  }
  await finishRun(db, run.runId, { status: 'succeeded' });
  const summary = summarise(run, tally, interrupted?.runId ?? null);
  logger.info(summary, 'ingest run finished');
  return summary;
}

/**
 * Loads rows already in hand (a SODA JSON snapshot file) through the same validation and upserts,
 * in pages of `pageSize`, recorded as a 'file' run.
 */
export async function ingestRows(deps: IngestDeps, rows: unknown[], options: { source: string; pageSize?: number }): Promise<IngestSummary> {
  const pageSize = options.pageSize ?? 5_000;
  const run = await startRun(deps.db, { source: options.source, mode: 'file', since: null, startOffset: 0, highWaterMark: null, resumedFromRun: null });
  const tally = new RunTally(null, 0);
  try {
    for (let offset = 0; offset < rows.length; offset += pageSize) {
      deps.signal?.throwIfAborted();
      const page = rows.slice(offset, offset + pageSize);
      await commitPage(deps, run, tally, page, offset + page.length);
    }
  } catch (error) {
    await finishRun(deps.db, run.runId, { status: 'failed', error: asError(error).message });
    throw error;
  }
  await finishRun(deps.db, run.runId, { status: 'succeeded' });
  return summarise(run, tally, null);
}
