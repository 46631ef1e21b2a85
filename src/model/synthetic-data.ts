import type { Dataset } from './dataset.js';
import { createRandom } from './random.js';

/** Options for generateSyntheticDataset. */
export interface SyntheticOptions {
  rows: number;
  /** Total features (>= 5): the first five carry signal, the rest are noise. */
  features: number;
  seed: number;
  /** Multiplies the signal before the sigmoid: higher = easier problem. Default 1. */
  signalStrength?: number;
  /** Share of cells set to NaN in every feature. Default 0. */
  missingRate?: number;
}

/**
 * Synthetic stand-in for ticket features with a known, nonlinear signal and ~40% positives:
 * logit = 1.4 sin(2 x0) + x1 x2 + 1.2 [x3 > 0.5] + 0.6 x4^2 - c, labels drawn from sigmoid.
 * Used by tests and benchmarks (never by the product).
 */
export function generateSyntheticDataset(options: SyntheticOptions): { data: Dataset; labels: Uint8Array } {
  const { rows, features, seed } = options;
  const strength = options.signalStrength ?? 1;
  const missingRate = options.missingRate ?? 0;
  const random = createRandom(seed);
  const gaussian = (): number => {
    const u = Math.max(random.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
  };
  const columns = Array.from({ length: Math.max(5, features) }, () => new Float64Array(rows));
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < columns.length; f++) columns[f][i] = f === 3 ? random.next() : gaussian();
    const x = (f: number) => columns[f][i];
    const logit = 1.4 * Math.sin(2 * x(0)) + x(1) * x(2) + (x(3) > 0.5 ? 1.2 : 0) + 0.6 * x(4) * x(4) - 1.6;
    labels[i] = random.next() < 1 / (1 + Math.exp(-strength * logit)) ? 1 : 0;
    if (missingRate > 0) {
      for (let f = 0; f < columns.length; f++) if (random.next() < missingRate) columns[f][i] = Number.NaN;
    }
  }
  const featureNames = columns.map((_, f) => (f < 5 ? `signal_${f}` : `noise_${f}`));
  return { data: { featureNames, rows, columns }, labels };
}
