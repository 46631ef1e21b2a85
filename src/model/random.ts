import { createSeededRandom } from '../shared/seeded-random.js';

/** A small seeded pseudo-random source so that training is reproducible given a seed. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  nextInt(n: number): number;
}

/** mulberry32 (src/shared/seeded-random.ts): fast and good enough for bagging and feature sampling. */
export function createRandom(seed: number): Random {
  const next = createSeededRandom(seed);
  return { next, nextInt: (n: number) => Math.floor(next() * n) };
}

/**
 * Derives an independent seed for a sub-task (e.g. tree number `index`), so each tree's
 * randomness does not depend on which thread trains it or in which order.
 */
export function deriveSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Picks `k` distinct integers from [0, n) (partial Fisher-Yates on a scratch array). */
export function sampleWithoutReplacement(random: Random, n: number, k: number, scratch: Int32Array): Int32Array {
  for (let i = 0; i < n; i++) scratch[i] = i;
  const take = Math.min(k, n);
  for (let i = 0; i < take; i++) {
    const j = i + random.nextInt(n - i);
    const tmp = scratch[i];
    scratch[i] = scratch[j];
    scratch[j] = tmp;
  }
  return scratch.subarray(0, take);
}
