/**
 * The creation instant of a ticket scored without `created_at`. Scoring "now" on a warehouse whose
 * data stopped years ago computes every context feature over an empty week (7-day volume 0) and
 * explains the score by today's weekday, which the caller never sent. So, like every view (the
 * data clock), the score is taken at the warehouse's last event when the data is stale, and the
 * time-of-creation reasons say plainly that the instant was assumed.
 */
import { resolveDataClock } from '../analytics/data-clock.js';
import { explainFactor } from '../features/feature-catalog.js';
import type { CreatedAtAssumption } from './scorer.js';

/** The instant to score at and, when it was not the caller's, why that one. */
export interface ScoringInstant {
  createdAt: Date;
  assumed: CreatedAtAssumption | null;
  note: string | null;
}

/**
 * The caller's createdAt when given; else now, unless the warehouse's last event (`dataThrough`)
 * is older than the data clock's staleness limit — then that event, or the scorer's in-memory
 * `featureHorizon` when it lies between that event and now (a close the data clock does not
 * trust), so the assumed instant never needs a per-ticket SQL query.
 */
export function resolveScoringInstant(
  createdAt: Date | undefined,
  dataThrough: Date | null,
  now: Date,
  featureHorizon: Date | null = null,
): ScoringInstant {
  if (createdAt) return { createdAt, assumed: null, note: null };
  const clock = resolveDataClock(dataThrough, now);
  if (clock.stale && clock.dataThrough) {
    const horizonAfter = featureHorizon !== null && featureHorizon > clock.asOf && featureHorizon <= now;
    return {
      createdAt: horizonAfter ? featureHorizon : clock.asOf,
      assumed: 'data_through',
      note: `No created_at was sent and the data ends ${clock.dataThrough.toISOString()}: scored as if created then, not today.`,
    };
  }
  return { createdAt: clock.asOf, assumed: 'now', note: 'No created_at was sent: scored as if created now.' };
}

/** Features that only say when the ticket was created; they are the assumed instant's, not the caller's. */
const CREATION_TIME_FEATURES: ReadonlySet<string> = new Set(['hourOfDay', 'dayOfWeek', 'month', 'hoursToNextBusinessDay']);

/**
 * Reasons about the creation time of a ticket whose instant was assumed, restated as assumed:
 * "Filed on a Friday (raises the risk)." becomes "No created_at was sent, so it is scored as
 * created at the data's last event: filed on a Friday (raises the risk)." Other reasons are kept.
 * `row` holds the features in `featureNames` order (what the reasons were written from).
 */
export function restateAssumedTimeReasons(
  reasons: readonly string[],
  featureNames: readonly string[],
  row: ArrayLike<number>,
  assumed: CreatedAtAssumption | null,
): string[] {
  if (assumed === null) return [...reasons];
  const sentences: string[] = [];
  featureNames.forEach((name, index) => {
    if (!CREATION_TIME_FEATURES.has(name)) return;
    const sentence = explainFactor(name, row[index]);
    sentences.push(sentence.endsWith('.') ? sentence.slice(0, -1) : sentence);
  });
  const when = assumed === 'data_through' ? "at the data's last event" : 'now';
  return reasons.map((reason) => {
    const sentence = sentences.find((candidate) => reason.startsWith(`${candidate} (`));
    if (sentence === undefined) return reason;
    return `No created_at was sent, so it is scored as created ${when}: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`;
  });
}
