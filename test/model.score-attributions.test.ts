import { describe, expect, it } from 'vitest';
import { trainClassifier } from '../src/model/classifier.js';
import { extractRow } from '../src/model/dataset.js';
import { generateSyntheticDataset } from '../src/model/synthetic-data.js';
import { scoreWithAttributions } from '../src/model/score-ticket.js';

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
