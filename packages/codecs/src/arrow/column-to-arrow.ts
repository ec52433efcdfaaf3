// tfstream columns to Arrow arrays (Arrow columnar format, "Physical memory layout"), built with
// apache-arrow's makeData straight from the column buffers: numeric values, variable-width bytes
// and offsets are shared, not copied. Only what differs is converted: validity bytes and booleans
// to bitmaps, millisecond times to int32, decimal text to two's complement integers.

import type {
  DataType as ArrowDataType,
  Bool,
  Decimal,
  Field as ArrowField,
  FixedSizeList,
  Float,
  List,
  Schema as ArrowSchema,
  Time,
  Utf8,
} from 'apache-arrow';
import type { Data } from 'apache-arrow';
import { RecordBatch as ArrowRecordBatch, Struct, makeData } from 'apache-arrow';
import { TfstreamError, elementCount, isTensorShape } from '@tfstream/schema';
import type { Column } from '../batch/column.js';
import type { RecordBatch } from '../batch/record-batch.js';
import { decimalBitWidth, writeDecimalWords } from './decimal.js';
import { schemaToArrowSchema } from './arrow-schema.js';

/** One byte per value (0 or 1) to an Arrow bitmap, least significant bit first. */
export function packBits(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array((bytes.length + 7) >> 3);
  const whole = bytes.length & ~7;
  let i = 0;
  for (; i < whole; i += 8) {
    out[i >> 3] =
      bytes[i]! |
      (bytes[i + 1]! << 1) |
      (bytes[i + 2]! << 2) |
      (bytes[i + 3]! << 3) |
      (bytes[i + 4]! << 4) |
      (bytes[i + 5]! << 5) |
      (bytes[i + 6]! << 6) |
      (bytes[i + 7]! << 7);
  }
  for (; i < bytes.length; i++) {
    out[i >> 3]! |= bytes[i]! << (i & 7);
  }
  return out;
}

function countZeros(bytes: Uint8Array): number {
  let zeros = 0;
  for (let i = 0; i < bytes.length; i++) {
    zeros += bytes[i] === 0 ? 1 : 0;
  }
  return zeros;
}

/** Nulls of an Arrow array: a bitmap, or none. */
interface Nulls {
  readonly nullCount: number;
  readonly nullBitmap: Uint8Array;
}

const NO_NULLS: Nulls = { nullCount: 0, nullBitmap: new Uint8Array(0) };

/**
 * The element array of a column: all of its elements, of the field's element type; for a scalar
 * column, with the column's nulls.
 */
function elementData(column: Column, type: ArrowDataType, nulls: Nulls): Data {
  const field = column.field;
  switch (field.type) {
    case 'string':
    case 'char':
    case 'bytes': {
      const valueOffsets = column.valueOffsets!;
      return makeData({
        type: type as Utf8,
        length: valueOffsets.length - 1,
        ...nulls,
        valueOffsets,
        data: column.data!,
      });
    }
    case 'decimal': {
      const valueOffsets = column.valueOffsets!;
      const text = column.data!;
      const count = valueOffsets.length - 1;
      const words = decimalBitWidth(field.precision ?? 38) / 32;
      const out = new Uint32Array(count * words);
      for (let e = 0; e < count; e++) {
        const start = valueOffsets[e]!;
        const end = valueOffsets[e + 1]!;
        if (end > start) {
          writeDecimalWords(text, start, end, out, e * words, words);
        }
      }
      return makeData({ type: type as Decimal, length: count, ...nulls, data: out });
    }
    case 'bool': {
      const values = column.values as Uint8Array;
      return makeData({
        type: type as Bool,
        length: values.length,
        ...nulls,
        data: packBits(values),
      });
    }
    case 'time': {
      const values = column.values as BigInt64Array;
      if ((field.unit ?? 'ms') === 'ms') {
        const out = new Int32Array(values.length);
        for (let i = 0; i < values.length; i++) {
          out[i] = Number(values[i]);
        }
        return makeData({ type: type as Time, length: out.length, ...nulls, data: out });
      }
      return makeData({ type: type as Time, length: values.length, ...nulls, data: values });
    }
    default: {
      // Ints, floats, dates and timestamps: the typed array is the Arrow buffer as it is.
      const values = column.values!;
      return makeData({
        type: type as Float,
        length: values.length,
        ...nulls,
        data: values as unknown as Float['TArray'],
      });
    }
  }
}

/** One column as an Arrow array of the given Arrow field (see `fieldToArrowField`). */
export function columnToArrowData(column: Column, arrowField: ArrowField): Data {
  const field = column.field;
  const length = column.length;
  const nullCount = column.validity === undefined ? 0 : countZeros(column.validity);
  const nullBitmap = nullCount === 0 ? new Uint8Array(0) : packBits(column.validity!);
  const type = arrowField.type as ArrowDataType;
  if (field.shape === 'scalar') {
    return elementData(column, type, { nullCount, nullBitmap });
  }
  const child = elementData(column, type.children[0]!.type as ArrowDataType, NO_NULLS);
  if (isTensorShape(field.shape)) {
    const perRow = elementCount(field.shape);
    if (child.length !== length * perRow) {
      throw new TfstreamError(
        'CODEC_SHAPE_MISMATCH',
        `the column holds ${child.length} elements, not ${length} × ${perRow}`,
        { field: field.name },
      );
    }
    return makeData({ type: type as FixedSizeList, length, nullCount, nullBitmap, child });
  }
  return makeData({
    type: type as List,
    length,
    nullCount,
    nullBitmap,
    valueOffsets: column.offsets!,
    child,
  });
}

/**
 * A tfstream batch as an apache-arrow RecordBatch, sharing the column buffers where the layouts
 * agree.
 *
 * @param arrowSchema - the Arrow schema to use; by default `schemaToArrowSchema(batch.schema)`
 *
 * @example
 * ```ts
 * const arrowBatch = batchToArrow(RecordBatch.fromRows(schema, rows));
 * arrowBatch.getChild('label')?.get(0);
 * ```
 */
export function batchToArrow(
  batch: RecordBatch,
  arrowSchema: ArrowSchema = schemaToArrowSchema(batch.schema),
): ArrowRecordBatch {
  const children = batch.columns.map((column, i) =>
    columnToArrowData(column, arrowSchema.fields[i]!),
  );
  const data = makeData({
    type: new Struct(arrowSchema.fields),
    length: batch.numRows,
    nullCount: 0,
    children,
  });
  return new ArrowRecordBatch(arrowSchema, data);
}
