import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DataType, ScalarValue, TimeUnit } from '../types.js';
import { DATA_TYPES, INTEGER_RANGES, TIME_UNITS, isIntegerType } from '../types.js';
import type { ElementType } from './text-forms.js';
import {
  formatElementText,
  formatFloat32,
  normalizeElement,
  parseDecimal,
  parseElementText,
  preview,
  unitsPerSecond,
} from './text-forms.js';

const [INT64_MIN, INT64_MAX] = INTEGER_RANGES.int64;
const INT32_DAYS = { min: -2147483648, max: 2147483647 };

/** Same to the bit: Object.is for numbers (NaN is NaN, -0 is not 0), byte-wise for bytes. */
function sameBits(actual: ScalarValue, expected: ScalarValue): boolean {
  if (expected instanceof Uint8Array) {
    return (
      actual instanceof Uint8Array &&
      actual.length === expected.length &&
      actual.every((byte, i) => byte === expected[i])
    );
  }
  return Object.is(actual, expected);
}

function expectRoundTrip(field: ElementType, value: ScalarValue): void {
  const text = formatElementText(field, value);
  const back = parseElementText(field, text);
  if (!sameBits(back, value)) {
    expect.fail(`${String(value)} -> ${JSON.stringify(text)} -> ${String(back)} (${field.type})`);
  }
}

/** Canonical decimal text of an unscaled integer at `scale`. */
function decimalText(unscaled: bigint, scale: number): string {
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text =
    scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(digits.length - scale)}`;
  return unscaled < 0n ? `-${text}` : text;
}

/** A field of `type` with random parameters, and canonical values of it, edges included. */
function arbTyped(type: DataType): fc.Arbitrary<{ field: ElementType; value: ScalarValue }> {
  switch (type) {
    case 'string':
      return fc
        .oneof(
          fc.string({ unit: 'binary' }),
          fc.string({ unit: 'grapheme' }),
          fc.constantFrom('', ' ', '😀', '𝄞', '\u0000', '" , \n', 'NaN', '1e5', '[1]'),
        )
        .map((value) => ({ field: { type }, value }));
    case 'char':
      return fc
        .oneof(
          fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
          fc.constantFrom('😀', '\u{10FFFF}', ' ', '\u0000'),
        )
        .map((value) => ({ field: { type }, value }));
    case 'bytes':
      return fc
        .oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(new Uint8Array(0)))
        .map((value) => ({ field: { type }, value }));
    case 'bool':
      return fc.boolean().map((value) => ({ field: { type }, value }));
    case 'float32':
      return fc
        .oneof(
          fc.float(),
          fc.constantFrom(
            NaN,
            -0,
            0,
            Infinity,
            -Infinity,
            3.4028234663852886e38,
            1.401298464324817e-45,
          ),
        )
        .map((value) => ({ field: { type }, value }));
    case 'float64':
      return fc
        .oneof(
          fc.double(),
          fc.constantFrom(NaN, -0, 0, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, 0.1),
        )
        .map((value) => ({ field: { type }, value }));
    case 'date':
      return fc
        .oneof(
          fc.integer(INT32_DAYS),
          fc.integer({ min: -800000, max: 3000000 }),
          fc.constantFrom(
            INT32_DAYS.min,
            INT32_DAYS.max,
            0,
            -1,
            -719528,
            -719529,
            2932896,
            2932897,
          ),
        )
        .map((value) => ({ field: { type }, value }));
    case 'time':
      return fc.constantFrom(...TIME_UNITS).chain((unit) => {
        const max = 86400n * unitsPerSecond(unit) - 1n;
        return fc
          .oneof(fc.bigInt({ min: 0n, max }), fc.constantFrom(0n, 1n, max))
          .map((value) => ({ field: { type, unit }, value }));
      });
    case 'timestamp':
      return fc
        .constantFrom(...TIME_UNITS)
        .chain((unit) =>
          fc
            .oneof(
              fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
              fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
              fc.constantFrom(INT64_MIN, INT64_MAX, 0n, -1n, 1n),
            )
            .map((value) => ({ field: { type, unit }, value })),
        );
    case 'decimal':
      return fc
        .integer({ min: 1, max: 76 })
        .chain((precision) =>
          fc.record({ precision: fc.constant(precision), scale: fc.nat(precision) }),
        )
        .chain(({ precision, scale }) => {
          const limit = 10n ** BigInt(precision) - 1n;
          return fc
            .oneof(
              fc.bigInt({ min: -limit, max: limit }),
              fc.constantFrom(limit, -limit, 0n, 1n, -1n),
            )
            .map((unscaled) => ({
              field: { type, precision, scale },
              value: decimalText(unscaled, scale),
            }));
        });
    default: {
      if (!isIntegerType(type)) {
        throw new Error(`no arbitrary for ${type}`);
      }
      const [min, max] = INTEGER_RANGES[type];
      return fc.oneof(fc.bigInt({ min, max }), fc.constantFrom(min, max, 0n)).map((big) => ({
        field: { type },
        value: type === 'int64' || type === 'uint64' ? big : Number(big),
      }));
    }
  }
}

describe('text forms', () => {
  for (const type of DATA_TYPES) {
    it(`reads back what it writes, to the bit, for ${type}`, () => {
      fc.assert(
        fc.property(arbTyped(type), ({ field, value }) => {
          expectRoundTrip(field, value);
          expect(sameBits(normalizeElement(field, value), value)).toBe(true);
        }),
        { numRuns: 500 },
      );
    });
  }

  it('spells out the special floats', () => {
    for (const type of ['float32', 'float64'] as const) {
      expect([NaN, -0, 0, Infinity, -Infinity].map((v) => formatElementText({ type }, v))).toEqual([
        'NaN',
        '-0',
        '0',
        'Infinity',
        '-Infinity',
      ]);
    }
  });

  it('writes float32 in the fewest digits that read back to it', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (value) => {
        fc.pre(Number.isFinite(value) && value !== 0);
        const text = formatFloat32(value);
        expect(Math.fround(Number(text))).toBe(value);
        const significant = text
          .replace(/^-/, '')
          .replace(/e.*$/, '')
          .replace('.', '')
          .replace(/^0+|0+$/g, '');
        for (let p = 1; p < significant.length; p++) {
          expect(Math.fround(Number(value.toPrecision(p)))).not.toBe(value);
        }
      }),
      { numRuns: 2000 },
    );
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32(Math.fround(16777217))).toBe('16777216');
    expect(formatFloat32(1.401298464324817e-45)).toBe('1e-45');
    expect(formatFloat32(3.4028234663852886e38)).toBe('3.4028235e+38');
  });

  it('writes dates outside 0000-9999 with a sign and six or more year digits', () => {
    const date = (days: number) => formatElementText({ type: 'date' }, days);
    expect(date(0)).toBe('1970-01-01');
    expect(date(-719528)).toBe('0000-01-01');
    expect(date(-719529)).toBe('-000001-12-31');
    expect(date(2932896)).toBe('9999-12-31');
    expect(date(2932897)).toBe('+010000-01-01');
    expect(date(INT32_DAYS.max)).toBe('+5881580-07-11');
    expect(date(INT32_DAYS.min)).toBe('-5877641-06-23');
  });

  it('writes times and timestamps at the precision of their unit, negative ones included', () => {
    const ts = (unit: TimeUnit, value: bigint) =>
      formatElementText({ type: 'timestamp', unit }, value);
    expect(ts('ms', -1n)).toBe('1969-12-31T23:59:59.999Z');
    expect(ts('us', 1n)).toBe('1970-01-01T00:00:00.000001Z');
    expect(ts('ns', INT64_MIN)).toBe('1677-09-21T00:12:43.145224192Z');
    expect(ts('ns', INT64_MAX)).toBe('2262-04-11T23:47:16.854775807Z');
    expect(ts('ms', INT64_MAX)).toBe('+292278994-08-17T07:12:55.807Z');
    expect(ts('ms', INT64_MIN)).toBe('-292275055-05-16T16:47:04.192Z');
    expect(formatElementText({ type: 'time', unit: 'ns' }, 86399999999999n)).toBe(
      '23:59:59.999999999',
    );
  });

  it('reads the lenient forms: 1.0 as an integer, 1/0 as bools, offsets and dates as timestamps', () => {
    expect(parseElementText({ type: 'int32' }, ' 1.0 ')).toBe(1);
    expect(parseElementText({ type: 'int64' }, '+5')).toBe(5n);
    expect(parseElementText({ type: 'bool' }, '1')).toBe(true);
    expect(parseElementText({ type: 'bool' }, ' FALSE ')).toBe(false);
    expect(parseElementText({ type: 'float64' }, '-inf')).toBe(-Infinity);
    expect(parseElementText({ type: 'timestamp' }, '2024-01-31')).toBe(1706659200000n);
    expect(parseElementText({ type: 'timestamp' }, '2024-01-31 01:30+01:30')).toBe(1706659200000n);
    expect(parseElementText({ type: 'timestamp', unit: 'ms' }, '2024-01-31T00:00:00.123000Z')).toBe(
      1706659200123n,
    );
    expect(parseElementText({ type: 'time' }, '12:30')).toBe(45000000n);
    expect(parseElementText({ type: 'bytes' }, '-_8')).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(parseDecimal({ type: 'decimal', precision: 5, scale: 2 }, '-0.001e1')).toBe('-0.01');
    expect(parseDecimal({ type: 'decimal', precision: 5, scale: 2 }, '+1.5000')).toBe('1.50');
    expect(parseDecimal({ type: 'decimal', precision: 5, scale: 2 }, '-0.00')).toBe('0.00');
    expect(parseDecimal({ type: 'decimal', precision: 3, scale: 0 }, '1.2e2')).toBe('120');
  });

  it('names the field and what is wrong with a value that does not fit', () => {
    const cases: [ElementType, string, string][] = [
      [{ type: 'int16' }, '70000', '70000 is out of range for int16'],
      [{ type: 'uint8' }, '-1', '-1 is out of range for uint8'],
      [{ type: 'int64' }, '9223372036854775808', '9223372036854775808 is out of range for int64'],
      [{ type: 'int32' }, '1.5', 'expected int32, got "1.5"'],
      [{ type: 'int32' }, 'abc', 'expected int32, got "abc"'],
      [{ type: 'bool' }, 'yes', 'expected bool, got "yes"'],
      [{ type: 'float32' }, '1e39', '1e+39 is out of range for float32; declare the field float64'],
      [{ type: 'float64' }, '1,5', 'expected float64, got "1,5"'],
      [{ type: 'date' }, '2023-02-29', '"2023-02-29" is not a calendar date'],
      [{ type: 'date' }, '31/01/2024', 'expected date "YYYY-MM-DD", got "31/01/2024"'],
      [{ type: 'date' }, '+9999999-01-01', 'date "+9999999-01-01" is out of range'],
      [{ type: 'time' }, '24:00:00', '"24:00:00" is not a time of day'],
      [
        { type: 'timestamp', unit: 'ms' },
        '2024-01-01T00:00:00.0001Z',
        '"2024-01-01T00:00:00.0001Z" is more precise than timestamp[ms]; declare unit "us"',
      ],
      [
        { type: 'timestamp', unit: 'us' },
        '2024-01-01T00:00:00.1234567Z',
        '"2024-01-01T00:00:00.1234567Z" is more precise than timestamp[us]; declare unit "ns"',
      ],
      [
        { type: 'time', unit: 'ms' },
        '00:00:00.0000001',
        '"00:00:00.0000001" is more precise than time[ms]; declare unit "ns"',
      ],
      [
        { type: 'timestamp', unit: 'ns' },
        '2262-04-11T23:47:16.854775808Z',
        '9223372036854775808 is out of the int64 range of timestamp[ns]',
      ],
      [
        { type: 'timestamp' },
        '2024-01-01T00:00:00+24:00',
        '"2024-01-01T00:00:00+24:00" has no valid UTC offset (±HH:MM up to ±23:59)',
      ],
      [
        { type: 'decimal', precision: 4, scale: 2 },
        '1.234',
        '"1.234" has more than 2 fraction digits for decimal(4,2); rounding would lose precision',
      ],
      [
        { type: 'decimal', precision: 4, scale: 2 },
        '123.4',
        '"123.4" has more than 2 integer digits for decimal(4,2)',
      ],
      [
        { type: 'decimal', precision: 4, scale: 2 },
        '1.2.3',
        'expected decimal(4,2) as decimal text, got "1.2.3"',
      ],
      [{ type: 'bytes' }, 'abcde', 'expected base64 bytes, got "abcde"'],
      [{ type: 'char' }, 'ab', 'expected char (one Unicode code point), got "ab"'],
      [
        { type: 'string' },
        'a\uD800b',
        'string has an unpaired UTF-16 surrogate at index 1, which UTF-8 cannot carry; use a bytes field',
      ],
    ];
    for (const [type, text, detail] of cases) {
      const field = { ...type, name: 'f' };
      expect(() => parseElementText(field, text), text).toThrow(
        `CODEC_TYPE_MISMATCH: field "f": ${detail}`,
      );
    }
  });

  it('rejects a timestamp more precise than its unit instead of truncating it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<[TimeUnit, number]>(['ms', 3], ['us', 6]),
        fc.integer({ min: 1, max: 9 }),
        ([unit, digits], extra) => {
          fc.pre(digits + extra <= 9);
          const fraction = '0'.repeat(digits + extra - 1) + '1';
          expect(() =>
            parseElementText({ type: 'timestamp', unit }, `2024-01-01T00:00:00.${fraction}Z`),
          ).toThrow('is more precise than');
        },
      ),
    );
  });

  it('checks values handed in by code as strictly as text', () => {
    expect(() => normalizeElement({ type: 'int64', name: 'n' }, 2 ** 53)).toThrow(
      'CODEC_TYPE_MISMATCH: field "n": expected int64, got 9007199254740992 which is beyond 2^53 and already rounded; pass a bigint or a decimal string',
    );
    expect(normalizeElement({ type: 'int64' }, 42)).toBe(42n);
    expect(normalizeElement({ type: 'int8' }, 5n)).toBe(5);
    expect(Object.is(normalizeElement({ type: 'int32' }, -0), 0)).toBe(true);
    expect(normalizeElement({ type: 'float32' }, 0.1)).toBe(Math.fround(0.1));
    expect(normalizeElement({ type: 'date' }, new Date('2024-01-31T00:00:00Z'))).toBe(19753);
    expect(normalizeElement({ type: 'timestamp', unit: 'us' }, new Date(1))).toBe(1000n);
    expect(normalizeElement({ type: 'decimal', precision: 4, scale: 1 }, 12.5)).toBe('12.5');
    expect(() => normalizeElement({ type: 'time', unit: 'ms' }, 86400000n)).toThrow(
      '86400000 ms is not a time of day',
    );
    expect(() => normalizeElement({ type: 'string' }, 1)).toThrow('expected string, got 1');
    expect(() => normalizeElement({ type: 'bytes' }, 'abc')).toThrow('expected bytes, got "abc"');
  });

  it('previews long strings without splitting a surrogate pair', () => {
    expect(preview('a'.repeat(39) + '😀xyz')).toBe(`"${'a'.repeat(39)}…"`);
    expect(preview('a'.repeat(41))).toBe(`"${'a'.repeat(40)}…"`);
    expect(preview(-0)).toBe('-0');
    expect(preview(5n)).toBe('5n');
    expect(preview(new Uint8Array(3))).toBe('<3 bytes>');
  });
});
