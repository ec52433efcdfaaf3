import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Data, Vector } from 'apache-arrow';
import {
  Binary,
  DateMillisecond,
  Decimal,
  Field as ArrowField,
  FixedSizeBinary,
  FixedSizeList,
  Float16,
  Float64,
  Int32,
  LargeUtf8,
  List,
  RecordBatch as ArrowRecordBatch,
  Schema as ArrowSchema,
  Struct,
  Table,
  TimeSecond,
  TimestampSecond,
  Uint64,
  Utf8,
  Utf8View,
  makeData,
  tableFromArrays,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import type { Schema, Value } from '@tfstream/schema';
import { defineSchema } from '@tfstream/schema';
import { RecordBatch } from '../batch/record-batch.js';
import { arbSchemaWithRows, assertSameRows } from '../test-support/arbitraries.js';
import { arrowFormat, arrowSchemaToSchema, arrowToBatch, batchToArrow } from './index.js';

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Every record of an IPC stream or file, read with `schema` or the schema it declares. */
async function readRows(bytes: Uint8Array, schema?: Schema): Promise<Record<string, Value>[]> {
  let target = schema;
  if (target === undefined) {
    for await (const _ of arrowFormat.sample(once(bytes), { limit: 0 })) {
      // The schema is all that is needed.
    }
    target = arrowSchemaToSchema((await import('apache-arrow')).tableFromIPC(bytes).schema);
  }
  const rows: Record<string, Value>[] = [];
  for await (const batch of arrowFormat.decode(once(bytes), { schema: target })) {
    rows.push(...batch.toObjects());
  }
  return rows;
}

function tableOf(fields: Record<string, Vector>): Table {
  const arrowFields = Object.entries(fields).map(
    ([name, vector]) => new ArrowField(name, vector.type, true),
  );
  const children = Object.values(fields).map((vector) => vector.data[0] as Data);
  const data = makeData({
    type: new Struct(arrowFields),
    length: children[0]!.length,
    nullCount: 0,
    children,
  });
  return new Table([new ArrowRecordBatch(new ArrowSchema(arrowFields), data)]);
}

describe('Arrow written by apache-arrow itself', () => {
  const table = tableFromArrays({
    f32: Float32Array.of(1.5, -2, 3),
    i64: BigInt64Array.of(1n, -2n, 9007199254740993n),
    label: ['cat', 'dog', 'cat'],
    flag: [true, null, false],
    score: [0.5, null, 2],
  });
  const expected = [
    { f32: 1.5, i64: 1n, label: 'cat', flag: true, score: 0.5 },
    { f32: -2, i64: -2n, label: 'dog', flag: null, score: null },
    { f32: 3, i64: 9007199254740993n, label: 'cat', flag: false, score: 2 },
  ];

  it('maps its types, decoding dictionary-encoded strings to their values', () => {
    expect(
      arrowSchemaToSchema(table.schema).fields.map((f) => [f.name, f.type, f.nullable]),
    ).toEqual([
      ['f32', 'float32', false],
      ['i64', 'int64', false],
      ['label', 'string', true],
      ['flag', 'bool', true],
      ['score', 'float64', true],
    ]);
  });

  it('reads the IPC stream format from tableToIPC', async () => {
    assertSameRows(await readRows(tableToIPC(table, 'stream')), expected);
  });

  it('reads the IPC file format from tableToIPC, whose schema is in the footer only', async () => {
    assertSameRows(await readRows(tableToIPC(table, 'file')), expected);
  });

  it('samples typed cells without a schema', async () => {
    const records = [];
    for await (const record of arrowFormat.sample(once(tableToIPC(table)))) {
      records.push(record);
    }
    expect(records).toHaveLength(3);
    expect(records[1]!.get('label')).toEqual({
      kind: 'typed',
      type: 'string',
      values: ['dog'],
      shape: 'scalar',
    });
    expect(records[1]!.get('flag')).toBeNull();
  });

  it('reads lists with null records, tensors without extension metadata and wide types', async () => {
    const fixed = new FixedSizeList(2, new ArrowField('item', new Float64(), false));
    const bytes = tableToIPC(
      tableOf({
        list: vectorFromArray(
          [[1, 2], null, []],
          new List(new ArrowField('item', new Int32(), true)),
        ),
        pair: vectorFromArray(
          [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
          fixed,
        ),
        big: vectorFromArray([0n, 18446744073709551615n, 1n], new Uint64()),
        blob: vectorFromArray([Uint8Array.of(1), Uint8Array.of(), null], new Binary()),
        text: vectorFromArray(['ü', null, '😀'], new Utf8()),
      }),
    );
    const rows = await readRows(bytes);
    assertSameRows(rows, [
      { list: [1, 2], pair: [1, 2], big: 0n, blob: Uint8Array.of(1), text: 'ü' },
      { list: null, pair: [3, 4], big: 18446744073709551615n, blob: new Uint8Array(0), text: null },
      { list: [], pair: [5, 6], big: 1n, blob: null, text: '😀' },
    ]);
  });

  it('converts the types tfstream stores otherwise, losslessly', async () => {
    const bytes = tableToIPC(
      tableOf({
        half: vectorFromArray([1.5, -0.25, 65504], new Float16()),
        large: vectorFromArray(['x', null, 'yz'], new LargeUtf8()),
        day: vectorFromArray([new Date(86400000), new Date(0), null], new DateMillisecond()),
        seconds: vectorFromArray([0, 1000, null], new TimestampSecond()),
        clock: vectorFromArray([0, 1, 86399], new TimeSecond()),
        fixed: vectorFromArray(
          [Uint8Array.of(1, 2), Uint8Array.of(3, 4), Uint8Array.of(5, 6)],
          new FixedSizeBinary(2),
        ),
        view: vectorFromArray(['short', 'a string longer than twelve bytes', null], new Utf8View()),
        price: vectorFromArray(
          [
            Uint32Array.of(1250, 0, 0, 0),
            Uint32Array.of(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff),
            null,
          ],
          new Decimal(2, 10, 128),
        ),
      }),
    );
    const rows = await readRows(bytes);
    assertSameRows(rows, [
      {
        half: 1.5,
        large: 'x',
        day: 1,
        seconds: 0n,
        clock: 0n,
        fixed: Uint8Array.of(1, 2),
        view: 'short',
        price: '12.50',
      },
      {
        half: -0.25,
        large: null,
        day: 0,
        seconds: 1000n,
        clock: 1000n,
        fixed: Uint8Array.of(3, 4),
        view: 'a string longer than twelve bytes',
        price: '-0.01',
      },
      {
        half: 65504,
        large: 'yz',
        day: null,
        seconds: null,
        clock: 86399000n,
        fixed: Uint8Array.of(5, 6),
        view: null,
        price: null,
      },
    ]);
  });

  it('names a column of a type tfstream cannot hold, and reads the others without it', async () => {
    const bytes = tableToIPC(
      tableOf({
        id: vectorFromArray([1, 2], new Int32()),
        point: vectorFromArray(
          [{ x: 1 }, { x: 2 }],
          new Struct([new ArrowField('x', new Int32())]),
        ),
      }),
    );
    await expect(readRows(bytes)).rejects.toThrow(
      'CODEC_UNSUPPORTED_TYPE: field "point": Arrow type Struct<{x:Int32}> is not supported',
    );
    assertSameRows(await readRows(bytes, defineSchema([{ name: 'id', type: 'int32' }])), [
      { id: 1 },
      { id: 2 },
    ]);
    await expect(
      readRows(bytes, defineSchema([{ name: 'point', type: 'int32', nullable: true }])),
    ).rejects.toThrow('CODEC_UNSUPPORTED_TYPE: field "point"');
  });
});

describe('Arrow arrays that are not laid out as tfstream lays them out', () => {
  it('reads sliced arrays (a non-zero Data.offset) row for row', () => {
    fc.assert(
      fc.property(
        arbSchemaWithRows({ maxRows: 12 }),
        fc.nat(),
        fc.nat(),
        ({ schema, rows }, a, b) => {
          const begin = rows.length === 0 ? 0 : a % rows.length;
          const end = begin + (rows.length === 0 ? 0 : b % (rows.length - begin + 1));
          const sliced = batchToArrow(RecordBatch.fromRows(schema, rows)).slice(begin, end);
          assertSameRows(arrowToBatch(sliced, schema).toObjects(), rows.slice(begin, end));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('zeroes numbers under nulls and drops bytes under nulls, as tfstream columns hold them', () => {
    const field = new ArrowField('x', new Float64(), true);
    const numbers = makeData({
      type: new Float64(),
      length: 3,
      nullCount: 1,
      nullBitmap: Uint8Array.of(0b101),
      data: Float64Array.of(1, Number.NaN, 3),
    });
    const text = makeData({
      type: new Utf8(),
      length: 3,
      nullCount: 1,
      nullBitmap: Uint8Array.of(0b101),
      valueOffsets: Int32Array.of(0, 1, 4, 5),
      data: new TextEncoder().encode('aXYZb'),
    });
    const fields = [field, new ArrowField('t', new Utf8(), true)];
    const batch = new ArrowRecordBatch(
      new ArrowSchema(fields),
      makeData({ type: new Struct(fields), length: 3, nullCount: 0, children: [numbers, text] }),
    );
    const decoded = arrowToBatch(batch);
    expect(decoded.column('x').values).toEqual(Float64Array.of(1, 0, 3));
    expect(new TextDecoder().decode(decoded.column('t').data)).toBe('ab');
    assertSameRows(decoded.toObjects(), [
      { x: 1, t: 'a' },
      { x: null, t: null },
      { x: 3, t: 'b' },
    ]);
  });

  it('names the record of a null list element, which tfstream lists cannot hold', () => {
    const bytes = tableToIPC(
      tableOf({
        list: vectorFromArray(
          [[1], [2, null]],
          new List(new ArrowField('item', new Int32(), true)),
        ),
      }),
    );
    const table = (bytes: Uint8Array): Promise<unknown> => readRows(bytes);
    return expect(table(bytes)).rejects.toThrow(
      'CODEC_NULL_VALUE: record 2: field "list": a list element is null; only the whole value may be null',
    );
  });
});
