import { describe, expect, it } from 'vitest';
import { InputError } from '../src/shared/errors.js';
import { fitCalibrator, loadCalibrator, recalibrateToLatest, shiftToBaseRate } from '../src/model/calibration.js';
import { brierScore, logLoss } from '../src/model/metrics.js';
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

  it('joins the fitted blocks at their centres and never outputs 0 or 1 (clipped to [0.01, 0.99])', () => {
    // Blocks {0.1, 0.2} → 0 (centre 0.15) and {0.3, 0.4} → 1 (centre 0.35): a line between the centres.
    const calibrator = fitCalibrator([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1], 'isotonic');
    expect(calibrator.apply(0.25)).toBeCloseTo(0.5, 12);
    expect(calibrator.apply(0.3)).toBeCloseTo(0.75, 12);
    expect(calibrator.apply(0.05)).toBe(0.01);
    expect(calibrator.apply(0.15)).toBe(0.01);
    expect(calibrator.apply(0.9)).toBe(0.99);
  });

  it('pools adjacent violators into their mean', () => {
    // 0.2 -> 1 and 0.3 -> 0 violate the order and are pooled to 0.5 (centre 0.25).
    const calibrator = fitCalibrator([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1], 'isotonic');
    expect(calibrator.apply(0.25)).toBeCloseTo(0.5, 12);
    expect(calibrator.apply(0.325)).toBeCloseTo(0.75, 12);
  });

  it('pools equal scores before fitting', () => {
    const calibrator = fitCalibrator([0.5, 0.5, 0.5, 0.5], [1, 0, 0, 0], 'isotonic');
    expect(calibrator.apply(0.5)).toBeCloseTo(0.25, 12);
    expect(calibrator.apply(0.1)).toBeCloseTo(0.25, 12);
  });

  it('is strictly increasing between its knots, so different scores get different probabilities', () => {
    const fit = makeMiscalibrated(5000, 4);
    const calibrator = fitCalibrator(fit.scores, fit.labels, 'isotonic');
    const outputs = new Set<string>();
    for (let s = 0.2; s <= 0.8; s += 0.01) outputs.add(calibrator.apply(s).toFixed(4));
    // 61 scores between the extremes: the flat steps of a plain isotonic fit would give a handful.
    expect(outputs.size).toBeGreaterThanOrEqual(50);
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

  it('keeps outputs inside [0.01, 0.99] for perfectly separated scores', () => {
    const calibrator = fitCalibrator([0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1], 'platt');
    expect(calibrator.apply(-100)).toBe(0.01);
    expect(calibrator.apply(100)).toBe(0.99);
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

describe('base-rate shift', () => {
  it('moves the mean probability to the recent breach rate and keeps the map monotone and inside [0.01, 0.99]', () => {
    const fit = makeMiscalibrated(4000, 5);
    for (const method of ['isotonic', 'platt', 'beta'] as const) {
      const calibrator = fitCalibrator(fit.scores, fit.labels, method);
      const shifted = shiftToBaseRate(calibrator, fit.scores, 0.45);
      const mean = shifted.applyAll(fit.scores).reduce((sum, p) => sum + p, 0) / fit.scores.length;
      expect(mean).toBeCloseTo(0.45, 3);
      expect(shifted.shift).toBeGreaterThan(0);
      let previous = 0;
      for (let s = -1; s <= 2; s += 0.005) {
        const p = shifted.apply(s);
        expect(p).toBeGreaterThanOrEqual(previous);
        expect(p).toBeGreaterThanOrEqual(0.01);
        expect(p).toBeLessThanOrEqual(0.99);
        previous = p;
      }
      expect(loadCalibrator(JSON.parse(JSON.stringify(shifted.toJSON()))).apply(0.6)).toBe(shifted.apply(0.6));
    }
  });
});

describe('recalibration to the latest slice', () => {
  /** Labels drawn at sigmoid(k · logit(score) + c): a timid score (k > 1) in a period with a higher rate (c > 0). */
  function latestSlice(n: number, seed: number, k: number, c: number) {
    const random = createRandom(seed);
    const scores = new Float64Array(n);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      scores[i] = 0.2 + 0.6 * random.next();
      const z = k * Math.log(scores[i]! / (1 - scores[i]!)) + c;
      labels[i] = random.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    return { scores, labels };
  }
  // An identity map: Platt fitted on scores whose labels are drawn at the score itself.
  const identity = fitCalibrator(...(Object.values(latestSlice(20_000, 8, 1, 0)) as [Float64Array, Uint8Array]), 'platt');

  it('sharpens a timid map by the slope the latest slice shows and sets the refit scores to its rate', () => {
    const latest = latestSlice(20_000, 9, 1.5, 0.3);
    const refitScores = latest.scores.map((s) => Math.min(0.95, s + 0.05)); // the refit scores the slice a little higher
    const recalibrated = recalibrateToLatest(identity, { forwardScores: latest.scores, labels: latest.labels, refitScores });
    expect(recalibrated.slope).toBeGreaterThan(1.35);
    expect(recalibrated.slope).toBeLessThan(1.65);
    const rate = latest.labels.reduce((sum, label) => sum + label, 0) / latest.labels.length;
    const mean = recalibrated.applyAll(refitScores).reduce((sum, p) => sum + p, 0) / refitScores.length;
    expect(mean).toBeCloseTo(rate, 3);
    expect(recalibrated.apply(0.3)).toBeLessThan(identity.apply(0.3));
    expect(loadCalibrator(JSON.parse(JSON.stringify(recalibrated.toJSON()))).apply(0.7)).toBe(recalibrated.apply(0.7));
  });

  it('leaves a map that already fits the slice nearly as it was, monotone and inside [0.01, 0.99]', () => {
    const latest = latestSlice(20_000, 10, 1, 0);
    const recalibrated = recalibrateToLatest(identity, { forwardScores: latest.scores, labels: latest.labels, refitScores: latest.scores });
    expect(recalibrated.slope).toBeCloseTo(1, 1);
    expect(Math.abs(recalibrated.shift)).toBeLessThan(0.05);
    let previous = 0;
    for (let s = -1; s <= 2; s += 0.005) {
      const p = recalibrated.apply(s);
      expect(p).toBeGreaterThanOrEqual(previous);
      expect(p).toBeGreaterThanOrEqual(0.01);
      expect(p).toBeLessThanOrEqual(0.99);
      previous = p;
    }
  });

  it('rejects slices whose scores and labels differ in length, and stored slopes that are not positive', () => {
    expect(() => recalibrateToLatest(identity, { forwardScores: [0.5], labels: [1, 0], refitScores: [0.5] })).toThrow(InputError);
    expect(() => loadCalibrator({ ...identity.toJSON(), slope: 0 })).toThrow(InputError);
  });
});

describe('the shape recalibration keeps (RECALIBRATED_METHOD)', () => {
  /**
   * Breach at sigmoid(k · 0.5 · logit(s) + c): the period's map is a line in the score's log-odds
   * (a tree ensemble's usual miscalibration), which bends at both tails as a function of s itself.
   */
  function period(n: number, seed: number, k: number, c: number) {
    const random = createRandom(seed);
    const scores = new Float64Array(n);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      scores[i] = 0.02 + 0.96 * random.next();
      const z = k * 0.5 * Math.log(scores[i]! / (1 - scores[i]!)) + c;
      labels[i] = random.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    return { scores, labels };
  }
  const whole = period(8_000, 21, 1, 0);
  // The latest slice speaks more sharply and at a higher rate; a large sample of the same period scores the maps.
  const latest = period(800, 22, 1.3, 0.3);
  const next = period(20_000, 23, 1.3, 0.3);
  const recalibrate = (calibrator: ReturnType<typeof fitCalibrator>) =>
    recalibrateToLatest(calibrator, { forwardScores: latest.scores, labels: latest.labels, refitScores: latest.scores });

  it("recalibrating a Platt map leaves nothing of its own fit: any Platt map ends as the latest slice's", () => {
    const other = period(8_000, 24, 3, -1);
    const fromOther = recalibrate(fitCalibrator(other.scores, other.labels, 'platt'));
    const fromWhole = recalibrate(fitCalibrator(whole.scores, whole.labels, 'platt'));
    for (const s of [0.05, 0.2, 0.5, 0.8, 0.95]) expect(fromOther.apply(s)).toBeCloseTo(fromWhole.apply(s), 6);
  });

  it("keeps beta's bend at the tails through the recalibration: lower log-loss on the next tickets than Platt's", () => {
    const beta = recalibrate(fitCalibrator(whole.scores, whole.labels, 'beta'));
    const platt = recalibrate(fitCalibrator(whole.scores, whole.labels, 'platt'));
    expect(logLoss(beta.applyAll(next.scores), next.labels)).toBeLessThan(logLoss(platt.applyAll(next.scores), next.labels) - 0.001);
    // The bend itself: near 0 the beta map falls faster than Platt's straight line in s.
    expect(beta.apply(0.03)).toBeLessThan(platt.apply(0.03) - 0.03);
  });
});
