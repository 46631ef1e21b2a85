import type { Kysely } from 'kysely';
import { readTicketHistoryPages } from '../warehouse/feature-history.repository.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { parseAreaCode, reporterIdentity } from './assemble-features.js';

/**
 * Every ticket the features look at, column by column and sorted by creation (then ticket id).
 * Times are epoch milliseconds; NaN = missing. Typed arrays keep a million tickets in a few
 * tens of megabytes and make the streaming pass fast.
 */
export interface TicketHistory {
  count: number;
  ticketIds: string[];
  /** Index into typeKeys. */
  typeIndex: Int32Array;
  typeKeys: string[];
  createdMs: Float64Array;
  closedMs: Float64Array;
  /**
   * fact_ticket.archived_at: when a ticket not open and without a close date left the backlog
   * (set once by ingest, then frozen; NaN = none). last_updated_at is never read: it moves on
   * every later edit of the row.
   */
  archivedMs: Float64Array;
  /** 1 when the ticket is open now (is_open). */
  isOpen: Uint8Array;
  /** 1 when the close duration is flagged (negative/absurd) and must not be trusted. */
  durationFlagged: Uint8Array;
  latitude: Float64Array;
  longitude: Float64Array;
  commissionDistrict: Float64Array;
  policeSector: Float64Array;
  descriptionLength: Float64Array;
  /** Index into reporters; -1 for anonymous or missing reporters. */
  reporterIndex: Int32Array;
  reporters: string[];
}

/** One ticket as the history needs it (also what tests and benchmarks generate). */
export interface HistoryTicket {
  ticketId: string;
  typeKey: string;
  createdAt: Date | number;
  closedAt?: Date | number | null;
  /** When a ticket not open and without closedAt was archived (fact_ticket.archived_at). */
  archivedAt?: Date | number | null;
  /** Ignored by the features (never an event time: it moves on every edit); kept for callers that carry it. */
  lastUpdatedAt?: Date | number | null;
  isOpen: boolean;
  durationFlagged?: boolean;
  latitude?: number | null;
  longitude?: number | null;
  commissionDistrict?: string | null;
  policeSector?: string | null;
  descriptionLength?: number;
  reporterDisplay?: string | null;
}

/** Initial capacity of a history read from the warehouse (it grows as needed). */
const HISTORY_CAPACITY = 20_000;

const toMs = (value: Date | number | null | undefined): number =>
  value === null || value === undefined ? Number.NaN : typeof value === 'number' ? value : value.getTime();

/** Grows a TicketHistory one ticket at a time; tickets must arrive sorted by (createdAt, ticketId). */
export class TicketHistoryBuilder {
  private readonly history: TicketHistory;
  private readonly typeIds = new Map<string, number>();
  private readonly reporterIds = new Map<string, number>();

  constructor(capacity = 1024) {
    this.history = emptyHistory(Math.max(1, capacity));
  }

  add(ticket: HistoryTicket): void {
    const h = this.ensureCapacity(this.history.count + 1);
    const i = h.count;
    let typeId = this.typeIds.get(ticket.typeKey);
    if (typeId === undefined) {
      typeId = h.typeKeys.length;
      h.typeKeys.push(ticket.typeKey);
      this.typeIds.set(ticket.typeKey, typeId);
    }
    const reporter = reporterIdentity(ticket.reporterDisplay);
    let reporterId = -1;
    if (reporter !== null) {
      reporterId = this.reporterIds.get(reporter) ?? -1;
      if (reporterId < 0) {
        reporterId = h.reporters.length;
        h.reporters.push(reporter);
        this.reporterIds.set(reporter, reporterId);
      }
    }
    h.ticketIds.push(ticket.ticketId);
    h.typeIndex[i] = typeId;
    h.createdMs[i] = toMs(ticket.createdAt);
    h.closedMs[i] = toMs(ticket.closedAt);
    h.archivedMs[i] = toMs(ticket.archivedAt);
    h.isOpen[i] = ticket.isOpen ? 1 : 0;
    h.durationFlagged[i] = ticket.durationFlagged ? 1 : 0;
    h.latitude[i] = ticket.latitude ?? Number.NaN;
    h.longitude[i] = ticket.longitude ?? Number.NaN;
    h.commissionDistrict[i] = parseAreaCode(ticket.commissionDistrict);
    h.policeSector[i] = parseAreaCode(ticket.policeSector);
    h.descriptionLength[i] = ticket.descriptionLength ?? 0;
    h.reporterIndex[i] = reporterId;
    h.count = i + 1;
  }

  /** The history, trimmed to its length. The builder must not be used afterwards. */
  finish(): TicketHistory {
    const h = this.history;
    const n = h.count;
    for (let i = 1; i < n; i++) {
      if (h.createdMs[i] < h.createdMs[i - 1]) throw new Error(`Ticket history is not sorted by creation at ticket ${h.ticketIds[i]}.`);
    }
    return {
      ...h,
      typeIndex: h.typeIndex.slice(0, n),
      createdMs: h.createdMs.slice(0, n),
      closedMs: h.closedMs.slice(0, n),
      archivedMs: h.archivedMs.slice(0, n),
      isOpen: h.isOpen.slice(0, n),
      durationFlagged: h.durationFlagged.slice(0, n),
      latitude: h.latitude.slice(0, n),
      longitude: h.longitude.slice(0, n),
      commissionDistrict: h.commissionDistrict.slice(0, n),
      policeSector: h.policeSector.slice(0, n),
      descriptionLength: h.descriptionLength.slice(0, n),
      reporterIndex: h.reporterIndex.slice(0, n),
    };
  }

  private ensureCapacity(needed: number): TicketHistory {
    const h = this.history;
    if (needed <= h.createdMs.length) return h;
    const size = Math.max(needed, h.createdMs.length * 2);
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(array: T): T => {
      const bigger = new (array.constructor as new (length: number) => T)(size);
      bigger.set(array);
      return bigger;
    };
    h.typeIndex = grow(h.typeIndex);
    h.createdMs = grow(h.createdMs);
    h.closedMs = grow(h.closedMs);
    h.archivedMs = grow(h.archivedMs);
    h.isOpen = grow(h.isOpen);
    h.durationFlagged = grow(h.durationFlagged);
    h.latitude = grow(h.latitude);
    h.longitude = grow(h.longitude);
    h.commissionDistrict = grow(h.commissionDistrict);
    h.policeSector = grow(h.policeSector);
    h.descriptionLength = grow(h.descriptionLength);
    h.reporterIndex = grow(h.reporterIndex);
    return h;
  }
}

function emptyHistory(capacity: number): TicketHistory {
  return {
    count: 0,
    ticketIds: [],
    typeIndex: new Int32Array(capacity),
    typeKeys: [],
    createdMs: new Float64Array(capacity),
    closedMs: new Float64Array(capacity),
    archivedMs: new Float64Array(capacity),
    isOpen: new Uint8Array(capacity),
    durationFlagged: new Uint8Array(capacity),
    latitude: new Float64Array(capacity),
    longitude: new Float64Array(capacity),
    commissionDistrict: new Float64Array(capacity),
    policeSector: new Float64Array(capacity),
    descriptionLength: new Float64Array(capacity),
    reporterIndex: new Int32Array(capacity),
    reporters: [],
  };
}

/** Builds a history from tickets in any order (sorted here by creation, then ticket id). */
export function createTicketHistory(tickets: readonly HistoryTicket[]): TicketHistory {
  const sorted = [...tickets].sort(
    (a, b) => toMs(a.createdAt) - toMs(b.createdAt) || (a.ticketId < b.ticketId ? -1 : a.ticketId > b.ticketId ? 1 : 0),
  );
  const builder = new TicketHistoryBuilder(sorted.length);
  for (const ticket of sorted) builder.add(ticket);
  return builder.finish();
}

/**
 * The history of fact_ticket (tickets created before `createdBefore`, all when omitted), read
 * page by page in creation order (then ticket id).
 */
export async function loadTicketHistory(db: Kysely<WarehouseSchema>, options: { createdBefore?: Date } = {}): Promise<TicketHistory> {
  const builder = new TicketHistoryBuilder(HISTORY_CAPACITY);
  for await (const page of readTicketHistoryPages(db, options)) {
    for (const ticket of page) builder.add(ticket);
  }
  return builder.finish();
}
