import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecordKey } from '../../protocol/record-channels.js';
import { keyId } from '../../protocol/record-channels.js';
import { KeySet, RangeSet } from './key-set.js';

describe('RangeSet', () => {
  it('adds ranges as a set of numbers would, and says which parts were new', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 12 }))),
        (adds) => {
          const set = new RangeSet();
          const reference = new Set<number>();
          for (const [start, length] of adds) {
            const fresh = set.add(start, start + length);
            const expected: number[] = [];
            for (let n = start; n < start + length; n++) {
              if (!reference.has(n)) {
                expected.push(n);
                reference.add(n);
              }
            }
            expect(
              fresh.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i)),
            ).toEqual(expected);
            expect(set.size).toBe(reference.size);
          }
          for (let n = -55; n < 70; n++) {
            expect(set.has(n)).toBe(reference.has(n));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps a stream of positions that arrive a little out of order as one range', () => {
    const set = new RangeSet();
    for (let batch = 0; batch < 10_000; batch += 2) {
      set.add((batch + 1) * 64, (batch + 2) * 64); // worker 1 answers first
      set.add(batch * 64, (batch + 1) * 64);
    }
    expect(set.size).toBe(640_000);
    expect(set.ranges).toBe(1);
  });
});

describe('KeySet', () => {
  const arbKey: fc.Arbitrary<RecordKey> = fc.oneof(
    fc.integer({ min: -20, max: 20 }),
    fc.integer({ min: -20, max: 20 }).map(BigInt),
    fc.constantFrom(2n ** 60n, -(2n ** 60n), 0.5, 1e300, -0),
    fc.constantFrom('a', 'b', '1', ''),
  );

  it('treats keys as equal exactly when their keyId is equal', () => {
    fc.assert(
      fc.property(fc.array(arbKey, { maxLength: 30 }), (keys) => {
        const set = new KeySet();
        const reference = new Set<string>();
        const fresh = set.addBatch(keys);
        const expected: number[] = [];
        keys.forEach((key, row) => {
          if (!reference.has(keyId(key))) {
            reference.add(keyId(key));
            expected.push(row);
          }
        });
        expect(fresh.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i))).toEqual(
          expected,
        );
        expect(set.size).toBe(reference.size);
      }),
      { numRuns: 500 },
    );
  });

  it('takes a run of positions as one range', () => {
    const set = new KeySet();
    expect(set.addBatch({ first: 10, count: 5 })).toEqual([[0, 5]]);
    expect(set.addBatch({ first: 12, count: 6 })).toEqual([[3, 6]]);
    expect(set.addBatch([3, 14n, 's'])).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(set.size).toBe(10);
    expect(set.ranges).toBe(2);
  });
});
