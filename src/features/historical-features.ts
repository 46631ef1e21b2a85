import type { SlaPolicy } from '../analytics/sla-policy.js';
import { assembleFeatures, type TicketFields } from './assemble-features.js';
import { CityCalendar } from './city-calendar.js';
import { buildEventIndex } from './event-index.js';
import { FeatureContext } from './feature-context.js';
import { FEATURE_NAMES, type FeatureMatrix } from './feature-catalog.js';
import type { TicketHistory } from './ticket-history.js';
import { TypeClosureStats } from './type-closure-stats.js';
import { countLocationTickets30d, createCursorCounter, fillWindowCounts, newCounts } from './window-counts.js';

export interface FeatureEngineOptions {
  sla: SlaPolicy;
  /** City time zone (config cityTimeZone): hour, weekday and month are city-local. */
  timeZone: string;
}

/** Features of every ticket of a history (rows in history order) and the state after the last event. */
export interface HistoricalFeatures {
  data: FeatureMatrix;
  context: FeatureContext;
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
    const cell = index.ticketLocation[i];
    counts.locationTickets30d = cell < 0 ? Number.NaN : countLocationTickets30d(index, cell, t);
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
