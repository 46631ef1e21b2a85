import type { CityProfile } from '../config/city-profile.js';
import { prepareTicketBatch, type PreparedTicketBatch } from '../warehouse/staging.repository.js';
import { DUPLICATE_REASON_PREFIX, type QuarantinedRow } from '../warehouse/ticket.repository.js';
import { hashRowData, validateSodaRow, type SodaRow, type TicketRecord } from './soda-row.js';

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

/** Tickets seen so far in one page, by id; one map per page, shared by its chunks. */
export type PageCopies = Map<string, KeptCopy>;

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

export interface PreparedChunk extends Omit<ValidatedChunk, 'valid'> {
  tickets: PreparedTicketBatch;
}

/**
 * Validates a chunk of a page and prepares its upsert at once: only the statements' parameters
 * (plain strings) leave this function, so no ticket object is kept alive while the write is in
 * flight. `copies` carries the page's tickets from chunk to chunk (see keepNewerCopy).
 */
export async function validateAndPrepareChunk(
  rows: unknown[],
  timeZone: string,
  highWaterMark: Date | null,
  copies: PageCopies,
  profile?: CityProfile,
): Promise<PreparedChunk> {
  const { valid, ...rest } = await validateChunk(rows, timeZone, highWaterMark, copies, profile);
  return { ...rest, tickets: prepareTicketBatch(valid) };
}
