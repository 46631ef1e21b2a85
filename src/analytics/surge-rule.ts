const DAY_MS = 86_400_000;

/** Weeks of usual intake a type's last 7 days are compared with. */
export const SURGE_BASELINE_WEEKS = 8;

/** Thresholds of the surge rule; see judgeSurge. */
export interface SurgeRule {
  minCount: number;
  minRatio: number;
  maxPValue: number;
  /** Floor of the baseline weekly rate, so a type new in the last 8 weeks is judged against 1/week. */
  minWeeklyRate: number;
}

export const DEFAULT_SURGE_RULE: SurgeRule = { minCount: 10, minRatio: 2, maxPValue: 0.01, minWeeklyRate: 1 };

export interface TypeSurgeAssessment {
  typeKey: string;
  displayName: string;
  /** Tickets created in the 7 × 24 h before `now`. */
  last7Days: number;
  /** Tickets per week in the 8 weeks before those 7 days. */
  weeklyMean: number;
  /** last7Days / max(weeklyMean, minWeeklyRate). */
  ratio: number;
  /** P(X ≥ last7Days) for X ~ Poisson(max(weeklyMean, minWeeklyRate)). */
  pValue: number;
  surging: boolean;
}

/** The default rule with the caller's changes. */
export function resolveSurgeRule(changes: Partial<SurgeRule> = {}): SurgeRule {
  return { ...DEFAULT_SURGE_RULE, ...changes };
}

/**
 * The windows the rule compares at `now`: the last 7 × 24 h [weekAgo, now) and the 8 weeks
 * before them [baselineStart, weekAgo).
 */
export function surgeWindowsAt(now: Date): { baselineStart: Date; weekAgo: Date } {
  const ms = now.getTime();
  return { baselineStart: new Date(ms - (SURGE_BASELINE_WEEKS + 1) * 7 * DAY_MS), weekAgo: new Date(ms - 7 * DAY_MS) };
}

/**
 * Applies the surge rule to one type's counts. With λ = max(the weekly mean over the 8 weeks
 * before the last 7 days, minWeeklyRate), a type surges when its last-7-day count is at least
 * minCount, at least minRatio × λ, and P(X ≥ count) < maxPValue for X ~ Poisson(λ): far more
 * than its usual week would produce by chance.
 */
export function judgeSurge(
  counts: { typeKey: string; displayName: string; last7Days: number; weeklyMean: number },
  rule: SurgeRule = DEFAULT_SURGE_RULE,
): TypeSurgeAssessment {
  const lambda = Math.max(counts.weeklyMean, rule.minWeeklyRate);
  const pValue = poissonUpperTail(counts.last7Days, lambda);
  const ratio = counts.last7Days / lambda;
  const surging = counts.last7Days >= rule.minCount && ratio >= rule.minRatio && pValue < rule.maxPValue;
  return { ...counts, ratio, pValue, surging };
}

/** Surging types first (smallest p-value first), then by last-7-day count. */
export function compareSurgesFirst(a: TypeSurgeAssessment, b: TypeSurgeAssessment): number {
  return Number(b.surging) - Number(a.surging) || a.pValue - b.pValue || b.last7Days - a.last7Days;
}

/** P(X ≥ k) for X ~ Poisson(lambda), summed in log space so large counts do not underflow. */
export function poissonUpperTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  if (k <= lambda) {
    // Below the mean the lower tail is the short sum: 1 - P(X ≤ k - 1).
    let term = Math.exp(-lambda);
    let lower = term;
    for (let i = 1; i < k; i++) {
      term *= lambda / i;
      lower += term;
    }
    return Math.max(0, 1 - lower);
  }
  let logFactorial = 0;
  for (let i = 2; i <= k; i++) logFactorial += Math.log(i);
  let term = Math.exp(-lambda + k * Math.log(lambda) - logFactorial);
  let tail = 0;
  for (let i = k; term > tail * 1e-15 && i < k + 100_000; i++) {
    tail += term;
    term *= lambda / (i + 1);
  }
  return Math.min(1, tail);
}
