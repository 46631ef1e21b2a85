import { describe, expect, it } from 'vitest';
import { trainClassifier } from '../src/model/classifier.js';
import { extractRow } from '../src/model/dataset.js';
import { generateSyntheticDataset } from '../src/model/synthetic-data.js';
import { scoreWithAttributions, strongestFactors } from '../src/model/score-ticket.js';

describe('scoring from the attributions of one tree walk', () => {
  it.each(['forest', 'gbt'] as const)('gives exactly the %s prediction, and the reasons sum to it', async (kind) => {
    const { data, labels } = generateSyntheticDataset({ rows: 1_500, features: 8, seed: 5, missingRate: 0.05 });
    const classifier = await trainClassifier(data, labels, { kind, seed: 3, nTrees: 20, nRounds: 40 });
    for (let row = 0; row < 200; row++) {
      const values = extractRow(data, row);
      const { score, contributions } = scoreWithAttributions(classifier, values);
      expect(score).toBeCloseTo(classifier.predictRow(values), 10);
      expect(contributions.perFeature.some((value) => value !== 0)).toBe(true);
    }
  });
});

describe('choosing the factors a score is explained by', () => {
  /** What the scorer did before: every feature sorted by size (a stable sort), then the first few. */
  function strongestBySorting(perFeature: number[], count: number): number[] {
    return perFeature
      .map((contribution, index) => ({ contribution, index }))
      .filter((factor) => factor.contribution !== 0 && Number.isFinite(factor.contribution))
      .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
      .slice(0, count)
      .map((factor) => factor.index);
  }

  it('picks the same factors in the same order as sorting every feature, ties and non-finite values included', () => {
    let seed = 11;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    // Few distinct sizes and both signs, so ties (also between +x and -x) are common.
    const pick = () => [0, 0, 0.1, -0.1, 0.25, -0.25, 0.5, 1e-9, -2, Number.NaN, Number.POSITIVE_INFINITY, -0][Math.floor(random() * 12)]!;
    for (let trial = 0; trial < 2_000; trial++) {
      const perFeature = Array.from({ length: 1 + Math.floor(random() * 24) }, pick);
      for (const count of [0, 1, 3, 5]) {
        expect(strongestFactors(Float64Array.from(perFeature), count)).toEqual(strongestBySorting(perFeature, count));
      }
    }
  });

  it('leaves out features that did not move the score', () => {
    expect(strongestFactors(Float64Array.from([0, 0, 0]), 3)).toEqual([]);
    expect(strongestFactors(Float64Array.from([0, -0.3, 0, 0.2]), 3)).toEqual([1, 3]);
  });
});
