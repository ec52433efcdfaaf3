import { describe, expect, it } from 'vitest';
import { defineSchema } from '@tfstream/schema';
import { bytesOf, encodeRows } from '../test-support/chunks.js';
import { alphabetOf, fuzzDecoder } from '../test-support/fuzz.js';
import { jsonlFormat } from './jsonl-format.js';

const schema = defineSchema([
  { name: 'id', type: 'int64' },
  { name: 'u', type: 'uint64', shape: 'list', nullable: true },
  { name: 'x', type: 'float32', shape: [2, 2], nullable: true },
  { name: 's', type: 'string', nullable: true },
  { name: 'b', type: 'bytes', nullable: true },
  { name: 'd', type: 'decimal', precision: 20, scale: 4, nullable: true },
  { name: 't', type: 'timestamp', unit: 'ns', nullable: true },
  { name: 'day', type: 'date', nullable: true },
  { name: 'ok', type: 'bool', shape: 'list', nullable: true },
  { name: 'c', type: 'char', nullable: true },
  { name: 'i8', type: 'int8', nullable: true },
]);

const seeds = [
  encodeRows(jsonlFormat, schema, [
    {
      id: 9223372036854775807n,
      u: [18446744073709551615n, 0n],
      x: [
        [0.1, -0],
        [Number.NaN, -Infinity],
      ],
      s: 'a "q"\n😀',
      b: new Uint8Array([0, 255]),
      d: '-1234567890123456.7890',
      t: -1n,
      day: 19753,
      ok: [true, false],
      c: 'é',
      i8: -128,
    },
    {
      id: 1n,
      u: null,
      x: null,
      s: '',
      b: null,
      d: null,
      t: null,
      day: null,
      ok: [],
      c: null,
      i8: null,
    },
  ]),
  bytesOf(
    '\uFEFF{"id": 9223372036854775807, "u": [18446744073709551615], "d": 12.5, "t": 1e3, "x": [1,2,3,4]}\r\n\r\n{"id": "-9223372036854775808", "s": "\\ud83d\\ude00", "extra": {"n": [[[]]]}}\n',
  ),
  bytesOf('{"id": 1}\n[1]\n{"id": 2, "x": [[1,2],[3]]}\nnull\n{"id": 3, "i8": 300}\n'),
];

const alphabet = alphabetOf('{}[]{}[]"""":,,:-0123456789.eE+ tfnrulaNIy\\\\u\n\n\r \t\uFEFFé😀');

describe('JSONL decoding of hostile input', () => {
  it('ends each of 35,000 mutations of valid JSON Lines in records or a TfstreamError, under fail', async () => {
    const stats = await fuzzDecoder({
      format: jsonlFormat,
      schema,
      seeds,
      alphabet,
      count: 35_000,
      seed: 0x15071,
      randomShare: 0,
      policy: 'fail',
      sampleEvery: 10,
    });
    // The fuzzer reached good records and every kind of refusal.
    expect(stats.records).toBeGreaterThan(2_000);
    expect(Object.keys(stats.errors)).toEqual(
      expect.arrayContaining([
        'CODEC_LIMIT_EXCEEDED',
        'CODEC_MALFORMED',
        'CODEC_NULL_VALUE',
        'CODEC_SHAPE_MISMATCH',
        'CODEC_TYPE_MISMATCH',
      ]),
    );
  });

  it('skips every bad record of 35,000 mutations of valid JSON Lines to a dead letter, under skip', async () => {
    const stats = await fuzzDecoder({
      format: jsonlFormat,
      schema,
      seeds,
      alphabet,
      count: 35_000,
      seed: 0x15071 + 1,
      randomShare: 0,
      policy: 'skip',
    });
    expect(stats.records).toBeGreaterThan(5_000);
    expect(stats.deadLetters).toBeGreaterThan(10_000);
    // Under 'skip' every bad record is a dead letter: nothing is thrown.
    expect(stats.errors).toEqual({});
  });

  it('ends each of 30,000 random inputs in records or a TfstreamError', async () => {
    const stats = await fuzzDecoder({
      format: jsonlFormat,
      schema,
      seeds,
      alphabet,
      count: 30_000,
      seed: 0x7a11,
      randomShare: 1,
      sampleEvery: 20,
    });
    expect(stats.errors.CODEC_MALFORMED).toBeGreaterThan(1000);
  });
});
