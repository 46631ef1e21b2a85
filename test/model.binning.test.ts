import { describe, expect, it } from 'vitest';
import { InputError } from '../src/shared/errors.js';
import { applyBinning, fitBinning, loadBinning, MISSING_BIN, serializeBinning } from '../src/model/binning.js';
import { datasetFromRows, selectRows, type Dataset } from '../src/model/dataset.js';
import { createRandom } from '../src/model/random.js';

function column(name: string, values: number[]): Dataset {
  return datasetFromRows(
    [name],
    values.map((v) => [v]),
  );
}

describe('fitBinning', () => {
  it('gives each distinct value its own bin, cut at midpoints, with a dedicated missing bin', () => {
    const data = column('district', [1, 2, 2, 4, Number.NaN, 4]);
    const binning = fitBinning(data);
    expect(Array.from(binning.thresholds[0])).toEqual([1.5, 3]);
    expect(Array.from(applyBinning(binning, data).codes[0])).toEqual([1, 2, 2, 3, MISSING_BIN, 3]);
  });

  it('places at most maxBins equal-frequency bins on a continuous feature', () => {
    const random = createRandom(3);
    const values = Array.from({ length: 20_000 }, () => random.next() * 100);
    const data = column('minutes', values);
    const binning = fitBinning(data, 255);
    expect(binning.thresholds[0].length).toBe(254);
    const counts = new Array<number>(256).fill(0);
    for (const code of applyBinning(binning, data).codes[0]) counts[code]++;
    const used = counts.slice(1, 256);
    expect(Math.min(...used)).toBeGreaterThan(40); // 20,000 / 255 ≈ 78 per bin
    expect(Math.max(...used)).toBeLessThan(120);
  });

  it('bins unseen values with the fitted cuts (below min -> first bin, above max -> last)', () => {
    const binning = fitBinning(column('x', [10, 20, 30]));
    // Cuts at 15 and 25; a value equal to a cut belongs to the lower bin.
    const codes = applyBinning(binning, column('x', [-5, 15, 16, 25, 26, 1000, Number.POSITIVE_INFINITY])).codes[0];
    expect(Array.from(codes)).toEqual([1, 1, 2, 2, 3, 3, MISSING_BIN]);
  });

  it('handles an all-missing feature', () => {
    const binning = fitBinning(column('x', [Number.NaN, Number.NaN]));
    expect(binning.thresholds[0].length).toBe(0);
    expect(Array.from(applyBinning(binning, column('x', [1, Number.NaN])).codes[0])).toEqual([1, MISSING_BIN]);
  });

  it('round-trips through JSON and refuses data with other features', () => {
    const random = createRandom(4);
    const data = datasetFromRows(
      ['a', 'b'],
      Array.from({ length: 500 }, () => [random.next(), Math.floor(random.next() * 5)]),
    );
    const binning = fitBinning(data);
    const restored = loadBinning(JSON.parse(JSON.stringify(serializeBinning(binning))));
    expect(applyBinning(restored, data).codes).toEqual(applyBinning(binning, data).codes);
    expect(() => applyBinning(binning, column('a', [1]))).toThrow(InputError);
  });
});

describe('selectRows', () => {
  it('picks rows in the given order, repeats allowed', () => {
    const data = datasetFromRows(
      ['a', 'b'],
      [
        [1, 10],
        [2, 20],
        [3, 30],
      ],
    );
    const picked = selectRows(data, [2, 0, 2]);
    expect(picked.rows).toBe(3);
    expect(Array.from(picked.columns[1])).toEqual([30, 10, 30]);
  });
});
