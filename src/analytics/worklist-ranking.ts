// analytics/: the worklist's pure rules — the SLA deadline, how much time is left, the status of an
// open ticket and the order an ops lead works through them. No SQL, no I/O.

const HOUR_MS = 3_600_000;

/**
 * The SLA of one request type: on the wall clock its hours of real elapsed time; on a business-hours
 * clock the ticket's stored deadline (`dueAt`). `slaDeadline` is the one place that reads them.
 */
export interface TicketSlaPolicy {
  /** SLA length in hours (sla_policy row of the type, else the '*' row, else SLA_HOURS). */
  readonly hours: number;
  /** The stored deadline (fact_ticket.sla_due_at) of a type on a business-hours clock; absent: wall clock. */
  readonly dueAt?: Date;
}

/**
 * When a ticket created at `createdAt` breaches its SLA: its stored business-clock deadline, else
 * `hours` real hours later. Across a DST change the city's clock therefore shows an hour more
 * (spring) or less (autumn) than "same time N days later": 72 h from Friday 09:00 before the
 * spring change is Monday 10:00.
 */
export function slaDeadline(createdAt: Date, policy: TicketSlaPolicy): Date {
  return policy.dueAt ?? new Date(createdAt.getTime() + policy.hours * HOUR_MS);
}

/** Hours from `asOf` to `dueAt`; negative once the deadline has passed. */
export function hoursLeft(dueAt: Date, asOf: Date): number {
  return (dueAt.getTime() - asOf.getTime()) / HOUR_MS;
}

/** Where an open ticket stands against its SLA at the worklist's instant. */
export type WorklistSlaStatus = 'breached' | 'at_risk' | 'on_track';

/** The worklist's `status` filter: one SLA status, or every open ticket. */
export type WorklistStatusFilter = 'breached' | 'at_risk' | 'all';

/** A ticket due within this many hours is at risk whatever its score: it is still open, late in its SLA. */
export const DUE_SOON_HOURS = 24;

export interface WorklistRules {
  /** RISK_MEDIUM_THRESHOLD: a score at or above it makes a ticket at risk. */
  readonly mediumThreshold: number;
  /** Due within this many hours makes a ticket at risk (default DUE_SOON_HOURS). */
  readonly dueSoonHours?: number;
}

/**
 * `breached`: the deadline has passed (hours left < 0; exactly at the deadline is not yet late).
 * `at_risk`: not breached, and the model's probability is at least the Medium threshold or the
 * ticket is due within 24 hours (an open ticket that close to its deadline needs a look even when
 * its score at creation was low). `on_track`: every other open ticket.
 */
export function classifySlaStatus(probability: number, hoursToDeadline: number, rules: WorklistRules): WorklistSlaStatus {
  if (hoursToDeadline < 0) return 'breached';
  if (probability >= rules.mediumThreshold || hoursToDeadline <= (rules.dueSoonHours ?? DUE_SOON_HOURS)) return 'at_risk';
  return 'on_track';
}

/**
 * Urgency of a ticket not yet breached: breach probability per hour left, with the hours floored
 * at 1 so a ticket due in minutes does not get an unbounded score.
 */
export function urgencyOf(probability: number, hoursToDeadline: number): number {
  return probability / Math.max(hoursToDeadline, 1);
}

/** What the ranking needs of an open ticket (the domain adds it to the row it shows). */
export interface RankableTicket {
  readonly ticketId: string;
  readonly createdAt: Date;
  readonly sla: TicketSlaPolicy;
  /** Calibrated probability (0–1) that the ticket misses its SLA, scored as of its creation. */
  readonly probability: number;
}

/** A ticket placed on the worklist: its deadline, time left, status and urgency. */
export type RankedTicket<T extends RankableTicket> = T & {
  readonly dueAt: Date;
  readonly hoursLeft: number;
  readonly slaStatus: WorklistSlaStatus;
  /** probability / max(hoursLeft, 1) for tickets not breached; the probability itself for breached ones. */
  readonly urgency: number;
};

const STATUS_ORDER: Record<WorklistSlaStatus, number> = { breached: 0, at_risk: 1, on_track: 2 };

/**
 * The worklist order, in one sentence: breached tickets first, the likeliest breaches (by the
 * model's probability) on top; then at-risk tickets, then on-track ones, each by breach
 * probability per hour left (p ÷ hours left, at least 1 h) so a likely breach due soon outranks one
 * due next week; ties go to the earlier deadline, then the ticket id.
 */
export function compareWorklist<T extends RankableTicket>(a: RankedTicket<T>, b: RankedTicket<T>): number {
  return (
    STATUS_ORDER[a.slaStatus] - STATUS_ORDER[b.slaStatus] ||
    b.urgency - a.urgency ||
    a.dueAt.getTime() - b.dueAt.getTime() ||
    (a.ticketId < b.ticketId ? -1 : a.ticketId > b.ticketId ? 1 : 0)
  );
}

/** Deadline, time left, status and urgency of one ticket at `asOf`. */
export function placeOnWorklist<T extends RankableTicket>(ticket: T, asOf: Date, rules: WorklistRules): RankedTicket<T> {
  const dueAt = slaDeadline(ticket.createdAt, ticket.sla);
  const left = hoursLeft(dueAt, asOf);
  const slaStatus = classifySlaStatus(ticket.probability, left, rules);
  const urgency = slaStatus === 'breached' ? ticket.probability : urgencyOf(ticket.probability, left);
  // Object.assign, not a spread plus fields: V8 built those object by object, 5–10× slower over the
  // 27,000 open tickets a worklist request places on 500,000 tickets.
  return Object.assign({}, ticket, { dueAt, hoursLeft: left, slaStatus, urgency });
}

/**
 * The worklist: every ticket placed at `asOf`, kept when its status passes the filter, in the
 * order of `compareWorklist`, at most `limit` long.
 */
export function rankWorklist<T extends RankableTicket>(
  tickets: readonly T[],
  options: { asOf: Date; status: WorklistStatusFilter; limit?: number; rules: WorklistRules },
): RankedTicket<T>[] {
  const ranked = tickets
    .map((ticket) => placeOnWorklist(ticket, options.asOf, options.rules))
    .filter((ticket) => options.status === 'all' || ticket.slaStatus === options.status)
    .sort(compareWorklist);
  return options.limit === undefined ? ranked : ranked.slice(0, Math.max(0, options.limit));
}

/**
 * The tickets that can be open at an instant from `fromMs` on, as columns of epoch milliseconds
 * (one warehouse version): what the dashboard's at-risk figure is counted from at any later
 * instant without reading the warehouse again.
 */
export interface OpenRiskInputs {
  readonly fromMs: number;
  readonly createdMs: Float64Array;
  /** The effective close (closed, or archived without a close date); Infinity while open. */
  readonly closeMs: Float64Array;
  /** The SLA deadline (slaDeadline). */
  readonly dueMs: Float64Array;
  /** The stored breach probability; NaN when the ticket has not been scored. */
  readonly probability: Float64Array;
}

/** Open tickets at an instant whose worklist status is breached or at_risk, and how many lack a score. */
export interface OpenRiskCounts {
  /** Open tickets without a stored score (the caller scores them, then counts again). */
  unscored: number;
  atRisk: number;
}

/**
 * Counts the tickets open at `asOf` (created at or before it, effective close after it) whose
 * status (classifySlaStatus) is not on_track. `asOf` must not be before `inputs.fromMs`.
 */
export function countAtRiskOpenTickets(inputs: OpenRiskInputs, asOf: Date, rules: WorklistRules): OpenRiskCounts {
  const at = asOf.getTime();
  if (at < inputs.fromMs) throw new RangeError('countAtRiskOpenTickets: asOf is before the instant the inputs were read from.');
  let unscored = 0;
  let atRisk = 0;
  for (let i = 0; i < inputs.createdMs.length; i++) {
    if (inputs.createdMs[i]! > at || inputs.closeMs[i]! <= at) continue;
    const probability = inputs.probability[i]!;
    if (Number.isNaN(probability)) unscored++;
    else if (classifySlaStatus(probability, (inputs.dueMs[i]! - at) / HOUR_MS, rules) !== 'on_track') atRisk++;
  }
  return { unscored, atRisk };
}
