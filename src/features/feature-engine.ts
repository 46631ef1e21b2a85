import type { Dataset } from '../model/dataset.js';
import { InputError } from '../shared/errors.js';
import { zoneOffsetMinutes } from '../shared/city-time.js';
import { slaHoursFor, type SlaPolicy } from '../warehouse/analytics.repository.js';
import {
  assembleFeatures,
  reporterIdentity,
  ticketFieldsOf,
  toFeatureVector,
  type ContextCounts,
  type TicketFields,
  type TicketInput,
} from './assemble-features.js';
import { FEATURE_NAMES, type FeatureVector } from './feature-catalog.js';
import type { TicketHistory } from './ticket-history.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

export interface FeatureEngineOptions {
  sla: SlaPolicy;
  /** City time zone (config cityTimeZone): hour, weekday and month are city-local. */
  timeZone: string;
}

/** Features of every ticket of a history (rows in history order) and the state after the last event. */
export interface HistoricalFeatures {
  data: Dataset;
  context: FeatureContext;
}

/** Number of values in a sorted array strictly below x (binary search). */
export function countBelow(sorted: Float64Array, x: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < x) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Insert-only running median (two heaps), with the same interpolation as SQL percentile_cont(0.5). */
class RunningMedian {
  private low: Float64Array = new Float64Array(16); // max-heap of the smaller half
  private high: Float64Array = new Float64Array(16); // min-heap of the larger half
  private lowSize = 0;
  private highSize = 0;

  get size(): number {
    return this.lowSize + this.highSize;
  }

  add(value: number): void {
    if (this.lowSize === 0 || value <= this.low[0]) this.pushLow(value);
    else this.pushHigh(value);
    if (this.lowSize > this.highSize + 1) this.pushHigh(this.popLow());
    else if (this.highSize > this.lowSize) this.pushLow(this.popHigh());
  }

  median(): number {
    if (this.size === 0) return Number.NaN;
    if (this.lowSize > this.highSize) return this.low[0];
    const lower = this.low[0];
    // percentile_cont: first + (second - first) * 0.5, not (first + second) / 2 (they can differ in the last bit).
    return lower + (this.high[0] - lower) * 0.5;
  }

  private pushLow(value: number): void {
    if (this.lowSize === this.low.length) this.low = grow(this.low);
    siftUp(this.low, this.lowSize++, value, 1);
  }
  private pushHigh(value: number): void {
    if (this.highSize === this.high.length) this.high = grow(this.high);
    siftUp(this.high, this.highSize++, value, -1);
  }
  private popLow(): number {
    const top = this.low[0];
    siftDown(this.low, --this.lowSize, 1);
    return top;
  }
  private popHigh(): number {
    const top = this.high[0];
    siftDown(this.high, --this.highSize, -1);
    return top;
  }
}

function grow(array: Float64Array): Float64Array {
  const bigger = new Float64Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

// sign 1: max-heap, sign -1: min-heap.
function siftUp(heap: Float64Array, index: number, value: number, sign: number): void {
  let i = index;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (sign * (heap[parent] - value) >= 0) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = value;
}

function siftDown(heap: Float64Array, size: number, sign: number): void {
  const value = heap[size];
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= size) break;
    if (child + 1 < size && sign * (heap[child + 1] - heap[child]) > 0) child++;
    if (sign * (heap[child] - value) <= 0) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = value;
}

/**
 * Closure statistics of one type, plus a snapshot taken just before its latest closure
 * instant, so a ticket created exactly at that instant sees only closures strictly before it.
 */
class TypeClosureStats {
  closed = 0;
  breached = 0;
  readonly durations = new RunningMedian();
  lastCloseMs = Number.NEGATIVE_INFINITY;
  closedBeforeLast = 0;
  breachedBeforeLast = 0;
  medianBeforeLast = Number.NaN;

  apply(closeMs: number, durationMs: number, isBreach: boolean): void {
    if (closeMs !== this.lastCloseMs) {
      this.closedBeforeLast = this.closed;
      this.breachedBeforeLast = this.breached;
      this.medianBeforeLast = this.durations.median();
      this.lastCloseMs = closeMs;
    }
    this.closed++;
    if (isBreach) this.breached++;
    this.durations.add(durationMs);
  }
}

/** City-local hour, ISO weekday and month, with the zone offset cached per 15-minute slot. */
class CityCalendar {
  private readonly offsets = new Map<number, number>();
  private readonly months = new Map<number, number>();
  constructor(private readonly timeZone: string) {}

  partsOf(epochMs: number): { hour: number; isoWeekday: number; month: number } {
    const slot = Math.floor(epochMs / 900_000);
    let offsetMinutes = this.offsets.get(slot);
    if (offsetMinutes === undefined) {
      offsetMinutes = zoneOffsetMinutes(slot * 900_000, this.timeZone);
      this.offsets.set(slot, offsetMinutes);
    }
    const local = epochMs + offsetMinutes * 60_000;
    const day = Math.floor(local / DAY_MS);
    const hour = Math.floor((local - day * DAY_MS) / HOUR_MS);
    const isoWeekday = ((((day + 3) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday (4)
    let month = this.months.get(day);
    if (month === undefined) {
      month = new Date(day * DAY_MS).getUTCMonth() + 1;
      this.months.set(day, month);
    }
    return { hour, isoWeekday, month };
  }
}

/** Sorted copies of event times, global and per type, shared by the streaming pass and the context. */
interface EventIndex {
  createdAll: Float64Array;
  createdByType: Float64Array[];
  /** Effective close instants (see effectiveCloseSql) of tickets no longer open, sorted. */
  closesAll: Float64Array;
  closesByType: Float64Array[];
  /** Trusted closures sorted by close time, with prefix counts of breaches (length + 1). */
  knownCloseMs: Float64Array;
  knownBreachPrefix: Int32Array;
  knownOrder: Int32Array;
  knownBreach: Uint8Array;
  /** Per type: rank by first creation (ties by type key), and the first creation instant. */
  typeRank: Int32Array;
  typeFirstMs: Float64Array;
  slaMsByType: Float64Array;
}

/** When a ticket stops being open; NaN while it is still open. Same rule as effectiveCloseSql. */
function effectiveCloseMs(history: TicketHistory, i: number): number {
  const created = history.createdMs[i];
  const closed = history.closedMs[i];
  if (!Number.isNaN(closed)) return Math.max(closed, created);
  if (history.isOpen[i]) return Number.NaN;
  const archived = history.archivedMs[i];
  return Number.isNaN(archived) ? created : Math.max(archived, created);
}

function buildEventIndex(history: TicketHistory, sla: SlaPolicy): EventIndex {
  const n = history.count;
  const typeCount = history.typeKeys.length;
  const createdPerType = new Int32Array(typeCount);
  const closesPerType = new Int32Array(typeCount);
  const effective = new Float64Array(n);
  let closesTotal = 0;
  let knownTotal = 0;
  for (let i = 0; i < n; i++) {
    createdPerType[history.typeIndex[i]]++;
    effective[i] = effectiveCloseMs(history, i);
    if (!Number.isNaN(effective[i])) {
      closesPerType[history.typeIndex[i]]++;
      closesTotal++;
    }
    if (!Number.isNaN(history.closedMs[i]) && !history.durationFlagged[i]) knownTotal++;
  }
  const createdByType = Array.from(createdPerType, (size) => new Float64Array(size));
  const closesByType = Array.from(closesPerType, (size) => new Float64Array(size));
  const closesAll = new Float64Array(closesTotal);
  const createdFill = new Int32Array(typeCount);
  const closesFill = new Int32Array(typeCount);
  const knownOrder = new Int32Array(knownTotal);
  let closesAt = 0;
  let knownAt = 0;
  for (let i = 0; i < n; i++) {
    const type = history.typeIndex[i];
    createdByType[type][createdFill[type]++] = history.createdMs[i];
    if (!Number.isNaN(effective[i])) {
      closesByType[type][closesFill[type]++] = effective[i];
      closesAll[closesAt++] = effective[i];
    }
    if (!Number.isNaN(history.closedMs[i]) && !history.durationFlagged[i]) knownOrder[knownAt++] = i;
  }
  closesAll.sort();
  for (const closes of closesByType) closes.sort();
  knownOrder.sort((a, b) => history.closedMs[a] - history.closedMs[b] || a - b);

  const slaMsByType = Float64Array.from(history.typeKeys, (key) => slaHoursFor(sla, key) * HOUR_MS);
  const knownCloseMs = new Float64Array(knownTotal);
  const knownBreach = new Uint8Array(knownTotal);
  const knownBreachPrefix = new Int32Array(knownTotal + 1);
  for (let k = 0; k < knownTotal; k++) {
    const i = knownOrder[k];
    knownCloseMs[k] = history.closedMs[i];
    knownBreach[k] = history.closedMs[i] - history.createdMs[i] > slaMsByType[history.typeIndex[i]] ? 1 : 0;
    knownBreachPrefix[k + 1] = knownBreachPrefix[k] + knownBreach[k];
  }

  const typeFirstMs = Float64Array.from(createdByType, (created) => created[0]);
  const byFirst = Array.from({ length: typeCount }, (_, type) => type).sort((a, b) => {
    const byTime = typeFirstMs[a] - typeFirstMs[b];
    if (byTime !== 0) return byTime;
    return history.typeKeys[a] < history.typeKeys[b] ? -1 : history.typeKeys[a] > history.typeKeys[b] ? 1 : 0;
  });
  const typeRank = new Int32Array(typeCount);
  byFirst.forEach((type, rank) => {
    typeRank[type] = rank;
  });
  return {
    createdAll: history.createdMs,
    createdByType,
    closesAll,
    closesByType,
    knownCloseMs,
    knownBreachPrefix,
    knownOrder,
    knownBreach,
    typeRank,
    typeFirstMs,
    slaMsByType,
  };
}

const EMPTY = new Float64Array(0);

/**
 * "How many events before x" for the window counts. A slot names one look-back (0 = t, k = t - k
 * weeks; for known closures 1 = t - 90 days) so the streaming pass can keep one forward-only
 * cursor per slot, while the context answers any instant by binary search. Same numbers.
 */
interface WindowCounter {
  typeCreated(type: number, slot: number, x: number): number;
  typeCloses(type: number, slot: number, x: number): number;
  allCreated(slot: number, x: number): number;
  allCloses(x: number): number;
  known(slot: number, x: number): number;
}

const CREATED_SLOTS = 10; // t, t - 1..8 weeks, t - 9 weeks
const CLOSES_SLOTS = 9; // t, t - 1..8 weeks

function createSearchCounter(index: EventIndex): WindowCounter {
  return {
    typeCreated: (type, _slot, x) => countBelow(type >= 0 ? index.createdByType[type] : EMPTY, x),
    typeCloses: (type, _slot, x) => countBelow(type >= 0 ? index.closesByType[type] : EMPTY, x),
    allCreated: (_slot, x) => countBelow(index.createdAll, x),
    allCloses: (x) => countBelow(index.closesAll, x),
    known: (_slot, x) => countBelow(index.knownCloseMs, x),
  };
}

/** Forward-only cursors: valid while each slot is asked for non-decreasing x (tickets in creation order). */
function createCursorCounter(index: EventIndex): WindowCounter {
  const types = index.createdByType.length;
  const createdAt = new Int32Array(types * CREATED_SLOTS);
  const closesAt = new Int32Array(types * CLOSES_SLOTS);
  const allCreatedAt = new Int32Array(2);
  const knownAt = new Int32Array(2);
  let allClosesAt = 0;
  const advance = (sorted: Float64Array, position: number, x: number) => {
    let p = position;
    while (p < sorted.length && sorted[p] < x) p++;
    return p;
  };
  return {
    typeCreated(type, slot, x) {
      const cell = type * CREATED_SLOTS + slot;
      return (createdAt[cell] = advance(index.createdByType[type], createdAt[cell], x));
    },
    typeCloses(type, slot, x) {
      const cell = type * CLOSES_SLOTS + slot;
      return (closesAt[cell] = advance(index.closesByType[type], closesAt[cell], x));
    },
    allCreated(slot, x) {
      return (allCreatedAt[slot] = advance(index.createdAll, allCreatedAt[slot], x));
    },
    allCloses(x) {
      return (allClosesAt = advance(index.closesAll, allClosesAt, x));
    },
    known(slot, x) {
      return (knownAt[slot] = advance(index.knownCloseMs, knownAt[slot], x));
    },
  };
}

/** Window counts at instant t (type -1: a type never seen, so all its counts are 0). */
function fillWindowCounts(index: EventIndex, counter: WindowCounter, type: number, t: number, counts: ContextCounts): void {
  const seen = type >= 0;
  const created = (slot: number, x: number) => (seen ? counter.typeCreated(type, slot, x) : 0);
  const closes = (slot: number, x: number) => (seen ? counter.typeCloses(type, slot, x) : 0);
  counts.requestTypeCode = seen && index.typeFirstMs[type] < t ? index.typeRank[type] : Number.NaN;
  counts.typePriorTickets = created(0, t);
  const createdWeekAgo = created(1, t - WEEK_MS);
  counts.typeVolume7d = counts.typePriorTickets - createdWeekAgo;
  counts.typeVolumePrior8w = createdWeekAgo - created(9, t - 9 * WEEK_MS);
  const allCreated = counter.allCreated(0, t);
  counts.totalVolume7d = allCreated - counter.allCreated(1, t - WEEK_MS);
  counts.typeBacklog = counts.typePriorTickets - closes(0, t);
  counts.totalBacklog = allCreated - counter.allCloses(t);
  let weeklySum = 0;
  for (let week = 1; week <= 8; week++) {
    const at = t - week * WEEK_MS;
    weeklySum += created(week, at) - closes(week, at);
  }
  counts.typeBacklogWeeklySum = weeklySum;
  const known = counter.known(0, t);
  const known90 = counter.known(1, t - 90 * DAY_MS);
  counts.globalClosed = known;
  counts.globalBreached = index.knownBreachPrefix[known];
  counts.globalClosed90d = known - known90;
  counts.globalBreached90d = index.knownBreachPrefix[known] - index.knownBreachPrefix[known90];
}

function newCounts(): ContextCounts {
  return {
    requestTypeCode: Number.NaN,
    hourOfDay: Number.NaN,
    dayOfWeek: Number.NaN,
    month: Number.NaN,
    reporterPriorTickets: Number.NaN,
    typePriorTickets: 0,
    typeVolume7d: 0,
    totalVolume7d: 0,
    typeVolumePrior8w: 0,
    typeBacklog: 0,
    totalBacklog: 0,
    typeBacklogWeeklySum: 0,
    typeClosed: 0,
    typeBreached: 0,
    typeMedianCloseMs: Number.NaN,
    globalClosed: 0,
    globalBreached: 0,
    globalClosed90d: 0,
    globalBreached90d: 0,
  };
}

/**
 * Features of every ticket of the history, each from events strictly before its creation
 * instant (creations and effective closures), in one pass over tickets sorted by creation:
 * windowed counts by binary search on sorted event times, per-type closure statistics
 * (count, breaches, running median) advanced by a pointer over closures sorted by time.
 */
export function computeHistoricalFeatures(history: TicketHistory, options: FeatureEngineOptions): HistoricalFeatures {
  const n = history.count;
  const index = buildEventIndex(history, options.sla);
  const calendar = new CityCalendar(options.timeZone);
  const typeStats = history.typeKeys.map(() => new TypeClosureStats());
  const reporterCount = new Int32Array(history.reporters.length);
  const reporterLastMs = new Float64Array(history.reporters.length).fill(Number.NEGATIVE_INFINITY);
  const reporterCountBeforeLast = new Int32Array(history.reporters.length);
  const columns = FEATURE_NAMES.map(() => new Float64Array(n));
  const row = new Float64Array(FEATURE_NAMES.length);
  const counts = newCounts();
  const fields: TicketFields = { latitude: 0, longitude: 0, commissionDistrict: 0, policeSector: 0, descriptionLength: 0 };
  const counter = createCursorCounter(index);
  let nextKnown = 0;
  const applyKnownClosure = (k: number) => {
    const i = index.knownOrder[k];
    typeStats[history.typeIndex[i]].apply(history.closedMs[i], history.closedMs[i] - history.createdMs[i], index.knownBreach[k] === 1);
  };

  for (let i = 0; i < n; i++) {
    const t = history.createdMs[i];
    while (nextKnown < index.knownCloseMs.length && index.knownCloseMs[nextKnown] < t) applyKnownClosure(nextKnown++);
    const type = history.typeIndex[i];
    fillWindowCounts(index, counter, type, t, counts);
    const stats = typeStats[type];
    counts.typeClosed = stats.closed;
    counts.typeBreached = stats.breached;
    counts.typeMedianCloseMs = stats.durations.median();
    const parts = calendar.partsOf(t);
    counts.hourOfDay = parts.hour;
    counts.dayOfWeek = parts.isoWeekday;
    counts.month = parts.month;
    const reporter = history.reporterIndex[i];
    if (reporter < 0) counts.reporterPriorTickets = Number.NaN;
    else {
      // Tickets of the same reporter at the same instant do not count each other.
      if (reporterLastMs[reporter] !== t) {
        reporterCountBeforeLast[reporter] = reporterCount[reporter];
        reporterLastMs[reporter] = t;
      }
      counts.reporterPriorTickets = reporterCountBeforeLast[reporter];
      reporterCount[reporter]++;
    }
    fields.latitude = history.latitude[i];
    fields.longitude = history.longitude[i];
    fields.commissionDistrict = history.commissionDistrict[i];
    fields.policeSector = history.policeSector[i];
    fields.descriptionLength = history.descriptionLength[i];
    assembleFeatures(counts, fields, row);
    for (let f = 0; f < row.length; f++) columns[f][i] = row[f];
  }
  while (nextKnown < index.knownCloseMs.length) applyKnownClosure(nextKnown++);

  const context = new FeatureContext({
    index,
    typeKeys: history.typeKeys,
    typeStats,
    reporters: history.reporters,
    reporterCount,
    reporterLastMs,
    reporterCountBeforeLast,
    timeZone: options.timeZone,
    sla: options.sla,
    horizonMs: Math.max(
      n > 0 ? history.createdMs[n - 1] : Number.NEGATIVE_INFINITY,
      index.closesAll.length > 0 ? index.closesAll[index.closesAll.length - 1] : Number.NEGATIVE_INFINITY,
    ),
    tickets: n,
  });
  return { data: { featureNames: [...FEATURE_NAMES], rows: n, columns }, context };
}

interface FeatureContextState {
  index: EventIndex;
  typeKeys: string[];
  typeStats: TypeClosureStats[];
  reporters: string[];
  reporterCount: Int32Array;
  reporterLastMs: Float64Array;
  reporterCountBeforeLast: Int32Array;
  timeZone: string;
  sla: SlaPolicy;
  horizonMs: number;
  tickets: number;
}

/**
 * The state after every ticket of a history: computes the features of a new ticket created at
 * or after the last event (`horizon`) without touching the database (binary searches and map
 * look-ups, microseconds). For an earlier instant use computeFeaturesAt (SQL).
 */
export class FeatureContext {
  private readonly typeIds: Map<string, number>;
  private readonly reporterIds: Map<string, number>;
  private readonly calendar: CityCalendar;
  private readonly counter: WindowCounter;

  constructor(private readonly state: FeatureContextState) {
    this.counter = createSearchCounter(state.index);
    this.typeIds = new Map(state.typeKeys.map((key, id) => [key, id]));
    this.reporterIds = new Map(state.reporters.map((name, id) => [name, id]));
    this.calendar = new CityCalendar(state.timeZone);
  }

  /** The latest event (creation or closure) in the history; new tickets must be created at or after it. */
  get horizon(): Date | null {
    return Number.isFinite(this.state.horizonMs) ? new Date(this.state.horizonMs) : null;
  }

  /** Tickets the context was built from. */
  get tickets(): number {
    return this.state.tickets;
  }

  get timeZone(): string {
    return this.state.timeZone;
  }

  get slaPolicy(): SlaPolicy {
    return this.state.sla;
  }

  /** Request types the context has seen. */
  get typeKeys(): readonly string[] {
    return this.state.typeKeys;
  }

  /**
   * Features of a new ticket. Throws InputError when it is created before the horizon (the
   * context no longer knows what was pending then; use computeFeaturesAt).
   */
  computeFeatures(input: TicketInput): FeatureVector {
    const row = new Float64Array(FEATURE_NAMES.length);
    this.computeFeatureRow(input, row);
    return toFeatureVector(row);
  }

  /** computeFeatures writing into a caller's row (FEATURE_NAMES order), for hot paths. */
  computeFeatureRow(input: TicketInput, out: Float64Array): void {
    const t = input.createdAt.getTime();
    if (Number.isNaN(t)) throw new InputError('createdAt is not a valid date.', [{ path: 'createdAt', message: 'invalid date' }]);
    if (t < this.state.horizonMs) {
      throw new InputError(
        `A ticket created at ${input.createdAt.toISOString()} is before the latest event the features know (${new Date(this.state.horizonMs).toISOString()}); compute it with computeFeaturesAt.`,
        [{ path: 'createdAt', message: 'before the feature context horizon' }],
      );
    }
    const type = this.typeIds.get(input.typeKey) ?? -1;
    const counts = newCounts();
    fillWindowCounts(this.state.index, this.counter, type, t, counts);
    if (type >= 0) {
      // At exactly the last closure instant of the type, closures at that instant do not count yet.
      const stats = this.state.typeStats[type];
      const atLast = stats.lastCloseMs === t;
      counts.typeClosed = atLast ? stats.closedBeforeLast : stats.closed;
      counts.typeBreached = atLast ? stats.breachedBeforeLast : stats.breached;
      counts.typeMedianCloseMs = atLast ? stats.medianBeforeLast : stats.durations.median();
    }
    const parts = this.calendar.partsOf(t);
    counts.hourOfDay = parts.hour;
    counts.dayOfWeek = parts.isoWeekday;
    counts.month = parts.month;
    const identity = reporterIdentity(input.reporterDisplay);
    if (identity === null) counts.reporterPriorTickets = Number.NaN;
    else {
      const reporter = this.reporterIds.get(identity);
      if (reporter === undefined) counts.reporterPriorTickets = 0;
      else {
        const atLast = this.state.reporterLastMs[reporter] === t;
        counts.reporterPriorTickets = atLast ? this.state.reporterCountBeforeLast[reporter] : this.state.reporterCount[reporter];
      }
    }
    assembleFeatures(counts, ticketFieldsOf(input), out, input.overrides);
  }

  /** SLA hours of a type under the context's policy. */
  slaHoursOf(typeKey: string): number {
    return slaHoursFor(this.state.sla, typeKey);
  }

  /** Usual weekly intake and backlog of a type at an instant ≥ horizon (for sentences such as "2.3× its usual level"). */
  describeTypeAt(typeKey: string, at: Date): { usualWeeklyVolume: number; usualBacklog: number; backlog: number; volume7d: number } {
    const counts = newCounts();
    fillWindowCounts(this.state.index, this.counter, this.typeIds.get(typeKey) ?? -1, at.getTime(), counts);
    return {
      usualWeeklyVolume: counts.typeVolumePrior8w / 8,
      usualBacklog: counts.typeBacklogWeeklySum / 8,
      backlog: counts.typeBacklog,
      volume7d: counts.typeVolume7d,
    };
  }
}
