import { describe, expect, it } from 'vitest';
import { windowAt } from './use-virtual';

describe('windowAt', () => {
  it('renders the rows in view and a margin, below a header', () => {
    // 24 px rows under a 26 px header, a 318 px view scrolled to 2400 px.
    const { start, end } = windowAt(2400, 318, 100_000, 24, 26, 8);
    expect(start).toBe(Math.floor((2400 - 26) / 24) - 8);
    expect(end).toBe(Math.ceil((2400 - 26 + 318) / 24) + 8);
  });

  it('costs the same for any number of rows', () => {
    const sizes = [1_000, 100_000, 10_000_000].map((count) => {
      const top = 26 + count * 24 - 318;
      const { start, end } = windowAt(top, 318, count, 24, 26, 2);
      expect(end).toBe(count);
      return end - start;
    });
    expect(new Set(sizes).size).toBe(1);
  });

  it('is empty for no rows and clamped at the start', () => {
    expect(windowAt(0, 318, 0, 24, 26, 8)).toEqual({ start: 0, end: 0 });
    expect(windowAt(0, 318, 5, 24, 26, 8)).toEqual({ start: 0, end: 5 });
  });
});
