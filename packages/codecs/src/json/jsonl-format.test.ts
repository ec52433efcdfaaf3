import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineSchema, isTfstreamError } from '@tfstream/schema';
import { DecodeContext } from '../batch/decode-context.js';
import { RecordBatch } from '../batch/record-batch.js';
import { arbSchemaWithRows, assertSameRows } from '../test-support/arbitraries.js';
import {
  arbChunking,
  bytesOf,
  collect,
  decodeOutcome,
  decodeRows,
  encodeRows,
  everyN,
  splitAt,
  streamOf,
} from '../test-support/chunks.js';
import { formatJsonRecord, jsonCodec } from './json-record.js';
import { formatJsonValue, toJsonValue } from './json-value.js';
import { jsonlFormat } from './jsonl-format.js';

const text = new TextDecoder();

describe('jsonlFormat', () => {
  it('decodes what it encodes, bit for bit, for every type and shape, however it is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbSchemaWithRows(),
        fc.nat(),
        arbChunking,
        fc.integer({ min: 1, max: 5 }),
        async ({ schema, rows }, cut, chunking, batchSize) => {
          const bytes = encodeRows(jsonlFormat, schema, rows, cut);
          const decoded = await decodeRows(jsonlFormat, chunking(bytes), { schema, batchSize });
          assertSameRows(decoded, rows);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('decodes a document cut at every byte, inside characters and between CR and LF', async () => {
    const schema = defineSchema([
      { name: 's', type: 'string', nullable: true },
      { name: 'n', type: 'int64', shape: 'list' },
    ]);
    const bytes = bytesOf(
      '\uFEFF{"s":"ü€😀\\n","n":[9223372036854775807]}\r\n\r\n{"n":[],"s":null}\n  \n{"s":"","n":["-9223372036854775808",1]}',
    );
    const expected = [
      { s: 'ü€😀\n', n: [9223372036854775807n] },
      { s: null, n: [] },
      { s: '', n: [-9223372036854775808n, 1n] },
    ];
    for (let i = 0; i <= bytes.length; i++) {
      assertSameRows(await decodeRows(jsonlFormat, splitAt(bytes, [i]), { schema }), expected);
      assertSameRows(
        await decodeRows(jsonlFormat, splitAt(bytes, [i, i + 1]), { schema }),
        expected,
      );
    }
    assertSameRows(await decodeRows(jsonlFormat, everyN(bytes, 1), { schema }), expected);
  });

  it('keeps 64-bit integers exact when they are written as bare numbers', async () => {
    const schema = defineSchema([
      { name: 'a', type: 'int64' },
      { name: 'b', type: 'uint64' },
      { name: 'c', type: 'int64', shape: [2] },
      { name: 'd', type: 'decimal', precision: 25, scale: 22 },
      { name: 't', type: 'timestamp', unit: 'ns' },
    ]);
    const line =
      '{"a": 9223372036854775807, "b": 18446744073709551615, "c": [-9223372036854775808, 9007199254740993], "d": 0.1000000000000000000001, "t": 9223372036854775807}\n';
    const rows = await decodeRows(jsonlFormat, [bytesOf(line)], { schema });
    assertSameRows(rows, [
      {
        a: 9223372036854775807n,
        b: 18446744073709551615n,
        c: [-9223372036854775808n, 9007199254740993n],
        d: '0.1000000000000000000001',
        t: 9223372036854775807n,
      },
    ]);
    const written = text.decode(encodeRows(jsonlFormat, schema, rows));
    expect(written).toBe(
      '{"a":"9223372036854775807","b":"18446744073709551615","c":["-9223372036854775808","9007199254740993"],"d":"0.1000000000000000000001","t":"2262-04-11T23:47:16.854775807Z"}\n',
    );
  });

  it('writes each type in its JSON form, keys in schema order', () => {
    const schema = defineSchema([
      { name: 'z', type: 'float32', shape: 'list' },
      { name: 'a', type: 'int16' },
      { name: 'b', type: 'bytes' },
      { name: 'd', type: 'date', nullable: true },
      { name: 't', type: 'time' },
      { name: 'c', type: 'char' },
      { name: 'ok', type: 'bool' },
    ]);
    const bytes = encodeRows(jsonlFormat, schema, [
      {
        ok: true,
        c: '"',
        t: 1n,
        d: null,
        b: new Uint8Array([1, 2, 3]),
        a: -5,
        z: [Math.fround(0.1), -0, Number.NaN, Infinity, -Infinity],
      },
    ]);
    expect(text.decode(bytes)).toBe(
      '{"z":[0.1,-0,"NaN","Infinity","-Infinity"],"a":-5,"b":"AQID","d":null,"t":"00:00:00.001","c":"\\"","ok":true}\n',
    );
  });

  it('reads keys in any order, ignores keys that are not fields and reads absent keys as null', async () => {
    const schema = defineSchema([
      { name: 'a', type: 'int32', nullable: true },
      { name: 'toString', type: 'string', nullable: true },
      { name: 'b', type: 'float64' },
    ]);
    const rows = await decodeRows(
      jsonlFormat,
      [bytesOf('{"extra": {"deep": [1]}, "b": "NaN"}\n{"b": -0, "a": 7, "toString": "x"}\n')],
      { schema },
    );
    assertSameRows(rows, [
      { a: null, toString: null, b: Number.NaN },
      { a: 7, toString: 'x', b: -0 },
    ]);
  });

  it('rejects 70000 for an int16 field, naming file, record and field', async () => {
    const schema = defineSchema([{ name: 'age', type: 'int16' }]);
    await expect(
      decodeRows(jsonlFormat, [bytesOf('{"age": 1}\n{"age": 70000}\n')], {
        schema,
        source: 'data.jsonl',
      }),
    ).rejects.toThrow(
      'CODEC_TYPE_MISMATCH: data.jsonl: record 2: field "age": 70000 is out of range for int16',
    );
  });

  it('names the line of malformed JSON and of a line that is not an object', async () => {
    const schema = defineSchema([{ name: 'a', type: 'int32', nullable: true }]);
    await expect(
      decodeRows(jsonlFormat, [bytesOf('{"a": 1}\n\n{"a": 2,}\n')], {
        schema,
        source: 'data.jsonl',
      }),
    ).rejects.toThrow(/^CODEC_MALFORMED: data\.jsonl: record 2: line 3 is not valid JSON \(/);
    await expect(
      decodeRows(jsonlFormat, [bytesOf('[1, 2]')], { schema, source: 'data.jsonl' }),
    ).rejects.toThrow(
      'CODEC_MALFORMED: data.jsonl: record 1: line 1 is not a JSON object; each record must be one object such as {"field": value}',
    );
    await expect(
      decodeRows(jsonlFormat, [new Uint8Array([0x7b, 0xff, 0x7d])], { schema }),
    ).rejects.toThrow('CODEC_MALFORMED: record 1: line 1 is not valid UTF-8');
  });

  it('yields the records before a bad one, then fails with its error', async () => {
    const schema = defineSchema([{ name: 'a', type: 'int8' }]);
    const lines = ['1', '2', '3', '4', '5', '300', '7'].map((a) => `{"a": ${a}}\n`).join('');
    const { rows, error } = await decodeOutcome(jsonlFormat, [bytesOf(lines)], {
      schema,
      batchSize: 2,
    });
    expect(rows).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }, { a: 5 }]);
    expect(isTfstreamError(error, 'CODEC_TYPE_MISMATCH')).toBe(true);
    expect((error as Error).message).toBe(
      'CODEC_TYPE_MISMATCH: record 6: field "a": 300 is out of range for int8',
    );
  });

  it('skips bad records to dead letters with their bytes, and goes on', async () => {
    const schema = defineSchema([{ name: 'a', type: 'int8' }]);
    const input = '{"a": 1}\n{"a": 300}\r\n{oops\n' + `{"a": "${'x'.repeat(100)}"}\n{"a": 2}`;
    const { rows, dead, error } = await decodeOutcome(jsonlFormat, everyN(bytesOf(input), 5), {
      schema,
      onError: 'skip',
      limits: { maxRecordBytes: 64 },
    });
    expect(error).toBeUndefined();
    expect(rows).toEqual([{ a: 1 }, { a: 2 }]);
    expect(dead.map((d) => [d.record, d.error.code, d.raw && text.decode(d.raw)])).toEqual([
      [2, 'CODEC_TYPE_MISMATCH', '{"a": 300}'],
      [3, 'CODEC_MALFORMED', '{oops'],
      [4, 'CODEC_LIMIT_EXCEEDED', undefined],
    ]);
    expect(dead[2]!.error.message).toBe(
      'CODEC_LIMIT_EXCEEDED: record 4: the record starting on line 4 is longer than 64 bytes; raise limits.maxRecordBytes if it is genuine',
    );
  });

  it('samples records as JSON cells, keys in first-seen order, null for null and absent', async () => {
    const samples = await collect(
      jsonlFormat.sample(
        streamOf([
          bytesOf('{"b": 1, "2": "x"}\n\n{"a": null, "b": 9007199254740993}\n{"c": [1]}\n'),
        ]),
        {
          limit: 2,
        },
      ),
    );
    expect(samples.map((s) => [...s.entries()])).toEqual([
      [
        ['b', { kind: 'json', value: 1 }],
        ['2', { kind: 'json', value: 'x' }],
      ],
      [
        ['b', { kind: 'json', value: 9007199254740992 }],
        ['2', null],
        ['a', null],
      ],
    ]);
    await expect(
      collect(
        jsonlFormat.sample(streamOf([bytesOf('{"a": 1}\n{"a": }\n')]), { source: 'x.jsonl' }),
      ),
    ).rejects.toThrow('CODEC_MALFORMED: x.jsonl: record 2: line 2: invalid JSON at character 7');
  });

  it('names itself and its file endings', () => {
    expect(jsonlFormat.name).toBe('jsonl');
    expect(jsonlFormat.mediaType).toBe('application/x-ndjson');
    expect([...jsonlFormat.extensions].sort()).toEqual(['.json', '.jsonl', '.ndjson']);
  });
});

describe('jsonCodec and formatJsonRecord', () => {
  it('encode and decode one record at a time, bit for bit', () => {
    fc.assert(
      fc.property(arbSchemaWithRows(), ({ schema, rows }) => {
        const batch = RecordBatch.fromRows(schema, rows);
        const ctx = new DecodeContext({ schema, batchSize: 1 << 20 });
        for (let row = 0; row < batch.numRows; row++) {
          const bytes = jsonCodec.encodeRecord(batch, row);
          ctx.decodeRecord((builder) => jsonCodec.decodeRecord(bytes, builder), bytes);
          // formatJsonRecord is the same text as the JSON form of each value.
          const values = Object.fromEntries(
            schema.fields.map((f) => [f.name, toJsonValue(f, rows[row]![f.name]!)]),
          );
          expect(formatJsonRecord(batch, row)).toBe(formatJsonValue(values));
        }
        assertSameRows(ctx.flush()?.toObjects() ?? [], rows);
      }),
      { numRuns: 300 },
    );
  });

  it('throws errors without file or record, for the caller to locate', () => {
    const schema = defineSchema([{ name: 'a', type: 'uint8' }]);
    const ctx = new DecodeContext({ schema, source: 'frames.tfrecord' });
    const bytes = bytesOf('{"a": -1}');
    expect(() => jsonCodec.decodeRecord(bytes, ctx.builder)).toThrow(
      /^CODEC_TYPE_MISMATCH: field "a": -1 is out of range for uint8$/,
    );
    expect(() => ctx.decodeRecord((b) => jsonCodec.decodeRecord(bytes, b))).toThrow(
      'CODEC_TYPE_MISMATCH: frames.tfrecord: record 1: field "a": -1 is out of range for uint8',
    );
  });
});
