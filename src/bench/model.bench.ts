/**
 * Learner benchmark: training time and quality of our forest and gbt on 100k synthetic rows,
 * single-row and batch scoring latency, worker vs in-thread equivalence, and a head-to-head
 * with ml-random-forest on a small sample.
 * Run: npx tsc -p tsconfig.build.json && node dist/bench/model.bench.js
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { RandomForestClassifier } from 'ml-random-forest';
import { trainClassifier, type TrainedClassifier } from '../model/classifier.js';
import { extractRow, type Dataset } from '../model/dataset.js';
import { rocAuc, trainLogistic, logLoss } from '../model/metrics.js';
import { generateSyntheticDataset } from '../model/synthetic-data.js';

function toRowMajor(data: Dataset): number[][] {
  return Array.from({ length: data.rows }, (_, i) => Array.from(extractRow(data, i)));
}

async function timed<T>(run: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

function measureRowLatencyMs(model: TrainedClassifier, data: Dataset, calls: number): number {
  const rows = Array.from({ length: Math.min(calls, data.rows) }, (_, i) => extractRow(data, i));
  for (let i = 0; i < 500; i++) model.predictRow(rows[i % rows.length]); // warm-up
  const start = performance.now();
  let sink = 0;
  for (let i = 0; i < calls; i++) sink += model.predictRow(rows[i % rows.length]);
  const ms = (performance.now() - start) / calls;
  if (Number.isNaN(sink)) throw new Error('prediction produced NaN');
  return ms;
}

/** Vote share of ml-random-forest trees for class 1 (its predictProbability skips a tree). */
function predictMlForest(model: RandomForestClassifier, rows: number[][]): Float64Array {
  const votes = model.predictionValues(rows);
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = votes.getRow(i);
    out[i] = row.reduce((sum: number, v: number) => sum + (v === 1 ? 1 : 0), 0) / row.length;
  }
  return out;
}

/** Runs every measurement, prints them as a table and returns them by name (times in ms unless stated). */
export async function runModelBench(): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const features = 20;
  const train = generateSyntheticDataset({ rows: 100_000, features, seed: 11 });
  const test = generateSyntheticDataset({ rows: 20_000, features, seed: 12 });
  const validation = generateSyntheticDataset({ rows: 10_000, features, seed: 13 });
  results['train positive rate'] = train.labels.reduce((a, b) => a + b, 0) / train.labels.length;

  const forest = await timed(() => trainClassifier(train.data, train.labels, { kind: 'forest', seed: 1 }));
  results['forest train 100k x 20, auto threads (ms)'] = forest.ms;
  results['forest trees'] = forest.value.summary.trees;
  results['forest test AUC'] = rocAuc(forest.value.predict(test.data), test.labels);

  const gbt = await timed(() => trainClassifier(train.data, train.labels, { kind: 'gbt', seed: 1 }));
  results['gbt train 100k x 20, no early stop (ms)'] = gbt.ms;
  results['gbt rounds'] = gbt.value.summary.trees;
  const gbtProbs = gbt.value.predict(test.data);
  results['gbt test AUC'] = rocAuc(gbtProbs, test.labels);
  results['gbt test log-loss'] = logLoss(gbtProbs, test.labels);

  const gbtEarly = await timed(() =>
    trainClassifier(train.data, train.labels, { kind: 'gbt', seed: 1, validation: { data: validation.data, labels: validation.labels } }),
  );
  results['gbt train with early stopping (ms)'] = gbtEarly.ms;
  results['gbt rounds kept (early stopping)'] = gbtEarly.value.summary.trees;
  results['gbt early-stopped test AUC'] = rocAuc(gbtEarly.value.predict(test.data), test.labels);

  const logistic = await timed(() => trainLogistic(train.data, train.labels));
  results['logistic train (ms)'] = logistic.ms;
  results['logistic test AUC'] = rocAuc(logistic.value.predict(test.data), test.labels);

  results['forest model JSON (MB)'] = JSON.stringify(forest.value.toJSON()).length / 1e6;
  results['gbt model JSON (MB)'] = JSON.stringify(gbt.value.toJSON()).length / 1e6;
  results['forest predictRow (ms/row)'] = measureRowLatencyMs(forest.value, test.data, 20_000);
  results['gbt predictRow (ms/row)'] = measureRowLatencyMs(gbt.value, test.data, 20_000);
  const batch: Dataset = { ...test.data, rows: 10_000, columns: test.data.columns.map((c) => c.subarray(0, 10_000)) };
  results['forest predict batch 10k (ms)'] = (await timed(() => forest.value.predict(batch))).ms;
  results['gbt predict batch 10k (ms)'] = (await timed(() => gbt.value.predict(batch))).ms;

  // Same forest in-thread: the parallel speed-up, and proof that workers give the identical model.
  const single = await timed(() => trainClassifier(train.data, train.labels, { kind: 'forest', seed: 1, workers: 0 }));
  results['forest train 100k x 20 in-thread (ms)'] = single.ms;
  results['forest parallel speed-up (x)'] = single.ms / forest.ms;
  results['workers identical to in-thread (1 = yes)'] =
    JSON.stringify(single.value.toJSON().trees) === JSON.stringify(forest.value.toJSON().trees) ? 1 : 0;
  results['load average (1 min) during bench'] = loadavg()[0];

  // Head-to-head with ml-random-forest on the small sample it can handle.
  const small = generateSyntheticDataset({ rows: 2_000, features: 12, seed: 31 });
  const smallTest = generateSyntheticDataset({ rows: 5_000, features: 12, seed: 32 });
  const smallRows = toRowMajor(small.data);
  const ml = await timed(() => {
    const model = new RandomForestClassifier({
      nEstimators: 25,
      seed: 3,
      noOOB: true,
      maxFeatures: 1.0,
      replacement: false,
      useSampleBagging: true,
    });
    model.train(smallRows, Array.from(small.labels));
    return model;
  });
  const ours = await timed(() => trainClassifier(small.data, small.labels, { kind: 'forest', seed: 3, nTrees: 25, workers: 0 }));
  results['ml-random-forest train 2k x 12, 25 trees (ms)'] = ml.ms;
  results['our forest train 2k x 12, 25 trees (ms)'] = ours.ms;
  results['speed ratio (ml-random-forest / ours)'] = ml.ms / ours.ms;
  results['ml-random-forest test AUC'] = rocAuc(predictMlForest(ml.value, toRowMajor(smallTest.data)), smallTest.labels);
  results['our forest test AUC (2k sample)'] = rocAuc(ours.value.predict(smallTest.data), smallTest.labels);
  printTable(results);
  return results;
}

function printTable(results: Record<string, number>): void {
  const width = Math.max(...Object.keys(results).map((k) => k.length));
  for (const [name, value] of Object.entries(results)) {
    const shown = Number.isInteger(value) ? String(value) : value >= 100 ? value.toFixed(0) : value.toPrecision(4);
    console.log(`${name.padEnd(width)}  ${shown.padStart(10)}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runModelBench();
}
