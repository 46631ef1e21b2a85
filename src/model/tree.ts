import { InputError } from '../shared/errors.js';
import { MISSING_BIN, type Binning } from './binning.js';

/**
 * One tree as grown on bin codes (node 0 is the root). A split sends a row left when its code
 * is in 1..bin, or when it is missing and `missingLeft` is 1. Leaves have feature -1.
 * Every node keeps a value (not only leaves) because path attributions need it.
 */
export interface GrownTree {
  feature: Int32Array;
  bin: Int32Array;
  missingLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  /** Split gain (criterion-specific units); 0 for leaves. Used for feature importance. */
  gain: Float64Array;
}

/** Growable node storage; turned into a GrownTree when the tree is finished. */
export class TreeNodeStore {
  private readonly feature: number[] = [];
  private readonly bin: number[] = [];
  private readonly missingLeft: number[] = [];
  private readonly left: number[] = [];
  private readonly right: number[] = [];
  private readonly value: number[] = [];
  private readonly gain: number[] = [];

  /** Adds a leaf and returns its index. */
  addNode(value: number): number {
    this.feature.push(-1);
    this.bin.push(0);
    this.missingLeft.push(0);
    this.left.push(-1);
    this.right.push(-1);
    this.value.push(value);
    this.gain.push(0);
    return this.value.length - 1;
  }

  /** Turns leaf `node` into a split with the given children. */
  setSplit(node: number, split: SplitChoice, left: number, right: number): void {
    this.feature[node] = split.feature;
    this.bin[node] = split.bin;
    this.missingLeft[node] = split.missingLeft ? 1 : 0;
    this.left[node] = left;
    this.right[node] = right;
    this.gain[node] = split.gain;
  }

  toTree(): GrownTree {
    return {
      feature: Int32Array.from(this.feature),
      bin: Int32Array.from(this.bin),
      missingLeft: Uint8Array.from(this.missingLeft),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      value: Float64Array.from(this.value),
      gain: Float64Array.from(this.gain),
    };
  }
}

/** The best split found for a node. */
export interface SplitChoice {
  feature: number;
  bin: number;
  missingLeft: boolean;
  gain: number;
}

/** Whether a row with bin `code` goes left at a split (bin, missingLeft). */
export function goesLeft(code: number, bin: number, missingLeft: number): boolean {
  return code === MISSING_BIN ? missingLeft === 1 : code <= bin;
}

/**
 * Reorders rows[start, end) so rows going left come first; returns the first right position.
 */
export function partitionRows(rows: Int32Array, start: number, end: number, codes: Uint8Array, split: SplitChoice): number {
  const missingLeft = split.missingLeft ? 1 : 0;
  let i = start;
  let j = end - 1;
  while (i <= j) {
    if (goesLeft(codes[rows[i]], split.bin, missingLeft)) {
      i++;
    } else {
      const tmp = rows[i];
      rows[i] = rows[j];
      rows[j] = tmp;
      j--;
    }
  }
  return i;
}

/** Leaf index reached by row `row` of binned data. */
export function findLeafBinned(tree: GrownTree, codes: Uint8Array[], row: number): number {
  let node = 0;
  while (tree.feature[node] >= 0) {
    const code = codes[tree.feature[node]][row];
    node = goesLeft(code, tree.bin[node], tree.missingLeft[node]) ? tree.left[node] : tree.right[node];
  }
  return node;
}

/**
 * All trees of a model in flat arrays with raw-value thresholds, so scoring needs no binning:
 * a finite value v goes left when v <= threshold; a missing value follows missingLeft.
 */
export interface TreeEnsemble {
  roots: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  missingLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

/** Plain-JSON form of a TreeEnsemble. */
export interface SerializedEnsemble {
  roots: number[];
  feature: number[];
  threshold: number[];
  missingLeft: number[];
  left: number[];
  right: number[];
  value: number[];
}

/** Converts grown trees to a flat ensemble, mapping bin splits back to raw thresholds. */
export function buildEnsemble(trees: GrownTree[], binning: Binning): TreeEnsemble {
  const total = trees.reduce((sum, tree) => sum + tree.value.length, 0);
  const ensemble: TreeEnsemble = {
    roots: new Int32Array(trees.length),
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    missingLeft: new Uint8Array(total),
    left: new Int32Array(total),
    right: new Int32Array(total),
    value: new Float64Array(total),
  };
  let offset = 0;
  trees.forEach((tree, t) => {
    ensemble.roots[t] = offset;
    for (let n = 0; n < tree.value.length; n++) {
      const at = offset + n;
      const f = tree.feature[n];
      ensemble.feature[at] = f;
      ensemble.value[at] = tree.value[n];
      ensemble.missingLeft[at] = tree.missingLeft[n];
      if (f < 0) {
        ensemble.left[at] = -1;
        ensemble.right[at] = -1;
        continue;
      }
      ensemble.left[at] = offset + tree.left[n];
      ensemble.right[at] = offset + tree.right[n];
      const cuts = binning.thresholds[f];
      // bin == number of value bins means "every finite value goes left" (a missing-vs-present split).
      ensemble.threshold[at] = tree.bin[n] - 1 < cuts.length ? cuts[tree.bin[n] - 1] : Number.MAX_VALUE;
    }
    offset += tree.value.length;
  });
  return ensemble;
}

/** Leaf index reached by a row of raw values from the tree rooted at `root`. */
function findLeaf(ensemble: TreeEnsemble, root: number, values: ArrayLike<number>): number {
  const { feature, threshold, missingLeft, left, right } = ensemble;
  let node = root;
  let f = feature[node];
  while (f >= 0) {
    const v = values[f];
    if (v - v !== 0) node = missingLeft[node] === 1 ? left[node] : right[node];
    else node = v <= threshold[node] ? left[node] : right[node];
    f = feature[node];
  }
  return node;
}

/** Sum of the leaf values of all trees for one row of raw values. */
export function sumLeafValues(ensemble: TreeEnsemble, values: ArrayLike<number>): number {
  let sum = 0;
  for (let t = 0; t < ensemble.roots.length; t++) sum += ensemble.value[findLeaf(ensemble, ensemble.roots[t], values)];
  return sum;
}

/**
 * Sum of the leaf values of all trees for every row of a column-major matrix. Trees are the
 * outer loop so one tree's nodes stay in cache while all rows pass through it.
 */
export function sumLeafValuesForColumns(ensemble: TreeEnsemble, columns: Float64Array[], rows: number): Float64Array {
  const out = new Float64Array(rows);
  const { feature, threshold, missingLeft, left, right, value } = ensemble;
  for (let t = 0; t < ensemble.roots.length; t++) {
    const root = ensemble.roots[t];
    for (let r = 0; r < rows; r++) {
      let node = root;
      let f = feature[node];
      while (f >= 0) {
        const v = columns[f][r];
        if (v - v !== 0) node = missingLeft[node] === 1 ? left[node] : right[node];
        else node = v <= threshold[node] ? left[node] : right[node];
        f = feature[node];
      }
      out[r] += value[node];
    }
  }
  return out;
}

/**
 * Saabas path attributions summed over trees: each tree contributes its root value to the
 * bias and, at every split on its path, (child value - parent value) to the split feature.
 * So bias + sum(perFeature) equals sumLeafValues for the same row.
 */
export function sumPathAttributions(
  ensemble: TreeEnsemble,
  values: ArrayLike<number>,
  featureCount: number,
): { bias: number; perFeature: Float64Array } {
  const { feature, threshold, missingLeft, left, right, value } = ensemble;
  const perFeature = new Float64Array(featureCount);
  let bias = 0;
  for (let t = 0; t < ensemble.roots.length; t++) {
    let node = ensemble.roots[t];
    bias += value[node];
    let f = feature[node];
    while (f >= 0) {
      const v = values[f];
      let next: number;
      if (v - v !== 0) next = missingLeft[node] === 1 ? left[node] : right[node];
      else next = v <= threshold[node] ? left[node] : right[node];
      perFeature[f] += value[next] - value[node];
      node = next;
      f = feature[node];
    }
  }
  return { bias, perFeature };
}

/** Total split gain per feature over all trees, normalised to sum to 1 (all zeros if no splits). */
export function computeFeatureImportance(trees: GrownTree[], featureCount: number): Float64Array {
  const importance = new Float64Array(featureCount);
  for (const tree of trees) {
    for (let n = 0; n < tree.feature.length; n++) {
      if (tree.feature[n] >= 0) importance[tree.feature[n]] += tree.gain[n];
    }
  }
  const total = importance.reduce((a, b) => a + b, 0);
  if (total > 0) for (let f = 0; f < featureCount; f++) importance[f] /= total;
  return importance;
}

/** Plain JSON (Number.MAX_VALUE survives JSON; NaN/Infinity never occur in thresholds). */
export function serializeEnsemble(ensemble: TreeEnsemble): SerializedEnsemble {
  return {
    roots: Array.from(ensemble.roots),
    feature: Array.from(ensemble.feature),
    threshold: Array.from(ensemble.threshold),
    missingLeft: Array.from(ensemble.missingLeft),
    left: Array.from(ensemble.left),
    right: Array.from(ensemble.right),
    value: Array.from(ensemble.value),
  };
}

/** Inverse of serializeEnsemble, checking the arrays are consistent. */
export function loadEnsemble(json: SerializedEnsemble, featureCount: number): TreeEnsemble {
  const n = json.value.length;
  const sameLength = [json.feature, json.threshold, json.missingLeft, json.left, json.right].every((a) => a.length === n);
  if (!sameLength) throw new InputError('Serialized trees are inconsistent: node arrays differ in length.');
  const ensemble: TreeEnsemble = {
    roots: Int32Array.from(json.roots),
    feature: Int32Array.from(json.feature),
    threshold: Float64Array.from(json.threshold),
    missingLeft: Uint8Array.from(json.missingLeft),
    left: Int32Array.from(json.left),
    right: Int32Array.from(json.right),
    value: Float64Array.from(json.value),
  };
  for (let i = 0; i < n; i++) {
    const f = ensemble.feature[i];
    if (f >= featureCount) throw new InputError(`Serialized trees split on feature ${f} of ${featureCount}.`);
    if (f >= 0 && (ensemble.left[i] <= i || ensemble.right[i] <= i || ensemble.left[i] >= n || ensemble.right[i] >= n)) {
      throw new InputError(`Serialized trees are inconsistent at node ${i}.`);
    }
  }
  for (const root of ensemble.roots) {
    if (root < 0 || root >= n) throw new InputError(`Serialized trees have a root ${root} outside ${n} nodes.`);
  }
  return ensemble;
}
