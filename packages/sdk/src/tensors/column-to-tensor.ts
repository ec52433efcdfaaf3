import type * as tfjs from '@tensorflow/tfjs';
import type { Column } from '@tfstream/codecs';
import type { Field } from '@tfstream/schema';
import { TfstreamError, elementCount, fieldLabel, preview, typeMapping } from '@tfstream/schema';

/** The dtypes a column can become (see the tfjs column of `TYPE_TABLE`). */
export type TensorDtype = 'float32' | 'int32' | 'bool' | 'string';

/** A tensor-like object: just enough of `tf` for the SDK to make tensors. */
export type TensorFactory = Pick<typeof tfjs, 'tensor'>;

/** How to make a dense list tensor: every row cut or padded to `length` elements. */
export interface PadOptions {
  /** Elements per row in the tensor; longer rows are cut at the end, shorter ones padded. */
  readonly length: number;
  /** The padding element: 0, `false` or `''` by default, per dtype. */
  readonly value?: number | boolean | string;
}

/** Options of {@link columnToTensor} and `Batch.tensor`. */
export interface ColumnToTensorOptions {
  /**
   * The value every element of a null row takes. Without it a null row is a `TENSOR_CONVERSION`
   * error naming the field and row. A number for numeric dtypes, a boolean for `bool`, a string
   * for `string` tensors.
   */
  readonly fillNull?: number | boolean | string;
  /**
   * For list fields, which have a different number of elements per row: makes a dense
   * `[rows, length]` tensor, keeping the first `length` elements of a longer row and padding a
   * shorter one at its end with `value`. Without it a list field is a `TENSOR_CONVERSION` error.
   */
  readonly pad?: PadOptions;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * The tensor dtype of a field, from the tfjs column of `TYPE_TABLE`.
 * @example
 * ```ts
 * tensorDtype({ name: 'age', type: 'int64', shape: 'scalar', nullable: false }); // 'int32'
 * ```
 * @throws TfstreamError `TENSOR_CONVERSION` for a type with no tensor form (timestamp; time in
 * us or ns), with advice on what to do instead
 */
export function tensorDtype(field: Field): TensorDtype {
  const dtype = typeMapping(field.type).tfjs.dtype;
  if (dtype === null) {
    throw new TfstreamError(
      'TENSOR_CONVERSION',
      `${fieldLabel(field)} has no tensor form: int64 epoch values overflow int32. Derive features in code from batch.column(${JSON.stringify(field.name)}).values (a BigInt64Array), e.g. the hour of day or seconds since a reference time, into a Float32Array and tf.tensor()`,
      { field: field.name },
    );
  }
  if (field.type === 'time' && (field.unit ?? 'ms') !== 'ms') {
    throw new TfstreamError(
      'TENSOR_CONVERSION',
      `${fieldLabel(field)} has no tensor form: a time of day in ${field.unit} overflows int32. Declare the field with unit "ms", or derive features in code from batch.column(${JSON.stringify(field.name)}).values`,
      { field: field.name },
    );
  }
  return dtype;
}

/**
 * Makes a tensor of one column of a batch, in one pass over its storage and without per-row
 * copies: the column's own `Float32Array`, `Int32Array` (int32, date) or bool `Uint8Array` is
 * handed to tfjs as it is when no null row needs filling.
 *
 * - Shape: `[rows]` for a scalar field, `[rows, ...dims]` for a tensor field, `[rows, length]`
 *   for a list field with `options.pad`.
 * - dtype per the tfjs column of `TYPE_TABLE`: int8/int16/int32/uint8/uint16/date widen to
 *   `int32`; int64, uint64, uint32 and time (ms) become `int32` with a range check (a value
 *   outside int32 is an error naming field, row and value); float64 is rounded to the nearest
 *   float32 (tfjs has no float64); bool stays `bool`; string, char and decimal (canonical text)
 *   become `string` tensors; bytes become `string` tensors holding the bytes (read them back with
 *   `tensor.bytes()`); timestamp is an error with advice.
 * - Rows count from 0, as the tensor's first dimension does.
 *
 * @throws TfstreamError `TENSOR_CONVERSION` naming the field (and row)
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { RecordBatch } from '@tfstream/codecs';
 * import { defineSchema } from '@tfstream/schema';
 * import { columnToTensor } from '@tfstream/sdk';
 *
 * const schema = defineSchema([
 *   { name: 'age', type: 'int64', nullable: true },
 *   { name: 'tokens', type: 'int32', shape: 'list' },
 * ]);
 * const batch = RecordBatch.fromRows(schema, [
 *   { age: 31n, tokens: [4, 8, 15] },
 *   { age: null, tokens: [16] },
 * ]);
 * columnToTensor(tf, batch.column('age'), { fillNull: -1 }); // int32 [31, -1]
 * columnToTensor(tf, batch.column('tokens'), { pad: { length: 2 } }); // int32 [[4, 8], [16, 0]]
 * ```
 */
export function columnToTensor(
  tf: TensorFactory,
  column: Column,
  options: ColumnToTensorOptions = {},
): tfjs.Tensor {
  const field = column.field;
  const dtype = tensorDtype(field);
  const rows = column.length;
  let perRow: number;
  let shape: number[];
  if (field.shape === 'list') {
    if (options.pad === undefined) {
      throw conversionError(
        field,
        `${fieldLabel(field)} is a list with a different number of elements per row; pass { pad: { length, value } } to make a dense [rows, length] tensor, or read batch.column(${JSON.stringify(field.name)}) and its offsets in code`,
      );
    }
    perRow = options.pad.length;
    if (!Number.isInteger(perRow) || perRow < 0) {
      throw conversionError(
        field,
        `pad.length must be a whole number >= 0, got ${preview(perRow)}`,
      );
    }
    shape = [rows, perRow];
  } else {
    if (options.pad !== undefined) {
      throw conversionError(
        field,
        `pad applies to list fields only; ${fieldLabel(field)} has a fixed number of elements per row`,
      );
    }
    perRow = elementCount(field.shape);
    shape = field.shape === 'scalar' ? [rows] : [rows, ...field.shape];
  }
  const nullRow = firstNullRow(column);
  if (nullRow >= 0 && options.fillNull === undefined) {
    throw conversionError(
      field,
      `row ${nullRow} is null; a tensor has no null. Pass { fillNull: value } to put a value in its place, or filter the rows first`,
    );
  }
  const fill =
    options.fillNull === undefined
      ? undefined
      : checkFill(field, dtype, options.fillNull, 'fillNull');
  if (dtype === 'string') {
    const pad = encodePad(field, options.pad?.value);
    const elements = stringElements(column, rows, perRow, pad);
    if (nullRow >= 0 && fill !== undefined) {
      const bytes = encoder.encode(fill as string);
      forEachNullRow(column, (row) => elements.fill(bytes, row * perRow, row * perRow + perRow));
    }
    return tf.tensor(elements, shape, 'string');
  }
  let values: Float32Array | Int32Array | Uint8Array;
  let owned: boolean;
  if (field.shape === 'list') {
    const pad = checkFill(field, dtype, options.pad?.value ?? defaultPad(dtype), 'pad.value');
    values = denseList(column, dtype, perRow, Number(pad));
    owned = true;
  } else {
    [values, owned] = fixedElements(column, dtype, rows * perRow);
  }
  if (nullRow >= 0 && fill !== undefined) {
    if (!owned) {
      values = values.slice();
    }
    const number = Number(fill);
    const target = values;
    forEachNullRow(column, (row) => target.fill(number, row * perRow, row * perRow + perRow));
  }
  return tf.tensor(values, shape, dtype);
}

const encoder = new TextEncoder();

function conversionError(field: Field, detail: string): TfstreamError {
  return new TfstreamError('TENSOR_CONVERSION', detail, { field: field.name });
}

function firstNullRow(column: Column): number {
  const validity = column.validity;
  if (validity === undefined) {
    return -1;
  }
  for (let row = 0; row < column.length; row++) {
    if (validity[row] === 0) {
      return row;
    }
  }
  return -1;
}

function forEachNullRow(column: Column, each: (row: number) => void): void {
  const validity = column.validity!;
  for (let row = 0; row < column.length; row++) {
    if (validity[row] === 0) {
      each(row);
    }
  }
}

function defaultPad(dtype: TensorDtype): number | boolean | string {
  return dtype === 'bool' ? false : dtype === 'string' ? '' : 0;
}

/** Checks a fill or pad value against the tensor dtype; returns it as the tensor stores it. */
function checkFill(
  field: Field,
  dtype: TensorDtype,
  value: number | boolean | string,
  what: string,
): number | string {
  switch (dtype) {
    case 'string':
      if (typeof value === 'string') {
        return value;
      }
      break;
    case 'bool':
      if (typeof value === 'boolean') {
        return value ? 1 : 0;
      }
      break;
    case 'int32':
      if (
        Number.isInteger(value) &&
        (value as number) >= INT32_MIN &&
        (value as number) <= INT32_MAX
      ) {
        return value as number;
      }
      break;
    case 'float32':
      if (typeof value === 'number') {
        return value;
      }
      break;
  }
  throw conversionError(
    field,
    `${what} must be ${dtype === 'string' ? 'a string' : dtype === 'bool' ? 'a boolean' : dtype === 'int32' ? 'a whole number within int32' : 'a number'} for a ${dtype} tensor, got ${preview(value)}`,
  );
}

function encodePad(field: Field, value: number | boolean | string | undefined): Uint8Array {
  return encoder.encode(checkFill(field, 'string', value ?? '', 'pad.value') as string);
}

/** The row holding element `index` of a column. */
function rowOfElement(column: Column, index: number): number {
  const offsets = column.offsets;
  if (offsets === undefined) {
    const per = elementCount(column.field.shape);
    return per === 0 ? 0 : Math.floor(index / per);
  }
  let lo = 0;
  let hi = column.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= index) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

function outOfRange(column: Column, index: number, value: number | bigint): TfstreamError {
  const field = column.field;
  return conversionError(
    field,
    `row ${rowOfElement(column, index)}: ${value} is outside int32, the integer dtype of tfjs; scale or bucket the values in code, or declare the field float64 to get a float32 tensor`,
  );
}

/** The elements of a scalar or tensor column in the tensor's storage; `owned` when copied. */
function fixedElements(
  column: Column,
  dtype: TensorDtype,
  count: number,
): [Float32Array | Int32Array | Uint8Array, boolean] {
  const stored = column.values!;
  // A view of exactly the batch's elements, in case the storage is longer.
  const values = stored.length === count ? stored : (stored.subarray(0, count) as typeof stored);
  switch (column.field.type) {
    case 'float32':
    case 'int32':
    case 'date':
    case 'bool':
      return [values as Float32Array | Int32Array | Uint8Array, false];
    case 'float64':
      // Rounds each element to the nearest float32.
      return [new Float32Array(values as Float64Array), true];
    case 'int8':
    case 'int16':
    case 'uint8':
    case 'uint16':
      return [new Int32Array(values as Int8Array), true];
    default:
      if (dtype !== 'int32') {
        throw new Error(`unreachable: ${column.field.type} as ${dtype}`);
      }
      return [checkedInt32(column, values, 0, values.length), true];
  }
}

/** Copies `values[start..end)` into an Int32Array, checking each element's range. */
function checkedInt32(
  column: Column,
  values: ArrayLike<number | bigint>,
  start: number,
  end: number,
): Int32Array {
  const out = new Int32Array(end - start);
  for (let i = start; i < end; i++) {
    // Number() of a bigint beyond 2^53 rounds, but never across the int32 bounds.
    const n = Number(values[i]!);
    if (n < INT32_MIN || n > INT32_MAX) {
      throw outOfRange(column, i, values[i]!);
    }
    out[i - start] = n;
  }
  return out;
}

/** A list column as a dense `[rows, length]` array, cut or padded per row. */
function denseList(
  column: Column,
  dtype: TensorDtype,
  length: number,
  pad: number,
): Float32Array | Int32Array | Uint8Array {
  const rows = column.length;
  const offsets = column.offsets!;
  const values = column.values!;
  const out =
    dtype === 'float32'
      ? new Float32Array(rows * length)
      : dtype === 'bool'
        ? new Uint8Array(rows * length)
        : new Int32Array(rows * length);
  const checked = dtype === 'int32' && needsRangeCheck(column.field.type);
  if (pad !== 0) {
    out.fill(pad);
  }
  for (let row = 0; row < rows; row++) {
    const start = offsets[row]!;
    const end = Math.min(offsets[row + 1]!, start + length);
    const at = row * length;
    for (let i = start; i < end; i++) {
      const n = Number(values[i]!);
      if (checked && (n < INT32_MIN || n > INT32_MAX)) {
        throw outOfRange(column, i, values[i]!);
      }
      out[at + i - start] = n;
    }
  }
  return out;
}

function needsRangeCheck(type: Field['type']): boolean {
  return type === 'int64' || type === 'uint64' || type === 'uint32' || type === 'time';
}

/** The byte views of a variable-width column's elements, laid out as the tensor's elements. */
function stringElements(
  column: Column,
  rows: number,
  perRow: number,
  pad: Uint8Array,
): Uint8Array[] {
  const data = column.data!;
  const offsets = column.valueOffsets!;
  const out = new Array<Uint8Array>(rows * perRow);
  if (column.offsets === undefined) {
    for (let i = 0; i < out.length; i++) {
      out[i] = data.subarray(offsets[i]!, offsets[i + 1]!);
    }
    return out;
  }
  const rowOffsets = column.offsets;
  for (let row = 0; row < rows; row++) {
    const start = rowOffsets[row]!;
    const count = Math.min(rowOffsets[row + 1]! - start, perRow);
    for (let j = 0; j < perRow; j++) {
      out[row * perRow + j] =
        j < count ? data.subarray(offsets[start + j]!, offsets[start + j + 1]!) : pad;
    }
  }
  return out;
}
