import { describe, expect, it } from 'vitest';
import { InputError } from '../src/shared/errors.js';
import { datasetFromRows } from '../src/model/dataset.js';
import {
  bootstrapRocAucs,
  brierScore,
  calibrationTable,
  expectedCalibrationError,
  logLoss,
  percentileInterval,
  prAuc,
  rocAuc,
  trainLogistic,
} from '../src/model/metrics.js';
import { createRandom } from '../src/model/random.js';

describe('rocAuc', () => {
  it('matches the hand-computed Mann-Whitney value (3 of 4 positive-negative pairs ordered)', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
  });

  it('counts tied scores as one half', () => {
    expect(rocAuc([0.5, 0.5], [0, 1])).toBeCloseTo(0.5, 12);
    // pairs: (0.3 vs 0.3) tie = 0.5, (0.9 vs 0.3) = 1, (0.3 vs 0.1) = 1, (0.9 vs 0.1) = 1 -> 3.5 / 4
    expect(rocAuc([0.1, 0.3, 0.3, 0.9], [0, 0, 1, 1])).toBeCloseTo(0.875, 12);
  });

  it('is 1 for a perfect ranking, 0 for a reversed one, NaN with a single class', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
  });

  it('rejects scores and labels of different lengths', () => {
    expect(() => rocAuc([0.1, 0.2], [1])).toThrow(InputError);
  });
});

describe('prAuc (average precision)', () => {
  it('matches the hand-computed value: 0.5 * 1 + 0.5 * 2/3', () => {
    expect(prAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.5 + 1 / 3, 12);
  });

  it('treats tied scores as one threshold', () => {
    // Both rows at 0.5 enter together: recall 1, precision 1/2.
    expect(prAuc([0.5, 0.5], [0, 1])).toBeCloseTo(0.5, 12);
  });
});

describe('brierScore and logLoss', () => {
  it('match hand-computed values', () => {
    expect(brierScore([0.2, 0.8], [0, 1])).toBeCloseTo(0.04, 12);
    expect(brierScore([1, 0], [0, 1])).toBe(1);
    expect(logLoss([0.5, 0.5], [0, 1])).toBeCloseTo(Math.LN2, 12);
    expect(logLoss([0.9, 0.2], [1, 0])).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8)) / 2, 12);
  });

  it('logLoss stays finite for certain-but-wrong predictions', () => {
    expect(Number.isFinite(logLoss([0, 1], [1, 0]))).toBe(true);
  });
});

describe('calibrationTable', () => {
  it('groups predictions into equal-width probability bins and leaves out empty bins', () => {
    const rows = calibrationTable([0.05, 0.15, 0.12, 0.95, 1], [0, 1, 0, 1, 1]);
    expect(rows.map((r) => r.bin)).toEqual([0, 1, 9]);
    expect(rows[1]).toMatchObject({ count: 2, observedRate: 0.5 });
    expect(rows[1].meanPredicted).toBeCloseTo(0.135, 12);
    expect(rows[2]).toMatchObject({ count: 2, observedRate: 1, lower: 0.9, upper: 1 });
  });

  it('rejects values that are not probabilities', () => {
    expect(() => calibrationTable([1.5], [1])).toThrow(InputError);
  });
});

describe('trainLogistic', () => {
  it('recovers the direction of a linear signal and handles missing values', () => {
    const random = createRandom(7);
    const rows: number[][] = [];
    const labels = new Uint8Array(3000);
    for (let i = 0; i < 3000; i++) {
      const x0 = random.next() * 4 - 2;
      const x1 = random.next() * 4 - 2;
      const noise = random.next();
      labels[i] = random.next() < 1 / (1 + Math.exp(-(2 * x0 - 1 * x1))) ? 1 : 0;
      rows.push([x0, i % 10 === 0 ? Number.NaN : x1, noise]);
    }
    const data = datasetFromRows(['x0', 'x1', 'noise'], rows);
    const model = trainLogistic(data, labels);
    expect(model.weights[0]).toBeGreaterThan(0.5);
    expect(model.weights[1]).toBeLessThan(-0.3);
    expect(Math.abs(model.weights[2])).toBeLessThan(Math.abs(model.weights[1]));
    const probs = model.predict(data);
    expect(probs.every((p) => p > 0 && p < 1)).toBe(true);
    expect(rocAuc(probs, labels)).toBeGreaterThan(0.8);
  });
});

describe('expectedCalibrationError', () => {
  it('matches a hand-computed case: bin weights times |mean prediction − observed rate|', () => {
    // Bin [0.1, 0.2): 0.1, 0.1 with labels 0, 1 → |0.1 − 0.5| = 0.4, weight 2/4.
    // Bin [0.9, 1]: 0.9, 0.9 with labels 1, 1 → |0.9 − 1| = 0.1, weight 2/4.  ECE = 0.2 + 0.05.
    expect(expectedCalibrationError([0.1, 0.1, 0.9, 0.9], [0, 1, 1, 1], 10)).toBeCloseTo(0.25, 12);
    expect(expectedCalibrationError([0.5, 0.5], [0, 1], 10)).toBeCloseTo(0, 12);
  });
});

describe('bootstrapRocAucs', () => {
  it('brackets the ROC-AUC of a real signal, pairs the vectors on the same resamples, and is reproducible', () => {
    const random = createRandom(21);
    const n = 800;
    const scores = new Float64Array(n);
    const noise = new Float64Array(n);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = random.next() < 0.4 ? 1 : 0;
      scores[i] = random.next() + labels[i] * 0.5;
      noise[i] = random.next();
    }
    const [signal, same, none] = bootstrapRocAucs([scores, scores, noise], labels, { resamples: 300, seed: 3 });
    const [lower, upper] = percentileInterval(signal!);
    const estimate = rocAuc(scores, labels);
    expect(lower).toBeLessThan(estimate);
    expect(upper).toBeGreaterThan(estimate);
    expect(upper - lower).toBeLessThan(0.12);
    expect(lower).toBeGreaterThan(0.7);
    // The same vector on the same resamples: identical values, so a margin of exactly 0.
    expect(Array.from(same!)).toEqual(Array.from(signal!));
    expect(percentileInterval(none!)[0]).toBeLessThan(0.5);
    expect(percentileInterval(none!)[1]).toBeGreaterThan(0.5);
    expect(bootstrapRocAucs([scores], labels, { resamples: 300, seed: 3 })[0]).toEqual(signal);
  });

  it('gives 1 for a perfect ranking, 0 for a reversed one and 0.5 for all-tied scores on every resample', () => {
    const labels = [0, 0, 0, 1, 1, 1];
    const [perfect, reversed, tied] = bootstrapRocAucs(
      [
        [1, 2, 3, 4, 5, 6],
        [6, 5, 4, 3, 2, 1],
        [1, 1, 1, 1, 1, 1],
      ],
      labels,
      {
        resamples: 50,
      },
    );
    for (let r = 0; r < 50; r++) {
      if (Number.isNaN(perfect![r]!)) continue; // a resample with one class only
      expect(perfect![r]).toBe(1);
      expect(reversed![r]).toBe(0);
      expect(tied![r]).toBe(0.5);
    }
  });
});
