import { RandomForestClassifier } from 'ml-random-forest';
import { describe, expect, it } from 'vitest';
import { trainClassifier } from '../src/model/classifier.js';
import { extractRow, type Dataset } from '../src/model/dataset.js';
import { rocAuc } from '../src/model/metrics.js';
import { generateSyntheticDataset } from '../src/model/synthetic-data.js';

function toRowMajor(data: Dataset): number[][] {
  return Array.from({ length: data.rows }, (_, i) => Array.from(extractRow(data, i)));
}

/** Share of ml-random-forest trees voting for class 1 (its predictProbability drops a tree). */
function scoreMlForest(model: RandomForestClassifier, rows: number[][], trees: number): number[] {
  const votes = model.predictionValues(rows);
  return rows.map((_, i) => votes.getRow(i).filter((v: number) => v === 1).length / trees);
}

describe('our forest against ml-random-forest', () => {
  it('reaches the same held-out ROC-AUC (within 0.02, mean of 3 samples of 600 rows x 8 features, 15 trees)', async () => {
    const trees = 15;
    const theirs: number[] = [];
    const ours: number[] = [];
    for (let sample = 1; sample <= 3; sample++) {
      const fit = generateSyntheticDataset({ rows: 600, features: 8, seed: 100 + sample });
      const heldOut = generateSyntheticDataset({ rows: 3000, features: 8, seed: 200 + sample });
      const reference = new RandomForestClassifier({
        nEstimators: trees,
        seed: sample,
        noOOB: true, // its out-of-bag voting crashes with few trees
        maxFeatures: 1.0,
        replacement: false,
        useSampleBagging: true,
      });
      reference.train(toRowMajor(fit.data), Array.from(fit.labels));
      theirs.push(rocAuc(scoreMlForest(reference, toRowMajor(heldOut.data), trees), heldOut.labels));
      const model = await trainClassifier(fit.data, fit.labels, { kind: 'forest', nTrees: trees, seed: sample });
      ours.push(rocAuc(model.predict(heldOut.data), heldOut.labels));
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(theirs)).toBeGreaterThan(0.65); // the comparison means something only if both learn
    expect(Math.abs(mean(ours) - mean(theirs))).toBeLessThan(0.02);
  });
});
