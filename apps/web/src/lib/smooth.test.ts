import { describe, expect, it } from 'vitest';
import { smooth } from './smooth';

describe('smooth', () => {
  it('leaves a constant series as it is, from the first point (debiased)', () => {
    expect(smooth([2, 2, 2], 0.9)).toEqual([2, 2, 2].map((v) => expect.closeTo(v, 10)));
  });

  it('damps a zigzag towards its mean', () => {
    const zigzag = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 0 : 1));
    const last = smooth(zigzag, 0.9).at(-1)!;
    expect(Math.abs(last - 0.5)).toBeLessThan(0.06);
  });

  it('is the series itself with no smoothing', () => {
    expect(smooth([3, 1, 4], 0)).toEqual([3, 1, 4]);
  });
});
