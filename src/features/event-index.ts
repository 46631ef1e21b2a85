import { slaMsFor, type SlaPolicy } from '../analytics/sla-policy.js';
import { effectiveCloseMs, isSlaBreach } from '../analytics/ticket-lifecycle.js';
import { locationCellOf } from './assemble-features.js';
import type { TicketHistory } from './ticket-history.js';

/** Sorted copies of event times, global and per type, shared by the streaming pass and the context. */
export interface EventIndex {
  createdAll: Float64Array;
  createdByType: Float64Array[];
  /** Effective close instants (analytics effectiveCloseMs) of tickets no longer open, sorted. */
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
  /**
   * Creation instants grouped by location cell (locationCellOf), each group in creation order:
   * cell c holds locationCreated[locationStart[c] .. locationStart[c + 1]). One array, not one per
   * cell: a city has about as many cells as located tickets.
   */
  locationCreated: Float64Array;
  locationStart: Int32Array;
  /** Cell of each history ticket (-1: no location). */
  ticketLocation: Int32Array;
  /** Cell number of each cell key. */
  locationIds: Map<string, number>;
}

/** Sorts every creation and closure of the history once, and marks which trusted closures breached their SLA. */
export function buildEventIndex(history: TicketHistory, sla: SlaPolicy): EventIndex {
  const n = history.count;
  const typeCount = history.typeKeys.length;
  const createdPerType = new Int32Array(typeCount);
  const closesPerType = new Int32Array(typeCount);
  const effective = new Float64Array(n);
  let closesTotal = 0;
  let knownTotal = 0;
  for (let i = 0; i < n; i++) {
    createdPerType[history.typeIndex[i]]++;
    effective[i] = effectiveCloseMs(history.createdMs[i], history.closedMs[i], history.isOpen[i] === 1, history.archivedMs[i]);
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

  const slaMsByType = Float64Array.from(history.typeKeys, (key) => slaMsFor(sla, key));
  const knownCloseMs = new Float64Array(knownTotal);
  const knownBreach = new Uint8Array(knownTotal);
  const knownBreachPrefix = new Int32Array(knownTotal + 1);
  for (let k = 0; k < knownTotal; k++) {
    const i = knownOrder[k];
    knownCloseMs[k] = history.closedMs[i];
    knownBreach[k] = isSlaBreach(history.closedMs[i] - history.createdMs[i], slaMsByType[history.typeIndex[i]]) ? 1 : 0;
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
  const locations = groupByLocation(history);
  return {
    ...locations,
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

/** The history's creation instants grouped by location cell (the history is in creation order, so each group is too). */
function groupByLocation(history: TicketHistory): Pick<EventIndex, 'locationCreated' | 'locationStart' | 'ticketLocation' | 'locationIds'> {
  const n = history.count;
  const locationIds = new Map<string, number>();
  const ticketLocation = new Int32Array(n).fill(-1);
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    const key = locationCellOf(history.latitude[i], history.longitude[i]);
    if (key === null) continue;
    let cell = locationIds.get(key);
    if (cell === undefined) {
      cell = sizes.length;
      locationIds.set(key, cell);
      sizes.push(0);
    }
    ticketLocation[i] = cell;
    sizes[cell]++;
  }
  const locationStart = new Int32Array(sizes.length + 1);
  for (let cell = 0; cell < sizes.length; cell++) locationStart[cell + 1] = locationStart[cell] + sizes[cell];
  const locationCreated = new Float64Array(locationStart[sizes.length]);
  const fill = locationStart.slice(0, sizes.length);
  for (let i = 0; i < n; i++) {
    const cell = ticketLocation[i];
    if (cell >= 0) locationCreated[fill[cell]++] = history.createdMs[i];
  }
  return { locationCreated, locationStart, ticketLocation, locationIds };
}
