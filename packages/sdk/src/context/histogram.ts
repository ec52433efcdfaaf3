/** Bucket counts and moments of a set of values; see `HistogramSummary`. */
export interface Histogram {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
  readonly sumSquares: number;
  readonly edges: readonly number[];
  readonly counts: readonly number[];
  readonly nonFinite: number;
}

/** Default number of equal-width buckets of a histogram. */
export const DEFAULT_BUCKETS = 30;

/**
 * Counts values into `buckets` equal-width buckets between their min and max, in two passes and
 * without sorting. NaN and ±Infinity are counted in `nonFinite` only. When every value is the
 * same there is one bucket `[v, v]`; when there is none, no bucket.
 *
 * @example
 * ```ts
 * histogram([0, 1, 2, 3], 2); // { edges: [0, 1.5, 3], counts: [2, 2], count: 4, min: 0, max: 3, ... }
 * ```
 */
export function histogram(values: ArrayLike<number>, buckets = DEFAULT_BUCKETS): Histogram {
  if (!Number.isInteger(buckets) || buckets < 1) {
    throw new RangeError(`buckets must be a whole number >= 1, got ${buckets}`);
  }
  let count = 0;
  let nonFinite = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    count++;
    sum += v;
    sumSquares += v * v;
    if (v < min) {
      min = v;
    }
    if (v > max) {
      max = v;
    }
  }
  if (count === 0) {
    return { count, min: 0, max: 0, sum: 0, sumSquares: 0, edges: [], counts: [], nonFinite };
  }
  if (min === max) {
    return { count, min, max, sum, sumSquares, edges: [min, max], counts: [count], nonFinite };
  }
  const width = (max - min) / buckets;
  const counts = new Array<number>(buckets).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      // The max falls in the last bucket, which includes its upper edge.
      counts[Math.min(buckets - 1, Math.floor((v - min) / width))]!++;
    }
  }
  const edges = Array.from({ length: buckets + 1 }, (_, i) =>
    i === buckets ? max : min + i * width,
  );
  return { count, min, max, sum, sumSquares, edges, counts, nonFinite };
}
