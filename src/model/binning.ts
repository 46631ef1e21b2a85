import { InputError } from '../shared/errors.js';
import type { Dataset } from './dataset.js';

/** Code reserved for missing (NaN / non-finite) values; value bins are 1..binCount. */
export const MISSING_BIN = 0;
/** Upper limit on value bins per feature so codes (plus the missing bin) fit a Uint8Array. */
export const MAX_VALUE_BINS = 255;

/**
 * Fitted quantile bins. For feature f, `thresholds[f]` is ascending; a finite value v gets
 * code 1 + (number of thresholds < v), i.e. v <= thresholds[f][b - 1] means code <= b.
 */
export interface Binning {
  featureNames: string[];
  thresholds: Float64Array[];
}

/** Plain-JSON form of a Binning. */
export interface SerializedBinning {
  format: 'civicops-binning/1';
  featureNames: string[];
  thresholds: number[][];
}

/** Data mapped to bin codes: one Uint8Array per feature (column-major, like Dataset). */
export interface BinnedData {
  rows: number;
  codes: Uint8Array[];
}

/** Number of value bins (codes 1..n) for feature f. */
export function countValueBins(binning: Binning, feature: number): number {
  return binning.thresholds[feature].length + 1;
}

/** Largest sample used to place quantile cuts; beyond this the cuts barely move. */
const QUANTILE_SAMPLE = 200_000;

/**
 * Fits quantile bins per feature on training data: features with at most `maxBins` distinct
 * values get one bin per value (cuts at midpoints); others get cuts at equal-frequency quantiles.
 */
export function fitBinning(data: Dataset, maxBins = MAX_VALUE_BINS): Binning {
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > MAX_VALUE_BINS) {
    throw new InputError(`maxBins must be an integer in [2, ${MAX_VALUE_BINS}], got ${maxBins}.`);
  }
  const stride = Math.max(1, Math.ceil(data.rows / QUANTILE_SAMPLE));
  const thresholds = data.columns.map((column) => fitFeatureThresholds(column, stride, maxBins));
  return { featureNames: [...data.featureNames], thresholds };
}

function fitFeatureThresholds(column: Float64Array, stride: number, maxBins: number): Float64Array {
  const sample = new Float64Array(Math.ceil(column.length / stride));
  let m = 0;
  for (let i = 0; i < column.length; i += stride) {
    const v = column[i];
    if (v - v === 0) sample[m++] = v; // finite only
  }
  const sorted = sample.subarray(0, m).sort();
  if (m === 0) return new Float64Array(0);
  const distinct: number[] = [sorted[0]];
  for (let i = 1; i < m && distinct.length <= maxBins; i++) {
    if (sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
  }
  const cuts: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 1; i < distinct.length; i++) cuts.push(midpoint(distinct[i - 1], distinct[i]));
  } else {
    for (let q = 1; q < maxBins; q++) {
      const lower = sorted[Math.min(m - 1, Math.floor((q * m) / maxBins) - 1)];
      const upperIndex = upperBound(sorted, lower);
      if (upperIndex >= m) break;
      const cut = midpoint(lower, sorted[upperIndex]);
      if (cuts.length === 0 || cut > cuts[cuts.length - 1]) cuts.push(cut);
    }
  }
  return Float64Array.from(cuts);
}

function midpoint(a: number, b: number): number {
  const mid = a + (b - a) / 2;
  // Guards against overflow and against the midpoint rounding onto b.
  return Number.isFinite(mid) && mid < b ? mid : a;
}

/** First index whose value is > x (sorted ascending). */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bin code of one value for one feature. */
export function binValue(thresholds: Float64Array, value: number): number {
  if (value - value !== 0) return MISSING_BIN;
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (thresholds[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

/** Maps data to bin codes with bins fitted earlier (features matched by position and name). */
export function applyBinning(binning: Binning, data: Dataset): BinnedData {
  assertSameFeatures(binning.featureNames, data.featureNames);
  const codes = data.columns.map((column, f) => {
    const thresholds = binning.thresholds[f];
    const out = new Uint8Array(data.rows);
    for (let i = 0; i < data.rows; i++) out[i] = binValue(thresholds, column[i]);
    return out;
  });
  return { rows: data.rows, codes };
}

/** Throws InputError when two feature lists differ (order matters: columns are positional). */
export function assertSameFeatures(expected: readonly string[], actual: readonly string[]): void {
  if (expected.length !== actual.length || expected.some((name, i) => name !== actual[i])) {
    throw new InputError(`Feature mismatch: model expects [${expected.join(', ')}] but got [${actual.join(', ')}].`);
  }
}

/** Plain JSON for storage. */
export function serializeBinning(binning: Binning): SerializedBinning {
  return {
    format: 'civicops-binning/1',
    featureNames: [...binning.featureNames],
    thresholds: binning.thresholds.map((t) => Array.from(t)),
  };
}

/** Inverse of serializeBinning. */
export function loadBinning(json: SerializedBinning): Binning {
  if (json.format !== 'civicops-binning/1') {
    throw new InputError(`Unsupported binning format "${String(json.format)}".`);
  }
  return { featureNames: [...json.featureNames], thresholds: json.thresholds.map((t) => Float64Array.from(t)) };
}
