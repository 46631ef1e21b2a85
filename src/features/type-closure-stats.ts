import { RunningMedian } from './running-median.js';

/**
 * Closure statistics of one type, plus a snapshot taken just before its latest closure
 * instant, so a ticket created exactly at that instant sees only closures strictly before it.
 */
export class TypeClosureStats {
  closed = 0;
  breached = 0;
  readonly durations = new RunningMedian();
  lastCloseMs = Number.NEGATIVE_INFINITY;
  closedBeforeLast = 0;
  breachedBeforeLast = 0;
  medianBeforeLast = Number.NaN;

  apply(closeMs: number, durationMs: number, isBreach: boolean): void {
    if (closeMs !== this.lastCloseMs) {
      this.closedBeforeLast = this.closed;
      this.breachedBeforeLast = this.breached;
      this.medianBeforeLast = this.durations.median();
      this.lastCloseMs = closeMs;
    }
    this.closed++;
    if (isBreach) this.breached++;
    this.durations.add(durationMs);
  }
}
