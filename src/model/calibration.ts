import { InputError } from '../shared/errors.js';

export type CalibrationMethod = 'isotonic' | 'platt';

/** Calibrated probabilities never reach 0 or 1: no ticket is ever "certain". */
export const MIN_PROBABILITY = 0.001;
export const MAX_PROBABILITY = 0.999;

/** Plain JSON form of a Calibrator. */
export type SerializedCalibrator =
  | { format: 'civicops-calibrator/1'; method: 'isotonic'; x: number[]; y: number[] }
  | { format: 'civicops-calibrator/1'; method: 'platt'; a: number; b: number };

/** Maps a model score to a calibrated probability in [0.001, 0.999]. */
export interface Calibrator {
  readonly method: CalibrationMethod;
  apply(score: number): number;
  applyAll(scores: ArrayLike<number>): Float64Array;
  toJSON(): SerializedCalibrator;
}

function clipProbability(p: number): number {
  return Math.min(MAX_PROBABILITY, Math.max(MIN_PROBABILITY, p));
}

/**
 * Fits a calibrator on held-out (score, label) pairs: isotonic regression (pool-adjacent-
 * violators, linear interpolation between fitted points) or Platt scaling (sigmoid(a*s + b)).
 */
export function fitCalibrator(scores: ArrayLike<number>, labels: ArrayLike<number>, method: CalibrationMethod): Calibrator {
  if (scores.length !== labels.length) throw new InputError(`Got ${scores.length} scores but ${labels.length} labels.`);
  if (scores.length === 0) throw new InputError('Cannot fit a calibrator on 0 scores.');
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new InputError(`Score at ${i} is ${scores[i]}; calibration needs finite scores.`);
  }
  if (method === 'isotonic') return loadCalibrator({ format: 'civicops-calibrator/1', method, ...fitIsotonic(scores, labels) });
  if (method === 'platt') return loadCalibrator({ format: 'civicops-calibrator/1', method, ...fitPlatt(scores, labels) });
  throw new InputError(`Unknown calibration method "${String(method)}".`);
}

/** Rebuilds a calibrator from its JSON. */
export function loadCalibrator(json: SerializedCalibrator): Calibrator {
  if (json.format !== 'civicops-calibrator/1') throw new InputError(`Unsupported calibrator format "${String(json.format)}".`);
  const snapshot = structuredClone(json);
  let apply: (score: number) => number;
  if (json.method === 'isotonic') {
    if (json.x.length === 0 || json.x.length !== json.y.length)
      throw new InputError('Isotonic calibrator needs matching, non-empty x and y.');
    const x = Float64Array.from(json.x);
    const y = Float64Array.from(json.y);
    apply = (score) => clipProbability(interpolate(x, y, checkScore(score)));
  } else if (json.method === 'platt') {
    const { a, b } = json;
    apply = (score) => clipProbability(1 / (1 + Math.exp(-(a * checkScore(score) + b))));
  } else {
    throw new InputError(`Unknown calibration method "${String((json as { method: unknown }).method)}".`);
  }
  return {
    method: json.method,
    apply,
    applyAll(scores) {
      const out = new Float64Array(scores.length);
      for (let i = 0; i < scores.length; i++) out[i] = apply(scores[i]);
      return out;
    },
    toJSON: () => structuredClone(snapshot),
  };
}

function checkScore(score: number): number {
  if (!Number.isFinite(score)) throw new InputError(`Cannot calibrate a non-finite score (${score}).`);
  return score;
}

/** Piecewise-linear through (x, y), flat outside [x0, xLast]. */
function interpolate(x: Float64Array, y: Float64Array, s: number): number {
  const last = x.length - 1;
  if (s <= x[0]) return y[0];
  if (s >= x[last]) return y[last];
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] <= s) lo = mid;
    else hi = mid;
  }
  const span = x[hi] - x[lo];
  return span > 0 ? y[lo] + ((s - x[lo]) / span) * (y[hi] - y[lo]) : y[hi];
}

/**
 * Pool-adjacent-violators on scores sorted ascending (equal scores pooled first).
 * Returns the fitted step function as knots: each block contributes its first and last score.
 */
function fitIsotonic(scores: ArrayLike<number>, labels: ArrayLike<number>): { x: number[]; y: number[] } {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  // Blocks: [minScore, maxScore, weight, sumLabels]
  const lo: number[] = [];
  const hi: number[] = [];
  const weight: number[] = [];
  const sum: number[] = [];
  for (const i of order) {
    const s = scores[i];
    const top = lo.length - 1;
    if (top >= 0 && hi[top] === s) {
      weight[top] += 1;
      sum[top] += labels[i];
    } else {
      lo.push(s);
      hi.push(s);
      weight.push(1);
      sum.push(labels[i]);
    }
    // Merge while the last block's mean is below the previous one's (a violation).
    while (lo.length > 1) {
      const k = lo.length - 1;
      if (sum[k - 1] / weight[k - 1] <= sum[k] / weight[k]) break;
      hi[k - 1] = hi[k];
      weight[k - 1] += weight[k];
      sum[k - 1] += sum[k];
      lo.pop();
      hi.pop();
      weight.pop();
      sum.pop();
    }
  }
  const x: number[] = [];
  const y: number[] = [];
  for (let k = 0; k < lo.length; k++) {
    const mean = sum[k] / weight[k];
    x.push(lo[k]);
    y.push(mean);
    if (hi[k] > lo[k]) {
      x.push(hi[k]);
      y.push(mean);
    }
  }
  return { x, y };
}

/** Platt scaling by Newton's method with Platt's smoothed targets (avoids infinite slopes). */
function fitPlatt(scores: ArrayLike<number>, labels: ArrayLike<number>): { a: number; b: number } {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  const negatives = labels.length - positives;
  const targetPositive = (positives + 1) / (positives + 2);
  const targetNegative = 1 / (negatives + 2);
  let a = 0;
  let b = Math.log((positives + 1) / (negatives + 1));
  for (let iteration = 0; iteration < 100; iteration++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-12;
    let hab = 0;
    let hbb = 1e-12;
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i];
      const p = 1 / (1 + Math.exp(-(a * s + b)));
      const t = labels[i] === 1 ? targetPositive : targetNegative;
      const r = p - t;
      const w = Math.max(p * (1 - p), 1e-12);
      ga += r * s;
      gb += r;
      haa += w * s * s;
      hab += w * s;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-300)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) < 1e-10 && Math.abs(db) < 1e-10) break;
  }
  return { a, b };
}
