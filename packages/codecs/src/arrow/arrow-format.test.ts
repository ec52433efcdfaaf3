import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DateDay,
  Field as ArrowField,
  Float32,
  Int32,
  Int64,
  Schema as ArrowSchema,
  Timestamp,
  TimeUnit,
  Utf8,
  tableFromIPC,
} from 'apache-arrow';
import type { SampleRecord, Schema, Value } from '@tfstream/schema';
import { defineSchema } from '@tfstream/schema';
import type { DeadLetter } from '../format.js';
import { concatBytes } from '../batch/decode-context.js';
import { RecordBatch } from '../batch/record-batch.js';
import { arbSchemaWithRows, assertSameRows } from '../test-support/arbitraries.js';
import {
  arrowFormat,
  arrowSchemaToSchema,
  batchToArrow,
  arrowToBatch,
  schemaToArrowSchema,
} from './index.js';

/** The stream of `batches` as one byte array. */
function encode(schema: Schema, batches: readonly RecordBatch[]): Uint8Array {
  const encoder = arrowFormat.createEncoder(schema);
  return concatBytes([encoder.start(), ...batches.map((b) => encoder.encode(b)), encoder.end()]);
}

/** `bytes` cut at `cuts`, each piece copied so that no piece shares memory or alignment. */
async function* pieces(
  bytes: Uint8Array,
  cuts: readonly number[] = [],
): AsyncGenerator<Uint8Array> {
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield bytes.slice(start, Math.max(start, cut));
    start = Math.max(start, cut);
  }
  yield bytes.slice(start);
}

async function decodeAll(
  bytes: Uint8Array | AsyncIterable<Uint8Array>,
  schema: Schema,
  options: {
    batchSize?: number;
    onError?: 'fail' | 'skip';
    onDeadLetter?: (l: DeadLetter) => void;
  } = {},
): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  const chunks = bytes instanceof Uint8Array ? pieces(bytes) : bytes;
  for await (const batch of arrowFormat.decode(chunks, { schema, ...options })) {
    out.push(batch);
  }
  return out;
}

function rowsOf(batches: readonly RecordBatch[]): Record<string, Value>[] {
  return batches.flatMap((b) => b.toObjects());
}

async function samples(bytes: Uint8Array, limit?: number): Promise<SampleRecord[]> {
  const out: SampleRecord[] = [];
  for await (const record of arrowFormat.sample(
    pieces(bytes),
    limit === undefined ? {} : { limit },
  )) {
    out.push(record);
  }
  return out;
}

describe('arrowFormat round trip', () => {
  it('decodes what it encodes, bit for bit, for every type and shape', async () => {
    await fc.assert(
      fc.asyncProperty(arbSchemaWithRows({ maxRows: 10 }), async ({ schema, rows }) => {
        const bytes = encode(schema, [RecordBatch.fromRows(schema, rows)]);
        assertSameRows(rowsOf(await decodeAll(bytes, schema)), rows);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes the same when the stream arrives in chunks of any size', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbSchemaWithRows({ maxRows: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async ({ schema, rows }, cutSeeds) => {
          const bytes = encode(schema, [RecordBatch.fromRows(schema, rows)]);
          const cuts = cutSeeds.map((seed) => seed % (bytes.length + 1));
          assertSameRows(rowsOf(await decodeAll(pieces(bytes, cuts), schema)), rows);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the records of several batches in order and splits none beyond batchSize', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbSchemaWithRows({ maxRows: 24 }),
        fc.array(fc.nat(24), { maxLength: 4 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async ({ schema, rows }, splits, batchSize, cutSeeds) => {
          const bounds = [
            0,
            ...splits.map((s) => s % (rows.length + 1)).sort((a, b) => a - b),
            rows.length,
          ];
          const batches = bounds
            .slice(1)
            .map((end, i) => RecordBatch.fromRows(schema, rows.slice(bounds[i], end)));
          const bytes = encode(schema, batches);
          const cuts = cutSeeds.map((seed) => seed % (bytes.length + 1));
          const decoded = await decodeAll(pieces(bytes, cuts), schema, { batchSize });
          for (const batch of decoded) {
            expect(batch.numRows).toBeGreaterThan(0);
            expect(batch.numRows).toBeLessThanOrEqual(batchSize);
          }
          assertSameRows(rowsOf(decoded), rows);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('finds the exact schema again in the stream, and from the Arrow types alone', () => {
    fc.assert(
      fc.property(arbSchemaWithRows({ maxRows: 0 }), ({ schema }) => {
        const arrowSchema = schemaToArrowSchema(schema);
        expect(arrowSchemaToSchema(arrowSchema)).toEqual(schema);
        const bare = new ArrowSchema(arrowSchema.fields);
        expect(arrowSchemaToSchema(bare)).toEqual(schema);
      }),
      { numRuns: 300 },
    );
  });

  it('converts batches to apache-arrow and back without copying numbers', () => {
    fc.assert(
      fc.property(arbSchemaWithRows({ maxRows: 10 }), ({ schema, rows }) => {
        const batch = RecordBatch.fromRows(schema, rows);
        const back = arrowToBatch(batchToArrow(batch), schema);
        assertSameRows(back.toObjects(), rows);
      }),
      { numRuns: 200 },
    );
    const schema = defineSchema([{ name: 'x', type: 'float32', shape: [2] }]);
    const batch = RecordBatch.fromRows(schema, [{ x: [1, 2] }, { x: [3, 4] }]);
    const back = arrowToBatch(batchToArrow(batch));
    expect(back.column('x').values!.buffer).toBe(batch.column('x').values!.buffer);
  });
});

describe('arrowFormat encoding', () => {
  it('writes a stream that tableFromIPC reads with the mapped Arrow types', () => {
    const schema = defineSchema([
      { name: 'image', type: 'float32', shape: [2, 2] },
      { name: 'label', type: 'string' },
      { name: 'id', type: 'int64' },
      { name: 'tags', type: 'int32', shape: 'list', nullable: true },
      { name: 'initial', type: 'char' },
      { name: 'price', type: 'decimal', precision: 12, scale: 2 },
      { name: 'big', type: 'decimal', precision: 50, scale: 0 },
      { name: 'day', type: 'date' },
      { name: 'at', type: 'timestamp', unit: 'us' },
      { name: 'clock', type: 'time', unit: 'ms' },
      { name: 'ok', type: 'bool', nullable: true },
    ]);
    const rows = [
      {
        image: [
          [1, 2],
          [3, 4],
        ],
        label: 'cat',
        id: 9007199254740993n,
        tags: [1, 2],
        initial: 'c',
        price: '-12.50',
        big: '12345678901234567890123456789012345678901234567890',
        day: 19000,
        at: 1700000000000000n,
        clock: 1000n,
        ok: null,
      },
    ];
    const table = tableFromIPC(encode(schema, [RecordBatch.fromRows(schema, rows)]));
    expect(table.schema.fields.map((f) => `${f.name}: ${String(f.type)}`)).toEqual([
      'image: FixedSizeList[4]<Float32>',
      'label: Utf8',
      'id: Int64',
      'tags: List<Int32>',
      'initial: Utf8',
      'price: Decimal[12e+2]',
      'big: Decimal[50e0]',
      'day: Date32<DAY>',
      'at: Timestamp<MICROSECOND, UTC>',
      'clock: Time32<MILLISECOND>',
      'ok: Bool',
    ]);
    const image = table.schema.fields[0]!;
    expect(image.metadata.get('ARROW:extension:name')).toBe('arrow.fixed_shape_tensor');
    expect(JSON.parse(image.metadata.get('ARROW:extension:metadata')!)).toEqual({ shape: [2, 2] });
    expect(table.schema.fields[4]!.metadata.get('tfstream.type')).toBe('char');
    const bitWidth = (i: number): unknown =>
      (table.schema.fields[i]!.type as { bitWidth?: number }).bitWidth;
    expect([bitWidth(5), bitWidth(6)]).toEqual([128, 256]);
    expect(table.get(0)?.toJSON()).toMatchObject({
      label: 'cat',
      id: 9007199254740993n,
      ok: null,
      day: 19000 * 86400000,
    });
    expect([...table.getChild('image')!.get(0)!]).toEqual([1, 2, 3, 4]);
    expect(JSON.parse(table.schema.metadata.get('tfstream.schema')!).fields).toHaveLength(11);
  });

  it('writes an empty stream that reads back as no records', async () => {
    const schema = defineSchema([{ name: 'x', type: 'int32' }]);
    const bytes = encode(schema, []);
    expect(tableFromIPC(bytes).numRows).toBe(0);
    expect(await decodeAll(bytes, schema)).toEqual([]);
  });

  it('refuses a batch of another schema', () => {
    const schema = defineSchema([{ name: 'x', type: 'int32' }]);
    const other = defineSchema([{ name: 'x', type: 'int64' }]);
    const encoder = arrowFormat.createEncoder(schema, { source: 'out.arrows' });
    encoder.start();
    expect(() => encoder.encode(RecordBatch.fromRows(other, [{ x: 1n }]))).toThrow(
      'CODEC_TYPE_MISMATCH: out.arrows: field "x": the batch\'s field "x" int64 is not the stream\'s "x" int32',
    );
  });
});

describe('arrowFormat decoding with a schema', () => {
  const fileSchema = defineSchema([
    { name: 'id', type: 'int64' },
    { name: 'name', type: 'string', nullable: true },
    { name: 'pixels', type: 'uint8', shape: [4] },
  ]);
  const rows = [
    { id: 1n, name: 'a', pixels: [1, 2, 3, 4] },
    { id: 2n, name: null, pixels: [5, 6, 7, 8] },
  ];
  const bytes = encode(fileSchema, [RecordBatch.fromRows(fileSchema, rows)]);

  it('reads the named columns only, in the schema order, and reshapes tensors', async () => {
    const schema = defineSchema([
      { name: 'pixels', type: 'uint8', shape: [2, 2] },
      { name: 'id', type: 'int64' },
    ]);
    assertSameRows(rowsOf(await decodeAll(bytes, schema)), [
      {
        pixels: [
          [1, 2],
          [3, 4],
        ],
        id: 1n,
      },
      {
        pixels: [
          [5, 6],
          [7, 8],
        ],
        id: 2n,
      },
    ]);
  });

  it('reads a nullable field the stream lacks as null', async () => {
    const schema = defineSchema([
      { name: 'id', type: 'int64' },
      { name: 'score', type: 'float64', nullable: true },
    ]);
    assertSameRows(rowsOf(await decodeAll(bytes, schema)), [
      { id: 1n, score: null },
      { id: 2n, score: null },
    ]);
  });

  it('names the field whose type differs, before reading any record', async () => {
    const schema = defineSchema([{ name: 'id', type: 'int32' }]);
    await expect(decodeAll(pieces(bytes), { ...schema })).rejects.toThrow(
      'CODEC_TYPE_MISMATCH: field "id": the Arrow stream has int64, the schema says int32',
    );
    await expect(
      (async () => {
        for await (const _ of arrowFormat.decode(pieces(bytes), {
          schema,
          source: 'data.arrows',
        })) {
          // nothing
        }
      })(),
    ).rejects.toThrow('CODEC_TYPE_MISMATCH: data.arrows: field "id"');
  });

  it('names a non-nullable field the stream lacks', async () => {
    const schema = defineSchema([{ name: 'label', type: 'string' }]);
    await expect(decodeAll(bytes, schema)).rejects.toThrow(
      'CODEC_NULL_VALUE: field "label": the Arrow stream has no column of this name (it has "id", "name", "pixels")',
    );
  });

  it('reads strings as chars, checking each one', async () => {
    const source = defineSchema([{ name: 'c', type: 'string' }]);
    const encoded = encode(source, [
      RecordBatch.fromRows(source, [{ c: 'x' }, { c: 'xy' }, { c: '😀' }]),
    ]);
    const schema = defineSchema([{ name: 'c', type: 'char' }]);
    await expect(decodeAll(encoded, schema)).rejects.toThrow(
      'CODEC_TYPE_MISMATCH: record 2: field "c": expected char (one Unicode code point), got 2 bytes',
    );
    const letters: DeadLetter[] = [];
    const decoded = await decodeAll(encoded, schema, {
      onError: 'skip',
      onDeadLetter: (l) => letters.push(l),
    });
    assertSameRows(rowsOf(decoded), [{ c: 'x' }, { c: '😀' }]);
    expect(letters.map((l) => [l.record, l.error.code])).toEqual([[2, 'CODEC_TYPE_MISMATCH']]);
  });

  it('applies the error policy to nulls in a field the schema says is not nullable', async () => {
    const schema = defineSchema([
      { name: 'id', type: 'int64' },
      { name: 'name', type: 'string' },
    ]);
    const twice = encode(fileSchema, [
      RecordBatch.fromRows(fileSchema, rows),
      RecordBatch.fromRows(fileSchema, [{ id: 3n, name: 'c', pixels: [0, 0, 0, 0] }]),
    ]);
    await expect(decodeAll(twice, schema)).rejects.toThrow(
      'CODEC_NULL_VALUE: record 2: field "name": the field is not nullable but the value is null',
    );
    const letters: DeadLetter[] = [];
    const decoded = await decodeAll(twice, schema, {
      onError: 'skip',
      onDeadLetter: (l) => letters.push(l),
    });
    assertSameRows(rowsOf(decoded), [
      { id: 1n, name: 'a' },
      { id: 3n, name: 'c' },
    ]);
    expect(letters.map((l) => l.record)).toEqual([2]);
  });

  it('hands over the records before a bad one when it fails', async () => {
    const schema = defineSchema([{ name: 'name', type: 'string' }]);
    const seen: Value[] = [];
    await expect(
      (async () => {
        for await (const batch of arrowFormat.decode(pieces(bytes), { schema })) {
          seen.push(...batch.toObjects().map((r) => r.name!));
        }
      })(),
    ).rejects.toThrow('CODEC_NULL_VALUE: record 2');
    expect(seen).toEqual(['a']);
  });
});

describe('arrowFormat.sample', () => {
  it('gives typed cells as the Arrow schema declares them', async () => {
    const schema = defineSchema([
      { name: 'x', type: 'float32', shape: [2, 2] },
      { name: 'at', type: 'timestamp', unit: 'ns', nullable: true },
      { name: 'price', type: 'decimal', precision: 5, scale: 2 },
      { name: 'ids', type: 'int64', shape: 'list' },
    ]);
    const bytes = encode(schema, [
      RecordBatch.fromRows(schema, [
        { x: [1, 2, 3, 4], at: 5n, price: '1.50', ids: [] },
        { x: [0, 0, 0, 0], at: null, price: '-0.01', ids: [7n] },
      ]),
    ]);
    const records = await samples(bytes);
    expect(records).toHaveLength(2);
    expect(records[0]!.get('x')).toEqual({
      kind: 'typed',
      type: 'float32',
      values: [1, 2, 3, 4],
      shape: [2, 2],
    });
    expect(records[0]!.get('at')).toEqual({
      kind: 'typed',
      type: 'timestamp',
      values: [5n],
      shape: 'scalar',
      unit: 'ns',
    });
    expect(records[1]!.get('at')).toBeNull();
    expect(records[1]!.get('price')).toEqual({
      kind: 'typed',
      type: 'decimal',
      values: ['-0.01'],
      shape: 'scalar',
      precision: 5,
      scale: 2,
    });
    expect(records[0]!.get('ids')).toEqual({
      kind: 'typed',
      type: 'int64',
      values: [],
      shape: 'list',
    });
    expect(await samples(bytes, 1)).toHaveLength(1);
  });

  it('maps second timestamps in any timezone to UTC milliseconds', () => {
    const arrowSchema = new ArrowSchema([
      new ArrowField('ok', new Int32()),
      new ArrowField('when', new Timestamp(TimeUnit.SECOND, 'Europe/Paris')),
      new ArrowField('day', new DateDay()),
      new ArrowField('text', new Utf8()),
      new ArrowField('f', new Float32()),
      new ArrowField('i', new Int64()),
    ]);
    expect(arrowSchemaToSchema(arrowSchema).fields.map((f) => [f.name, f.type, f.unit])).toEqual([
      ['ok', 'int32', undefined],
      ['when', 'timestamp', 'ms'],
      ['day', 'date', undefined],
      ['text', 'string', undefined],
      ['f', 'float32', undefined],
      ['i', 'int64', undefined],
    ]);
  });
});

describe('arrowFormat on malformed input', () => {
  const schema = defineSchema([{ name: 'x', type: 'int32' }]);
  const bytes = encode(schema, [RecordBatch.fromRows(schema, [{ x: 1 }, { x: 2 }])]);

  it('names the byte offset where a truncated stream ends', async () => {
    await expect(decodeAll(bytes.subarray(0, bytes.length - 12), schema)).rejects.toThrow(
      /^CODEC_MALFORMED: byte offset \d+: the input ends inside a message body \(\d+ of \d+ bytes\); the stream is truncated$/,
    );
    await expect(decodeAll(bytes.subarray(0, 6), schema)).rejects.toThrow(
      'CODEC_MALFORMED: byte offset 0: the input ends inside a message header; the stream is truncated',
    );
  });

  it('refuses what is not an Arrow stream, and an empty input', async () => {
    const text = new TextEncoder().encode('{"x": 1}\n');
    await expect(decodeAll(text, schema)).rejects.toThrow(
      'CODEC_MALFORMED: byte offset 0: this is not an Arrow IPC stream',
    );
    await expect(decodeAll(new Uint8Array(0), schema)).rejects.toThrow(
      'CODEC_MALFORMED: byte offset 0: the input is empty; an Arrow IPC stream starts with a schema message',
    );
  });

  it('refuses data after the end-of-stream marker', async () => {
    await expect(decodeAll(concatBytes([bytes, bytes]), schema)).rejects.toThrow(
      `CODEC_MALFORMED: byte offset ${bytes.length}: data follows the end-of-stream marker`,
    );
  });

  it('bounds the metadata by limits.maxRecordBytes', async () => {
    const read = async (): Promise<void> => {
      for await (const _ of arrowFormat.decode(pieces(bytes), {
        schema,
        limits: { maxRecordBytes: 16 },
      })) {
        // nothing
      }
    };
    await expect(read()).rejects.toThrow(
      /^CODEC_LIMIT_EXCEEDED: byte offset 0: the message metadata is \d+ bytes, more than the limit of 16/,
    );
  });

  it('names the file in every error', async () => {
    const read = async (): Promise<void> => {
      for await (const _ of arrowFormat.decode(pieces(bytes.subarray(0, 20)), {
        schema,
        source: 'cut.arrows',
      })) {
        // nothing
      }
    };
    await expect(read()).rejects.toThrow(/^CODEC_MALFORMED: cut\.arrows: byte offset 0: /);
  });
});
