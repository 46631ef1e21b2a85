/**
 * The instant every view answers at. A warehouse whose data stops before today (the bundled
 * snapshot ends in July 2023) is read as of its last event, and the view says so plainly, instead
 * of answering "nothing happened" for the last weeks.
 */

/** Data whose last event is more than this before now is stale. */
export const STALE_AFTER_HOURS = 48;
const HOUR_MS = 3_600_000;

export interface DataClock {
  /** The instant the view answers at. */
  asOf: Date;
  /** The warehouse's last event (creation, trusted close or archival); null when it is empty. */
  dataThrough: Date | null;
  /** True when the data stops more than STALE_AFTER_HOURS before `asOf` would have been. */
  stale: boolean;
  /** One plain sentence for people when the data is stale or missing; null otherwise. */
  notice: string | null;
}

/**
 * The instant asked for; else now, unless the warehouse's last event is older than
 * STALE_AFTER_HOURS — then that event.
 */
export function resolveDataClock(latestEvent: Date | null, now: Date, asked?: Date): DataClock {
  const staleAt = (instant: Date) => latestEvent !== null && instant.getTime() - latestEvent.getTime() > STALE_AFTER_HOURS * HOUR_MS;
  let asOf = now;
  let stale = false;
  if (asked) {
    asOf = asked;
    stale = staleAt(asked);
  } else if (latestEvent !== null && staleAt(now)) {
    asOf = latestEvent;
    stale = true;
  }
  return { asOf, dataThrough: latestEvent, stale, notice: describeDataClock(latestEvent, asOf, stale) };
}

function describeDataClock(latestEvent: Date | null, asOf: Date, stale: boolean): string | null {
  if (latestEvent === null) return 'The warehouse holds no tickets yet: run `civicops ingest` (or `civicops demo --offline`) first.';
  if (!stale) return null;
  return `The data ends ${latestEvent.toISOString()}: figures are as of ${asOf.toISOString()}, not today.`;
}
