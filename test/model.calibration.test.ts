import { describe, expect, it } from 'vitest';
import { InputError } from '../src/shared/errors.js';
import { fitCalibrator, loadCalibrator } from '../src/model/calibration.js';
import { brierScore } from '../src/model/metrics.js';
import { createRandom } from '../src/model/random.js';

/** Scores that rank well but are miscalibrated: the true probability is score^2. */
function makeMiscalibrated(n: number, seed: number): { scores: Float64Array; labels: Uint8Array } {
  const random = createRandom(seed);
  const scores = new Float64Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    scores[i] = random.next();
    labels[i] = random.next() < scores[i] ** 2 ? 1 : 0;
  }
  return { scores, labels };
}

describe('isotonic calibration', () => {
  it('is monotone and lowers the Brier score of a miscalibrated score on held-out data', () => {
    const fit = makeMiscalibrated(5000, 1);
    const heldOut = makeMiscalibrated(5000, 2);
    const calibrator = fitCalibrator(fit.scores, fit.labels, 'isotonic');
    let previous = -Infinity;
    for (let s = -0.1; s <= 1.1; s += 0.001) {
      const p = calibrator.apply(s);
      expect(p).toBeGreaterThanOrEqual(previous);
      previous = p;
    }
    const before = brierScore(heldOut.scores, heldOut.labels);
    const after = brierScore(calibrator.applyAll(heldOut.scores), heldOut.labels);
    expect(after).toBeLessThan(before - 0.01);
    expect(calibrator.apply(0.5)).toBeCloseTo(0.25, 1);
  });

  it('interpolates between fitted points and clips to [0.001, 0.999]', () => {
    const calibrator = fitCalibrator([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1], 'isotonic');
    expect(calibrator.apply(0.25)).toBeCloseTo(0.5, 12);
    expect(calibrator.apply(0.05)).toBe(0.001);
    expect(calibrator.apply(0.2)).toBe(0.001);
    expect(calibrator.apply(0.9)).toBe(0.999);
  });

  it('pools adjacent violators into their mean', () => {
    // 0.2 -> 1 and 0.3 -> 0 violate the order and are pooled to 0.5.
    const calibrator = fitCalibrator([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1], 'isotonic');
    expect(calibrator.apply(0.2)).toBeCloseTo(0.5, 12);
    expect(calibrator.apply(0.25)).toBeCloseTo(0.5, 12);
    expect(calibrator.apply(0.35)).toBeCloseTo(0.75, 12);
  });

  it('pools equal scores before fitting', () => {
    const calibrator = fitCalibrator([0.5, 0.5, 0.5, 0.5], [1, 0, 0, 0], 'isotonic');
    expect(calibrator.apply(0.5)).toBeCloseTo(0.25, 12);
    expect(calibrator.apply(0.1)).toBeCloseTo(0.25, 12);
  });

  it('round-trips through JSON with identical outputs', () => {
    const fit = makeMiscalibrated(2000, 3);
    const calibrator = fitCalibrator(fit.scores, fit.labels, 'isotonic');
    const restored = loadCalibrator(JSON.parse(JSON.stringify(calibrator.toJSON())));
    for (const s of [0, 0.13, 0.5, 0.77, 1]) expect(restored.apply(s)).toBe(calibrator.apply(s));
  });
});

describe('Platt calibration', () => {
  it('recovers the slope and intercept of a logistic relationship', () => {
    const random = createRandom(9);
    const n = 20_000;
    const scores = new Float64Array(n);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      scores[i] = random.next() * 2 - 1;
      labels[i] = random.next() < 1 / (1 + Math.exp(-(3 * scores[i] - 1))) ? 1 : 0;
    }
    const calibrator = fitCalibrator(scores, labels, 'platt');
    const json = calibrator.toJSON();
    if (json.method !== 'platt') throw new Error('expected a platt calibrator');
    expect(json.a).toBeCloseTo(3, 0);
    expect(json.b).toBeCloseTo(-1, 0);
    expect(loadCalibrator(json).apply(0.2)).toBe(calibrator.apply(0.2));
  });

  it('keeps outputs inside [0.001, 0.999] for perfectly separated scores', () => {
    const calibrator = fitCalibrator([0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1], 'platt');
    expect(calibrator.apply(-100)).toBe(0.001);
    expect(calibrator.apply(100)).toBe(0.999);
    expect(calibrator.apply(1)).toBeGreaterThan(0.5);
  });
});

describe('calibrator input checks', () => {
  it('rejects non-finite scores and mismatched lengths', () => {
    expect(() => fitCalibrator([0.1, Number.NaN], [0, 1], 'isotonic')).toThrow(InputError);
    expect(() => fitCalibrator([0.1], [0, 1], 'platt')).toThrow(InputError);
    const calibrator = fitCalibrator([0.1, 0.9], [0, 1], 'isotonic');
    expect(() => calibrator.apply(Number.NaN)).toThrow(InputError);
  });
});
