// The JSON form of every type, as listed in the `json` column of TYPE_TABLE
// (@tfstream/schema type-table.ts); JSON itself is RFC 8259.
import type { ElementType, Field, ScalarValue, Shape, Value } from '@tfstream/schema';
import {
  TfstreamError,
  checkWellFormed,
  elementCount,
  encodeBase64,
  formatCivilDate,
  formatElementText,
  formatFloat32,
  normalizeElement,
  parseDecimal,
  parseElementText,
  preview,
  typeLabel,
} from '@tfstream/schema';
import type { ColumnBuilder } from '../batch/column-builder.js';
import type { Column } from '../batch/column.js';
import { elementRange, isValid } from '../batch/column.js';
import { elementValue } from '../batch/record-batch.js';
import { JsonNumber } from './exact-json.js';

/** A value that `JSON.stringify` (or {@link formatJsonValue}, which keeps `-0`) can write. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_NORMAL_FLOAT32 = 2 ** -126;

function mismatch(field: ElementType, detail: string): TfstreamError {
  return new TfstreamError(
    'CODEC_TYPE_MISMATCH',
    detail,
    field.name === undefined ? {} : { field: field.name },
  );
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/**
 * The double whose shortest text is the shortest text that reads back to the float32 `value`
 * (what `formatFloat32` writes), so that `String()` of it is that text.
 */
function float32Number(value: number): number {
  // Seven significant digits or fewer: no shorter text lies within half a float32 ulp
  // (2^-24 relative) of a normal float32, so the double's shortest text is already the shortest.
  if (
    String(value).length <= 7 &&
    (value >= MIN_NORMAL_FLOAT32 || value <= -MIN_NORMAL_FLOAT32 || value === 0)
  ) {
    return value;
  }
  if (!Number.isFinite(value)) {
    return Number(formatFloat32(value));
  }
  // The same answer as formatFloat32's bisection (if p digits read back, so do p + 1), searched
  // down from 8 digits: most float32 values need 7 to 9, so this takes two or three tries.
  let best = Number(value.toPrecision(8));
  if (Math.fround(best) !== value) {
    return Number(value.toPrecision(9));
  }
  for (let digits = 7; digits >= 1; digits--) {
    const shorter = Number(value.toPrecision(digits));
    if (Math.fround(shorter) !== value) {
      break;
    }
    best = shorter;
  }
  return best;
}

/** Shortest text of a float32 element, as `formatFloat32` spells it, with a fast path. */
export function float32Text(value: number): string {
  if (value === 0 || !Number.isFinite(value)) {
    return formatElementText({ type: 'float32' }, value);
  }
  return String(float32Number(value));
}

function floatToJson(value: number, float32: boolean): number | string {
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (value === Number.POSITIVE_INFINITY) {
    return 'Infinity';
  }
  if (value === Number.NEGATIVE_INFINITY) {
    return '-Infinity';
  }
  return float32 && value !== 0 ? float32Number(value) : value;
}

/** The JSON form of one element in canonical logical form. */
function elementToJson(field: Field, value: ScalarValue): JsonValue {
  switch (field.type) {
    case 'string':
    case 'char':
    case 'decimal':
      return value as string;
    case 'bytes':
      return encodeBase64(value as Uint8Array);
    case 'bool':
      return value as boolean;
    case 'int8':
    case 'int16':
    case 'int32':
    case 'uint8':
    case 'uint16':
    case 'uint32':
      return value as number;
    case 'int64':
    case 'uint64': {
      const big = value as bigint;
      return big >= -MAX_SAFE && big <= MAX_SAFE ? Number(big) : String(big);
    }
    case 'float32':
      return floatToJson(value as number, true);
    case 'float64':
      return floatToJson(value as number, false);
    case 'date':
      return formatCivilDate(value as number);
    case 'time':
    case 'timestamp':
      return formatElementText(field, value);
  }
}

/**
 * The JSON form of a field's logical value, as the JSONL codec writes it and `tfstream inspect`
 * prints it: numbers for integers up to 32 bits, 64-bit integers as numbers within ±(2^53 - 1)
 * and decimal strings beyond, floats as the shortest text that reads back to the same value with
 * `"NaN"`, `"Infinity"`, `"-Infinity"` as strings (and `-0` kept: write it with
 * {@link formatJsonValue}, since `JSON.stringify` writes `0`), bytes in base64, dates, times and
 * timestamps in ISO-8601, decimals as strings, lists as arrays, tensors as nested arrays.
 *
 * @throws TfstreamError `CODEC_TYPE_MISMATCH` naming the field when the value does not fit it
 *
 * @example
 * ```ts
 * toJsonValue({ name: 'id', type: 'int64', shape: 'scalar', nullable: false }, 2n ** 60n);
 * // '1152921504606846976'
 * ```
 */
export function toJsonValue(field: Field, value: Value): JsonValue {
  if (value === null || value === undefined) {
    return null;
  }
  const shape = field.shape;
  if (shape === 'scalar') {
    return elementToJson(field, normalizeElement(field, value));
  }
  if (!Array.isArray(value)) {
    throw mismatch(field, `expected an array for ${shapeWord(shape)} field, got ${preview(value)}`);
  }
  if (shape === 'list') {
    return value.map((element: Value) => elementToJson(field, normalizeElement(field, element)));
  }
  const flat = isFlat(value, shape);
  return tensorToJson(field, shape, 0, flat ? value : undefined, value, { next: 0 });
}

function tensorToJson(
  field: Field,
  shape: readonly number[],
  depth: number,
  flat: readonly Value[] | undefined,
  nested: unknown,
  cursor: { next: number },
): JsonValue {
  if (depth === shape.length) {
    const element = flat === undefined ? nested : flat[cursor.next++];
    return elementToJson(field, normalizeElement(field, element));
  }
  const dim = shape[depth]!;
  if (flat === undefined && (!Array.isArray(nested) || nested.length !== dim)) {
    throw shapeMismatch(field, shape, depth, nested);
  }
  const out: JsonValue[] = new Array<JsonValue>(dim);
  for (let i = 0; i < dim; i++) {
    out[i] = tensorToJson(
      field,
      shape,
      depth + 1,
      flat,
      flat === undefined ? (nested as unknown[])[i] : undefined,
      cursor,
    );
  }
  return out;
}

/**
 * Writes a JSON value like `JSON.stringify`, except that `-0` stays `-0` (and a non-finite
 * number is written as the string `"NaN"`, `"Infinity"` or `"-Infinity"`).
 */
export function formatJsonValue(value: JsonValue): string {
  switch (typeof value) {
    case 'number':
      return numberText(value);
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      break;
  }
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      out += (i === 0 ? '' : ',') + formatJsonValue(value[i] as JsonValue);
    }
    return `${out}]`;
  }
  let out = '{';
  let first = true;
  for (const [key, member] of Object.entries(value)) {
    out += `${first ? '' : ','}${JSON.stringify(key)}:${formatJsonValue(member)}`;
    first = false;
  }
  return `${out}}`;
}

function numberText(value: number): string {
  if (Number.isFinite(value)) {
    return Object.is(value, -0) ? '-0' : String(value);
  }
  return Number.isNaN(value) ? '"NaN"' : value > 0 ? '"Infinity"' : '"-Infinity"';
}

/** Writes one element of a column as JSON text, without building the logical value of a number. */
export type ElementWriter = (column: Column, index: number) => string;

/** The JSON text writer of one field's elements. */
export function jsonElementWriter(field: Field): ElementWriter {
  switch (field.type) {
    case 'float32':
      return (column, i) => {
        const v = column.values![i] as number;
        return Number.isFinite(v) && v !== 0 ? String(float32Number(v)) : numberText(v);
      };
    case 'float64':
      return (column, i) => numberText(column.values![i] as number);
    case 'int8':
    case 'int16':
    case 'int32':
    case 'uint8':
    case 'uint16':
    case 'uint32':
      return (column, i) => String(column.values![i]);
    case 'bool':
      return (column, i) => (column.values![i] === 1 ? 'true' : 'false');
    case 'int64':
    case 'uint64':
      return (column, i) => {
        const v = column.values![i] as bigint;
        return v >= -MAX_SAFE && v <= MAX_SAFE ? String(v) : `"${v}"`;
      };
    default:
      return (column, i) => formatJsonValue(elementToJson(field, elementValue(column, i)));
  }
}

/** JSON text of one row of a column: `null`, an element, an array, or nested arrays. */
export function jsonValueText(column: Column, row: number, write: ElementWriter): string {
  if (!isValid(column, row)) {
    return 'null';
  }
  const [start, end] = elementRange(column, row);
  const shape = column.field.shape;
  if (shape === 'scalar') {
    return write(column, start);
  }
  if (shape === 'list' || shape.length === 1) {
    // join() makes one flat string; += would leave a rope of many small pieces to flatten later.
    const parts = new Array<string>(end - start);
    for (let i = start; i < end; i++) {
      parts[i - start] = write(column, i);
    }
    return `[${parts.join(',')}]`;
  }
  return nestedText(column, shape, 0, start, write);
}

function nestedText(
  column: Column,
  shape: readonly number[],
  depth: number,
  start: number,
  write: ElementWriter,
): string {
  const dim = shape[depth]!;
  let stride = 1;
  for (let d = depth + 1; d < shape.length; d++) {
    stride *= shape[d]!;
  }
  const parts = new Array<string>(dim);
  for (let i = 0; i < dim; i++) {
    parts[i] =
      depth === shape.length - 1
        ? write(column, start + i)
        : nestedText(column, shape, depth + 1, start + i * stride, write);
  }
  return `[${parts.join(',')}]`;
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

const INTEGER_FORM: ElementType = { type: 'decimal', precision: 76, scale: 0 };

/** Whether a number of this type can lose digits in `JSON.parse` (so the line is re-parsed exactly). */
function isExactSensitive(field: Field): boolean {
  switch (field.type) {
    case 'int64':
    case 'uint64':
    case 'time':
    case 'timestamp':
    case 'decimal':
      return true;
    default:
      return false;
  }
}

/**
 * One element from its JSON form. Accepted beyond what the writer writes: numbers and decimal
 * strings for every numeric type, the text form of any type in a string (`"1e3"`, `"nan"`),
 * epoch numbers for date, time and timestamp, bigints and {@link JsonNumber}s.
 */
function jsonToElement(field: Field, json: unknown): ScalarValue {
  switch (typeof json) {
    case 'string':
      if (field.type === 'string') {
        checkWellFormed(field, json);
        return json;
      }
      if (field.type !== 'bool') {
        return parseElementText(field, json);
      }
      break;
    case 'number':
      if (field.type === 'float64') {
        return json;
      }
      if (!isTextType(field)) {
        return normalizeElement(field, json);
      }
      break;
    case 'boolean':
      if (field.type === 'bool') {
        return json;
      }
      break;
    case 'bigint':
      if (!isTextType(field) && field.type !== 'float32' && field.type !== 'float64') {
        return normalizeElement(field, field.type === 'date' ? toSafeNumber(field, json) : json);
      }
      break;
    case 'object':
      if (json instanceof JsonNumber) {
        return exactNumberToElement(field, json.text);
      }
      break;
    default:
      break;
  }
  throw mismatch(field, `expected ${typeLabel(field)}, got ${preview(json)}`);
}

function isTextType(field: Field): boolean {
  const type = field.type;
  return type === 'string' || type === 'char' || type === 'bytes' || type === 'bool';
}

function toSafeNumber(field: Field, value: bigint): number {
  if (value < -MAX_SAFE || value > MAX_SAFE) {
    throw mismatch(field, `${value} is out of range for ${typeLabel(field)}`);
  }
  return Number(value);
}

function exactNumberToElement(field: Field, text: string): ScalarValue {
  switch (field.type) {
    case 'float32':
    case 'float64':
      return jsonToElement(field, Number(text));
    case 'decimal':
      return parseDecimal(field, text);
    case 'string':
    case 'char':
    case 'bytes':
    case 'bool':
      throw mismatch(field, `expected ${typeLabel(field)}, got ${text}`);
    default: {
      let integer: bigint;
      try {
        integer = BigInt(parseDecimal(INTEGER_FORM, text));
      } catch {
        throw mismatch(field, `expected ${typeLabel(field)}, got ${text}`);
      }
      return normalizeElement(
        field,
        field.type === 'date' ? toSafeNumber(field, integer) : integer,
      );
    }
  }
}

function shapeWord(shape: Shape): string {
  return shape === 'list' ? 'a list' : 'a tensor';
}

function shapeMismatch(
  field: Field,
  shape: readonly number[],
  depth: number,
  got: unknown,
): TfstreamError {
  const total = elementCount(shape);
  const flatNote = shape.length > 1 && depth === 0 ? ` (or a flat array of ${total})` : '';
  return new TfstreamError(
    'CODEC_SHAPE_MISMATCH',
    `expected ${shape[depth]} values in dimension ${depth} of shape [${shape.join(', ')}]${flatNote}, got ${preview(got)}`,
    { field: field.name },
  );
}

function nullElement(field: Field): TfstreamError {
  return new TfstreamError(
    'CODEC_NULL_VALUE',
    'a list or tensor element is null; only the whole value may be null',
    { field: field.name },
  );
}

/** Whether a tensor value is given as one flat array of all its elements. */
function isFlat(value: readonly unknown[], shape: readonly number[]): boolean {
  return (
    shape.length > 1 &&
    value.length === elementCount(shape) &&
    (value.length === 0 || !Array.isArray(value[0]))
  );
}

/**
 * The logical value of a field from its JSON form (see {@link toJsonValue}); `null` or
 * `undefined` (an absent key) is null. Tensors may be nested or flat arrays and come back nested.
 * To read 64-bit integers and decimals exactly, parse with {@link parseExactJson}: a plain number
 * beyond 2^53 has already been rounded by `JSON.parse` and is refused.
 *
 * @throws TfstreamError `CODEC_TYPE_MISMATCH`, `CODEC_SHAPE_MISMATCH` or `CODEC_NULL_VALUE`
 * naming the field
 *
 * @example
 * ```ts
 * fromJsonValue({ name: 'x', type: 'float32', shape: 'list', nullable: false }, [1, 'NaN']);
 * // [1, NaN]
 * ```
 */
export function fromJsonValue(field: Field, json: unknown): Value {
  if (json === null || json === undefined) {
    if (!field.nullable) {
      throw new TfstreamError(
        'CODEC_NULL_VALUE',
        'the field is not nullable but the value is missing',
        { field: field.name },
      );
    }
    return null;
  }
  const shape = field.shape;
  if (shape === 'scalar') {
    return jsonToElement(field, json);
  }
  if (!Array.isArray(json)) {
    throw mismatch(
      field,
      `expected a JSON array for ${shapeWord(shape)} field, got ${preview(json)}`,
    );
  }
  if (shape === 'list') {
    return json.map((element: unknown) => {
      if (element === null || element === undefined) {
        throw nullElement(field);
      }
      return jsonToElement(field, element);
    });
  }
  const flat = isFlat(json, shape) ? json : undefined;
  return tensorFromJson(field, shape, 0, flat, json, { next: 0 });
}

function tensorFromJson(
  field: Field,
  shape: readonly number[],
  depth: number,
  flat: readonly unknown[] | undefined,
  nested: unknown,
  cursor: { next: number },
): Value {
  if (depth === shape.length) {
    const element = flat === undefined ? nested : flat[cursor.next++];
    if (element === null || element === undefined) {
      throw nullElement(field);
    }
    return jsonToElement(field, element);
  }
  const dim = shape[depth]!;
  if (flat === undefined && (!Array.isArray(nested) || nested.length !== dim)) {
    throw shapeMismatch(field, shape, depth, nested);
  }
  const out: Value[] = new Array<Value>(dim);
  for (let i = 0; i < dim; i++) {
    out[i] = tensorFromJson(
      field,
      shape,
      depth + 1,
      flat,
      flat === undefined ? (nested as unknown[])[i] : undefined,
      cursor,
    );
  }
  return out;
}

/**
 * Reads one field's JSON values straight into a {@link ColumnBuilder}, with fast paths for
 * numbers; the same rules as {@link fromJsonValue}.
 */
export class JsonFieldReader {
  readonly field: Field;
  /** Whether `JSON.parse` may have rounded a value of this field (see {@link needsExactParse}). */
  readonly exactSensitive: boolean;
  private readonly tensorShape: readonly number[] | undefined;
  private readonly total: number;

  constructor(field: Field) {
    this.field = field;
    this.exactSensitive = isExactSensitive(field);
    this.tensorShape = typeof field.shape === 'string' ? undefined : field.shape;
    this.total = elementCount(field.shape);
  }

  /**
   * Whether `json` (from `JSON.parse`) holds a number that may have been rounded: an integer
   * beyond 2^53 for a 64-bit field, or any number for a decimal field. The record is then
   * re-parsed with `parseExactJson`.
   */
  needsExactParse(json: unknown): boolean {
    if (!this.exactSensitive) {
      return false;
    }
    if (this.field.shape === 'scalar') {
      return this.inexact(json);
    }
    return this.inexactIn(json, this.tensorShape === undefined ? 1 : this.tensorShape.length);
  }

  private inexact(json: unknown): boolean {
    if (typeof json !== 'number') {
      return false;
    }
    return this.field.type === 'decimal' || (Number.isInteger(json) && !Number.isSafeInteger(json));
  }

  private inexactIn(json: unknown, depth: number): boolean {
    if (!Array.isArray(json)) {
      return this.inexact(json);
    }
    if (depth === 0) {
      return false;
    }
    for (const item of json) {
      if (this.inexactIn(item, depth - 1)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Appends one row from the field's JSON value; `null` or `undefined` (an absent key) is null.
   * @throws TfstreamError naming the field; the row may be half built (the record is rolled back)
   */
  read(builder: ColumnBuilder, json: unknown): void {
    if (json === null || json === undefined) {
      builder.appendNull();
      return;
    }
    const shape = this.field.shape;
    if (shape === 'scalar') {
      this.push(builder, json);
    } else if (!Array.isArray(json)) {
      throw mismatch(
        this.field,
        `expected a JSON array for ${shapeWord(shape)} field, got ${preview(json)}`,
      );
    } else if (shape === 'list') {
      for (let i = 0; i < json.length; i++) {
        this.push(builder, json[i]);
      }
    } else if (shape.length === 1 || isFlat(json, shape)) {
      if (json.length !== this.total) {
        throw shapeMismatch(this.field, shape, 0, json);
      }
      for (let i = 0; i < json.length; i++) {
        this.push(builder, json[i]);
      }
    } else {
      this.pushNested(builder, json, shape, 0);
    }
    builder.commitRow();
  }

  private pushNested(
    builder: ColumnBuilder,
    json: unknown,
    shape: readonly number[],
    depth: number,
  ): void {
    if (depth === shape.length) {
      this.push(builder, json);
      return;
    }
    const dim = shape[depth]!;
    if (!Array.isArray(json) || json.length !== dim) {
      throw shapeMismatch(this.field, shape, depth, json);
    }
    for (let i = 0; i < dim; i++) {
      this.pushNested(builder, json[i], shape, depth + 1);
    }
  }

  private push(builder: ColumnBuilder, json: unknown): void {
    if (typeof json === 'number') {
      switch (this.field.type) {
        case 'float64':
          builder.pushNumber(json);
          return;
        case 'float32': {
          const f = Math.fround(json);
          if (f - f === 0 || json - json !== 0) {
            builder.pushNumber(f);
            return;
          }
          break; // a finite double beyond float32: let normalizeElement explain
        }
        default:
          break;
      }
    } else if (json === null || json === undefined) {
      throw nullElement(this.field);
    }
    pushElementValue(builder, jsonToElement(this.field, json));
  }
}

/** Pushes one element, already checked and in canonical form, into a column builder. */
export function pushElementValue(builder: ColumnBuilder, element: ScalarValue): void {
  switch (typeof element) {
    case 'number':
      builder.pushNumber(element);
      break;
    case 'bigint':
      builder.pushBigInt(element);
      break;
    case 'boolean':
      builder.pushNumber(element ? 1 : 0);
      break;
    case 'string':
      builder.pushString(element);
      break;
    default:
      builder.pushBytes(element);
      break;
  }
}
