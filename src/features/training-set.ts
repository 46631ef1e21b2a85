import type { Kysely } from 'kysely';
import { createFederalHolidayCalendar } from '../analytics/holiday-calendar.js';
import type { SlaClockContext } from '../analytics/sla-clock.js';
import { createPolicyClock, isWallClockPolicy, slaClockFor, slaMsFor, type SlaPolicy } from '../analytics/sla-policy.js';
import { effectiveCloseMs, isSlaBreach } from '../analytics/ticket-lifecycle.js';
import { InputError } from '../shared/errors.js';
import type { WarehouseSchema } from '../warehouse/schema.js';
import { loadSlaPolicy } from '../warehouse/sla-policy.repository.js';
import type { FeatureMatrix } from './feature-catalog.js';
import type { FeatureContext } from './feature-context.js';
import { computeHistoricalFeatures } from './historical-features.js';
import { loadTicketHistory, type TicketHistory } from './ticket-history.js';

export interface FeatureBuildOptions {
  /** Configured SLA_HOURS: the default when sla_policy has no '*' row. */
  slaHours: number;
  /** A policy to use instead of reading sla_policy. */
  policy?: SlaPolicy;
  /** City time zone (config cityTimeZone). */
  timeZone: string;
  /** The city's zone and holidays for business-clock policies (default: timeZone and the US federal holidays). */
  slaClock?: SlaClockContext;
}

/** Features and breach labels of every ticket created before asOf, rows in creation order. */
export interface TrainingSet {
  ticketIds: string[];
  /** Creation instants, epoch ms (for time-based splits). */
  createdAt: Float64Array;
  typeKeys: string[];
  data: FeatureMatrix;
  /** 1 = breached: closed after its SLA, or still open at asOf and older than its SLA. */
  labels: Uint8Array;
  /**
   * 0 when the outcome is unknown at asOf: younger than its SLA at asOf (closed or not: only once
   * the SLA has run out is every ticket of that age labelled, fast or slow), not open but without
   * a close date (legacy 'Archived'), or a flagged (negative/absurd) duration. Train on rows with 1.
   */
  labelKnown: Uint8Array;
  /** The feature state at asOf, ready to score new tickets. */
  context: FeatureContext;
  asOf: Date;
  policy: SlaPolicy;
}

/** Breach labels as of asOf (see TrainingSet.labels / labelKnown). */
export function computeBreachLabels(
  history: TicketHistory,
  policy: SlaPolicy,
  asOfMs: number,
  slaClock?: SlaClockContext,
): { labels: Uint8Array; labelKnown: Uint8Array } {
  const n = history.count;
  const labels = new Uint8Array(n);
  const labelKnown = new Uint8Array(n);
  const slaMs = history.typeKeys.map((key) => slaMsFor(policy, key));
  // A business-clock type's deadline depends on when the ticket came in (weekends, holidays):
  // its SLA in real milliseconds is computed per ticket. Wall-clock types keep created + hours.
  const clock = slaClock && !isWallClockPolicy(policy) ? createPolicyClock(policy, slaClock) : null;
  const onBusinessClock = history.typeKeys.map((key) => clock !== null && slaClockFor(policy, key).kind === 'business');
  for (let i = 0; i < n; i++) {
    const created = history.createdMs[i];
    const type = history.typeIndex[i];
    const sla = onBusinessClock[type] ? clock!.dueAt(history.typeKeys[type]!, new Date(created)).getTime() - created : slaMs[type];
    const closed = history.closedMs[i];
    // The outcome is settled only once the SLA has run out at asOf, whether the ticket is closed
    // or not: labelling a younger ticket only when it already closed (always in time) would keep
    // the fast closures and drop the slow ones, biasing the newest tickets toward 'met'.
    if (!(asOfMs - created > sla)) continue;
    if (!Number.isNaN(closed) && closed <= asOfMs) {
      if (history.durationFlagged[i]) continue;
      labelKnown[i] = 1;
      labels[i] = isSlaBreach(closed - created, sla) ? 1 : 0;
    } else if (history.isOpen[i] || !Number.isNaN(closed)) {
      // Open at asOf (closed later counts as open then) and older than its SLA: breached.
      labelKnown[i] = 1;
      labels[i] = 1;
    }
    // Not open and no close date ('Archived'): the outcome is unknown.
  }
  return { labels, labelKnown };
}

/**
 * The history as it looked at asOf: closures and archivals after asOf have not happened yet.
 * Features only look before each creation instant, so this changes no feature of a ticket
 * created before asOf; it keeps later events out of the FeatureContext.
 */
export function censorHistoryAt(history: TicketHistory, asOfMs: number): TicketHistory {
  const closedMs = history.closedMs.slice();
  const isOpen = history.isOpen.slice();
  for (let i = 0; i < history.count; i++) {
    if (!Number.isNaN(closedMs[i]) && closedMs[i] > asOfMs) {
      closedMs[i] = Number.NaN;
      isOpen[i] = 1;
    } else if (Number.isNaN(closedMs[i]) && !isOpen[i]) {
      // Archived after asOf (archived_at, frozen at ingest; never last_updated_at): still open then.
      if (effectiveCloseMs(history.createdMs[i], closedMs[i], false, history.archivedMs[i]) > asOfMs) isOpen[i] = 1;
    }
  }
  return { ...history, closedMs, isOpen };
}

async function resolvePolicy(db: Kysely<WarehouseSchema>, options: FeatureBuildOptions): Promise<SlaPolicy> {
  return options.policy ?? loadSlaPolicy(db, options.slaHours);
}

/**
 * Point-in-time features and breach labels of every ticket created before asOf: the training
 * set of the SLA-breach model. Features come from events strictly before each creation.
 */
export async function buildTrainingSet(db: Kysely<WarehouseSchema>, options: FeatureBuildOptions & { asOf: Date }): Promise<TrainingSet> {
  const asOfMs = options.asOf.getTime();
  if (Number.isNaN(asOfMs)) throw new InputError('asOf is not a valid date.');
  const policy = await resolvePolicy(db, options);
  const history = await loadTicketHistory(db, { createdBefore: options.asOf });
  const { labels, labelKnown } = computeBreachLabels(
    history,
    policy,
    asOfMs,
    options.slaClock ?? { timeZone: options.timeZone, holidays: createFederalHolidayCalendar() },
  );
  const { data, context } = computeHistoricalFeatures(censorHistoryAt(history, asOfMs), { sla: policy, timeZone: options.timeZone });
  return {
    ticketIds: history.ticketIds,
    createdAt: history.createdMs,
    typeKeys: Array.from(history.typeIndex, (type) => history.typeKeys[type]),
    data,
    labels,
    labelKnown,
    context,
    asOf: options.asOf,
    policy,
  };
}

/**
 * The feature state after every ticket in the warehouse (or as of `asOf`), for scoring new
 * tickets without a query. Rebuild it after each ingest so its horizon follows the data.
 */
export async function buildFeatureContext(
  db: Kysely<WarehouseSchema>,
  options: FeatureBuildOptions & { asOf?: Date },
): Promise<FeatureContext> {
  const policy = await resolvePolicy(db, options);
  const history = await loadTicketHistory(db, { createdBefore: options.asOf });
  const visible = options.asOf ? censorHistoryAt(history, options.asOf.getTime()) : history;
  return computeHistoricalFeatures(visible, { sla: policy, timeZone: options.timeZone }).context;
}

/** Every stored ticket with its features at creation, and the feature state after the last event. */
export interface FeatureState {
  history: TicketHistory;
  /** Features of each ticket of `history` at its creation (row i = history ticket i). */
  data: FeatureMatrix;
  context: FeatureContext;
}

/**
 * buildFeatureContext plus what the same single pass computes on the way: every stored ticket's
 * features at its creation (the training features). The scorer keeps those of the open tickets,
 * so scoring them "as of their creation" needs no query per ticket.
 */
export async function buildFeatureState(db: Kysely<WarehouseSchema>, options: FeatureBuildOptions): Promise<FeatureState> {
  const policy = await resolvePolicy(db, options);
  const history = await loadTicketHistory(db);
  const { data, context } = computeHistoricalFeatures(history, { sla: policy, timeZone: options.timeZone });
  return { history, data, context };
}
