import type { DataType, Field } from '@tfstream/schema';

/** A typed array holding the elements of a fixed-width column. */
export type NumericArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/**
 * One field's values for every row of a batch, laid out like an Arrow array so that tensors and
 * Arrow vectors are made from it without per-row copies.
 *
 * Elements: a scalar has one element per row, a tensor of shape S has `prod(S)` per row (row-major),
 * a list has `offsets[row + 1] - offsets[row]`. Fixed-width types keep elements in `values`;
 * variable-width types (`string`, `bytes`, `decimal`, `char`) keep element `j`'s bytes at
 * `data[valueOffsets[j] .. valueOffsets[j + 1]]`. A null row still occupies its fixed number of
 * zeroed elements (scalar, tensor) or none (list).
 */
export interface Column {
  readonly field: Field;
  /** Number of rows. */
  readonly length: number;
  /** 1 for a row with a value, 0 for a null row; `undefined` when no row is null. */
  readonly validity: Uint8Array | undefined;
  /** For lists: `length + 1` element offsets. */
  readonly offsets: Int32Array | undefined;
  /** For fixed-width types: the elements. */
  readonly values: NumericArray | undefined;
  /** For variable-width types: every element's bytes, back to back. */
  readonly data: Uint8Array | undefined;
  /** For variable-width types: `elements + 1` byte offsets into `data`. */
  readonly valueOffsets: Int32Array | undefined;
}

type NumericArrayConstructor =
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

/** How a type's elements are stored: a typed array constructor, or `'varbinary'` for bytes + offsets. */
export function storageOf(type: DataType): NumericArrayConstructor | 'varbinary' {
  switch (type) {
    case 'string':
    case 'bytes':
    case 'decimal':
    case 'char':
      return 'varbinary';
    case 'bool':
    case 'uint8':
      return Uint8Array;
    case 'int8':
      return Int8Array;
    case 'int16':
      return Int16Array;
    case 'uint16':
      return Uint16Array;
    case 'int32':
    case 'date':
      return Int32Array;
    case 'uint32':
      return Uint32Array;
    case 'int64':
    case 'time':
    case 'timestamp':
      return BigInt64Array;
    case 'uint64':
      return BigUint64Array;
    case 'float32':
      return Float32Array;
    case 'float64':
      return Float64Array;
  }
}

/** Whether the column's elements are 64-bit integers held as `bigint`. */
export function isBigIntStorage(type: DataType): boolean {
  const storage = storageOf(type);
  return storage === BigInt64Array || storage === BigUint64Array;
}

/** Whether the row holds a value. */
export function isValid(column: Column, row: number): boolean {
  return column.validity === undefined || column.validity[row] === 1;
}

/** First and one-past-last element index of a row. */
export function elementRange(column: Column, row: number): [number, number] {
  if (column.offsets !== undefined) {
    return [column.offsets[row]!, column.offsets[row + 1]!];
  }
  const shape = column.field.shape;
  let per = 1;
  if (typeof shape !== 'string') {
    for (const dim of shape) {
      per *= dim;
    }
  }
  return [row * per, row * per + per];
}

/** Number of elements stored in the column. */
export function elementTotal(column: Column): number {
  if (column.valueOffsets !== undefined) {
    return column.valueOffsets.length - 1;
  }
  return column.values?.length ?? 0;
}
