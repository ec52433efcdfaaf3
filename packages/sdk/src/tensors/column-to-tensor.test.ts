import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { RecordBatch } from '@tfstream/codecs';
import type { DataType, FieldJson } from '@tfstream/schema';
import { DATA_TYPES, defineSchema, typeMapping } from '@tfstream/schema';
import { initEngine } from '../engine/engine.js';
import type { TensorFactory } from './column-to-tensor.js';
import { columnToTensor, tensorDtype } from './column-to-tensor.js';

beforeAll(async () => {
  await initEngine();
});

function column(field: Omit<FieldJson, 'name'>, values: unknown[]) {
  const schema = defineSchema([{ name: 'f', ...field }]);
  return RecordBatch.fromRows(
    schema,
    values.map((f) => ({ f })),
  ).column('f');
}

/** One case per data type: input values, the tensor's dtype and values. */
const CASES: Record<
  DataType,
  { field?: Partial<FieldJson>; values: unknown[]; expected: unknown }
> = {
  string: { values: ['a', 'héllo', ''], expected: ['a', 'héllo', ''] },
  bytes: {
    values: [new Uint8Array([0, 255]), new Uint8Array([])],
    expected: [new Uint8Array([0, 255]), new Uint8Array([])],
  },
  bool: { values: [true, false, true], expected: [1, 0, 1] },
  int8: { values: [-128, 0, 127], expected: [-128, 0, 127] },
  int16: { values: [-32768, 32767], expected: [-32768, 32767] },
  int32: { values: [-2147483648, 2147483647], expected: [-2147483648, 2147483647] },
  int64: { values: [-5n, 2147483647n, -2147483648n], expected: [-5, 2147483647, -2147483648] },
  uint8: { values: [0, 255], expected: [0, 255] },
  uint16: { values: [0, 65535], expected: [0, 65535] },
  uint32: { values: [0, 2147483647], expected: [0, 2147483647] },
  uint64: { values: [0n, 12345n], expected: [0, 12345] },
  float32: { values: [1.5, -2, 0.25], expected: [1.5, -2, 0.25] },
  float64: { values: [0.1, 1e300 * 0], expected: [Math.fround(0.1), 0] },
  date: { values: ['1970-01-02', '1969-12-31'], expected: [1, -1] },
  time: { field: { unit: 'ms' }, values: ['01:00:00', 5n], expected: [3600000, 5] },
  timestamp: { values: [0n], expected: 'error' },
  decimal: {
    field: { precision: 6, scale: 2 },
    values: ['12.5', '-0.01'],
    expected: ['12.50', '-0.01'],
  },
  char: { values: ['x', '€'], expected: ['x', '€'] },
};

describe('columnToTensor', () => {
  it.each(DATA_TYPES.filter((t) => t !== 'timestamp'))(
    'makes a %s column a tensor of the TYPE_TABLE dtype',
    async (type) => {
      const { field, values, expected } = CASES[type];
      const col = column({ type, ...field }, values);
      const tensor = columnToTensor(tf, col);
      expect(tensor.dtype).toBe(typeMapping(type).tfjs.dtype);
      expect(tensor.shape).toEqual([values.length]);
      if (type === 'bytes') {
        expect(await tensor.bytes()).toEqual(expected);
      } else {
        expect(Array.from(await tensor.data())).toEqual(expected);
      }
      tensor.dispose();
    },
  );

  it('hands the column’s own Float32Array, Int32Array and bool Uint8Array to tfjs', () => {
    const seen: unknown[] = [];
    // Real tf.tensor, recording what it is handed.
    type Loose = (values: unknown, shape?: readonly number[], dtype?: tf.DataType) => tf.Tensor;
    const real = tf.tensor as unknown as Loose;
    const recording: TensorFactory = {
      tensor: ((values, shape, dtype) => {
        seen.push(values);
        return real(values, shape, dtype);
      }) as Loose as unknown as TensorFactory['tensor'],
    };
    for (const type of ['float32', 'int32', 'date', 'bool'] as const) {
      const col = column({ type }, type === 'bool' ? [true, false] : [1, 2]);
      columnToTensor(recording, col).dispose();
      expect(seen.at(-1)).toBe(col.values);
    }
    const narrow = column({ type: 'int16' }, [1, 2]);
    columnToTensor(recording, narrow).dispose();
    expect(seen.at(-1)).toBeInstanceOf(Int32Array);
  });

  it('shapes a fixed tensor field [rows, ...dims]', () => {
    const col = column({ type: 'float64', shape: [2, 2] }, [
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
    ]);
    const tensor = columnToTensor(tf, col);
    expect(tensor.dtype).toBe('float32');
    expect(tensor.shape).toEqual([2, 2, 2]);
    expect(tensor.arraySync()).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
    ]);
    tensor.dispose();
  });

  it('names field, row and value of an integer outside int32', () => {
    expect(() => columnToTensor(tf, column({ type: 'int64' }, [1n, 2n, 2147483648n]))).toThrow(
      'TENSOR_CONVERSION: field "f": row 2: 2147483648 is outside int32',
    );
    expect(() => columnToTensor(tf, column({ type: 'uint32' }, [4294967295]))).toThrow(
      /field "f": row 0: 4294967295 is outside int32/,
    );
    expect(() =>
      columnToTensor(tf, column({ type: 'uint64' }, [0n, 18446744073709551615n])),
    ).toThrow(/row 1: 18446744073709551615 is outside int32/);
    expect(() =>
      columnToTensor(tf, column({ type: 'int64', shape: 'list' }, [[1n], [2n, -3000000000n]]), {
        pad: { length: 2 },
      }),
    ).toThrow(/row 1: -3000000000 is outside int32/);
  });

  it('refuses timestamps and us/ns times with advice', () => {
    expect(() => columnToTensor(tf, column({ type: 'timestamp' }, [0n]))).toThrow(
      /TENSOR_CONVERSION: field "f": timestamp\[ms\] has no tensor form.*Derive features in code/,
    );
    expect(() =>
      tensorDtype({ name: 't', type: 'time', unit: 'us', shape: 'scalar', nullable: false }),
    ).toThrow(/time\[us\] has no tensor form.*unit "ms"/);
  });

  it('names the first null row unless fillNull is given, and then fills it', () => {
    const col = column({ type: 'float32', nullable: true }, [1, null, 3, null]);
    expect(() => columnToTensor(tf, col)).toThrow(
      'TENSOR_CONVERSION: field "f": row 1 is null; a tensor has no null. Pass { fillNull: value }',
    );
    const tensor = columnToTensor(tf, col, { fillNull: -1 });
    expect(Array.from(tensor.dataSync())).toEqual([1, -1, 3, -1]);
    // The batch's own storage is left alone.
    expect(Array.from(col.values as Float32Array)).toEqual([1, 0, 3, 0]);
    const strings = column({ type: 'string', nullable: true }, ['a', null]);
    expect(columnToTensor(tf, strings, { fillNull: '?' }).dataSync()).toEqual(['a', '?']);
    const bools = column({ type: 'bool', nullable: true }, [null, true]);
    expect(Array.from(columnToTensor(tf, bools, { fillNull: false }).dataSync())).toEqual([0, 1]);
    expect(() => columnToTensor(tf, bools, { fillNull: 1 })).toThrow(
      /fillNull must be a boolean for a bool tensor, got 1/,
    );
  });

  it('refuses a list field without pad, and pads or cuts each row with it', () => {
    const col = column({ type: 'int32', shape: 'list', nullable: true }, [
      [1, 2, 3],
      [],
      [4],
      null,
    ]);
    expect(() => columnToTensor(tf, col)).toThrow(
      /TENSOR_CONVERSION: field "f": int32\[\]\? is a list .* pass \{ pad: \{ length, value \} \}/,
    );
    const tensor = columnToTensor(tf, col, { pad: { length: 2, value: -1 }, fillNull: 0 });
    expect(tensor.shape).toEqual([4, 2]);
    expect(tensor.arraySync()).toEqual([
      [1, 2],
      [-1, -1],
      [4, -1],
      [0, 0],
    ]);
    const words = column({ type: 'string', shape: 'list' }, [['a', 'b', 'c'], ['d']]);
    expect(columnToTensor(tf, words, { pad: { length: 2 } }).arraySync()).toEqual([
      ['a', 'b'],
      ['d', ''],
    ]);
    expect(() =>
      columnToTensor(tf, column({ type: 'int32' }, [1]), { pad: { length: 2 } }),
    ).toThrow(/pad applies to list fields only/);
  });
});
