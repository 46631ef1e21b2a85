import { describe, expect, it } from 'vitest';
import { InputError } from '../src/shared/errors.js';
import { blendClassifiers, loadClassifier, trainClassifier, type LearnerKind, type SerializedClassifier } from '../src/model/classifier.js';
import { datasetFromRows, extractRow, type Dataset } from '../src/model/dataset.js';
import { rocAuc } from '../src/model/metrics.js';
import { sampleRows } from '../src/model/gbt.js';
import { createRandom } from '../src/model/random.js';
import { generateSyntheticDataset } from '../src/model/synthetic-data.js';

const kinds: { kind: LearnerKind }[] = [{ kind: 'forest' }, { kind: 'gbt' }];
// Small but learnable: fast enough for tests, hard enough that a broken learner fails.
const quick = { nTrees: 40, nRounds: 80, minSamplesLeaf: 10 };

const train = generateSyntheticDataset({ rows: 4000, features: 8, seed: 101, signalStrength: 3 });
const test = generateSyntheticDataset({ rows: 4000, features: 8, seed: 102, signalStrength: 3 });

const logit = (p: number) => Math.log(p / (1 - p));

describe.each(kinds)('$kind classifier', ({ kind }) => {
  it('recovers a known nonlinear signal on held-out data', async () => {
    const model = await trainClassifier(train.data, train.labels, { kind, seed: 1, ...quick });
    const scores = model.predict(test.data);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(rocAuc(scores, test.labels)).toBeGreaterThan(0.8);
  });

  it('credits the signal features, not the noise features', async () => {
    const model = await trainClassifier(train.data, train.labels, { kind, seed: 1, ...quick });
    const signal = model.featureImportance.slice(0, 5).reduce((a, b) => a + b, 0);
    expect(signal).toBeGreaterThan(0.8);
    const meanAbs = new Float64Array(8);
    for (let i = 0; i < 200; i++) {
      const { perFeature } = model.contributions(extractRow(test.data, i));
      perFeature.forEach((c, f) => {
        meanAbs[f] += Math.abs(c) / 200;
      });
    }
    const noiseMax = Math.max(...meanAbs.slice(5));
    expect(meanAbs[0]).toBeGreaterThan(noiseMax); // sin(2 x0), the strongest term
    expect(meanAbs[3]).toBeGreaterThan(noiseMax); // step on x3
  });

  it('has contributions that add up to the prediction (bias + sum = output in its space)', async () => {
    const model = await trainClassifier(train.data, train.labels, { kind, seed: 2, ...quick });
    for (let i = 0; i < 100; i++) {
      const row = extractRow(test.data, i);
      if (i % 3 === 0) row[i % 8] = Number.NaN;
      const { bias, perFeature, space } = model.contributions(row);
      const total = bias + perFeature.reduce((a, b) => a + b, 0);
      const prediction = model.predictRow(row);
      expect(space).toBe(kind === 'forest' ? 'probability' : 'log-odds');
      expect(total).toBeCloseTo(kind === 'forest' ? prediction : logit(prediction), 9);
    }
  });

  it('scores one row exactly as the batch does', async () => {
    const model = await trainClassifier(train.data, train.labels, { kind, seed: 3, ...quick });
    const batch = model.predict(test.data);
    for (let i = 0; i < 50; i++) {
      expect(model.predictRow(extractRow(test.data, i))).toBe(batch[i]);
      expect(model.predictRow(Array.from(extractRow(test.data, i)))).toBe(batch[i]);
    }
  });

  it('round-trips through JSON with identical predictions', async () => {
    const model = await trainClassifier(train.data, train.labels, { kind, seed: 4, ...quick });
    const json = JSON.parse(JSON.stringify(model.toJSON())) as SerializedClassifier;
    expect(json.format).toBe('civicops-classifier/1');
    const restored = loadClassifier(json);
    expect(restored.kind).toBe(kind);
    expect(restored.featureNames).toEqual(train.data.featureNames);
    expect(Array.from(restored.predict(test.data))).toEqual(Array.from(model.predict(test.data)));
    expect(restored.contributions(extractRow(test.data, 0))).toEqual(model.contributions(extractRow(test.data, 0)));
  });

  it('is reproducible for a seed and changes with the seed', async () => {
    const a = await trainClassifier(train.data, train.labels, { kind, seed: 5, ...quick });
    const b = await trainClassifier(train.data, train.labels, { kind, seed: 5, ...quick });
    const c = await trainClassifier(train.data, train.labels, { kind, seed: 6, ...quick });
    expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(a.toJSON()));
    expect(Array.from(c.predict(test.data))).not.toEqual(Array.from(a.predict(test.data)));
  });

  it('trains and scores with missing values', async () => {
    const holey = generateSyntheticDataset({ rows: 4000, features: 8, seed: 103, signalStrength: 3, missingRate: 0.15 });
    const holeyTest = generateSyntheticDataset({ rows: 3000, features: 8, seed: 104, signalStrength: 3, missingRate: 0.15 });
    const model = await trainClassifier(holey.data, holey.labels, { kind, seed: 7, ...quick });
    const scores = model.predict(holeyTest.data);
    expect(scores.every((s) => Number.isFinite(s))).toBe(true);
    expect(rocAuc(scores, holeyTest.labels)).toBeGreaterThan(0.72);
    const allMissing = model.predictRow(new Array<number | null>(8).fill(null));
    expect(allMissing).toBeGreaterThan(0);
    expect(allMissing).toBeLessThan(1);
    expect(model.predictRow(new Array<number>(8).fill(Number.NaN))).toBe(allMissing);
  });

  it('learns from missingness itself when it carries the signal', async () => {
    const random = createRandom(8);
    const make = (n: number) => {
      const labels = new Uint8Array(n);
      const rows: number[][] = [];
      for (let i = 0; i < n; i++) {
        const late = random.next() < 0.4;
        labels[i] = random.next() < (late ? 0.9 : 0.1) ? 1 : 0;
        // "acknowledged" is missing for late tickets; otherwise a value unrelated to the label.
        rows.push([late ? Number.NaN : random.next(), random.next()]);
      }
      return { data: datasetFromRows(['acknowledged_hours', 'noise'], rows), labels };
    };
    const fit = make(2000);
    const heldOut = make(2000);
    const model = await trainClassifier(fit.data, fit.labels, { kind, seed: 9, ...quick });
    expect(rocAuc(model.predict(heldOut.data), heldOut.labels)).toBeGreaterThan(0.85);
  });

  it('refuses data whose features differ from the training features', async () => {
    const model = await trainClassifier(train.data, train.labels, { kind, seed: 1, nTrees: 3, nRounds: 3 });
    const renamed: Dataset = { ...test.data, featureNames: [...test.data.featureNames].reverse() };
    expect(() => model.predict(renamed)).toThrow(InputError);
    expect(() => model.predictRow([1, 2, 3])).toThrow(InputError);
  });
});

describe('gbt early stopping', () => {
  it('stops when validation loss stops improving and keeps the best rounds', async () => {
    const validation = generateSyntheticDataset({ rows: 2000, features: 8, seed: 105, signalStrength: 3 });
    const model = await trainClassifier(train.data, train.labels, {
      kind: 'gbt',
      seed: 1,
      nRounds: 400,
      learningRate: 0.5,
      maxDepth: 6,
      earlyStoppingRounds: 10,
      validation,
    });
    const { bestRounds, validationLoss } = model.summary;
    expect(bestRounds).toBeDefined();
    expect(validationLoss).toBeDefined();
    expect(validationLoss!.length).toBeLessThan(400);
    expect(model.summary.trees).toBe(bestRounds);
    expect(validationLoss!.length).toBe(bestRounds! + 10);
    expect(Math.min(...validationLoss!)).toBe(validationLoss![bestRounds! - 1]);
  });
});

describe('gbt with a sparse per-round sample', () => {
  it('learns as well from a geometric draw of 24% of the rows a round as from the dense draw of 26%', async () => {
    const dense = await trainClassifier(train.data, train.labels, { kind: 'gbt', seed: 1, nRounds: 150, subsample: 0.26 });
    const sparse = await trainClassifier(train.data, train.labels, { kind: 'gbt', seed: 1, nRounds: 150, subsample: 0.24 });
    const denseAuc = rocAuc(dense.predict(test.data), test.labels);
    const sparseAuc = rocAuc(sparse.predict(test.data), test.labels);
    expect(sparseAuc).toBeGreaterThan(0.9);
    expect(Math.abs(sparseAuc - denseAuc)).toBeLessThan(0.01);
  });

  it.each([0.8, 0.05, 0.002])('keeps each row with probability %s, spread over the whole range', (fraction) => {
    const n = 100_000;
    const out = new Int32Array(n);
    const random = createRandom(9);
    let kept = 0;
    let indexSum = 0;
    let outOfOrder = 0;
    for (let round = 0; round < 20; round++) {
      const count = sampleRows(random, n, fraction, out);
      for (let k = 1; k < count; k++) if (out[k]! <= out[k - 1]!) outOfOrder++;
      expect(out[0]!).toBeGreaterThanOrEqual(0);
      expect(out[count - 1]!).toBeLessThan(n);
      kept += count;
      for (let k = 0; k < count; k++) indexSum += out[k]!;
    }
    expect(outOfOrder).toBe(0);
    const expected = 20 * n * fraction;
    expect(Math.abs(kept - expected)).toBeLessThan(5 * Math.sqrt(expected));
    expect(indexSum / kept / n).toBeCloseTo(0.5, 1);
  });
});

describe('ensemble of gbt and forest', () => {
  it('scores the weighted mean of its members, row and batch alike, and round-trips through JSON', async () => {
    const gbt = await trainClassifier(train.data, train.labels, { kind: 'gbt', seed: 1, ...quick });
    const forest = await trainClassifier(train.data, train.labels, { kind: 'forest', seed: 1, ...quick });
    const ensemble = blendClassifiers([gbt, forest], [0.5, 0.5]);
    expect(ensemble.kind).toBe('ensemble');
    const scores = ensemble.predict(test.data);
    const g = gbt.predict(test.data);
    const f = forest.predict(test.data);
    for (let i = 0; i < 50; i++) {
      expect(scores[i]).toBeCloseTo(0.5 * g[i]! + 0.5 * f[i]!, 12);
      expect(ensemble.predictRow(extractRow(test.data, i))).toBeCloseTo(scores[i]!, 12);
    }
    expect(rocAuc(scores, test.labels)).toBeGreaterThan(0.8);
    const loaded = loadClassifier(JSON.parse(JSON.stringify(ensemble.toJSON())));
    expect(Array.from(loaded.predict(test.data))).toEqual(Array.from(scores));
    const importance = ensemble.featureImportance.reduce((a, b) => a + b, 0);
    expect(importance).toBeCloseTo(1, 9);
  });

  it('has probability-space contributions that add up to its score', async () => {
    const gbt = await trainClassifier(train.data, train.labels, { kind: 'gbt', seed: 2, ...quick });
    const forest = await trainClassifier(train.data, train.labels, { kind: 'forest', seed: 2, ...quick });
    const ensemble = blendClassifiers([gbt, forest], [0.5, 0.5]);
    for (let i = 0; i < 30; i++) {
      const row = extractRow(test.data, i);
      const contributions = ensemble.contributions(row);
      expect(contributions.space).toBe('probability');
      const total = contributions.perFeature.reduce((sum, value) => sum + value, contributions.bias);
      expect(total).toBeCloseTo(ensemble.predictRow(row), 9);
    }
  });

  it('rejects weights that do not sum to 1', async () => {
    const gbt = await trainClassifier(train.data, train.labels, { kind: 'gbt', seed: 1, ...quick });
    expect(() => blendClassifiers([gbt], [0.5])).toThrow(InputError);
  });
});

describe('trainClassifier input checks', () => {
  it('rejects labels that do not match the rows or are not 0/1', async () => {
    await expect(trainClassifier(train.data, new Uint8Array(3), { kind: 'forest' })).rejects.toThrow(InputError);
    const bad = new Uint8Array(train.labels);
    bad[0] = 2;
    await expect(trainClassifier(train.data, bad, { kind: 'gbt' })).rejects.toThrow(InputError);
    await expect(trainClassifier(train.data, train.labels, { kind: 'forest', nTrees: 0 })).rejects.toThrow(InputError);
  });

  it('rejects serialized models of an unknown format', () => {
    const json = { format: 'civicops-classifier/99' } as unknown as SerializedClassifier;
    expect(() => loadClassifier(json)).toThrow(InputError);
  });
});
