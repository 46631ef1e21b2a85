/** Weighted picks and normal draws over a seeded uniform source. */

/** `[value, weight]` pairs. */
export type Weighted<T> = readonly (readonly [T, number])[];

/** A standard normal draw (Box-Muller). */
export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Cumulative tables per weighted list, built once. */
const pickerCache = new WeakMap<object, { values: unknown[]; cumulative: number[]; total: number }>();

/** Draws values in proportion to their weights (binary search over cumulative weights). */
export function createPicker<T>(weighted: Weighted<T>, random: () => number): () => T {
  let table = pickerCache.get(weighted);
  if (!table) {
    const cumulative: number[] = [];
    let total = 0;
    for (const [, weight] of weighted) {
      total += weight;
      cumulative.push(total);
    }
    table = { values: weighted.map(([value]) => value), cumulative, total };
    pickerCache.set(weighted, table);
  }
  const { values, cumulative, total } = table;
  return () => {
    const target = random() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cumulative[mid] > target) high = mid;
      else low = mid + 1;
    }
    return values[low] as T;
  };
}
