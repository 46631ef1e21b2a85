import type { Kysely } from 'kysely';
import type { CityProfile } from '../config/city-profile.js';
import type { Logger } from '../shared/logger.js';
import { asError, SocrataRequestError } from '../shared/errors.js';
import type { SodaClient } from '../socrata/soda-client.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import {
  DUPLICATE_REASON_PREFIX,
  deleteQuarantinedRows,
  listQuarantinedRows,
  quarantineRows,
  type QuarantinedRow,
} from '../warehouse/ticket.repository.js';
import { clearStaging, prepareTicketBatch, upsertTicketBatch, type PreparedTicketBatch } from '../warehouse/staging.repository.js';
import { transactionWithCopy } from '../warehouse/staging-copy.js';
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
  /**
   * Rows that repeated a ticket id of the same page with other content: the copy with the newer
   * `:updated_at` was loaded, the other one kept in the quarantine with the reason.
   */
  duplicates: number;
  high_water_mark: string | null;
  resumed_from_run: number | null;
  /** Quarantined rows that pass validation now and were loaded at the start of the run. */
  recovered_from_quarantine: number;
  duration_ms: number;
  rows_per_second: number;
}

export interface IngestDeps {
  db: Kysely<WarehouseSchema>;
  logger: Logger;
  timeZone: string;
  /** The city's column mapping, formats and status words (config.city); default Gainesville. */
  profile?: CityProfile;
  /** Called after each committed page; the run waits for it (tests use it to change the source mid-run). */
  onProgress?: (progress: IngestProgress) => void | Promise<void>;
  /** Stops between pages: the committed pages stay, the run is left resumable. */
  signal?: AbortSignal;
}

// A page commits in chunks of this many rows inside its one transaction (bounded statement size).
const UPSERT_CHUNK = 5_000;

class RunTally {
  readonly progress: PageProgress;
  private readonly startedAt = performance.now();
  pages = 0;
  duplicates = 0;
  constructor(highWaterMark: Date | null, startOffset: number, resumeAfterId: string | null = null) {
    this.progress = {
      nextOffset: startOffset,
      resumeAfterId,
      highWaterMark,
      fetched: 0,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      quarantined: 0,
    };
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
  valid: TicketRecord[];
  rejected: QuarantinedRow[];
  highWaterMark: Date | null;
  /** Ids of rows whose NUL characters were replaced (PostgreSQL cannot store them). */
  nulReplaced: (string | null)[];
  /** Ticket ids that came twice in the page with different content (the older copy is in `rejected`). */
  duplicateIds: string[];
}

/** The copy of a ticket kept so far in a page: what a later copy with the same id is compared with. */
interface KeptCopy {
  updatedAt: Date | null;
  rowHash: string;
  raw: SodaRow;
  /** Position in the current chunk's `valid`, or -1 once that chunk has gone to be written. */
  position: number;
}

/** Tickets seen so far in one page, by id. */
type PageCopies = Map<string, KeptCopy>;

const instantText = (instant: Date | null) => instant?.toISOString() ?? 'none';

function duplicateReason(ticketId: string, kept: Date | null, dropped: Date | null): string {
  const which =
    kept?.getTime() === dropped?.getTime()
      ? `both ${instantText(kept)}; kept the first`
      : `${instantText(kept)} over ${instantText(dropped)}`;
  return `${DUPLICATE_REASON_PREFIX}${ticketId} in the same page; kept the copy with the newer :updated_at (${which})`;
}

/**
 * Resolves a ticket id repeated in one page: the copy with the newer `:updated_at` is kept (on a
 * tie, or without one, the first), the other one goes to the quarantine with the reason. The
 * earlier copy is replaced only by a strictly newer one, which the upsert's own guard also lets
 * through in whatever order the page's chunks commit. Returns false when `ticket` is dropped.
 */
function keepNewerCopy(chunk: ValidatedChunk, copies: PageCopies, ticket: TicketRecord, raw: SodaRow): boolean {
  const earlier = copies.get(ticket.ticketId);
  const copy: KeptCopy = { updatedAt: ticket.sourceUpdatedAt, rowHash: ticket.rowHash, raw, position: chunk.valid.length };
  if (!earlier) {
    copies.set(ticket.ticketId, copy);
    return true;
  }
  if (earlier.rowHash === ticket.rowHash) {
    // The same data again: an unchanged repeat. A newer copy later in this chunk must take the
    // place of this last repeat (the batch keeps the last copy of a ticket).
    if (earlier.position >= 0) earlier.position = chunk.valid.length;
    return true;
  }
  const newer =
    (ticket.sourceUpdatedAt?.getTime() ?? Number.NEGATIVE_INFINITY) > (earlier.updatedAt?.getTime() ?? Number.NEGATIVE_INFINITY);
  const [kept, dropped] = newer ? [copy, earlier] : [earlier, copy];
  chunk.rejected.push({
    ticketId: ticket.ticketId,
    payload: dropped.raw,
    payloadHash: dropped.rowHash,
    reasons: [duplicateReason(ticket.ticketId, kept.updatedAt, dropped.updatedAt)],
  });
  chunk.duplicateIds.push(ticket.ticketId);
  if (!newer) return false;
  if (earlier.position >= 0) {
    // The older copy is in this chunk still: the newer one takes its place.
    chunk.valid[earlier.position] = ticket;
    copies.set(ticket.ticketId, { ...copy, position: earlier.position });
    return false;
  }
  copies.set(ticket.ticketId, copy);
  return true;
}

// Validation yields to the event loop every few hundred rows so the previous chunk's SQL keeps
// flowing to the database meanwhile: JavaScript and PostgreSQL work on two cores at once.
const VALIDATION_SLICE = 500;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function validateChunk(
  rows: unknown[],
  timeZone: string,
  highWaterMark: Date | null,
  copies: PageCopies,
  profile?: CityProfile,
): Promise<ValidatedChunk> {
  const chunk: ValidatedChunk = { valid: [], rejected: [], highWaterMark, nulReplaced: [], duplicateIds: [] };
  for (let index = 0; index < rows.length; index++) {
    if (index > 0 && index % VALIDATION_SLICE === 0) await yieldToEventLoop();
    const outcome = validateSodaRow(rows[index], timeZone, profile);
    if (outcome.nulReplaced) chunk.nulReplaced.push(outcome.ok ? outcome.ticket.ticketId : outcome.ticketId);
    if (outcome.ok) {
      if (keepNewerCopy(chunk, copies, outcome.ticket, outcome.raw)) chunk.valid.push(outcome.ticket);
      const updatedAt = outcome.ticket.sourceUpdatedAt;
      if (updatedAt && (!chunk.highWaterMark || updatedAt > chunk.highWaterMark)) chunk.highWaterMark = updatedAt;
    } else {
      chunk.rejected.push({
        ticketId: outcome.ticketId,
        payload: outcome.raw,
        payloadHash: hashRowData(outcome.raw),
        reasons: outcome.reasons,
      });
    }
  }
  // The chunk goes to be written: a later copy can no longer replace its tickets in place.
  for (const ticket of chunk.valid) {
    const kept = copies.get(ticket.ticketId);
    if (kept) kept.position = -1;
  }
  return chunk;
}

interface PreparedChunk extends Omit<ValidatedChunk, 'valid'> {
  tickets: PreparedTicketBatch;
}

/**
 * Validates a chunk and prepares its upsert at once: only the statements' parameters (plain
 * strings) leave this function, so no ticket object is kept alive while the write is in flight.
 */
async function validateAndPrepareChunk(
  rows: unknown[],
  timeZone: string,
  highWaterMark: Date | null,
  copies: PageCopies,
  profile?: CityProfile,
): Promise<PreparedChunk> {
  const { valid, ...rest } = await validateChunk(rows, timeZone, highWaterMark, copies, profile);
  return { ...rest, tickets: prepareTicketBatch(valid) };
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
async function commitPage(
  deps: IngestDeps,
  run: IngestRun,
  tally: RunTally,
  rows: unknown[],
  nextOffset: number,
  resumeAfterId: string | null = null,
): Promise<void> {
  const fetchedAt = new Date();
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
          const upserted = await upsertTicketBatch(trx, copyIn, tickets, { runId: run.runId, fetchedAt });
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
  await recordPage(deps.db, run.runId, next);
  await clearStaging(deps.db); // the page's staged rows are all upserted by now
  Object.assign(tally.progress, next);
  tally.pages += 1;
  tally.duplicates += duplicateIds.length;
  if (duplicateIds.length > 0) {
    deps.logger.warn(
      { runId: run.runId, duplicates: duplicateIds.length, ticketIds: duplicateIds.slice(0, 10) },
      'tickets came twice in one page with different content; kept the copy with the newer :updated_at, the other is in the quarantine',
    );
  }
  if (nulReplaced.length > 0) {
    deps.logger.warn(
      { runId: run.runId, rows: nulReplaced.length, ticketIds: nulReplaced.slice(0, 10) },
      'rows held NUL characters, which PostgreSQL cannot store; each was replaced by U+FFFD (�)',
    );
  }
  if (firstRejected) {
    deps.logger.warn(
      { runId: run.runId, quarantined: rejectedCount, example: { ticketId: firstRejected.ticketId, reasons: firstRejected.reasons } },
      'rows failed validation and were quarantined',
    );
  }
  await deps.onProgress?.({
    runId: run.runId,
    pages: tally.pages,
    offset: nextOffset,
    ...stripOffset(tally.progress),
    rowsPerSecond: tally.rowsPerSecond(),
  });
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
    duplicates: tally.duplicates,
    high_water_mark: tally.progress.highWaterMark?.toISOString() ?? null,
    resumed_from_run: resumedFromRun,
    recovered_from_quarantine: 0,
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
  /**
   * Ignore the high-water mark and fetch everything again; an interrupted full run is resumed from
   * its checkpoint (an interrupted incremental run is not: it would not read everything).
   */
  full?: boolean;
}

const QUARANTINE_PAGE = 1_000;

/**
 * Re-validates every quarantined row with today's rules and loads the ones that now pass (for
 * example after a column the city added was declared in KNOWN_DATA_FIELDS), so a fix to the
 * validator recovers them without re-reading the city's API. Returns how many were recovered.
 */
export async function recoverQuarantinedRows(deps: IngestDeps, runId: number): Promise<number> {
  // Whatever a killed run left staged was committed and upserted already (or rolled back).
  await clearStaging(deps.db);
  let recovered = 0;
  let afterId = 0;
  for (;;) {
    const page = await listQuarantinedRows(deps.db, afterId, QUARANTINE_PAGE);
    if (page.length === 0) break;
    afterId = page[page.length - 1]!.quarantineId;
    const valid: TicketRecord[] = [];
    const ids: number[] = [];
    for (const row of page) {
      const outcome = validateSodaRow(row.payload, deps.timeZone, deps.profile);
      if (outcome.ok) {
        valid.push(outcome.ticket);
        ids.push(row.quarantineId);
      }
    }
    if (valid.length === 0) continue;
    const batch = prepareTicketBatch(valid);
    await transactionWithCopy(deps.db, async (trx, copyIn) => {
      await upsertTicketBatch(trx, copyIn, batch, { runId, fetchedAt: new Date() });
      await deleteQuarantinedRows(trx, ids);
    });
    recovered += valid.length;
  }
  if (recovered > 0) deps.logger.info({ runId, recovered }, 'quarantined rows now pass validation and were loaded');
  return recovered;
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
