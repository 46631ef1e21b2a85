import { slaHoursFor, type SlaPolicy } from '../analytics/sla-policy.js';
import { InputError } from '../shared/errors.js';
import {
  assembleFeatures,
  locationCellOf,
  reporterIdentity,
  ticketFieldsOf,
  toFeatureVector,
  type TicketInput,
} from './assemble-features.js';
import { CityCalendar } from './city-calendar.js';
import type { EventIndex } from './event-index.js';
import { FEATURE_NAMES, type FeatureVector } from './feature-catalog.js';
import type { TypeClosureStats } from './type-closure-stats.js';
import { countLocationTickets30d, createSearchCounter, fillWindowCounts, newCounts, type WindowCounter } from './window-counts.js';

/** What a FeatureContext answers from: the event index and the per-type and per-reporter state after the last ticket. */
export interface FeatureContextState {
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
 * Built by computeHistoricalFeatures.
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
    const cellKey = locationCellOf(input.latitude, input.longitude);
    // No location given: the count is absent (NaN), not 0; a location no ticket had: 0.
    counts.locationTickets30d =
      cellKey === null ? Number.NaN : countLocationTickets30d(this.state.index, this.state.index.locationIds.get(cellKey) ?? -1, t);
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
