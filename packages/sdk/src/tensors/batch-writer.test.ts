import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { defineSchema, isTfstreamError } from '@tfstream/schema';
import { initEngine } from '../engine/engine.js';
import type { OutputBatch } from './batch-writer.js';
import { BatchWriter, tensorsToBatch } from './batch-writer.js';

beforeAll(async () => {
  await initEngine();
});

const schema = defineSchema([
  { name: 'id', type: 'int64' },
  { name: 'label', type: 'string' },
  { name: 'score', type: 'float32' },
  { name: 'probabilities', type: 'float32', shape: [3] },
  { name: 'tokens', type: 'int32', shape: 'list', nullable: true },
  { name: 'flag', type: 'bool', nullable: true },
  { name: 'raw', type: 'bytes', nullable: true },
]);

describe('tensorsToBatch', () => {
  it('builds a batch from tensors and typed arrays keyed by field', async () => {
    const batch = await tensorsToBatch(schema, {
      id: tf.tensor1d([7, 8], 'int32'),
      label: tf.tensor1d(['cat', 'dog'], 'string'),
      score: tf.tensor2d([[0.5], [0.25]]),
      probabilities: tf.tensor2d([
        [0.5, 0.25, 0.25],
        [0, 1, 0],
      ]),
      tokens: tf.tensor2d(
        [
          [1, 2],
          [3, 4],
        ],
        undefined,
        'int32',
      ),
      flag: tf.tensor1d([true, false], 'bool'),
      raw: tf.tensor([new Uint8Array([1, 2]), new Uint8Array([])], [2], 'string'),
    });
    expect(batch.toObjects()).toEqual([
      {
        id: 7n,
        label: 'cat',
        score: 0.5,
        probabilities: [0.5, 0.25, 0.25],
        tokens: [1, 2],
        flag: true,
        raw: new Uint8Array([1, 2]),
      },
      {
        id: 8n,
        label: 'dog',
        score: 0.25,
        probabilities: [0, 1, 0],
        tokens: [3, 4],
        flag: false,
        raw: new Uint8Array([]),
      },
    ]);
    const typed = await tensorsToBatch(schema, {
      id: new BigInt64Array([1n]),
      label: ['x'],
      score: new Float64Array([2]),
      probabilities: new Float32Array([1, 2, 3]),
    });
    expect(typed.toObjects()).toEqual([
      {
        id: 1n,
        label: 'x',
        score: 2,
        probabilities: [1, 2, 3],
        tokens: null,
        flag: null,
        raw: null,
      },
    ]);
  });

  it('builds a batch from rows, tensors inside rows included', async () => {
    const batch = await tensorsToBatch(schema, [
      { id: 1, label: 'a', score: 1, probabilities: tf.tensor1d([1, 0, 0]) },
    ]);
    expect(batch.get(0, 'probabilities')).toEqual([1, 0, 0]);
    expect(batch.get(0, 'id')).toBe(1n);
  });

  it('names the field of an unknown, missing, mistyped or misshapen column', async () => {
    const ok = {
      id: tf.tensor1d([1], 'int32'),
      label: tf.tensor1d(['a'], 'string'),
      score: tf.tensor1d([1]),
      probabilities: tf.tensor2d([[1, 2, 3]]),
    };
    await expect(tensorsToBatch(schema, { ...ok, scroe: tf.tensor1d([1]) })).rejects.toThrow(
      'OUTPUT_SCHEMA_MISMATCH: field "scroe": the output schema has no field "scroe"; its fields are id (int64), label (string)',
    );
    await expect(tensorsToBatch(schema, { ...ok, label: undefined as never })).rejects.toThrow(
      'OUTPUT_SCHEMA_MISMATCH: field "label": missing: the field is string, not nullable',
    );
    await expect(tensorsToBatch(schema, { ...ok, id: tf.tensor1d([1.5]) })).rejects.toThrow(
      /field "id": a float32 tensor cannot be written to int64; it takes int32; round and cast it first/,
    );
    await expect(
      tensorsToBatch(schema, { ...ok, probabilities: tf.tensor2d([[1, 2]]) }),
    ).rejects.toThrow(
      /field "probabilities": a tensor of shape \[1, 2\] cannot be written to float32\[3\]; it takes \[rows, 3\] or \[rows, 3\]/,
    );
    await expect(tensorsToBatch(schema, { ...ok, score: tf.tensor1d([1, 2]) })).rejects.toThrow(
      /field "score": has 2 rows but "label" has 1/,
    );
    const error = await tensorsToBatch(schema, { ...ok, score: new Float64Array([1e39]) }).catch(
      (e) => e,
    );
    expect(isTfstreamError(error, 'OUTPUT_SCHEMA_MISMATCH')).toBe(true);
    expect(error.message).toMatch(/field "score": row 0: .*out of range for float32/);
    expect(error.location.field).toBe('score');
  });

  it('names field and row of a bad value in rows', async () => {
    const good = { id: 1, label: 'a', score: 1, probabilities: [1, 2, 3] };
    await expect(tensorsToBatch(schema, [good, { ...good, label: 5 }])).rejects.toThrow(
      /OUTPUT_SCHEMA_MISMATCH: field "label": row 1: expected string, got 5 \(CODEC_TYPE_MISMATCH\)/,
    );
    await expect(tensorsToBatch(schema, [good, { ...good, extra: 1 }])).rejects.toThrow(
      /field "extra": row 1: the output schema has no field "extra"/,
    );
    await expect(tensorsToBatch(schema, [{ ...good, probabilities: [1, 2] }])).rejects.toThrow(
      /field "probabilities": row 0: .*\(CODEC_SHAPE_MISMATCH\)/,
    );
  });
});

describe('tensorsToBatch, whole columns at once', () => {
  const numeric = defineSchema([
    { name: 'class', type: 'int32' },
    { name: 'id', type: 'int64' },
    { name: 'day', type: 'date' },
    { name: 'score', type: 'float32' },
    { name: 'exact', type: 'float64', shape: [2] },
    { name: 'flag', type: 'bool' },
  ]);

  it('stores what the row-by-row path stores, from tensors and typed arrays', async () => {
    const columns = {
      class: tf.tensor1d([2, -1, 0], 'int32'),
      id: new Int32Array([2147483647, -2147483648, 0]),
      day: tf.tensor1d([19000, 0, -1], 'int32'),
      score: tf.tensor1d([0.1, 1e30, -0.5]),
      exact: new Float64Array([0.1, 0.2, 1e300, -1e-300, 3, 4]),
      flag: new Uint8Array([1, 0, 7]),
    };
    const bulk = await tensorsToBatch(numeric, columns);
    // Rows go through the checks of every value; the columns path must agree with them.
    const rows = await tensorsToBatch(numeric, bulk.toObjects());
    expect(bulk.toObjects()).toEqual(rows.toObjects());
    expect(bulk.toObjects()[0]).toEqual({
      class: 2,
      id: 2147483647n,
      day: 19000,
      score: Math.fround(0.1),
      exact: [0.1, 0.2],
      flag: true,
    });
    expect(bulk.column('flag').values).toEqual(new Uint8Array([1, 0, 1]));
    expect(bulk.column('id').values).toBeInstanceOf(BigInt64Array);
  });

  it('still names the row of a value a narrow field cannot hold', async () => {
    const narrow = defineSchema([{ name: 'small', type: 'int8' }]);
    await expect(tensorsToBatch(narrow, { small: tf.tensor1d([1, 300], 'int32') })).rejects.toThrow(
      /row 1: .*300 is out of range for int8/,
    );
    const float = defineSchema([{ name: 'f', type: 'float32' }]);
    await expect(tensorsToBatch(float, { f: new Float64Array([1, 1e300]) })).rejects.toThrow(
      /row 1: .*out of range for float32/,
    );
  });
});

describe('BatchWriter', () => {
  it('hands each written batch and its keys to the sink, and checks the key count', async () => {
    const sent: OutputBatch[] = [];
    const writer = new BatchWriter(defineSchema([{ name: 'y', type: 'float32' }]), async (o) => {
      sent.push(o);
    });
    await writer.write({ y: tf.tensor1d([1, 2]) }, { keys: ['a', 'b'] });
    await writer.write([{ y: 3 }]);
    expect(sent.map((o) => [o.keys, o.records.toObjects()])).toEqual([
      [
        ['a', 'b'],
        [{ y: 1 }, { y: 2 }],
      ],
      [undefined, [{ y: 3 }]],
    ]);
    expect(writer.rowsWritten).toBe(3);
    await expect(writer.write({ y: tf.tensor1d([1]) }, { keys: [1, 2] })).rejects.toThrow(
      'OUTPUT_SCHEMA_MISMATCH: 1 rows were written with 2 keys',
    );
    expect(sent).toHaveLength(2);
  });
});
