import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InputError } from '../shared/errors.js';
import { applyBinning, countValueBins, fitBinning, type Binning } from './binning.js';
import type { Dataset } from './dataset.js';
import { createRandom, deriveSeed, sampleWithoutReplacement } from './random.js';
import { TreeNodeStore, partitionRows, type GrownTree, type SplitChoice } from './tree.js';
import { firstReplyOf } from './worker-reply.js';

/** Hyperparameters of the histogram random forest. */
export interface ForestParams {
  /** Number of trees. */
  nTrees: number;
  maxDepth: number;
  /** Minimum (bootstrap-weighted) rows in each child of a split. */
  minSamplesLeaf: number;
  /** Features tried per split: 'sqrt' of the feature count, a fraction in (0, 1), or a count >= 1. */
  maxFeatures: 'sqrt' | number;
  /** Bootstrap sample size as a fraction of the rows (drawn with replacement). */
  sampleFraction: number;
  maxBins: number;
  /**
   * Worker threads: undefined = automatic (parallel when the job is large and compiled JS is
   * running), 0 or 1 = in-thread. From .ts sources (vitest) training always runs in-thread.
   */
  workers?: number;
}

/** Defaults: 100k rows x 20 features train in a few seconds (see src/bench/model.bench.ts). */
export const DEFAULT_FOREST_PARAMS: Readonly<ForestParams> = Object.freeze({
  nTrees: 100,
  maxDepth: 12,
  minSamplesLeaf: 20,
  maxFeatures: 'sqrt',
  sampleFraction: 1,
  maxBins: 255,
});

/** Everything needed to grow a subset of the trees; plain data so it can go to a worker. */
export interface ForestJob {
  codes: Uint8Array[];
  labels: Uint8Array;
  valueBins: Int32Array;
  params: ForestParams;
  seed: number;
  treeIndices: number[];
}

/** A fitted forest in bin form (the classifier turns it into a raw-threshold ensemble). */
export interface FittedForest {
  binning: Binning;
  trees: GrownTree[];
  params: ForestParams;
  /** Worker threads actually used (1 = in-thread). */
  threadsUsed: number;
}

/**
 * Below this many row-trees (≈2-3 s in-thread), the ~0.1-0.3 s to start workers (module load,
 * cold JIT) is not worth paying. Measured in src/bench/model.bench.ts.
 */
const PARALLEL_MIN_WORK = 5_000_000;

/** Trains a forest: bins the data, then grows trees in-thread or on worker threads. */
export async function trainForest(data: Dataset, labels: Uint8Array, params: ForestParams, seed: number): Promise<FittedForest> {
  validateForestParams(params, data.featureNames.length);
  const binning = fitBinning(data, params.maxBins);
  const binned = applyBinning(binning, data);
  const valueBins = Int32Array.from(binning.thresholds, (_, f) => countValueBins(binning, f));
  const job: ForestJob = { codes: binned.codes, labels, valueBins, params, seed, treeIndices: [] };
  const threads = chooseThreadCount(params, data.rows);
  let trees: GrownTree[];
  if (threads <= 1) {
    trees = growForestTrees({ ...job, treeIndices: range(params.nTrees) });
  } else {
    trees = await growTreesOnWorkers(job, threads);
  }
  return { binning, trees, params, threadsUsed: Math.max(1, threads) };
}

function chooseThreadCount(params: ForestParams, rows: number): number {
  // vitest runs the .ts sources; a worker cannot load a .ts file, so train in-thread there.
  if (import.meta.url.endsWith('.ts')) return 1;
  const limit = Math.min(params.nTrees, availableParallelism());
  if (params.workers !== undefined) return Math.max(1, Math.min(params.workers, params.nTrees));
  return rows * params.nTrees >= PARALLEL_MIN_WORK ? limit : 1;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

async function growTreesOnWorkers(job: ForestJob, threads: number): Promise<GrownTree[]> {
  const chunks: number[][] = Array.from({ length: threads }, () => []);
  for (let t = 0; t < job.params.nTrees; t++) chunks[t % threads].push(t);
  const results = await Promise.all(chunks.map((treeIndices) => runWorker({ ...job, treeIndices })));
  const trees = new Array<GrownTree>(job.params.nTrees);
  for (const [c, treeIndices] of chunks.entries()) {
    for (const [i, t] of treeIndices.entries()) trees[t] = results[c][i];
  }
  return trees;
}

function runWorker(job: ForestJob): Promise<GrownTree[]> {
  return firstReplyOf<GrownTree[]>(new Worker(new URL('./forest.worker.js', import.meta.url), { workerData: job }), 'Forest worker');
}

function validateForestParams(params: ForestParams, featureCount: number): void {
  const problems: string[] = [];
  if (!Number.isInteger(params.nTrees) || params.nTrees < 1) problems.push('nTrees must be an integer >= 1');
  if (!Number.isInteger(params.maxDepth) || params.maxDepth < 1) problems.push('maxDepth must be an integer >= 1');
  if (!(params.minSamplesLeaf >= 1)) problems.push('minSamplesLeaf must be >= 1');
  if (!(params.sampleFraction > 0)) problems.push('sampleFraction must be > 0');
  if (params.maxFeatures !== 'sqrt' && !(params.maxFeatures > 0)) problems.push("maxFeatures must be 'sqrt' or > 0");
  if (featureCount === 0) problems.push('the dataset has no features');
  if (problems.length) throw new InputError(`Invalid forest parameters: ${problems.join('; ')}.`);
}

/** Features tried per split. */
export function resolveMaxFeatures(maxFeatures: ForestParams['maxFeatures'], featureCount: number): number {
  if (maxFeatures === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(featureCount)));
  if (maxFeatures < 1) return Math.max(1, Math.round(maxFeatures * featureCount));
  return Math.min(featureCount, Math.floor(maxFeatures));
}

/** Grows the trees named in job.treeIndices (each seeded from its own index). */
export function growForestTrees(job: ForestJob): GrownTree[] {
  return job.treeIndices.map((t) => growForestTree(job, deriveSeed(job.seed, t)));
}

/** Gini impurity times weight, halved: n * gini / 2 = p (n - p) / n. */
function giniMass(n: number, p: number): number {
  return n > 0 ? (p * (n - p)) / n : 0;
}

function growForestTree(job: ForestJob, treeSeed: number): GrownTree {
  const { codes, labels, valueBins, params } = job;
  const n = labels.length;
  const featureCount = codes.length;
  const random = createRandom(treeSeed);

  // Bootstrap as integer weights: a row drawn k times counts k times in every histogram.
  const weight = new Float64Array(n);
  const draws = Math.max(1, Math.round(params.sampleFraction * n));
  for (let i = 0; i < draws; i++) weight[random.nextInt(n)] += 1;
  let inBag = 0;
  for (let i = 0; i < n; i++) if (weight[i] > 0) inBag++;
  const rows = new Int32Array(inBag);
  let totalPositive = 0;
  for (let i = 0, k = 0; i < n; i++) {
    if (weight[i] > 0) {
      rows[k++] = i;
      if (labels[i] === 1) totalPositive += weight[i];
    }
  }

  const mtry = resolveMaxFeatures(params.maxFeatures, featureCount);
  const featureScratch = new Int32Array(featureCount);
  const histWeight = new Float64Array(256);
  const histPositive = new Float64Array(256);
  const store = new TreeNodeStore();
  const minLeaf = params.minSamplesLeaf;

  interface Pending {
    node: number;
    start: number;
    end: number;
    depth: number;
    w: number;
    p: number;
  }
  const stack: Pending[] = [{ node: store.addNode(totalPositive / draws), start: 0, end: inBag, depth: 0, w: draws, p: totalPositive }];
  const best: SplitChoice = { feature: -1, bin: 0, missingLeft: false, gain: 0 };

  while (stack.length > 0) {
    const item = stack.pop() as Pending;
    const { w, p } = item;
    if (item.depth >= params.maxDepth || w < 2 * minLeaf || p <= 0 || p >= w) continue;

    const parentMass = giniMass(w, p);
    best.feature = -1;
    best.gain = 1e-12;
    let bestLeftW = 0;
    let bestLeftP = 0;
    const features = sampleWithoutReplacement(random, featureCount, mtry, featureScratch);
    for (let k = 0; k < features.length; k++) {
      const f = features[k];
      const nb = valueBins[f];
      const column = codes[f];
      histWeight.fill(0, 0, nb + 1);
      histPositive.fill(0, 0, nb + 1);
      for (let i = item.start; i < item.end; i++) {
        const r = rows[i];
        const c = column[r];
        const wr = weight[r];
        histWeight[c] += wr;
        if (labels[r] === 1) histPositive[c] += wr;
      }
      const missW = histWeight[0];
      const missP = histPositive[0];
      let cumW = 0;
      let cumP = 0;
      for (let b = 1; b <= nb; b++) {
        cumW += histWeight[b];
        cumP += histPositive[b];
        if (b < nb) {
          // Missing rows joining the left side.
          const lw = cumW + missW;
          const lp = cumP + missP;
          const rw = w - lw;
          if (lw >= minLeaf && rw >= minLeaf) {
            const gain = parentMass - giniMass(lw, lp) - giniMass(rw, p - lp);
            if (gain > best.gain) {
              best.feature = f;
              best.bin = b;
              best.gain = gain;
              // With no missing rows in training, unseen missing values follow the larger side.
              best.missingLeft = missW > 0 || lw >= rw;
              bestLeftW = lw;
              bestLeftP = lp;
            }
          }
        }
        if (missW > 0 && (b < nb || cumW > 0)) {
          // Missing rows joining the right side (b == nb: present vs missing).
          const rw = w - cumW;
          if (cumW >= minLeaf && rw >= minLeaf) {
            const gain = parentMass - giniMass(cumW, cumP) - giniMass(rw, p - cumP);
            if (gain > best.gain) {
              best.feature = f;
              best.bin = b;
              best.gain = gain;
              best.missingLeft = false;
              bestLeftW = cumW;
              bestLeftP = cumP;
            }
          }
        }
      }
    }
    if (best.feature < 0) continue;

    const mid = partitionRows(rows, item.start, item.end, codes[best.feature], best);
    const rightW = w - bestLeftW;
    const rightP = p - bestLeftP;
    const left = store.addNode(bestLeftP / bestLeftW);
    const right = store.addNode(rightP / rightW);
    store.setSplit(item.node, best, left, right);
    stack.push({ node: left, start: item.start, end: mid, depth: item.depth + 1, w: bestLeftW, p: bestLeftP });
    stack.push({ node: right, start: mid, end: item.end, depth: item.depth + 1, w: rightW, p: rightP });
  }
  return store.toTree();
}
