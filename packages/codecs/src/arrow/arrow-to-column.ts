// Arrow arrays (apache-arrow `Data`, laid out per the Arrow columnar format, "Physical memory
// layout": validity bitmaps, offsets, values) to tfstream columns, without copies where the layouts
// agree: numeric values, variable-width bytes and list offsets are shared when they can be.
//
// Everything read from the data is checked first, so that a corrupt stream ends in a
// TfstreamError: buffer sizes against lengths, offsets against their buffers (CODEC_MALFORMED,
// the batch is unusable), and values against the field (null in a non-nullable field, a list
// element that is null, a `char` that is not one code point, a time out of the day, a decimal
// beyond its precision, text that is not UTF-8), which are reported per record so that the
// caller's error policy can skip the record.

import type { Data, DataType as ArrowDataType, FixedSizeList, Vector } from 'apache-arrow';
import { Type } from 'apache-arrow';
import type { Field } from '@tfstream/schema';
import { TfstreamError, elementCount, unitsPerSecond } from '@tfstream/schema';
import type { Column, NumericArray } from '../batch/column.js';
import { storageOf } from '../batch/column.js';
import { formatUnscaled, readDecimalBigInt, readDecimalNumber } from './decimal.js';
import { arrowTypeLabel } from './arrow-schema.js';

/** A record whose values do not fit its field; `row` is relative to the converted range. */
export interface RowIssue {
  readonly row: number;
  readonly error: TfstreamError;
}

/** What converting one range of a batch found beyond the columns. */
export class ConversionReport {
  readonly issues: RowIssue[] = [];
  /**
   * Null records hold elements or bytes in the Arrow data, which tfstream columns do not allow;
   * the records must be rebuilt one by one.
   */
  rebuild = false;

  /** Records that `row` does not fit `field`. */
  add(
    row: number,
    code: 'CODEC_NULL_VALUE' | 'CODEC_TYPE_MISMATCH',
    field: Field,
    detail: string,
  ): void {
    this.issues.push({ row, error: new TfstreamError(code, detail, { field: field.name }) });
  }

  /** Issues sorted by row, the first one of each row only. */
  byRow(): Map<number, TfstreamError> {
    const out = new Map<number, TfstreamError>();
    for (const issue of [...this.issues].sort((a, b) => a.row - b.row)) {
      if (!out.has(issue.row)) {
        out.set(issue.row, issue.error);
      }
    }
    return out;
  }
}

/** A structural problem: the Arrow data contradicts itself. */
function malformed(field: Field, detail: string): TfstreamError {
  return new TfstreamError('CODEC_MALFORMED', detail, { field: field.name });
}

/** Elements of a column range, in tfstream storage. */
interface Elements {
  values?: NumericArray;
  data?: Uint8Array;
  valueOffsets?: Int32Array;
}

type BadElement = (
  element: number,
  code: 'CODEC_NULL_VALUE' | 'CODEC_TYPE_MISMATCH',
  detail: string,
) => void;

// ---------------------------------------------------------------------------------------------
// Validity

/**
 * One byte per row (1 = valid) for rows `start .. start + count` of `data`, or `undefined` when
 * none of them is null. Arrow JS treats an absent bitmap, or a null count of 0, as "all valid".
 */
export function validityBytes(
  data: Data,
  start: number,
  count: number,
  field: Field,
): Uint8Array | undefined {
  const bitmap = data.nullBitmap as Uint8Array | undefined;
  if (count === 0 || bitmap === undefined || bitmap.length === 0 || data.nullCount === 0) {
    return undefined;
  }
  const first = data.offset + start;
  if (bitmap.length * 8 < first + count) {
    throw malformed(
      field,
      `the validity bitmap has ${bitmap.length} bytes, too few for ${first + count} values`,
    );
  }
  const out = new Uint8Array(count);
  let nulls = 0;
  for (let i = 0; i < count; i++) {
    const bit = first + i;
    const valid = (bitmap[bit >> 3]! >> (bit & 7)) & 1;
    out[i] = valid;
    nulls += valid ^ 1;
  }
  return nulls === 0 ? undefined : out;
}

// ---------------------------------------------------------------------------------------------
// Offsets

/** Checks that `offsets[start .. start + count]` rise and stay within `limit`. */
function checkOffsets(
  offsets: Int32Array | BigInt64Array,
  start: number,
  count: number,
  limit: number,
  field: Field,
  what: string,
): void {
  if (offsets.length < start + count + 1) {
    throw malformed(
      field,
      `the ${what} offsets have ${offsets.length} entries, too few for ${start + count} values`,
    );
  }
  let previous = Number(offsets[start]);
  if (previous < 0) {
    throw malformed(field, `the ${what} offsets start at ${previous}`);
  }
  for (let i = start + 1; i <= start + count; i++) {
    const next = Number(offsets[i]);
    if (next < previous) {
      throw malformed(field, `the ${what} offsets decrease at value ${i - 1}`);
    }
    previous = next;
  }
  if (previous > limit) {
    throw malformed(
      field,
      `the ${what} offsets point past the end of their data (${previous} > ${limit})`,
    );
  }
}

/** `offsets[start .. start + count]` shifted to start at 0, shared when they already do. */
function rebased(
  offsets: Int32Array | BigInt64Array,
  start: number,
  count: number,
  field: Field,
): Int32Array {
  if (offsets instanceof Int32Array && offsets[start] === 0) {
    return offsets.subarray(start, start + count + 1);
  }
  const base = Number(offsets[start]);
  const out = new Int32Array(count + 1);
  for (let i = 0; i <= count; i++) {
    const value = Number(offsets[start + i]) - base;
    if (value > 0x7fffffff) {
      throw new TfstreamError(
        'CODEC_LIMIT_EXCEEDED',
        'a batch column holds more than 2 GiB of bytes; write smaller record batches',
        { field: field.name },
      );
    }
    out[i] = value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// UTF-8

type IsUtf8 = (bytes: Uint8Array) => boolean;

const nodeIsUtf8: IsUtf8 | undefined = (() => {
  try {
    const buffer =
      typeof process === 'undefined'
        ? undefined
        : (process.getBuiltinModule?.('node:buffer') as { isUtf8?: IsUtf8 } | undefined);
    return typeof buffer?.isUtf8 === 'function' ? buffer.isUtf8 : undefined;
  } catch {
    return undefined;
  }
})();
const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isUtf8(bytes: Uint8Array): boolean {
  if (nodeIsUtf8 !== undefined) {
    return nodeIsUtf8(bytes);
  }
  try {
    fatalDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Bytes in the UTF-8 sequence that starts with `lead`, or 0 for a continuation byte. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) {
    return 1;
  }
  if (lead < 0xc0) {
    return 0;
  }
  if (lead < 0xe0) {
    return 2;
  }
  return lead < 0xf0 ? 3 : 4;
}

/**
 * Checks text elements: valid UTF-8 as a whole, no element starting inside a character, and for
 * `char` exactly one code point each.
 */
function checkText(
  elements: Required<Pick<Elements, 'data' | 'valueOffsets'>>,
  char: boolean,
  valid: Uint8Array | undefined,
  bad: BadElement,
): void {
  const { data, valueOffsets } = elements;
  const count = valueOffsets.length - 1;
  const whole = isUtf8(data);
  for (let e = 0; e < count; e++) {
    if (valid !== undefined && valid[e] === 0) {
      continue;
    }
    const start = valueOffsets[e]!;
    const end = valueOffsets[e + 1]!;
    if (
      !whole ||
      (start < end && sequenceLength(data[start]!) === 0) ||
      (end < data.length && sequenceLength(data[end]!) === 0)
    ) {
      if (!isUtf8(data.subarray(start, end))) {
        bad(e, 'CODEC_TYPE_MISMATCH', 'the text is not valid UTF-8; declare the field bytes');
        continue;
      }
    }
    if (char && (end - start === 0 || sequenceLength(data[start]!) !== end - start)) {
      bad(
        e,
        'CODEC_TYPE_MISMATCH',
        `expected char (one Unicode code point), got ${end - start} bytes`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Elements

function need(field: Field, available: number, needed: number, what: string): void {
  if (available < needed) {
    throw malformed(field, `the ${what} buffer holds ${available} values, too few for ${needed}`);
  }
}

/** Half-precision bits to the float32 (and float64) number they stand for, exactly. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) {
    return sign * fraction * 2 ** -24;
  }
  if (exponent === 0x1f) {
    return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  }
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const MS_PER_DAY = 86400000n;
const INT64_MAX = 0x7fffffffffffffffn;

/**
 * Elements `start .. start + count` of element-level Arrow data (a scalar column, or a list or
 * tensor's child) in the storage of `field`'s type.
 */
function readElements(
  data: Data,
  start: number,
  count: number,
  field: Field,
  valid: Uint8Array | undefined,
  bad: BadElement,
): Elements {
  const type = data.type as ArrowDataType & Record<string, unknown>;
  if (data.length < start + count) {
    throw malformed(field, `the column has ${data.length} values, too few for ${start + count}`);
  }
  switch (type.typeId) {
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      const offsets = data.valueOffsets as Int32Array | BigInt64Array;
      const bytes = data.values as Uint8Array;
      checkOffsets(offsets, start, count, bytes.length, field, 'value');
      const valueOffsets = rebased(offsets, start, count, field);
      const elements = {
        data: bytes.subarray(Number(offsets[start]), Number(offsets[start + count])),
        valueOffsets,
      };
      if (field.type !== 'bytes') {
        checkText(elements, field.type === 'char', valid, bad);
      }
      return elements;
    }
    case Type.Utf8View:
    case Type.BinaryView: {
      const elements = readViews(data, start, count, field);
      if (field.type !== 'bytes') {
        checkText(elements, field.type === 'char', valid, bad);
      }
      return elements;
    }
    case Type.FixedSizeBinary: {
      const width = type.byteWidth as number;
      const bytes = data.values as Uint8Array;
      need(field, Math.floor(bytes.length / Math.max(width, 1)), start + count, 'value');
      const valueOffsets = new Int32Array(count + 1);
      for (let i = 0; i <= count; i++) {
        valueOffsets[i] = i * width;
      }
      return { data: bytes.subarray(start * width, (start + count) * width), valueOffsets };
    }
    case Type.Bool: {
      const bits = data.values as Uint8Array;
      const first = data.offset + start;
      need(field, bits.length * 8, first + count, 'boolean');
      const values = new Uint8Array(count);
      for (let i = 0; i < count; i++) {
        const bit = first + i;
        values[i] = (bits[bit >> 3]! >> (bit & 7)) & 1;
      }
      return { values };
    }
    case Type.Decimal:
      return { ...readDecimals(data, start, count, field, valid, bad) };
    default:
      return { values: readFixed(data, start, count, field, valid, bad) };
  }
}

/** Fixed-width numbers, shared with the Arrow buffer when the storage is the same. */
function readFixed(
  data: Data,
  start: number,
  count: number,
  field: Field,
  valid: Uint8Array | undefined,
  bad: BadElement,
): NumericArray {
  const type = data.type as ArrowDataType & Record<string, unknown>;
  const source = data.values as NumericArray;
  if (!ArrayBuffer.isView(source)) {
    throw malformed(field, `the column has no value buffer`);
  }
  need(field, source.length, start + count, 'value');
  const slice = source.subarray(start, start + count) as NumericArray;
  const storage = storageOf(field.type);
  if (storage === 'varbinary') {
    throw malformed(field, `Arrow ${arrowTypeLabel(type)} cannot hold ${field.type}`);
  }
  const unit = field.unit ?? 'ms';
  switch (type.typeId) {
    case Type.Float:
      if (type.precision === 0) {
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++) {
          out[i] = halfToNumber(slice[i] as number);
        }
        return out;
      }
      break;
    case Type.Date:
      if (type.unit === 1) {
        const out = new Int32Array(count);
        for (let i = 0; i < count; i++) {
          const ms = slice[i] as bigint;
          const days = ms / MS_PER_DAY;
          if (ms % MS_PER_DAY !== 0n || days < -2147483648n || days > 2147483647n) {
            if (valid === undefined || valid[i] === 1) {
              bad(i, 'CODEC_TYPE_MISMATCH', `DateMillisecond ${ms} is not a whole day`);
            }
            continue;
          }
          out[i] = Number(days);
        }
        return out;
      }
      break;
    case Type.Time: {
      const perSecond = unitsPerSecond(unit);
      const limit = 86400n * perSecond;
      const scale = type.unit === 0 ? 1000n : 1n;
      let out: BigInt64Array;
      if (slice instanceof BigInt64Array) {
        out = slice;
      } else {
        out = new BigInt64Array(count);
        for (let i = 0; i < count; i++) {
          out[i] = BigInt(slice[i] as number) * scale;
        }
      }
      for (let i = 0; i < count; i++) {
        const v = out[i]!;
        if ((v < 0n || v >= limit) && (valid === undefined || valid[i] === 1)) {
          bad(i, 'CODEC_TYPE_MISMATCH', `${v} ${unit} is not a time of day`);
        }
      }
      return out;
    }
    case Type.Timestamp:
      if (type.unit === 0) {
        const out = new BigInt64Array(count);
        for (let i = 0; i < count; i++) {
          const seconds = slice[i] as bigint;
          if (seconds > INT64_MAX / 1000n || seconds < -INT64_MAX / 1000n) {
            if (valid === undefined || valid[i] === 1) {
              bad(i, 'CODEC_TYPE_MISMATCH', `${seconds} s is out of the int64 range in ms`);
            }
            continue;
          }
          out[i] = seconds * 1000n;
        }
        return out;
      }
      break;
    default:
      break;
  }
  if (slice.constructor !== storage) {
    throw malformed(field, `Arrow ${arrowTypeLabel(type)} cannot hold ${field.type}`);
  }
  return slice;
}

/** Decimals to their canonical text, checked against the field's precision. */
function readDecimals(
  data: Data,
  start: number,
  count: number,
  field: Field,
  valid: Uint8Array | undefined,
  bad: BadElement,
): Required<Pick<Elements, 'data' | 'valueOffsets'>> {
  const type = data.type as ArrowDataType & Record<string, unknown>;
  const words = (type.bitWidth as number) / 32;
  const source = data.values as Uint32Array;
  need(field, Math.floor(source.length / words), start + count, 'decimal');
  const precision = field.precision ?? 38;
  const scale = field.scale ?? 0;
  const limitNumber = precision >= 16 ? Number.POSITIVE_INFINITY : 10 ** precision;
  const limitBig = 10n ** BigInt(precision);
  const bytes = new Uint8Array(count * (precision + 3));
  const valueOffsets = new Int32Array(count + 1);
  let length = 0;
  for (let i = 0; i < count; i++) {
    if (valid === undefined || valid[i] === 1) {
      const at = (start + i) * words;
      const small = readDecimalNumber(source, at, words);
      let text: string | undefined;
      if (small !== undefined) {
        if (Math.abs(small) < limitNumber) {
          text = formatUnscaled(small, scale);
        }
      } else {
        const big = readDecimalBigInt(source, at, words);
        if ((big < 0n ? -big : big) < limitBig) {
          text = formatUnscaled(big, scale);
        }
      }
      if (text === undefined) {
        bad(i, 'CODEC_TYPE_MISMATCH', `the decimal has more than ${precision} digits`);
      } else {
        for (let c = 0; c < text.length; c++) {
          bytes[length++] = text.charCodeAt(c);
        }
      }
    }
    valueOffsets[i + 1] = length;
  }
  return { data: bytes.subarray(0, length), valueOffsets };
}

/** Utf8View / BinaryView elements (16-byte views, inline or into variadic buffers) to bytes + offsets. */
function readViews(
  data: Data,
  start: number,
  count: number,
  field: Field,
): Required<Pick<Elements, 'data' | 'valueOffsets'>> {
  const views = data.values as unknown as Uint8Array;
  const buffers = data.variadicBuffers;
  // Arrow JS slices the views with the array, so they start at the array's first value.
  const first = start * 16;
  need(field, Math.floor(views.length / 16), start + count, 'view');
  const view = new DataView(views.buffer, views.byteOffset, views.byteLength);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const length = view.getInt32(first + i * 16, true);
    if (length < 0) {
      throw malformed(field, `view ${start + i} has a negative length`);
    }
    total += length;
  }
  if (total > 0x7fffffff) {
    throw new TfstreamError(
      'CODEC_LIMIT_EXCEEDED',
      'a batch column holds more than 2 GiB of bytes',
      { field: field.name },
    );
  }
  const out = new Uint8Array(total);
  const valueOffsets = new Int32Array(count + 1);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const base = first + i * 16;
    const length = view.getInt32(base, true);
    if (length <= 12) {
      out.set(views.subarray(base + 4, base + 4 + length), at);
    } else {
      const buffer = buffers[view.getInt32(base + 8, true)];
      const offset = view.getInt32(base + 12, true);
      if (buffer === undefined || offset < 0 || offset + length > buffer.length) {
        throw malformed(field, `view ${start + i} points outside its data buffers`);
      }
      out.set(buffer.subarray(offset, offset + length), at);
    }
    at += length;
    valueOffsets[i + 1] = at;
  }
  return { data: out, valueOffsets };
}

// ---------------------------------------------------------------------------------------------
// Columns

/** Expands row validity to element validity, given the first element of each row. */
function elementMask(
  rows: Uint8Array,
  offsets: Int32Array | undefined,
  perRow: number,
  elements: number,
): Uint8Array {
  const out = new Uint8Array(elements);
  for (let r = 0; r < rows.length; r++) {
    const from = offsets === undefined ? r * perRow : offsets[r]!;
    const to = offsets === undefined ? from + perRow : offsets[r + 1]!;
    if (rows[r] === 1) {
      out.fill(1, from, to);
    }
  }
  return out;
}

/** The row that holds element `e` (list offsets are sorted). */
function rowOfElement(offsets: Int32Array, e: number): number {
  let low = 0;
  let high = offsets.length - 2;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (offsets[mid]! <= e) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return low;
}

/** Zeroes the elements of null rows, copying first when the values are shared with Arrow. */
function zeroNullRows(values: NumericArray, validity: Uint8Array, perRow: number): NumericArray {
  let out = values;
  for (let r = 0; r < validity.length; r++) {
    if (validity[r] === 1) {
      continue;
    }
    for (let e = r * perRow; e < (r + 1) * perRow; e++) {
      const v = out[e]!;
      if (v !== 0 && v !== 0n) {
        if (out === values) {
          out = values.slice() as NumericArray;
        }
        if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
          out.fill(0n, r * perRow, (r + 1) * perRow);
        } else {
          out.fill(0, r * perRow, (r + 1) * perRow);
        }
        break;
      }
    }
  }
  return out;
}

/**
 * Rows `start .. start + count` of one Arrow column as a tfstream column of `field` (the caller
 * has checked that the Arrow type can hold it, see `compatibility`).
 *
 * @throws TfstreamError `CODEC_MALFORMED` (or `CODEC_LIMIT_EXCEEDED`) when the data is corrupt;
 *   value problems go to `report` instead
 */
export function arrowDataToColumn(
  data: Data,
  field: Field,
  start: number,
  count: number,
  report: ConversionReport,
): Column {
  if (start < 0 || start + count > data.length) {
    throw malformed(field, `the column has ${data.length} values, too few for ${start + count}`);
  }
  const validity = validityBytes(data, start, count, field);
  if (validity !== undefined && !field.nullable) {
    for (let r = 0; r < count; r++) {
      if (validity[r] === 0) {
        report.add(r, 'CODEC_NULL_VALUE', field, 'the field is not nullable but the value is null');
      }
    }
  }
  const typeId = (data.type as ArrowDataType).typeId;
  if (typeId === Type.Dictionary) {
    return dictionaryColumn(data, field, start, count, validity, report);
  }
  const base = { field, length: count, validity };
  if (field.shape === 'scalar') {
    const elements = readElements(data, start, count, field, validity, (e, code, detail) =>
      report.add(e, code, field, detail),
    );
    return finishFixedRows({ ...base, offsets: undefined, ...elements }, 1, report);
  }
  const child = data.children[0];
  if (child === undefined) {
    throw malformed(field, 'the list column has no child array');
  }
  const elementNull = (row: number, what: string): void =>
    report.add(
      row,
      'CODEC_NULL_VALUE',
      field,
      `a ${what} element is null; only the whole value may be null`,
    );
  if (typeId === Type.FixedSizeList) {
    const perRow = elementCount(field.shape);
    const listSize = (data.type as FixedSizeList).listSize;
    if (listSize !== perRow) {
      throw malformed(field, `the tensor has ${listSize} elements per record, the field ${perRow}`);
    }
    const first = start * perRow;
    const total = count * perRow;
    const valid =
      validity === undefined ? undefined : elementMask(validity, undefined, perRow, total);
    const childValidity = validityBytes(child, first, total, field);
    if (childValidity !== undefined) {
      for (let e = 0; e < total; e++) {
        if (childValidity[e] === 0 && (valid === undefined || valid[e] === 1)) {
          elementNull(Math.floor(e / perRow), 'tensor');
        }
      }
    }
    const elements = readElements(child, first, total, field, valid, (e, code, detail) =>
      report.add(Math.floor(e / perRow), code, field, detail),
    );
    return finishFixedRows({ ...base, offsets: undefined, ...elements }, perRow, report);
  }
  // List and LargeList: rows are ranges of the child, which is not sliced with its parent.
  const listOffsets = data.valueOffsets as Int32Array | BigInt64Array;
  checkOffsets(listOffsets, start, count, child.length, field, 'list');
  const first = Number(listOffsets[start]);
  const offsets = rebased(listOffsets, start, count, field);
  const total = offsets[count]!;
  const valid = validity === undefined ? undefined : elementMask(validity, offsets, 0, total);
  if (validity !== undefined) {
    for (let r = 0; r < count; r++) {
      if (validity[r] === 0 && offsets[r + 1] !== offsets[r]) {
        report.rebuild = true;
        break;
      }
    }
  }
  const childValidity = validityBytes(child, first, total, field);
  if (childValidity !== undefined) {
    for (let e = 0; e < total; e++) {
      if (childValidity[e] === 0 && (valid === undefined || valid[e] === 1)) {
        elementNull(rowOfElement(offsets, e), 'list');
      }
    }
  }
  const elements = readElements(child, first, total, field, valid, (e, code, detail) =>
    report.add(rowOfElement(offsets, e), code, field, detail),
  );
  return {
    ...base,
    offsets,
    values: elements.values,
    data: elements.data,
    valueOffsets: elements.valueOffsets,
  };
}

/** Scalars and tensors: null rows must hold zeros (numbers) or empty elements (bytes). */
function finishFixedRows(
  column: Omit<Column, 'values' | 'data' | 'valueOffsets'> & Elements,
  perRow: number,
  report: ConversionReport,
): Column {
  let values = column.values;
  const validity = column.validity;
  if (validity !== undefined) {
    if (values !== undefined) {
      values = zeroNullRows(values, validity, perRow);
    } else if (column.valueOffsets !== undefined) {
      const offsets = column.valueOffsets;
      for (let r = 0; r < validity.length; r++) {
        if (validity[r] === 0 && offsets[r * perRow] !== offsets[(r + 1) * perRow]) {
          report.rebuild = true;
          break;
        }
      }
    }
  }
  return {
    field: column.field,
    length: column.length,
    validity,
    offsets: undefined,
    values,
    data: column.data,
    valueOffsets: column.valueOffsets,
  };
}

// ---------------------------------------------------------------------------------------------
// Dictionaries

interface DictionaryEntries {
  readonly elements: Elements;
  readonly valid: Uint8Array | undefined;
  readonly bad: Map<number, { code: 'CODEC_NULL_VALUE' | 'CODEC_TYPE_MISMATCH'; detail: string }>;
  readonly length: number;
}

const dictionaryCache = new WeakMap<Vector, Map<string, DictionaryEntries>>();

function dictionaryEntries(dictionary: Vector, field: Field): DictionaryEntries {
  const key = `${field.type}|${field.unit ?? ''}|${field.precision ?? ''}|${field.scale ?? ''}`;
  let perField = dictionaryCache.get(dictionary);
  const cached = perField?.get(key);
  if (cached !== undefined) {
    return cached;
  }
  const chunks = dictionary.data as Data[];
  const bad = new Map<
    number,
    { code: 'CODEC_NULL_VALUE' | 'CODEC_TYPE_MISMATCH'; detail: string }
  >();
  const parts: Elements[] = [];
  const valids: (Uint8Array | undefined)[] = [];
  let base = 0;
  for (const chunk of chunks) {
    const valid = validityBytes(chunk, 0, chunk.length, field);
    const offset = base;
    parts.push(
      readElements(chunk, 0, chunk.length, field, valid, (e, code, detail) =>
        bad.set(offset + e, { code, detail }),
      ),
    );
    valids.push(valid);
    base += chunk.length;
  }
  const entries: DictionaryEntries = {
    elements: concatElements(parts, field),
    valid: valids.every((v) => v === undefined) ? undefined : concatValidity(valids, chunks),
    bad,
    length: base,
  };
  if (perField === undefined) {
    perField = new Map();
    dictionaryCache.set(dictionary, perField);
  }
  perField.set(key, entries);
  return entries;
}

function concatValidity(valids: (Uint8Array | undefined)[], chunks: Data[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0)).fill(1);
  let at = 0;
  valids.forEach((valid, i) => {
    if (valid !== undefined) {
      out.set(valid, at);
    }
    at += chunks[i]!.length;
  });
  return out;
}

function concatElements(parts: Elements[], field: Field): Elements {
  if (parts.length === 1) {
    return parts[0]!;
  }
  const storage = storageOf(field.type);
  if (storage !== 'varbinary') {
    const out = new storage(parts.reduce((n, p) => n + p.values!.length, 0));
    let at = 0;
    for (const part of parts) {
      (out as Float64Array).set(part.values as Float64Array, at);
      at += part.values!.length;
    }
    return { values: out };
  }
  const bytes = parts.reduce((n, p) => n + p.data!.length, 0);
  const count = parts.reduce((n, p) => n + p.valueOffsets!.length - 1, 0);
  const data = new Uint8Array(bytes);
  const valueOffsets = new Int32Array(count + 1);
  let at = 0;
  let e = 0;
  for (const part of parts) {
    data.set(part.data!, at);
    const offsets = part.valueOffsets!;
    for (let i = 1; i < offsets.length; i++) {
      valueOffsets[++e] = at + offsets[i]!;
    }
    at += part.data!.length;
  }
  return { data, valueOffsets };
}

/** A dictionary-encoded column, decoded to its values. */
function dictionaryColumn(
  data: Data,
  field: Field,
  start: number,
  count: number,
  validity: Uint8Array | undefined,
  report: ConversionReport,
): Column {
  const dictionary = data.dictionary;
  if (dictionary === undefined) {
    throw malformed(field, 'the stream has no dictionary batch for this dictionary-encoded column');
  }
  const entries = dictionaryEntries(dictionary, field);
  const indices = data.values as unknown as ArrayLike<number | bigint>;
  need(field, indices.length, start + count, 'index');
  let rowValidity = validity;
  const picks = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    if (rowValidity !== undefined && rowValidity[r] === 0) {
      picks[r] = -1;
      continue;
    }
    const index = Number(indices[start + r]);
    if (!(index >= 0 && index < entries.length)) {
      throw malformed(
        field,
        `dictionary index ${index} is outside the dictionary of ${entries.length} values`,
      );
    }
    if (entries.valid !== undefined && entries.valid[index] === 0) {
      // A null dictionary value makes the record null.
      if (rowValidity === undefined) {
        rowValidity = new Uint8Array(count).fill(1);
      }
      rowValidity[r] = 0;
      picks[r] = -1;
      if (!field.nullable) {
        report.add(r, 'CODEC_NULL_VALUE', field, 'the field is not nullable but the value is null');
      }
      continue;
    }
    const problem = entries.bad.get(index);
    if (problem !== undefined) {
      report.add(r, problem.code, field, problem.detail);
    }
    picks[r] = index;
  }
  const source = entries.elements;
  if (source.values !== undefined) {
    const values = new (source.values.constructor as new (n: number) => NumericArray)(count);
    for (let r = 0; r < count; r++) {
      const index = picks[r]!;
      if (index >= 0) {
        (values as Float64Array)[r] = (source.values as Float64Array)[index]!;
      }
    }
    return {
      field,
      length: count,
      validity: rowValidity,
      offsets: undefined,
      values,
      data: undefined,
      valueOffsets: undefined,
    };
  }
  const from = source.valueOffsets!;
  const valueOffsets = new Int32Array(count + 1);
  let total = 0;
  for (let r = 0; r < count; r++) {
    const index = picks[r]!;
    if (index >= 0) {
      total += from[index + 1]! - from[index]!;
    }
    if (total > 0x7fffffff) {
      throw new TfstreamError(
        'CODEC_LIMIT_EXCEEDED',
        'a batch column holds more than 2 GiB of bytes',
        { field: field.name },
      );
    }
    valueOffsets[r + 1] = total;
  }
  const bytes = new Uint8Array(total);
  for (let r = 0; r < count; r++) {
    const index = picks[r]!;
    if (index >= 0) {
      bytes.set(source.data!.subarray(from[index]!, from[index + 1]!), valueOffsets[r]!);
    }
  }
  return {
    field,
    length: count,
    validity: rowValidity,
    offsets: undefined,
    values: undefined,
    data: bytes,
    valueOffsets,
  };
}
