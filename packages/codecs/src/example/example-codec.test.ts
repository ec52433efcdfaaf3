import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldJson, Schema, Value } from '@tfstream/schema';
import { defineSchema } from '@tfstream/schema';
import { DecodeContext } from '../batch/decode-context.js';
import type { DeadLetter } from '../format.js';
import { RecordBatch, RecordBatchBuilder } from '../batch/record-batch.js';
import { arbSchemaWithRows, assertSameRows } from '../test-support/arbitraries.js';
import { exampleCodec } from './example-codec.js';
import { sampleExample } from './example-sample.js';
import { ProtoExample, exampleObjectOf, rowOf } from './test-support/reference-example.js';

/** Encodes every row with the codec. */
function encodeAll(batch: RecordBatch): Uint8Array[] {
  return Array.from({ length: batch.numRows }, (_, row) => exampleCodec.encodeRecord(batch, row));
}

/** Decodes records the way a DecodeContext does: all or nothing per record. */
function decodeAll(schema: Schema, records: readonly Uint8Array[]): RecordBatch {
  const builder = new RecordBatchBuilder(schema);
  for (const bytes of records) {
    builder.beginRecord();
    try {
      exampleCodec.decodeRecord(bytes, builder);
      builder.commitRecord();
    } catch (error) {
      builder.rollbackRecord();
      throw error;
    }
  }
  return builder.finish();
}

function decodeRows(schema: Schema, ...records: Uint8Array[]): Record<string, Value>[] {
  return decodeAll(schema, records).toObjects();
}

function protoBytes(object: object): Uint8Array {
  return ProtoExample.encode(ProtoExample.fromObject(object)).finish();
}

/** Protobuf wire bytes from a compact description: numbers are bytes, arrays are nested. */
function bytes(...parts: (number | number[] | Uint8Array | string)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') {
      out.push(part);
    } else if (typeof part === 'string') {
      out.push(...new TextEncoder().encode(part));
    } else {
      out.push(...part);
    }
  }
  return Uint8Array.from(out);
}

function varint(value: bigint | number): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** A length-delimited field. */
function len(tag: number, ...content: (number | number[] | Uint8Array | string)[]): number[] {
  const body = bytes(...content);
  return [tag, ...varint(body.length), ...body];
}

/** An Example of the given map entries. */
function example(...entries: number[][]): Uint8Array {
  return bytes(len(0x0a, ...entries.map((entry) => len(0x0a, entry))));
}

/** A map entry: key, then a Feature with the given content. */
function entry(key: string, ...feature: (number | number[])[]): number[] {
  return [...len(0x0a, key), ...len(0x12, ...feature)];
}

const int64List = (...content: (number | number[])[]): number[] => len(0x1a, ...content);
const floatList = (...content: (number | number[])[]): number[] => len(0x12, ...content);
const bytesList = (...content: (number | number[])[]): number[] => len(0x0a, ...content);

function float32Bytes(...values: number[]): number[] {
  return [...new Uint8Array(new Float32Array(values).buffer)];
}

describe('exampleCodec', () => {
  it('decodes what it encodes, for every type and shape, bit for bit', () => {
    fc.assert(
      fc.property(arbSchemaWithRows(), ({ schema, rows }) => {
        exampleCodec.checkSchema(schema);
        const batch = RecordBatch.fromRows(schema, rows);
        assertSameRows(decodeAll(schema, encodeAll(batch)).toObjects(), rows);
      }),
      { numRuns: 400 },
    );
  });

  it('writes bytes that protobufjs, reading the official .proto files, decodes to the same values', () => {
    fc.assert(
      fc.property(arbSchemaWithRows(), ({ schema, rows }) => {
        const batch = RecordBatch.fromRows(schema, rows);
        encodeAll(batch).forEach((record, i) => {
          const message = ProtoExample.decode(record);
          const object = ProtoExample.toObject(message, { longs: String, arrays: true });
          assertSameRows([rowOf(schema, object)], [rows[i]]);
          // protobufjs writes map entries in insertion (here: schema) order and packs lists as
          // TensorFlow does, so its re-encoding is byte for byte ours.
          expect(Uint8Array.from(ProtoExample.encode(message).finish())).toEqual(record);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('reads bytes that protobufjs writes', () => {
    fc.assert(
      fc.property(arbSchemaWithRows(), ({ schema, rows }) => {
        const records = rows.map((row) => protoBytes(exampleObjectOf(schema, row)));
        assertSameRows(decodeAll(schema, records).toObjects(), rows);
      }),
      { numRuns: 300 },
    );
  });

  it('writes features in schema order, leaves out nulls and packs int64 and float lists', () => {
    const schema = defineSchema([
      { name: 'b', type: 'int64', shape: 'list' },
      { name: 'a', type: 'float32', shape: [2] },
      { name: 'n', type: 'string', nullable: true },
    ]);
    const batch = RecordBatch.fromRows(schema, [{ b: [1n, -1n], a: [1.5, -2], n: null }]);
    expect(exampleCodec.encodeRecord(batch, 0)).toEqual(
      example(
        entry('b', int64List(len(0x0a, 1, ...varint(-1n)))),
        entry('a', floatList(len(0x0a, float32Bytes(1.5, -2)))),
      ),
    );
  });

  it('writes float64 as one bytes_list value of 8 little-endian bytes per element', () => {
    const schema = defineSchema([{ name: 'x', type: 'float64', shape: 'list' }]);
    const batch = RecordBatch.fromRows(schema, [{ x: [1, -0] }, { x: [] }]);
    const expected = new Uint8Array(new Float64Array([1, -0]).buffer);
    expect(exampleCodec.encodeRecord(batch, 0)).toEqual(
      example(entry('x', bytesList(len(0x0a, expected)))),
    );
    expect(exampleCodec.encodeRecord(batch, 1)).toEqual(example(entry('x', bytesList(0x0a, 0))));
  });

  it('writes uint64 as the same 64 bits in int64_list', () => {
    const schema = defineSchema([{ name: 'u', type: 'uint64' }]);
    const batch = RecordBatch.fromRows(schema, [{ u: 18446744073709551615n }]);
    expect(exampleCodec.encodeRecord(batch, 0)).toEqual(
      example(entry('u', int64List(len(0x0a, varint(-1n))))),
    );
  });

  it('accepts unpacked int64 and float lists, and packed and unpacked mixed', () => {
    const schema = defineSchema([
      { name: 'i', type: 'int32', shape: 'list' },
      { name: 'f', type: 'float32', shape: 'list' },
    ]);
    const record = example(
      entry('i', int64List(0x08, varint(-5), 0x0a, 2, 7, 8, 0x08, 9)),
      entry('f', floatList(0x0d, float32Bytes(0.5), len(0x0a, float32Bytes(1, 2)))),
    );
    expect(decodeRows(schema, record)).toEqual([{ i: [-5, 7, 8, 9], f: [0.5, 1, 2] }]);
  });

  it('skips unknown fields of every wire type, groups included, at every level', () => {
    const schema = defineSchema([{ name: 'x', type: 'int64' }]);
    const unknown = [
      ...[0x78, ...varint(-1n)], // field 15, varint
      ...[0x79, 1, 2, 3, 4, 5, 6, 7, 8], // field 15, fixed64
      ...len(0x7a, 'junk'), // field 15, length-delimited
      ...[0x7d, 1, 2, 3, 4], // field 15, fixed32
      ...[0x7b, 0x08, 1, 0x83, 0x01, 0x84, 0x01, 0x7c], // group 15 holding group 16
    ];
    const record = bytes(
      unknown,
      len(
        0x0a,
        unknown,
        len(
          0x0a,
          unknown,
          len(0x0a, 'x'),
          unknown,
          len(0x12, unknown, int64List(unknown, 0x08, 42)),
        ),
      ),
      unknown,
    );
    expect(decodeRows(schema, record)).toEqual([{ x: 42n }]);
  });

  it('keeps the last entry of a key and merges repeated Features and lists as protobuf does', () => {
    const schema = defineSchema([
      { name: 'x', type: 'int64', shape: 'list' },
      { name: 'y', type: 'float32', shape: 'list', nullable: true },
    ]);
    const record = bytes(
      len(0x0a, len(0x0a, entry('x', int64List(0x08, 1))), len(0x0a, entry('y', floatList()))),
      // A second Features message merges into the first; its entry for x replaces the first one.
      len(0x0a, len(0x0a, entry('x', int64List(0x08, 2), int64List(0x08, 3)))),
    );
    expect(decodeRows(schema, record)).toEqual([{ x: [2n, 3n], y: [] }]);
    // A Feature that sets the oneof twice keeps the kind set last.
    const twice = example(entry('x', floatList(0x0d, float32Bytes(1)), int64List(0x08, 7)));
    expect(decodeRows(schema, twice)).toEqual([{ x: [7n], y: null }]);
  });

  it('reads a map entry with its value before its key, or with no value', () => {
    const schema = defineSchema([
      { name: 'x', type: 'int64' },
      { name: 'y', type: 'int64', nullable: true },
    ]);
    const record = bytes(
      len(
        0x0a,
        len(0x0a, len(0x12, int64List(0x08, 5)), len(0x0a, 'x')),
        len(0x0a, len(0x0a, 'y')),
      ),
    );
    expect(decodeRows(schema, record)).toEqual([{ x: 5n, y: null }]);
  });

  it('ignores features the schema does not name', () => {
    const schema = defineSchema([{ name: 'keep', type: 'int64' }]);
    const record = example(
      entry('drop', floatList(0x0d, float32Bytes(1))),
      entry('keep', int64List(0x08, 1)),
      entry('kee', int64List(0x08, 2)),
      entry('keep2', bytesList(len(0x0a, 'x'))),
    );
    expect(decodeRows(schema, record)).toEqual([{ keep: 1n }]);
  });

  it('reads an absent feature and a feature with no list as null, an empty list as []', () => {
    const schema = defineSchema([
      { name: 'absent', type: 'int64', shape: 'list', nullable: true },
      { name: 'empty', type: 'string', nullable: true },
      { name: 'list', type: 'float32', shape: 'list', nullable: true },
    ]);
    const record = example(entry('empty'), entry('list', floatList()));
    expect(decodeRows(schema, record)).toEqual([{ absent: null, empty: null, list: [] }]);
    expect(decodeRows(schema, bytes())).toEqual([{ absent: null, empty: null, list: null }]);
  });

  it('rejects a missing value of a field that is not nullable, naming the field', () => {
    const schema = defineSchema([{ name: 'label', type: 'int64' }]);
    expect(() => decodeRows(schema, example(entry('label')))).toThrow(
      'CODEC_NULL_VALUE: field "label"',
    );
    expect(() => decodeRows(schema, example())).toThrow('CODEC_NULL_VALUE: field "label"');
  });

  it('rejects a scalar or tensor with the wrong number of values', () => {
    const scalar = defineSchema([{ name: 'x', type: 'int64' }]);
    expect(() => decodeRows(scalar, example(entry('x', int64List())))).toThrow(
      'CODEC_SHAPE_MISMATCH: field "x": expected one value, got 0',
    );
    const tensor = defineSchema([{ name: 't', type: 'float64', shape: [2, 2] }]);
    const threeDoubles = new Uint8Array(new Float64Array([1, 2, 3]).buffer);
    expect(() =>
      decodeRows(tensor, example(entry('t', bytesList(len(0x0a, threeDoubles))))),
    ).toThrow('CODEC_SHAPE_MISMATCH: field "t": expected 4 values for shape [2, 2], got 3');
  });

  it('rejects a feature of another kind, naming the field and the kind found', () => {
    const schema = defineSchema([{ name: 'age', type: 'int32' }]);
    expect(() =>
      decodeRows(schema, example(entry('age', floatList(0x0d, float32Bytes(1))))),
    ).toThrow(
      'CODEC_TYPE_MISMATCH: field "age": expected int64_list (how tf.Example carries int32), got float_list',
    );
  });

  it('range-checks int64_list values into narrow types', () => {
    const cases: [FieldJson['type'], bigint, string | undefined][] = [
      ['int16', 70000n, '70000 is out of range for int16'],
      ['int16', -32768n, undefined],
      ['int8', -129n, '-129 is out of range for int8'],
      ['uint8', -1n, '-1 is out of range for uint8'],
      ['uint32', 4294967295n, undefined],
      ['uint32', 4294967296n, '4294967296 is out of range for uint32'],
      ['int32', -2147483649n, '-2147483649 is out of range for int32'],
      ['date', -2147483648n, undefined],
      ['bool', 2n, 'expected bool as 0 or 1, got 2'],
      ['bool', -1n, 'expected bool as 0 or 1, got -1'],
    ];
    for (const [type, value, message] of cases) {
      const schema = defineSchema([{ name: 'v', type }]);
      const record = example(entry('v', int64List(0x08, varint(value))));
      if (message === undefined) {
        const [row] = decodeRows(schema, record);
        expect(row!.v).toBe(Number(value));
      } else {
        expect(() => decodeRows(schema, record)).toThrow(
          `CODEC_TYPE_MISMATCH: field "v": ${message}`,
        );
      }
    }
  });

  it('reads uint64 as the int64 bits, and rejects a time outside the day', () => {
    const uint64 = defineSchema([{ name: 'u', type: 'uint64', shape: 'list' }]);
    const record = example(entry('u', int64List(len(0x0a, varint(-1n), varint(-(2n ** 63n))))));
    expect(decodeRows(uint64, record)).toEqual([{ u: [2n ** 64n - 1n, 2n ** 63n] }]);
    const time = defineSchema([{ name: 't', type: 'time', unit: 'us' }]);
    expect(() =>
      decodeRows(time, example(entry('t', int64List(0x08, varint(86400000000n))))),
    ).toThrow('CODEC_TYPE_MISMATCH: field "t": 86400000000 us is not a time of day');
    expect(() => decodeRows(time, example(entry('t', int64List(0x08, varint(-1n)))))).toThrow(
      'is not a time of day',
    );
  });

  it('keeps float32 NaN payloads and -0 bit for bit', () => {
    const schema = defineSchema([{ name: 'f', type: 'float32', shape: 'list' }]);
    const wire = [0x01, 0x00, 0xc0, 0x7f, 0, 0, 0, 0x80, 0x00, 0x00, 0x80, 0xff];
    const many = Array.from({ length: 40 }, () => wire).flat();
    for (const payload of [wire, many]) {
      const batch = decodeAll(schema, [example(entry('f', floatList(len(0x0a, payload))))]);
      const values = batch.column('f').values as Float32Array;
      expect([...new Uint8Array(values.buffer, values.byteOffset, values.byteLength)]).toEqual(
        payload,
      );
      expect(exampleCodec.encodeRecord(batch, 0)).toEqual(
        example(entry('f', floatList(len(0x0a, payload)))),
      );
    }
  });

  it('reads floats at any alignment of the input', () => {
    const schema = defineSchema([{ name: 'f', type: 'float32', shape: 'list' }]);
    const values = Array.from({ length: 50 }, (_, i) => Math.fround(i / 7));
    const record = example(entry('f', floatList(len(0x0a, float32Bytes(...values)))));
    for (let shift = 0; shift < 4; shift++) {
      const padded = new Uint8Array(record.length + shift);
      padded.set(record, shift);
      expect(decodeRows(schema, padded.subarray(shift))).toEqual([{ f: values }]);
    }
  });

  it('requires valid UTF-8 for strings, one code point for char, and decimal text', () => {
    const string = defineSchema([{ name: 's', type: 'string' }]);
    const bad = example(entry('s', bytesList(len(0x0a, [0x61, 0xc3, 0x28]))));
    expect(() => decodeRows(string, bad)).toThrow(
      'CODEC_TYPE_MISMATCH: field "s": a bytes_list value of 3 bytes is not valid UTF-8 (at byte 1); declare the field as bytes',
    );
    for (const invalid of [
      [0xed, 0xa0, 0x80],
      [0xc0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
    ]) {
      expect(() => decodeRows(string, example(entry('s', bytesList(len(0x0a, invalid)))))).toThrow(
        'not valid UTF-8',
      );
    }
    expect(decodeRows(string, example(entry('s', bytesList(len(0x0a, '😀 ü€')))))).toEqual([
      { s: '😀 ü€' },
    ]);
    const char = defineSchema([{ name: 'c', type: 'char' }]);
    expect(decodeRows(char, example(entry('c', bytesList(len(0x0a, '😀')))))).toEqual([
      { c: '😀' },
    ]);
    expect(() => decodeRows(char, example(entry('c', bytesList(len(0x0a, 'ab')))))).toThrow(
      'CODEC_TYPE_MISMATCH: field "c": expected char (one Unicode code point',
    );
    expect(() => decodeRows(char, example(entry('c', bytesList(len(0x0a)))))).toThrow(
      'CODEC_TYPE_MISMATCH: field "c"',
    );
    const decimal = defineSchema([{ name: 'd', type: 'decimal', precision: 5, scale: 2 }]);
    expect(decodeRows(decimal, example(entry('d', bytesList(len(0x0a, '12.5')))))).toEqual([
      { d: '12.50' },
    ]);
    expect(() => decodeRows(decimal, example(entry('d', bytesList(len(0x0a, '1.234')))))).toThrow(
      'CODEC_TYPE_MISMATCH: field "d"',
    );
  });

  it('requires float64 values of 8 bytes per element', () => {
    const schema = defineSchema([{ name: 'x', type: 'float64', shape: 'list' }]);
    expect(() => decodeRows(schema, example(entry('x', bytesList(len(0x0a, [1, 2, 3])))))).toThrow(
      'CODEC_TYPE_MISMATCH: field "x": expected float64 as 8 little-endian bytes per element in one bytes_list value, got a value of 3 bytes',
    );
  });

  it('rejects malformed wire bytes with CODEC_MALFORMED, naming the feature when known', () => {
    const schema = defineSchema([{ name: 'x', type: 'int64', shape: 'list' }]);
    const cases: [Uint8Array, string][] = [
      [bytes(0x0a, 5, 0x0a), 'CODEC_MALFORMED: a length of 5 bytes at byte 2 runs past the end'],
      [bytes(0x0a, 0xff, 0xff, 0xff, 0xff, 0x7f), 'CODEC_MALFORMED: a varint at byte'],
      [bytes(0x00), 'CODEC_MALFORMED: invalid field tag 0'],
      [bytes(0x0f), 'CODEC_MALFORMED: wire type 7 of field 1'],
      [bytes(0x08), 'CODEC_MALFORMED: the message ends in the middle of a field'],
      [bytes(0x0c), 'CODEC_MALFORMED: wire type 4 of field 1'],
      [
        example(entry('x', int64List(0x0a, 2, 0x80, 0x80))),
        'CODEC_MALFORMED: field "x": a packed int64_list ends in the middle of a varint',
      ],
      [
        example(entry('x', int64List(0x08, Array(10).fill(0xff), 1))),
        'CODEC_MALFORMED: field "x": a varint at byte',
      ],
      [
        example([...len(0x0a, 'x'), 0x12, 9, 0x1a]),
        'CODEC_MALFORMED: field "x": a length of 9 bytes',
      ],
      [
        example(entry('x', [0x1b, 0x08, 1])),
        'CODEC_MALFORMED: field "x": the message ends in the middle of a field',
      ],
    ];
    for (const [record, message] of cases) {
      expect(() => decodeRows(schema, record)).toThrow(message);
    }
    const deep = bytes(Array(200).fill(0x0b), Array(200).fill(0x0c));
    expect(() => decodeRows(schema, deep)).toThrow(
      'CODEC_MALFORMED: groups nested more than 100 deep',
    );
  });

  it('leaves nothing of a record that fails halfway', () => {
    const schema = defineSchema([
      { name: 'a', type: 'string' },
      { name: 'b', type: 'int8' },
    ]);
    const good = example(entry('a', bytesList(len(0x0a, 'ok'))), entry('b', int64List(0x08, 1)));
    const bad = example(
      entry('a', bytesList(len(0x0a, 'no'))),
      entry('b', int64List(0x08, varint(200))),
    );
    const letters: DeadLetter[] = [];
    const ctx = new DecodeContext({
      schema,
      onError: 'skip',
      onDeadLetter: (letter) => letters.push(letter),
    });
    for (const record of [good, bad, good]) {
      ctx.decodeRecord((builder) => exampleCodec.decodeRecord(record, builder), record);
    }
    expect(ctx.flush()!.toObjects()).toEqual([
      { a: 'ok', b: 1 },
      { a: 'ok', b: 1 },
    ]);
    expect(letters.map((letter) => letter.error.message)).toEqual([
      'CODEC_TYPE_MISMATCH: record 2: field "b": 200 is out of range for int8',
    ]);
  });
});

describe('sampleExample', () => {
  it('reads every feature with the type its kind declares, and a feature with no list as null', () => {
    const record = example(
      entry('i', int64List(len(0x0a, varint(-1n), 5), 0x08, 6)),
      entry('f', floatList(len(0x0a, float32Bytes(0.5)), 0x0d, float32Bytes(-0))),
      entry('b', bytesList(len(0x0a, 'hi'), len(0x0a))),
      entry('none'),
      entry('empty', int64List()),
    );
    const cells = sampleExample(record);
    expect([...cells.keys()]).toEqual(['i', 'f', 'b', 'none', 'empty']);
    expect(cells.get('i')).toEqual({ kind: 'typed', type: 'int64', values: [-1n, 5n, 6n] });
    expect(cells.get('f')).toEqual({ kind: 'typed', type: 'float32', values: [0.5, -0] });
    expect(cells.get('b')).toEqual({
      kind: 'typed',
      type: 'bytes',
      values: [new TextEncoder().encode('hi'), new Uint8Array(0)],
    });
    expect(cells.get('none')).toBeNull();
    expect(cells.get('empty')).toEqual({ kind: 'typed', type: 'int64', values: [] });
  });

  it('rejects malformed bytes with CODEC_MALFORMED naming the feature', () => {
    expect(() => sampleExample(example(entry('x', floatList(len(0x0a, [1, 2, 3])))))).toThrow(
      'CODEC_MALFORMED: field "x"',
    );
  });
});
