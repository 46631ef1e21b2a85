import type { TypeSlaSummary } from './sla-report.js';

/** Worst-first order of type summaries: lowest attainment, then most breaches; types with no known outcome last. */
export function compareWorstFirst(a: TypeSlaSummary, b: TypeSlaSummary): number {
  const left = a.current.attainment;
  const right = b.current.attainment;
  if (left === null && right !== null) return 1;
  if (right === null && left !== null) return -1;
  if (left !== null && right !== null && left !== right) return left - right;
  if (a.current.breached !== b.current.breached) return b.current.breached - a.current.breached;
  return a.displayName.localeCompare(b.displayName);
}

/**
 * The `limit` worst types (Slack `/sla` without text, daily digest), skipping types with fewer
 * than `minKnownOutcomes` judged tickets so one late ticket does not top the list.
 */
export function selectWorstTypes(summaries: readonly TypeSlaSummary[], limit = 5, minKnownOutcomes = 5): TypeSlaSummary[] {
  return [...summaries]
    .filter((summary) => summary.current.withKnownOutcome >= minKnownOutcomes)
    .sort(compareWorstFirst)
    .slice(0, limit);
}
