import { InputError } from '../shared/errors.js';
import { assertSameFeatures } from './binning.js';
import { assertValidDataset, type Dataset } from './dataset.js';

/** A fitted logistic regression (the baseline the tree models must beat). */
export interface LogisticModel {
  featureNames: string[];
  /** Weights on standardised features, and the intercept. */
  weights: Float64Array;
  intercept: number;
  /** Probability of the positive class for each row. */
  predict(data: Dataset): Float64Array;
}

export interface LogisticOptions {
  /** L2 penalty on the (standardised) weights, per row. Default 1e-3. */
  l2?: number;
  /** Newton iterations at most. Default 50. */
  maxIterations?: number;
}

/**
 * L2-regularised logistic regression fitted by Newton's method on standardised features;
 * missing values are replaced by the training mean (0 after standardising).
 */
export function trainLogistic(data: Dataset, labels: Uint8Array, options: LogisticOptions = {}): LogisticModel {
  assertValidDataset(data, labels);
  const l2 = options.l2 ?? 1e-3;
  const maxIterations = options.maxIterations ?? 50;
  const n = data.rows;
  const d = data.columns.length;
  if (n === 0) throw new InputError('Cannot fit a logistic regression on 0 rows.');

  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  data.columns.forEach((column, f) => {
    let sum = 0;
    let sumSq = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const v = column[i];
      if (v - v === 0) {
        sum += v;
        sumSq += v * v;
        count++;
      }
    }
    mean[f] = count ? sum / count : 0;
    const variance = count ? sumSq / count - mean[f] ** 2 : 0;
    scale[f] = variance > 1e-12 ? Math.sqrt(variance) : 1;
  });
  const standardise = (v: number, f: number): number => (v - v === 0 ? (v - mean[f]) / scale[f] : 0);

  // Design matrix row-major with a leading 1 for the intercept.
  const p = d + 1;
  const x = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    x[i * p] = 1;
    for (let f = 0; f < d; f++) x[i * p + f + 1] = standardise(data.columns[f][i], f);
  }

  const beta = new Float64Array(p);
  const gradient = new Float64Array(p);
  const hessian = new Float64Array(p * p);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    gradient.fill(0);
    hessian.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * p;
      let z = 0;
      for (let j = 0; j < p; j++) z += beta[j] * x[row + j];
      const prob = 1 / (1 + Math.exp(-z));
      const residual = prob - labels[i];
      const w = Math.max(prob * (1 - prob), 1e-10);
      for (let j = 0; j < p; j++) {
        const xj = x[row + j];
        gradient[j] += residual * xj;
        const wxj = w * xj;
        for (let k = 0; k <= j; k++) hessian[j * p + k] += wxj * x[row + k];
      }
    }
    for (let j = 1; j < p; j++) {
      gradient[j] += l2 * n * beta[j];
      hessian[j * p + j] += l2 * n;
    }
    hessian[0] += 1e-9 * n; // keeps the system solvable when a class is absent
    for (let j = 0; j < p; j++) for (let k = j + 1; k < p; k++) hessian[j * p + k] = hessian[k * p + j];
    const step = solveSymmetric(hessian, gradient, p);
    let change = 0;
    for (let j = 0; j < p; j++) {
      beta[j] -= step[j];
      change = Math.max(change, Math.abs(step[j]));
    }
    if (change < 1e-8) break;
  }

  const featureNames = [...data.featureNames];
  const weights = beta.slice(1);
  const intercept = beta[0];
  return {
    featureNames: [...featureNames],
    weights,
    intercept,
    predict(input: Dataset): Float64Array {
      assertValidDataset(input);
      assertSameFeatures(featureNames, input.featureNames);
      const out = new Float64Array(input.rows);
      for (let i = 0; i < input.rows; i++) {
        let z = intercept;
        for (let f = 0; f < d; f++) z += weights[f] * standardise(input.columns[f][i], f);
        out[i] = 1 / (1 + Math.exp(-z));
      }
      return out;
    },
  };
}

/** Solves A x = b for symmetric positive-definite A (Cholesky). */
function solveSymmetric(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j];
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      if (i === j) l[i * n + i] = Math.sqrt(Math.max(sum, 1e-12));
      else l[i * n + j] = sum / l[j * n + j];
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i * n + k] * y[k];
    y[i] = sum / l[i * n + i];
  }
  const out = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i] * out[k];
    out[i] = sum / l[i * n + i];
  }
  return out;
}
