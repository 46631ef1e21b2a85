import { InputError } from '../shared/errors.js';

export { trainLogistic, type LogisticModel, type LogisticOptions } from './logistic.js';

function assertPaired(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) {
    throw new InputError(`Got ${scores.length} scores but ${labels.length} labels.`);
  }
}

/** Indices ordered by score (ascending unless `descending`). */
function orderByScore(scores: ArrayLike<number>, descending = false): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return descending ? order.sort((a, b) => scores[b] - scores[a]) : order.sort((a, b) => scores[a] - scores[b]);
}

/**
 * ROC-AUC as the Mann-Whitney statistic: the chance a random positive outscores a random
 * negative, ties counting one half. NaN when only one class is present.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  assertPaired(scores, labels);
  const order = orderByScore(scores);
  let positives = 0;
  let rankSumPositive = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const averageRank = (i + j) / 2 + 1; // ranks are 1-based; ties share the mean rank
    for (let k = i; k <= j; k++) {
      if (labels[order[k]] === 1) {
        positives++;
        rankSumPositive += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSumPositive - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Average precision (area under the precision-recall curve, step-wise as in scikit-learn):
 * sum over thresholds of (recall gain) x precision; tied scores form one threshold.
 * NaN when there are no positives.
 */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  assertPaired(scores, labels);
  const order = orderByScore(scores, true);
  let totalPositives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) totalPositives++;
  if (totalPositives === 0) return Number.NaN;
  let truePositives = 0;
  let seen = 0;
  let ap = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    let groupPositives = 0;
    while (j < order.length && scores[order[j]] === scores[order[i]]) {
      if (labels[order[j]] === 1) groupPositives++;
      j++;
    }
    truePositives += groupPositives;
    seen = j;
    if (groupPositives > 0) ap += (groupPositives / totalPositives) * (truePositives / seen);
    i = j;
  }
  return ap;
}

/** Mean squared difference between probability and 0/1 outcome. */
export function brierScore(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  assertPaired(probs, labels);
  if (probs.length === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < probs.length; i++) sum += (probs[i] - labels[i]) ** 2;
  return sum / probs.length;
}

/** Mean negative log-likelihood; probabilities are clipped to [1e-15, 1 - 1e-15]. */
export function logLoss(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  assertPaired(probs, labels);
  if (probs.length === 0) return Number.NaN;
  const eps = 1e-15;
  let sum = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probs[i]));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / probs.length;
}

/** One row of a reliability table. */
export interface CalibrationRow {
  /** 0-based bin number. */
  bin: number;
  /** Probability range of the bin [lower, upper). */
  lower: number;
  upper: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
}

/**
 * Reliability table: predictions grouped into `bins` equal-width probability bins
 * ([0, 0.1), [0.1, 0.2), ... [0.9, 1] for 10), with mean prediction and observed positive rate.
 * Empty bins are left out so every row has real numbers.
 */
export function calibrationTable(probs: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): CalibrationRow[] {
  assertPaired(probs, labels);
  if (!Number.isInteger(bins) || bins < 1) throw new InputError(`bins must be a positive integer, got ${bins}.`);
  const count = new Float64Array(bins);
  const sumPredicted = new Float64Array(bins);
  const sumObserved = new Float64Array(bins);
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i];
    if (!(p >= 0 && p <= 1)) throw new InputError(`Probability at ${i} is ${p}; expected a value in [0, 1].`);
    const b = Math.min(bins - 1, Math.floor(p * bins));
    count[b]++;
    sumPredicted[b] += p;
    sumObserved[b] += labels[i];
  }
  const rows: CalibrationRow[] = [];
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    rows.push({
      bin: b,
      lower: b / bins,
      upper: (b + 1) / bins,
      count: count[b],
      meanPredicted: sumPredicted[b] / count[b],
      observedRate: sumObserved[b] / count[b],
    });
  }
  return rows;
}

/**
 * Expected calibration error: over `bins` equal-width probability bins, the share of predictions
 * in the bin times |mean prediction − observed rate|, summed. 0 is perfectly calibrated.
 */
export function expectedCalibrationError(probs: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): number {
  if (probs.length === 0) return Number.NaN;
  let total = 0;
  for (const row of calibrationTable(probs, labels, bins))
    total += (row.count / probs.length) * Math.abs(row.meanPredicted - row.observedRate);
  return total;
}

/**
 * Bootstrap of ROC-AUCs on the same resamples: for each resample (rows drawn with replacement,
 * as multiplicities) the ROC-AUC of every score vector, in one linear pass per vector over its
 * order sorted once. Returns one Float64Array of `resamples` values per score vector.
 */
export function bootstrapRocAucs(
  scoreVectors: readonly ArrayLike<number>[],
  labels: ArrayLike<number>,
  options: { resamples?: number; seed?: number } = {},
): Float64Array[] {
  const n = labels.length;
  const resamples = options.resamples ?? 1000;
  const orders = scoreVectors.map((scores) => {
    assertPaired(scores, labels);
    return orderByScore(scores);
  });
  let state = (options.seed ?? 12345) >>> 0;
  // mulberry32: a tiny seeded generator, so the same data give the same interval.
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const weight = new Uint32Array(n);
  const out = scoreVectors.map(() => new Float64Array(resamples));
  for (let r = 0; r < resamples; r++) {
    weight.fill(0);
    for (let i = 0; i < n; i++) weight[Math.floor(next() * n)]++;
    scoreVectors.forEach((scores, v) => {
      const order = orders[v]!;
      let negativesBelow = 0;
      let positives = 0;
      let pairs = 0;
      let i = 0;
      while (i < n) {
        let j = i;
        let groupPositives = 0;
        let groupNegatives = 0;
        while (j < n && scores[order[j]!] === scores[order[i]!]) {
          const w = weight[order[j]!]!;
          if (labels[order[j]!] === 1) groupPositives += w;
          else groupNegatives += w;
          j++;
        }
        pairs += groupPositives * (negativesBelow + groupNegatives / 2);
        positives += groupPositives;
        negativesBelow += groupNegatives;
        i = j;
      }
      out[v]![r] = positives > 0 && negativesBelow > 0 ? pairs / (positives * negativesBelow) : Number.NaN;
    });
  }
  return out;
}

/** The percentile interval (95% by default) of bootstrap values, NaNs left out. */
export function percentileInterval(values: ArrayLike<number>, level = 0.95): [number, number] {
  const finite = Array.from(values)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (finite.length === 0) return [Number.NaN, Number.NaN];
  const at = (q: number) => finite[Math.min(finite.length - 1, Math.max(0, Math.floor(q * finite.length)))]!;
  return [at((1 - level) / 2), at(1 - (1 - level) / 2)];
}
