import { describe, expect, it } from 'vitest';
import { histogram } from './histogram.js';

describe('histogram', () => {
  it('counts values into equal-width buckets, the max into the last', () => {
    const h = histogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5);
    expect(h.edges).toEqual([0, 2, 4, 6, 8, 10]);
    expect(h.counts).toEqual([2, 2, 2, 2, 3]);
    expect(h.count).toBe(11);
    expect([h.min, h.max, h.sum, h.sumSquares]).toEqual([0, 10, 55, 385]);
  });

  it('keeps NaN and infinities apart, and handles constant and empty input', () => {
    const h = histogram(new Float32Array([1, NaN, Infinity, 1]), 4);
    expect(h.nonFinite).toBe(2);
    expect(h.edges).toEqual([1, 1]);
    expect(h.counts).toEqual([2]);
    expect(histogram([]).counts).toEqual([]);
    expect(() => histogram([1], 0)).toThrow(/buckets must be a whole number >= 1/);
  });
});
