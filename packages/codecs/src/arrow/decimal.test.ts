import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decimalBitWidth,
  formatUnscaled,
  readDecimalBigInt,
  readDecimalNumber,
  writeDecimalWords,
} from './decimal.js';

const arbDecimal = fc.integer({ min: 1, max: 76 }).chain((precision) =>
  fc.record({
    precision: fc.constant(precision),
    scale: fc.integer({ min: 0, max: precision }),
    unscaled: fc.oneof(
      fc.bigInt({ min: -(10n ** BigInt(precision)) + 1n, max: 10n ** BigInt(precision) - 1n }),
      fc.constantFrom(0n, 1n, -1n, 10n ** BigInt(precision) - 1n, -(10n ** BigInt(precision)) + 1n),
    ),
  }),
);

describe('Arrow decimals', () => {
  it("write canonical text as two's complement words and read it back exactly, 128 and 256 bits", () => {
    fc.assert(
      fc.property(arbDecimal, ({ precision, scale, unscaled }) => {
        const text = new TextEncoder().encode(formatUnscaled(unscaled, scale));
        const words = decimalBitWidth(precision) / 32;
        const out = new Uint32Array(words + 2).fill(0xdeadbeef);
        writeDecimalWords(text, 0, text.length, out, 1, words);
        expect(out[0]).toBe(0xdeadbeef);
        expect(out[words + 1]).toBe(0xdeadbeef);
        expect(readDecimalBigInt(out, 1, words)).toBe(unscaled);
        const small = readDecimalNumber(out, 1, words);
        if (small !== undefined) {
          expect(BigInt(small)).toBe(unscaled);
        }
        expect(formatUnscaled(readDecimalBigInt(out, 1, words), scale)).toBe(
          new TextDecoder().decode(text),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('write the canonical forms tfstream uses', () => {
    expect(formatUnscaled(-1250n, 2)).toBe('-12.50');
    expect(formatUnscaled(5, 3)).toBe('0.005');
    expect(formatUnscaled(0n, 2)).toBe('0.00');
    expect(formatUnscaled(-7, 0)).toBe('-7');
    expect(decimalBitWidth(38)).toBe(128);
    expect(decimalBitWidth(39)).toBe(256);
  });
});
