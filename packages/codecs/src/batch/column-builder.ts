import type { Field, ScalarValue } from '@tfstream/schema';
import {
  TfstreamError,
  checkWellFormed,
  elementCount,
  normalizeElement,
  preview,
} from '@tfstream/schema';
import type { Column, NumericArray } from './column.js';
import { storageOf } from './column.js';

const encoder = new TextEncoder();

type GrowableArray = NumericArray;

/**
 * Builds one {@link Column} row by row. Two ways to fill a row:
 * - `append(value)` / `appendNull()` with a logical value (checked and normalized);
 * - for decoders, `pushNumber` / `pushBigInt` / `pushBytes` / `pushString` for each element, then
 *   `commitRow()`, which checks the element count against the field's shape.
 *
 * `mark()` and `rollback()` undo a partly built record, so that a record that fails to decode
 * leaves no trace (the per-record error policy relies on it).
 */
export class ColumnBuilder {
  readonly field: Field;
  /** Elements per row for scalars and tensors; -1 for lists. */
  readonly perRow: number;
  private readonly varWidth: boolean;
  private readonly isBigInt: boolean;
  private readonly isFloat32: boolean;
  private rows = 0;
  private elements = 0;
  private rowStart = 0;
  private values: GrowableArray | undefined;
  private data: Uint8Array | undefined;
  private dataLength = 0;
  private valueOffsets: Int32Array | undefined;
  private offsets: Int32Array | undefined;
  private validity: Uint8Array | undefined;
  private nullCount = 0;
  private markRows = 0;
  private markElements = 0;
  private markData = 0;
  private markNulls = 0;
  private handedOver = false;

  constructor(field: Field, capacity = 1024) {
    this.field = field;
    this.perRow = elementCount(field.shape);
    const storage = storageOf(field.type);
    this.varWidth = storage === 'varbinary';
    this.isBigInt = storage === BigInt64Array || storage === BigUint64Array;
    this.isFloat32 = storage === Float32Array;
    const elementCapacity = Math.max(16, this.perRow > 0 ? capacity * this.perRow : capacity);
    if (storage === 'varbinary') {
      this.valueOffsets = new Int32Array(elementCapacity + 1);
      this.data = new Uint8Array(Math.max(64, elementCapacity * 8));
    } else {
      this.values = new storage(elementCapacity);
    }
    if (this.perRow < 0) {
      this.offsets = new Int32Array(capacity + 1);
    }
  }

  /** Rows committed so far. */
  get length(): number {
    return this.rows;
  }

  /** Elements pushed into the row that is being built. */
  get pendingElements(): number {
    return this.elements - this.rowStart;
  }

  // ----- element-level API for decoders -----

  /** Pushes one element of a number-valued type (ints up to 32 bits, floats, date, bool as 0/1). */
  pushNumber(value: number): void {
    if (this.elements === this.values!.length) {
      this.growValues(this.elements + 1);
    }
    (this.values as Float64Array)[this.elements++] = value;
  }

  /** Pushes one element of a 64-bit type (int64, uint64, time, timestamp). */
  pushBigInt(value: bigint): void {
    if (this.elements === this.values!.length) {
      this.growValues(this.elements + 1);
    }
    (this.values as BigInt64Array)[this.elements++] = value;
  }

  /** Makes room for `count` more elements, for bulk writes through {@link elementView}. */
  reserveElements(count: number): void {
    if (this.elements + count > this.values!.length) {
      this.growValues(this.elements + count);
    }
  }

  /**
   * The typed array elements are written into, valid until the next push or reserve. Write at
   * `elementCount..elementCount + n - 1`, then call {@link advanceElements} with `n`.
   */
  elementView(): NumericArray {
    return this.values!;
  }

  /** Index the next element will be written at. */
  get elementCount(): number {
    return this.elements;
  }

  /** Accepts `count` elements written directly through {@link elementView}. */
  advanceElements(count: number): void {
    this.elements += count;
  }

  /** Pushes one variable-width element from `bytes[start..end]` (copied). */
  pushBytes(bytes: Uint8Array, start = 0, end = bytes.length): void {
    const length = end - start;
    this.ensureVarCapacity(length);
    const data = this.data!;
    if (length <= SMALL_COPY) {
      // A loop beats creating a subarray for the short values most columns hold.
      for (let i = 0, at = this.dataLength; i < length; i++) {
        data[at + i] = bytes[start + i]!;
      }
    } else {
      data.set(bytes.subarray(start, end), this.dataLength);
    }
    this.dataLength += length;
    this.valueOffsets![++this.elements] = this.dataLength;
  }

  /** Pushes one variable-width element from a string, as UTF-8. */
  pushString(value: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.ensureVarCapacity(value.length * 3);
    const { written } = encoder.encodeInto(value, this.data!.subarray(this.dataLength));
    this.dataLength += written;
    this.valueOffsets![++this.elements] = this.dataLength;
  }

  /**
   * Ends the row. Checks the number of elements against the field's shape.
   * @throws TfstreamError `CODEC_SHAPE_MISMATCH` (the caller adds record and file)
   */
  commitRow(): void {
    const count = this.elements - this.rowStart;
    if (this.perRow >= 0) {
      if (count !== this.perRow) {
        throw new TfstreamError(
          'CODEC_SHAPE_MISMATCH',
          this.perRow === 1
            ? `expected one value, got ${count}`
            : `expected ${this.perRow} values for shape [${(this.field.shape as number[]).join(', ')}], got ${count}`,
          { field: this.field.name },
        );
      }
    } else {
      this.ensureRowCapacity();
      this.offsets![this.rows + 1] = this.elements;
    }
    if (this.validity !== undefined) {
      this.ensureRowCapacity();
      this.validity[this.rows] = 1;
    }
    this.rows++;
    this.rowStart = this.elements;
  }

  /**
   * Ends the row as null.
   * @throws TfstreamError `CODEC_NULL_VALUE` when the field is not nullable
   */
  appendNull(): void {
    if (!this.field.nullable) {
      throw new TfstreamError(
        'CODEC_NULL_VALUE',
        'the field is not nullable but the value is missing',
        {
          field: this.field.name,
        },
      );
    }
    // Drop any pushed element of this row, then pad fixed-size rows with zeros.
    this.truncateElements(this.rowStart);
    if (this.perRow > 0) {
      for (let i = 0; i < this.perRow; i++) {
        if (this.varWidth) {
          this.pushBytes(EMPTY);
        } else if (this.isBigInt) {
          this.pushBigInt(0n);
        } else {
          this.pushNumber(0);
        }
      }
    } else {
      this.ensureRowCapacity();
      this.offsets![this.rows + 1] = this.elements;
    }
    this.ensureRowCapacity();
    if (this.validity === undefined) {
      this.validity = new Uint8Array(Math.max(16, this.rows * 2, this.rowCapacity()));
      this.validity.fill(1, 0, this.rows);
    }
    this.validity[this.rows] = 0;
    this.nullCount++;
    this.rows++;
    this.rowStart = this.elements;
  }

  // ----- value-level API -----

  /**
   * Appends one row from a logical value (see `Value` in `@tfstream/schema`): an element for a
   * scalar, an array for a list, nested or flat arrays for a tensor, `null`/`undefined` for null.
   * @throws TfstreamError naming the field when the value does not fit
   */
  append(value: unknown): void {
    if (value === null || value === undefined) {
      this.appendNull();
      return;
    }
    try {
      if (this.field.shape === 'scalar') {
        this.pushElement(value);
      } else if (Array.isArray(value) || ArrayBuffer.isView(value)) {
        if (this.field.shape === 'list') {
          for (const element of value as ArrayLike<unknown> & Iterable<unknown>) {
            this.pushElement(element);
          }
        } else {
          this.pushTensor(value, this.field.shape, 0);
        }
      } else {
        throw new TfstreamError(
          'CODEC_TYPE_MISMATCH',
          `expected an array for a ${this.field.shape === 'list' ? 'list' : 'tensor'} field, got ${preview(value)}`,
          { field: this.field.name },
        );
      }
      this.commitRow();
    } catch (error) {
      this.truncateElements(this.rowStart);
      throw error;
    }
  }

  private pushTensor(value: unknown, shape: readonly number[], depth: number): void {
    if (depth === 0 && isFlat(value) && shape.length > 1) {
      // A flat array of prod(shape) elements is accepted too.
      for (const element of value as ArrayLike<unknown> & Iterable<unknown>) {
        this.pushElement(element);
      }
      return;
    }
    if (depth === shape.length) {
      this.pushElement(value);
      return;
    }
    const dim = shape[depth]!;
    const items = value as ArrayLike<unknown>;
    if ((!Array.isArray(value) && !ArrayBuffer.isView(value)) || items.length !== dim) {
      throw new TfstreamError(
        'CODEC_SHAPE_MISMATCH',
        `expected ${dim} values in dimension ${depth} of shape [${shape.join(', ')}], got ${preview(value)}`,
        { field: this.field.name },
      );
    }
    for (let i = 0; i < dim; i++) {
      this.pushTensor(items[i], shape, depth + 1);
    }
  }

  /** Pushes one element from a logical value, checked and normalized. */
  pushElement(value: unknown): void {
    if (value === null || value === undefined) {
      throw new TfstreamError(
        'CODEC_NULL_VALUE',
        'a list or tensor element is null; only the whole value may be null',
        {
          field: this.field.name,
        },
      );
    }
    const normalized: ScalarValue = normalizeElement(this.field, value);
    if (this.varWidth) {
      if (typeof normalized === 'string') {
        if (this.field.type === 'string') {
          checkWellFormed(this.field, normalized);
        }
        this.pushString(normalized);
      } else {
        this.pushBytes(normalized as Uint8Array);
      }
    } else if (this.isBigInt) {
      this.pushBigInt(normalized as bigint);
    } else if (typeof normalized === 'boolean') {
      this.pushNumber(normalized ? 1 : 0);
    } else {
      this.pushNumber(this.isFloat32 ? Math.fround(normalized as number) : (normalized as number));
    }
  }

  // ----- records that fail halfway -----

  /** Remembers the current state; {@link rollback} returns to it. */
  mark(): void {
    this.truncateElements(this.rowStart);
    this.markRows = this.rows;
    this.markElements = this.elements;
    this.markData = this.dataLength;
    this.markNulls = this.nullCount;
  }

  /** Undoes every row and element added since the last {@link mark}. */
  rollback(): void {
    if (this.validity !== undefined && this.markNulls === 0) {
      this.validity = undefined;
    }
    this.rows = this.markRows;
    this.elements = this.markElements;
    this.rowStart = this.markElements;
    this.dataLength = this.markData;
    this.nullCount = this.markNulls;
  }

  /** Drops the elements of the row being built (after a failed element). */
  discardRow(): void {
    this.truncateElements(this.rowStart);
  }

  /**
   * The finished column. Its arrays are views of the builder's memory, handed over without a
   * copy: the builder only ever writes past them, and {@link reset} moves on to fresh memory.
   */
  finish(): Column {
    const rows = this.rows;
    this.handedOver = true;
    this.mark();
    return {
      field: this.field,
      length: rows,
      validity: this.nullCount > 0 ? this.validity!.subarray(0, rows) : undefined,
      offsets: this.offsets?.subarray(0, rows + 1),
      values: this.values?.subarray(0, this.elements),
      data: this.data?.subarray(0, this.dataLength),
      valueOffsets: this.valueOffsets?.subarray(0, this.elements + 1),
    };
  }

  /** Forgets every row. Memory handed over by {@link finish} is left to its column. */
  reset(): void {
    if (this.handedOver) {
      this.handedOver = false;
      // Fresh arrays of the same capacity: the next batch is likely the same size.
      if (this.values !== undefined) {
        const Ctor = this.values.constructor as new (length: number) => GrowableArray;
        this.values = new Ctor(this.values.length);
      }
      if (this.data !== undefined) {
        this.data = new Uint8Array(this.data.length);
        this.valueOffsets = new Int32Array(this.valueOffsets!.length);
      }
      if (this.offsets !== undefined) {
        this.offsets = new Int32Array(this.offsets.length);
      }
    }
    this.rows = 0;
    this.elements = 0;
    this.rowStart = 0;
    this.dataLength = 0;
    this.nullCount = 0;
    this.validity = undefined;
    this.markRows = this.markElements = this.markData = this.markNulls = 0;
  }

  private truncateElements(to: number): void {
    if (this.varWidth && to < this.elements) {
      this.dataLength = this.valueOffsets![to]!;
    }
    this.elements = to;
  }

  private rowCapacity(): number {
    return this.offsets !== undefined ? this.offsets.length - 1 : (this.validity?.length ?? 0);
  }

  private ensureRowCapacity(): void {
    const needed = this.rows + 2;
    if (this.offsets !== undefined && this.offsets.length < needed) {
      const grown = new Int32Array(Math.max(needed, this.offsets.length * 2));
      grown.set(this.offsets);
      this.offsets = grown;
    }
    if (this.validity !== undefined && this.validity.length < needed) {
      const grown = new Uint8Array(Math.max(needed, this.validity.length * 2));
      grown.set(this.validity);
      this.validity = grown;
    }
  }

  private growValues(needed: number): void {
    const old = this.values!;
    const Ctor = old.constructor as new (length: number) => GrowableArray;
    const grown = new Ctor(Math.max(needed, old.length * 2));
    (grown as Float64Array).set(old as Float64Array);
    this.values = grown;
  }

  private ensureVarCapacity(bytes: number): void {
    if (this.elements + 2 > this.valueOffsets!.length) {
      const grown = new Int32Array(this.valueOffsets!.length * 2);
      grown.set(this.valueOffsets!);
      this.valueOffsets = grown;
    }
    if (this.dataLength + bytes > this.data!.length) {
      const needed = this.dataLength + bytes;
      if (needed > 0x7fffffff) {
        throw new TfstreamError(
          'CODEC_LIMIT_EXCEEDED',
          'a batch column holds more than 2 GiB of bytes; use a smaller batch size',
          {
            field: this.field.name,
          },
        );
      }
      const grown = new Uint8Array(Math.min(0x7fffffff, Math.max(needed, this.data!.length * 2)));
      grown.set(this.data!.subarray(0, this.dataLength));
      this.data = grown;
    }
  }
}

const EMPTY = new Uint8Array(0);
/** Values up to this many bytes are copied byte by byte by `pushBytes`. */
const SMALL_COPY = 32;

function isFlat(value: unknown): boolean {
  if (ArrayBuffer.isView(value)) {
    return true;
  }
  return Array.isArray(value) && (value.length === 0 || !Array.isArray(value[0]));
}
