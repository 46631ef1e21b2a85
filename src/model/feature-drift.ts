/**
 * Feature drift as the population stability index (PSI): how far the recent tickets' feature
 * values have moved from the training window's. Bins are the training deciles, so each holds
 * about a tenth of the training tickets; a missing value (NaN) has a bin of its own. By the usual
 * convention PSI < 0.1 is stable, 0.1–0.2 a moderate shift and above 0.2 a shift worth retraining for.
 */

/** PSI above this flags a feature as drifted. */
export const PSI_DRIFT_THRESHOLD = 0.2;
/** Quantile bins taken from the training values. */
export const PSI_BINS = 10;
/** Share that stands in for an empty bin, so that its logarithm stays finite. */
export const PSI_EPSILON = 1e-4;

/**
 * The p-quantile of sorted values as the inverse of their distribution function: the smallest
 * value with at least a share p at or below it. Always a value that occurs, so a discrete feature
 * (weekday, a 0/1 flag) gets edges on its own values.
 */
function quantileOfSorted(sorted: Float64Array, p: number): number {
  return sorted[Math.max(0, Math.ceil(sorted.length * p - 1e-9) - 1)]!;
}

/**
 * Upper edges of the bins: the 1/bins … (bins−1)/bins quantiles of the finite reference values,
 * repeated edges dropped (a feature with few distinct values gets fewer bins). Bin i holds the
 * values in (edge[i−1], edge[i]]; the last bin everything above the last edge.
 */
export function quantileBinEdges(reference: ArrayLike<number>, bins = PSI_BINS): number[] {
  const values: number[] = [];
  for (let i = 0; i < reference.length; i++) if (Number.isFinite(reference[i])) values.push(reference[i]!);
  const finite = Float64Array.from(values).sort();
  if (finite.length === 0) return [];
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const edge = quantileOfSorted(finite, k / bins);
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  return edges;
}

/** Counts per bin of `edges` (edges.length + 1 bins), then one bin for missing values. */
export function countInBins(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 2).fill(0);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isFinite(value)) {
      counts[edges.length + 1]!++;
      continue;
    }
    // First edge at or above the value (binary search): the bin it falls in.
    let low = 0;
    let high = edges.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (edges[mid]! < value) low = mid + 1;
      else high = mid;
    }
    counts[low]!++;
  }
  return counts;
}

/**
 * PSI = Σ (actual − expected) · ln(actual / expected) over the bins, with shares of each side's
 * total; an empty bin counts as PSI_EPSILON. 0 for identical distributions; symmetric.
 */
export function populationStabilityIndex(expectedCounts: readonly number[], actualCounts: readonly number[]): number {
  if (expectedCounts.length !== actualCounts.length) throw new RangeError('PSI needs the same bins on both sides.');
  const expectedTotal = expectedCounts.reduce((sum, count) => sum + count, 0);
  const actualTotal = actualCounts.reduce((sum, count) => sum + count, 0);
  if (expectedTotal === 0 || actualTotal === 0) return Number.NaN;
  let psi = 0;
  for (let bin = 0; bin < expectedCounts.length; bin++) {
    if (expectedCounts[bin] === 0 && actualCounts[bin] === 0) continue;
    const expected = Math.max(expectedCounts[bin]! / expectedTotal, PSI_EPSILON);
    const actual = Math.max(actualCounts[bin]! / actualTotal, PSI_EPSILON);
    psi += (actual - expected) * Math.log(actual / expected);
  }
  return psi;
}

/** The PSI of one feature, recent values against reference (training) values, on the training deciles. */
export function featurePsi(reference: ArrayLike<number>, recent: ArrayLike<number>, bins = PSI_BINS): number {
  const edges = quantileBinEdges(reference, bins);
  return populationStabilityIndex(countInBins(reference, edges), countInBins(recent, edges));
}

export interface FeatureDrift {
  feature: string;
  /** Rounded to 4 decimals. */
  psi: number;
  drifted: boolean;
}

/** PSI of each named feature; `reference[k]` and `recent[k]` hold feature k's values. */
export function measureFeatureDrift(
  features: readonly string[],
  reference: readonly ArrayLike<number>[],
  recent: readonly ArrayLike<number>[],
): FeatureDrift[] {
  return features.map((feature, k) => {
    const psi = featurePsi(reference[k]!, recent[k]!);
    return { feature, psi: Number(psi.toFixed(4)), drifted: psi > PSI_DRIFT_THRESHOLD };
  });
}
