import { InputError } from '../shared/errors.js';
import { formatDayLabel } from './chart-style.js';

/**
 * 'Nov 3' labels for day keys that must run strictly forward in time; a repeated or
 * out-of-order day would silently misdraw a time series, so it is an InputError instead.
 */
export function labelIncreasingDays(dayKeys: readonly string[], field: (index: number) => string): string[] {
  return dayKeys.map((dayKey, index) => {
    const label = formatDayLabel(dayKey, field(index));
    // ISO day keys compare correctly as strings once formatDayLabel has validated them.
    if (index > 0 && dayKey <= dayKeys[index - 1]) {
      throw new InputError(`${field(index)} must come after ${dayKeys[index - 1]}, got ${dayKey}.`, [
        { path: field(index), message: 'days must be strictly increasing' },
      ]);
    }
    return label;
  });
}

/** One decimal, so the JSON stays small and tooltips stay readable. */
export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
