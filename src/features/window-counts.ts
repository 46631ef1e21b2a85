import type { ContextCounts } from './assemble-features.js';
import type { EventIndex } from './event-index.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** Number of values in a sorted array strictly below x (binary search). */
export function countBelow(sorted: Float64Array, x: number): number {
  return positionBelow(sorted, x, 0, sorted.length);
}

/** The first position in sorted[from..to) whose value is not below x (to when none). */
function positionBelow(sorted: Float64Array, x: number, from: number, to: number): number {
  let low = from;
  let high = to;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < x) low = middle + 1;
    else high = middle;
  }
  return low;
}

const EMPTY = new Float64Array(0);

/**
 * "How many events before x" for the window counts. A slot names one look-back (0 = t, k = t - k
 * weeks; for known closures 1 = t - 90 days) so the streaming pass can keep one forward-only
 * cursor per slot, while the context answers any instant by binary search. Same numbers.
 */
export interface WindowCounter {
  typeCreated(type: number, slot: number, x: number): number;
  typeCloses(type: number, slot: number, x: number): number;
  allCreated(slot: number, x: number): number;
  allCloses(x: number): number;
  known(slot: number, x: number): number;
}

const CREATED_SLOTS = 10; // t, t - 1..8 weeks, t - 9 weeks
const CLOSES_SLOTS = 9; // t, t - 1..8 weeks

/** Binary search: any instant, in any order (the context). */
export function createSearchCounter(index: EventIndex): WindowCounter {
  return {
    typeCreated: (type, _slot, x) => countBelow(type >= 0 ? index.createdByType[type] : EMPTY, x),
    typeCloses: (type, _slot, x) => countBelow(type >= 0 ? index.closesByType[type] : EMPTY, x),
    allCreated: (_slot, x) => countBelow(index.createdAll, x),
    allCloses: (x) => countBelow(index.closesAll, x),
    known: (_slot, x) => countBelow(index.knownCloseMs, x),
  };
}

/** Forward-only cursors: valid while each slot is asked for non-decreasing x (tickets in creation order). */
export function createCursorCounter(index: EventIndex): WindowCounter {
  const types = index.createdByType.length;
  const createdAt = new Int32Array(types * CREATED_SLOTS);
  const closesAt = new Int32Array(types * CLOSES_SLOTS);
  const allCreatedAt = new Int32Array(2);
  const allClosesAt = new Int32Array(1);
  const knownAt = new Int32Array(2);
  // Moves the cursor in cursors[cell] past every value of `sorted` below x and returns it.
  const advance = (cursors: Int32Array, cell: number, sorted: Float64Array, x: number) => {
    let p = cursors[cell];
    while (p < sorted.length && sorted[p] < x) p++;
    cursors[cell] = p;
    return p;
  };
  return {
    typeCreated: (type, slot, x) => advance(createdAt, type * CREATED_SLOTS + slot, index.createdByType[type], x),
    typeCloses: (type, slot, x) => advance(closesAt, type * CLOSES_SLOTS + slot, index.closesByType[type], x),
    allCreated: (slot, x) => advance(allCreatedAt, slot, index.createdAll, x),
    allCloses: (x) => advance(allClosesAt, 0, index.closesAll, x),
    known: (slot, x) => advance(knownAt, slot, index.knownCloseMs, x),
  };
}

/** Window counts at instant t (type -1: a type never seen, so all its counts are 0). */
export function fillWindowCounts(index: EventIndex, counter: WindowCounter, type: number, t: number, counts: ContextCounts): void {
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

const LOCATION_WINDOW_MS = 30 * DAY_MS;

/**
 * Tickets created in [t - 30 d, t) in location cell `cell` of the index (-1: a location no ticket
 * of the history has, so 0). A ticket without a location has no cell: its count is NaN, set by the caller.
 */
export function countLocationTickets30d(index: EventIndex, cell: number, t: number): number {
  if (cell < 0) return 0;
  const from = index.locationStart[cell];
  const to = index.locationStart[cell + 1];
  return positionBelow(index.locationCreated, t, from, to) - positionBelow(index.locationCreated, t - LOCATION_WINDOW_MS, from, to);
}

/** Counts before any event: zeros, and NaN where no value is known yet. */
export function newCounts(): ContextCounts {
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
    locationTickets30d: Number.NaN,
  };
}
