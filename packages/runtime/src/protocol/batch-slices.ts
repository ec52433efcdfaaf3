// Cutting and joining record batches column by column, without a row object: a slice is a view of
// its batch's typed arrays (offsets are rebased into a small copy), a concatenation copies each
// buffer once. The feed cuts micro-batches with them and the workers cut batches for model code.
import type { Column, NumericArray } from '@tfstream/codecs';
import { RecordBatch } from '@tfstream/codecs';
import type { Schema } from '@tfstream/schema';
import { elementCount } from '@tfstream/schema';

/** The element range [first, end) of rows [start, end) of a column. */
function elementRangeOf(column: Column, start: number, end: number): [number, number] {
  if (column.offsets !== undefined) {
    return [column.offsets[start]!, column.offsets[end]!];
  }
  const perRow = elementCount(column.field.shape);
  return [start * perRow, end * perRow];
}

/** `source[start .. start + count)` less `source[start]`: offsets that start at 0. */
function rebased(source: Int32Array, start: number, count: number): Int32Array {
  const base = source[start]!;
  const part = source.subarray(start, start + count);
  if (base === 0) {
    return part;
  }
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = part[i]! - base;
  }
  return out;
}

/** Rows [start, end) of a column, as views (offsets rebased). */
export function sliceColumn(column: Column, start: number, end: number): Column {
  const [first, last] = elementRangeOf(column, start, end);
  const bytes = column.valueOffsets;
  return {
    field: column.field,
    length: end - start,
    validity: column.validity?.subarray(start, end),
    offsets:
      column.offsets === undefined ? undefined : rebased(column.offsets, start, end - start + 1),
    values: column.values?.subarray(first, last),
    data: bytes === undefined ? undefined : column.data!.subarray(bytes[first]!, bytes[last]!),
    valueOffsets: bytes === undefined ? undefined : rebased(bytes, first, last - first + 1),
  };
}

/** Rows [start, end) of a batch, as a batch of views of it (the batch itself when whole). */
export function sliceBatch(batch: RecordBatch, start: number, end: number): RecordBatch {
  if (start === 0 && end === batch.numRows) {
    return batch;
  }
  return new RecordBatch(
    batch.schema,
    batch.columns.map((column) => sliceColumn(column, start, end)),
  );
}

/** One column of the rows of `parts` (columns of one field), copied. */
function concatColumns(parts: readonly Column[]): Column {
  const field = parts[0]!.field;
  const rows = parts.reduce((n, part) => n + part.length, 0);
  const withValidity = parts.some((part) => part.validity !== undefined);
  const validity = withValidity ? new Uint8Array(rows) : undefined;
  const isList = parts[0]!.offsets !== undefined;
  const offsets = isList ? new Int32Array(rows + 1) : undefined;
  const ranges = parts.map((part) => elementRangeOf(part, 0, part.length));
  const elements = ranges.reduce((n, [first, last]) => n + last - first, 0);
  const first = parts[0]!;
  let values: NumericArray | undefined;
  if (first.values !== undefined) {
    const Ctor = first.values.constructor as new (length: number) => NumericArray;
    values = new Ctor(elements);
  }
  const isVar = first.valueOffsets !== undefined;
  const valueOffsets = isVar ? new Int32Array(elements + 1) : undefined;
  const bytes = isVar
    ? parts.reduce(
        (n, part, i) => n + part.valueOffsets![ranges[i]![1]]! - part.valueOffsets![ranges[i]![0]]!,
        0,
      )
    : 0;
  const data = isVar ? new Uint8Array(bytes) : undefined;
  let row = 0;
  let element = 0;
  let byte = 0;
  parts.forEach((part, i) => {
    const [from, to] = ranges[i]!;
    if (validity !== undefined) {
      if (part.validity === undefined) {
        validity.fill(1, row, row + part.length);
      } else {
        validity.set(part.validity.subarray(0, part.length), row);
      }
    }
    if (offsets !== undefined) {
      const base = part.offsets![0]!;
      for (let r = 1; r <= part.length; r++) {
        offsets[row + r] = part.offsets![r]! - base + element;
      }
    }
    if (values !== undefined) {
      (values as Float64Array).set(part.values!.subarray(from, to) as Float64Array, element);
    }
    if (valueOffsets !== undefined) {
      const source = part.valueOffsets!;
      const base = source[from]!;
      for (let e = 1; e <= to - from; e++) {
        valueOffsets[element + e] = source[from + e]! - base + byte;
      }
      const length = source[to]! - base;
      data!.set(part.data!.subarray(base, base + length), byte);
      byte += length;
    }
    row += part.length;
    element += to - from;
  });
  return { field, length: rows, validity, offsets, values, data, valueOffsets };
}

/** The rows of batches of one schema, in order, as one batch (copied unless there is one). */
export function concatBatches(schema: Schema, batches: readonly RecordBatch[]): RecordBatch {
  const parts = batches.filter((batch) => batch.numRows > 0);
  if (parts.length === 1) {
    return parts[0]!;
  }
  if (parts.length === 0) {
    return batches[0] ?? RecordBatch.empty(schema);
  }
  return new RecordBatch(
    schema,
    schema.fields.map((_, i) => concatColumns(parts.map((batch) => batch.columns[i]!))),
  );
}

/** The rows of `ranges` ([start, end) pairs, in order) of a batch, as one batch. */
export function selectRows(
  batch: RecordBatch,
  ranges: readonly (readonly [number, number])[],
): RecordBatch {
  if (ranges.length === 1) {
    return sliceBatch(batch, ranges[0]![0], ranges[0]![1]);
  }
  return concatBatches(
    batch.schema,
    ranges.map(([start, end]) => sliceBatch(batch, start, end)),
  );
}
