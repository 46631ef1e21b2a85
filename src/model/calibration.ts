import { InputError } from '../shared/errors.js';

export type CalibrationMethod = 'isotonic' | 'platt' | 'beta';

/**
 * Calibrated probabilities stay inside [0.01, 0.99]: no ticket is ever "certain", and a score
 * near the edge of what the calibration data saw is not trusted beyond one in a hundred.
 */
export const MIN_PROBABILITY = 0.01;
export const MAX_PROBABILITY = 0.99;

/**
 * Plain JSON form of a Calibrator. `slope` (default 1) and `shift` (log-odds, default 0) act on
 * the fitted map's log-odds, sigmoid(slope · logit(p) + shift): the recalibration to the latest
 * slice; isotonic knots are block centres (mean score, mean label).
 */
export type SerializedCalibrator = (
  | { format: 'civicops-calibrator/1'; method: 'isotonic'; x: number[]; y: number[] }
  | { format: 'civicops-calibrator/1'; method: 'platt'; a: number; b: number }
  | { format: 'civicops-calibrator/1'; method: 'beta'; a: number; b: number; c: number }
) & { shift?: number; slope?: number };

/** Maps a model score to a calibrated probability in [0.01, 0.99], monotone non-decreasing. */
export interface Calibrator {
  readonly method: CalibrationMethod;
  /** Log-odds added after the fitted map (the base-rate shift). */
  readonly shift: number;
  /** Factor on the fitted map's log-odds before the shift (1: none). */
  readonly slope: number;
  apply(score: number): number;
  applyAll(scores: ArrayLike<number>): Float64Array;
  toJSON(): SerializedCalibrator;
}

function clipProbability(p: number): number {
  return Math.min(MAX_PROBABILITY, Math.max(MIN_PROBABILITY, p));
}

const logit = (p: number): number => Math.log(p / (1 - p));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function assertFitInput(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) throw new InputError(`Got ${scores.length} scores but ${labels.length} labels.`);
  if (scores.length === 0) throw new InputError('Cannot fit a calibrator on 0 scores.');
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new InputError(`Score at ${i} is ${scores[i]}; calibration needs finite scores.`);
  }
}

/**
 * Fits a calibrator on out-of-sample (score, label) pairs: isotonic regression (pool-adjacent-
 * violators; the fitted blocks' centres joined by straight lines, so the map is continuous and
 * tied scores are rare) or Platt scaling (sigmoid(a*s + b)).
 */
export function fitCalibrator(scores: ArrayLike<number>, labels: ArrayLike<number>, method: CalibrationMethod): Calibrator {
  assertFitInput(scores, labels);
  if (method === 'isotonic') return loadCalibrator({ format: 'civicops-calibrator/1', method, ...fitIsotonic(scores, labels) });
  if (method === 'platt') return loadCalibrator({ format: 'civicops-calibrator/1', method, ...fitPlatt(scores, labels) });
  if (method === 'beta') return loadCalibrator({ format: 'civicops-calibrator/1', method, ...fitBeta(scores, labels) });
  throw new InputError(`Unknown calibration method "${String(method)}".`);
}

/**
 * The same calibrator with its log-odds shifted so that its mean probability on `scores` equals
 * `targetRate` (bisection; the map stays monotone). Used to follow a drifting breach rate.
 */
export function shiftToBaseRate(calibrator: Calibrator, scores: ArrayLike<number>, targetRate: number): Calibrator {
  if (!(targetRate > 0 && targetRate < 1)) throw new InputError(`Target rate must be in (0, 1), got ${targetRate}.`);
  if (scores.length === 0) throw new InputError('Cannot shift a calibrator on 0 scores.');
  const json = calibrator.toJSON();
  const mean = (shift: number) => {
    const shifted = loadCalibrator({ ...json, shift });
    let sum = 0;
    for (let i = 0; i < scores.length; i++) sum += shifted.apply(scores[i]);
    return sum / scores.length;
  };
  let lo = -3;
  let hi = 3;
  for (let iteration = 0; iteration < 50; iteration++) {
    const mid = (lo + hi) / 2;
    if (mean(mid) < targetRate) lo = mid;
    else hi = mid;
  }
  return loadCalibrator({ ...json, shift: (lo + hi) / 2 });
}

/** What the latest slice says about a calibrator fitted on the whole training period. */
export interface LatestSlice {
  /** Out-of-fold scores of the latest slice: from learners trained before it (its own fold is the last). */
  forwardScores: ArrayLike<number>;
  labels: ArrayLike<number>;
  /** The refit learner's scores of the same tickets. */
  refitScores: ArrayLike<number>;
}

/**
 * Recalibrates to the latest slice of the training period: the slope is Platt's on the
 * calibrated log-odds of the slice's forward scores (how sharply past-trained learners should
 * speak about the next period), the shift sets the mean of the refit learner's calibrated scores
 * there to the slice's breach rate (the refit has seen that slice, so its level already follows
 * part of the drift; shifting the forward scores instead counted the drift twice).
 * Measured on the bundled sample (README): the calibrated log-odds' slope on the next period was
 * 1.5 without it (too timid), 0.9 with it. A Platt map comes out as Platt fitted on the slice alone
 * (its own fit is replaced); a curved map (beta, isotonic) keeps its shape.
 */
export function recalibrateToLatest(calibrator: Calibrator, latest: LatestSlice): Calibrator {
  const n = latest.labels.length;
  if (n === 0 || latest.forwardScores.length !== n || latest.refitScores.length !== n)
    throw new InputError('Recalibration needs forward scores, refit scores and labels of the same tickets.');
  const json = calibrator.toJSON();
  const base = loadCalibrator({ ...json, shift: 0, slope: 1 });
  const logOdds = Array.from(latest.forwardScores, (score) => logit(base.apply(score)));
  const platt = fitPlatt(logOdds, latest.labels);
  let rate = 0;
  for (let i = 0; i < n; i++) rate += latest.labels[i] === 1 ? 1 : 0;
  rate /= n;
  const slope = platt.a > 0 ? platt.a : 1;
  if (!(rate > 0 && rate < 1)) return loadCalibrator({ ...json, slope, shift: 0 });
  return shiftToBaseRate(loadCalibrator({ ...json, slope, shift: 0 }), latest.refitScores, rate);
}

/** Rebuilds a calibrator from its JSON. */
export function loadCalibrator(json: SerializedCalibrator): Calibrator {
  if (json.format !== 'civicops-calibrator/1') throw new InputError(`Unsupported calibrator format "${String(json.format)}".`);
  const snapshot = structuredClone(json);
  const shift = json.shift ?? 0;
  const slope = json.slope ?? 1;
  if (!Number.isFinite(shift)) throw new InputError(`Calibrator shift is ${shift}; expected a finite number.`);
  if (!(slope > 0 && Number.isFinite(slope))) throw new InputError(`Calibrator slope is ${slope}; expected a positive number.`);
  let fitted: (score: number) => number;
  if (json.method === 'isotonic') {
    if (json.x.length === 0 || json.x.length !== json.y.length)
      throw new InputError('Isotonic calibrator needs matching, non-empty x and y.');
    const x = Float64Array.from(json.x);
    const y = Float64Array.from(json.y);
    fitted = (score) => interpolate(x, y, checkScore(score));
  } else if (json.method === 'platt') {
    const { a, b } = json;
    fitted = (score) => sigmoid(a * checkScore(score) + b);
  } else if (json.method === 'beta') {
    const { a, b, c } = json;
    fitted = (score) => {
      const s = Math.min(1 - BETA_EDGE, Math.max(BETA_EDGE, checkScore(score)));
      return sigmoid(a * Math.log(s) - b * Math.log(1 - s) + c);
    };
  } else {
    throw new InputError(`Unknown calibration method "${String((json as { method: unknown }).method)}".`);
  }
  // The shift works in log-odds, on the fitted value kept off 0 and 1 so its logit is finite.
  const apply =
    shift === 0 && slope === 1
      ? (score: number) => clipProbability(fitted(score))
      : (score: number) => clipProbability(sigmoid(slope * logit(clipProbability(fitted(score))) + shift));
  return {
    method: json.method,
    shift,
    slope,
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
 * Pool-adjacent-violators on scores sorted ascending (equal scores pooled first). Returns one
 * knot per fitted block at its centre (mean score, mean label): interpolating between centres
 * instead of keeping the flat steps gives a continuous, monotone map whose outputs differ
 * wherever the scores differ (a worklist ranked by it has few ties).
 */
function fitIsotonic(scores: ArrayLike<number>, labels: ArrayLike<number>): { x: number[]; y: number[] } {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  // Blocks: [last score, weight, sum of scores, sum of labels]
  const hi: number[] = [];
  const weight: number[] = [];
  const sumScore: number[] = [];
  const sum: number[] = [];
  for (const i of order) {
    const s = scores[i];
    const top = hi.length - 1;
    if (top >= 0 && hi[top] === s) {
      weight[top] += 1;
      sumScore[top] += s;
      sum[top] += labels[i];
    } else {
      hi.push(s);
      weight.push(1);
      sumScore.push(s);
      sum.push(labels[i]);
    }
    // Merge while the last block's mean is not above the previous one's (a violation or a tie).
    while (hi.length > 1) {
      const k = hi.length - 1;
      if (sum[k - 1] / weight[k - 1] < sum[k] / weight[k]) break;
      hi[k - 1] = hi[k];
      weight[k - 1] += weight[k];
      sumScore[k - 1] += sumScore[k];
      sum[k - 1] += sum[k];
      hi.pop();
      weight.pop();
      sumScore.pop();
      sum.pop();
    }
  }
  return { x: hi.map((_, k) => sumScore[k] / weight[k]), y: hi.map((_, k) => sum[k] / weight[k]) };
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
      const p = sigmoid(a * s + b);
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

/** Beta calibration reads scores as probabilities: they are kept this far from 0 and 1. */
const BETA_EDGE = 1e-6;

/**
 * Beta calibration (Kull et al. 2017): sigmoid(a·ln s − b·ln(1 − s) + c), a logistic regression
 * on ln s and −ln(1 − s), by Newton's method with a small ridge. It bends at both tails where
 * Platt's straight line in s cannot (a forest's scores crowd the middle). a and b are kept ≥ 0 so
 * the map stays monotone; fitted with one of them at 0 it is Platt on ln s or ln(1 − s).
 */
function fitBeta(scores: ArrayLike<number>, labels: ArrayLike<number>): { a: number; b: number; c: number } {
  const n = scores.length;
  const u = new Float64Array(n);
  const v = new Float64Array(n);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const s = Math.min(1 - BETA_EDGE, Math.max(BETA_EDGE, scores[i]));
    u[i] = Math.log(s);
    v[i] = -Math.log(1 - s);
    positives += labels[i] === 1 ? 1 : 0;
  }
  const theta = [1, 1, Math.log((positives + 1) / (n - positives + 1))];
  const ridge = 1e-6 * n;
  for (let iteration = 0; iteration < 50; iteration++) {
    const g = [0, 0, 0];
    const h = [
      [ridge, 0, 0],
      [0, ridge, 0],
      [0, 0, 1e-9],
    ];
    for (let i = 0; i < n; i++) {
      const x = [u[i], v[i], 1];
      const p = sigmoid(theta[0] * x[0] + theta[1] * x[1] + theta[2]);
      const r = p - (labels[i] === 1 ? 1 : 0);
      const w = Math.max(p * (1 - p), 1e-12);
      for (let j = 0; j < 3; j++) {
        g[j] += r * x[j];
        for (let k = 0; k < 3; k++) h[j][k] += w * x[j] * x[k];
      }
    }
    const step = solve3(h, g);
    if (!step) break;
    for (let j = 0; j < 3; j++) theta[j] -= step[j];
    theta[0] = Math.max(0, theta[0]);
    theta[1] = Math.max(0, theta[1]);
    if (Math.abs(step[0]) + Math.abs(step[1]) + Math.abs(step[2]) < 1e-10) break;
  }
  return { a: theta[0], b: theta[1], c: theta[2] };
}

/** Solves a 3×3 system by Cramer's rule; null when singular. */
function solve3(m: number[][], y: number[]): number[] | null {
  const det = (a: number[][]) =>
    a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
    a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
    a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  const d = det(m);
  if (!(Math.abs(d) > 1e-300)) return null;
  return [0, 1, 2].map((column) => det(m.map((row, r) => row.map((value, k) => (k === column ? y[r] : value)))) / d);
}
