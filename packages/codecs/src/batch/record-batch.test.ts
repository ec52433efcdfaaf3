import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineSchema } from '@tfstream/schema';
import { arbSchemaWithRows, assertSameRows } from '../test-support/arbitraries.js';
import { RecordBatch, RecordBatchBuilder } from './record-batch.js';

describe('RecordBatch', () => {
  it('gives back every row it was built from, for every type and shape', () => {
    fc.assert(
      fc.property(arbSchemaWithRows(), ({ schema, rows }) => {
        const batch = RecordBatch.fromRows(schema, rows);
        expect(batch.numRows).toBe(rows.length);
        assertSameRows(batch.toObjects(), rows);
      }),
      { numRuns: 300 },
    );
  });

  it('stores numeric columns in typed arrays and lists with offsets', () => {
    const schema = defineSchema([
      { name: 'x', type: 'float32', shape: [2, 2] },
      { name: 'ids', type: 'int64', shape: 'list', nullable: true },
      { name: 'name', type: 'string' },
    ]);
    const batch = RecordBatch.fromRows(schema, [
      {
        x: [
          [1, 2],
          [3, 4],
        ],
        ids: [1n, 2n],
        name: 'a',
      },
      { x: [5, 6, 7, 8], ids: null, name: 'ü' },
    ]);
    expect(batch.column('x').values).toEqual(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(batch.column('ids').offsets).toEqual(new Int32Array([0, 2, 2]));
    expect(batch.column('ids').validity).toEqual(new Uint8Array([1, 0]));
    expect(batch.column('name').valueOffsets).toEqual(new Int32Array([0, 1, 3]));
    expect(batch.get(1, 'x')).toEqual([
      [5, 6],
      [7, 8],
    ]);
    expect(batch.row(1).toObject()).toEqual({
      x: [
        [5, 6],
        [7, 8],
      ],
      ids: null,
      name: 'ü',
    });
  });

  it('names the record and field of a value that does not fit, and keeps the records before it', () => {
    const schema = defineSchema([
      { name: 'id', type: 'int32' },
      { name: 'age', type: 'int16' },
    ]);
    const builder = new RecordBatchBuilder(schema);
    builder.appendRow({ id: 1, age: 30 }, 1);
    expect(() => builder.appendRow({ id: 2, age: 70000 }, 2)).toThrow(
      'CODEC_TYPE_MISMATCH: record 2: field "age": 70000 is out of range for int16',
    );
    expect(() => builder.appendRow({ id: 3 }, 3)).toThrow(
      'CODEC_NULL_VALUE: record 3: field "age"',
    );
    expect(() => builder.appendRow({ id: 4, age: 1, extra: 1 }, 4)).toThrow('CODEC_UNKNOWN_FIELD');
    builder.appendRow({ id: 5, age: -1 }, 5);
    expect(builder.finish().toObjects()).toEqual([
      { id: 1, age: 30 },
      { id: 5, age: -1 },
    ]);
  });

  it('rejects a tensor of the wrong shape', () => {
    const schema = defineSchema([{ name: 'x', type: 'int8', shape: [2, 2] }]);
    expect(() => RecordBatch.fromRows(schema, [{ x: [1, 2, 3] }])).toThrow('CODEC_SHAPE_MISMATCH');
    expect(() => RecordBatch.fromRows(schema, [{ x: [[1, 2], [3]] }])).toThrow(
      'CODEC_SHAPE_MISMATCH',
    );
  });
});
