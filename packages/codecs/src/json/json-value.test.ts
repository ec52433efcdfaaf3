import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Field, FieldJson } from '@tfstream/schema';
import { defineSchema, formatFloat32 } from '@tfstream/schema';
import { arbSchemaWithRows, assertSameRows } from '../test-support/arbitraries.js';
import { JsonNumber, parseExactJson } from './exact-json.js';
import { float32Text, formatJsonValue, fromJsonValue, toJsonValue } from './json-value.js';

function field(json: Omit<FieldJson, 'name'>): Field {
  return defineSchema([{ name: 'f', ...json }]).fields[0]!;
}

describe('toJsonValue and fromJsonValue', () => {
  it('give back every value of every type and shape, through JSON text', () => {
    fc.assert(
      fc.property(arbSchemaWithRows(), ({ schema, rows }) => {
        for (const row of rows) {
          for (const f of schema.fields) {
            const text = formatJsonValue(toJsonValue(f, row[f.name]!));
            const back = fromJsonValue(f, parseExactJson(text));
            assertSameRows([back], [row[f.name]]);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('writes 64-bit integers as numbers up to 2^53 - 1 and as decimal strings beyond', () => {
    const int64 = field({ type: 'int64' });
    const uint64 = field({ type: 'uint64' });
    expect(toJsonValue(int64, 9007199254740991n)).toBe(9007199254740991);
    expect(toJsonValue(int64, -9007199254740991n)).toBe(-9007199254740991);
    expect(toJsonValue(int64, 9007199254740992n)).toBe('9007199254740992');
    expect(toJsonValue(int64, 9223372036854775807n)).toBe('9223372036854775807');
    expect(toJsonValue(int64, -9223372036854775808n)).toBe('-9223372036854775808');
    expect(toJsonValue(uint64, 18446744073709551615n)).toBe('18446744073709551615');
  });

  it('reads 64-bit integers from decimal strings, exact numbers and bigints', () => {
    const int64 = field({ type: 'int64' });
    const uint64 = field({ type: 'uint64' });
    expect(fromJsonValue(int64, '9223372036854775807')).toBe(9223372036854775807n);
    expect(fromJsonValue(int64, new JsonNumber('9223372036854775807'))).toBe(9223372036854775807n);
    expect(fromJsonValue(uint64, new JsonNumber('18446744073709551615'))).toBe(
      18446744073709551615n,
    );
    expect(fromJsonValue(uint64, 18446744073709551615n)).toBe(18446744073709551615n);
    expect(fromJsonValue(int64, 42)).toBe(42n);
    expect(() => fromJsonValue(int64, Number('9223372036854775807'))).toThrow(
      'beyond 2^53 and already rounded',
    );
    expect(() => fromJsonValue(uint64, new JsonNumber('18446744073709551616'))).toThrow(
      'CODEC_TYPE_MISMATCH: field "f": 18446744073709551616 is out of range for uint64',
    );
    expect(() => fromJsonValue(int64, new JsonNumber('1.5e300'))).toThrow(
      'CODEC_TYPE_MISMATCH: field "f": expected int64, got 1.5e300',
    );
  });

  it('keeps an int16 an int16', () => {
    const int16 = field({ type: 'int16' });
    expect(fromJsonValue(int16, 32767)).toBe(32767);
    expect(() => fromJsonValue(int16, 70000)).toThrow(
      'CODEC_TYPE_MISMATCH: field "f": 70000 is out of range for int16',
    );
    expect(() => fromJsonValue(int16, 1.5)).toThrow('expected int16, got 1.5');
    expect(() => fromJsonValue(int16, true)).toThrow('expected int16, got boolean');
  });

  it('writes NaN and the infinities as strings and keeps -0', () => {
    const f64 = field({ type: 'float64', shape: 'list' });
    const json = toJsonValue(f64, [Number.NaN, Infinity, -Infinity, -0, 0.1]);
    expect(json).toEqual(['NaN', 'Infinity', '-Infinity', -0, 0.1]);
    expect(formatJsonValue(json)).toBe('["NaN","Infinity","-Infinity",-0,0.1]');
    const back = fromJsonValue(
      f64,
      JSON.parse('["NaN","Infinity","-Infinity",-0,0.1]'),
    ) as number[];
    expect(back).toEqual([Number.NaN, Infinity, -Infinity, -0, 0.1]);
    expect(Object.is(back[3], -0)).toBe(true);
  });

  it('writes a float32 as the shortest text that reads back to it', () => {
    const f32 = field({ type: 'float32' });
    expect(formatJsonValue(toJsonValue(f32, Math.fround(0.1)))).toBe('0.1');
    expect(formatJsonValue(toJsonValue(f32, Math.fround(1 / 3)))).toBe('0.33333334');
    expect(formatJsonValue(toJsonValue(f32, 2 ** -149))).toBe('1e-45');
    expect(fromJsonValue(f32, 0.1)).toBe(Math.fround(0.1));
    expect(() => fromJsonValue(f32, 1e39)).toThrow('out of range for float32');
  });

  it('spells a float32 as formatFloat32 does, fast path or not', () => {
    fc.assert(
      fc.property(fc.float(), (value) => {
        expect(float32Text(value)).toBe(formatFloat32(value));
      }),
      { numRuns: 20000 },
    );
  });

  it('writes the text forms of bytes, dates, times, timestamps, decimals and chars', () => {
    expect(toJsonValue(field({ type: 'bytes' }), new Uint8Array([0, 255, 1]))).toBe('AP8B');
    expect(toJsonValue(field({ type: 'date' }), 19753)).toBe('2024-01-31');
    expect(toJsonValue(field({ type: 'time', unit: 'us' }), 3723000004n)).toBe('01:02:03.000004');
    expect(toJsonValue(field({ type: 'timestamp' }), 1706702400000n)).toBe(
      '2024-01-31T12:00:00.000Z',
    );
    expect(toJsonValue(field({ type: 'decimal', precision: 5, scale: 2 }), '12.50')).toBe('12.50');
    expect(toJsonValue(field({ type: 'char' }), '😀')).toBe('😀');
    expect(toJsonValue(field({ type: 'bool', nullable: true }), null)).toBe(null);
  });

  it('reads a decimal from a number only when the number is exact', () => {
    const decimal = field({ type: 'decimal', precision: 30, scale: 22 });
    expect(fromJsonValue(decimal, new JsonNumber('0.1000000000000000000001'))).toBe(
      '0.1000000000000000000001',
    );
    expect(fromJsonValue(decimal, 12)).toBe('12.0000000000000000000000');
    expect(() =>
      fromJsonValue(field({ type: 'decimal', precision: 4, scale: 2 }), new JsonNumber('1.234')),
    ).toThrow('rounding would lose precision');
  });

  it('reads tensors nested or flat and gives them back nested', () => {
    const tensor = field({ type: 'int8', shape: [2, 3] });
    const nested = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    expect(fromJsonValue(tensor, nested)).toEqual(nested);
    expect(fromJsonValue(tensor, [1, 2, 3, 4, 5, 6])).toEqual(nested);
    expect(toJsonValue(tensor, [1, 2, 3, 4, 5, 6])).toEqual(nested);
    expect(() => fromJsonValue(tensor, [1, 2, 3])).toThrow(
      'CODEC_SHAPE_MISMATCH: field "f": expected 2 values in dimension 0 of shape [2, 3] (or a flat array of 6), got array of 3',
    );
    expect(() => fromJsonValue(tensor, [[1, 2, 3], [4]])).toThrow('CODEC_SHAPE_MISMATCH');
  });

  it('refuses null elements and null values of fields that are not nullable', () => {
    expect(() => fromJsonValue(field({ type: 'int32', shape: 'list' }), [1, null])).toThrow(
      'CODEC_NULL_VALUE: field "f": a list or tensor element is null',
    );
    expect(() => fromJsonValue(field({ type: 'int32' }), null)).toThrow('CODEC_NULL_VALUE');
    expect(fromJsonValue(field({ type: 'int32', nullable: true }), undefined)).toBe(null);
  });

  it('refuses a string with an unpaired surrogate, which UTF-8 cannot carry', () => {
    expect(() => fromJsonValue(field({ type: 'string' }), JSON.parse('"\\ud800"'))).toThrow(
      'unpaired UTF-16 surrogate',
    );
  });
});
