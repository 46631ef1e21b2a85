/** Insert-only running median (two heaps), with the same interpolation as SQL percentile_cont(0.5). */
export class RunningMedian {
  private low: Float64Array = new Float64Array(16); // max-heap of the smaller half
  private high: Float64Array = new Float64Array(16); // min-heap of the larger half
  private lowSize = 0;
  private highSize = 0;

  get size(): number {
    return this.lowSize + this.highSize;
  }

  add(value: number): void {
    if (this.lowSize === 0 || value <= this.low[0]) this.pushLow(value);
    else this.pushHigh(value);
    if (this.lowSize > this.highSize + 1) this.pushHigh(this.popLow());
    else if (this.highSize > this.lowSize) this.pushLow(this.popHigh());
  }

  median(): number {
    if (this.size === 0) return Number.NaN;
    if (this.lowSize > this.highSize) return this.low[0];
    const lower = this.low[0];
    // percentile_cont: first + (second - first) * 0.5, not (first + second) / 2 (they can differ in the last bit).
    return lower + (this.high[0] - lower) * 0.5;
  }

  private pushLow(value: number): void {
    if (this.lowSize === this.low.length) this.low = grow(this.low);
    siftUp(this.low, this.lowSize++, value, 1);
  }
  private pushHigh(value: number): void {
    if (this.highSize === this.high.length) this.high = grow(this.high);
    siftUp(this.high, this.highSize++, value, -1);
  }
  private popLow(): number {
    const top = this.low[0];
    siftDown(this.low, --this.lowSize, 1);
    return top;
  }
  private popHigh(): number {
    const top = this.high[0];
    siftDown(this.high, --this.highSize, -1);
    return top;
  }
}

function grow(array: Float64Array): Float64Array {
  const bigger = new Float64Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

// sign 1: max-heap, sign -1: min-heap.
function siftUp(heap: Float64Array, index: number, value: number, sign: number): void {
  let i = index;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (sign * (heap[parent] - value) >= 0) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = value;
}

function siftDown(heap: Float64Array, size: number, sign: number): void {
  const value = heap[size];
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= size) break;
    if (child + 1 < size && sign * (heap[child + 1] - heap[child]) > 0) child++;
    if (sign * (heap[child] - value) <= 0) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = value;
}
