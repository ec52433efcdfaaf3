import { describe, expect, it } from 'vitest';
import type { TfstreamError } from '@tfstream/schema';
import { defineSchema } from '@tfstream/schema';
import { bytesOf, encodeRows } from '../test-support/chunks.js';
import { alphabetOf, fuzzDecoder } from '../test-support/fuzz.js';
import { csvFormat } from './csv-format.js';

const schema = defineSchema([
  { name: 'id', type: 'int64' },
  { name: 'u', type: 'uint64', shape: 'list', nullable: true },
  { name: 'x', type: 'float32', shape: [2, 2], nullable: true },
  { name: 's', type: 'string', nullable: true },
  { name: 'b', type: 'bytes', nullable: true },
  { name: 'd', type: 'decimal', precision: 20, scale: 4, nullable: true },
  { name: 't', type: 'timestamp', unit: 'us', nullable: true },
  { name: 'ok', type: 'bool', nullable: true },
  { name: 'c', type: 'char', nullable: true },
  { name: 'i8', type: 'int8', nullable: true },
]);

const seeds = [
  encodeRows(csvFormat, schema, [
    {
      id: 9223372036854775807n,
      u: [18446744073709551615n, 0n],
      x: [
        [0.1, -0],
        [Number.NaN, -Infinity],
      ],
      s: 'a, "q"\r\n😀',
      b: new Uint8Array([0, 255]),
      d: '-1234567890123456.7890',
      t: -1n,
      ok: true,
      c: '"',
      i8: -128,
    },
    { id: 1n, u: null, x: null, s: '', b: null, d: null, t: null, ok: null, c: null, i8: null },
  ]),
  bytesOf(
    '\uFEFFs,id,extra,u,x\r\n" ",-9223372036854775808,zz,"[9223372036854775807]","[1,2,3,4]"\r\n\r\n,1,,[],"[[1,2],[3,""NaN""]]"\r\n',
  ),
  bytesOf('id,i8\n1,300\n2,\n"3",x\n4,1,2\n5,"1\n'),
];

const alphabet = alphabetOf('""""",,,,\n\n\r;[]-0123456789.eE: TZ tfa sNI\uFEFFé😀');

describe('CSV decoding of hostile input', () => {
  it('ends each of 35,000 mutations of valid CSV in records or a TfstreamError, under fail', async () => {
    const stats = await fuzzDecoder({
      format: csvFormat,
      schema,
      seeds,
      alphabet,
      count: 35_000,
      seed: 0xc5f,
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

  it('skips every bad record of 35,000 mutations of valid CSV to a dead letter, under skip', async () => {
    const thrown: TfstreamError[] = [];
    const stats = await fuzzDecoder({
      format: csvFormat,
      schema,
      seeds,
      alphabet,
      count: 35_000,
      seed: 0xc5f + 1,
      randomShare: 0,
      policy: 'skip',
      onThrow: (error) => thrown.push(error),
    });
    expect(stats.records).toBeGreaterThan(5_000);
    expect(stats.deadLetters).toBeGreaterThan(10_000);
    // Under 'skip' only a bad header, which no record can be decoded without, is thrown.
    expect(thrown.every((e) => e.location.line === 1 && e.location.record === undefined)).toBe(
      true,
    );
  });

  it('ends each of 30,000 random inputs in records or a TfstreamError', async () => {
    const stats = await fuzzDecoder({
      format: csvFormat,
      schema,
      seeds,
      alphabet,
      count: 30_000,
      seed: 0x5eed,
      randomShare: 1,
      sampleEvery: 20,
    });
    expect(stats.inputs).toBe(30_000);
  });
});
