import { z } from 'zod';
import type { ChartSpec } from '../charts/chart-spec.js';

/** A Chart.js 4 configuration as plain JSON (src/charts); null when there is nothing to draw. */
export const chartSpecSchema = z
  .object({
    kind: z.string(),
    config: z.record(z.string(), z.unknown()).describe('Chart.js 4 configuration, plain JSON (no functions)'),
    width: z.number(),
    height: z.number(),
    backgroundColor: z.string(),
  })
  .nullable()
  .describe('the chart of this view (same spec the PNGs are drawn from); null when there is nothing to draw');

export type ChartJson = NonNullable<z.infer<typeof chartSpecSchema>>;

/** The chart of a view as plain JSON, or null when its data is empty (builders reject an empty series). */
export function chartOrNull(hasData: boolean, build: () => ChartSpec): ChartJson | null {
  return hasData ? (JSON.parse(JSON.stringify(build())) as ChartJson) : null;
}

/** Linear-interpolated percentile (like SQL percentile_cont) of unsorted values; null when empty. */
export function percentileOf(values: readonly number[], share: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * share;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
