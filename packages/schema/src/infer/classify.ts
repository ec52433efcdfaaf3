// Classification of one sample value, on its own, into the narrowest type it could have. The
// lattice in `type-lattice.ts` joins these classes across values; nothing here knows about other
// values of the field.
import type { DataType, ScalarValue, Shape, TimeUnit } from '../types.js';
import { parseElementText, parseFloatText, preview } from '../values/text-forms.js';

/**
 * What one element value looks like on its own:
 * - `int`: integer text or a JSON integer (its value decides int32, int64, uint64 or decimal);
 * - `float`: fractional, exponent or NaN/Infinity text, or a fractional JSON number (float64);
 * - `numstr`: a JSON string that spells a number; it counts as a number only in a field that
 *   also holds JSON numbers (int64 beyond 2^53 and NaN are written that way), else as a string;
 * - `opaque`: a JSON object, or an array that is not a regular tensor: only a string holds it,
 *   and it is always reported as a conflict;
 * - `typed`: a value whose type the format declared (tf.Example, Arrow).
 */
export type ValueClass =
  | { readonly kind: 'bool' }
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'float' }
  | { readonly kind: 'numstr'; readonly number: IntClass | FloatClass }
  | { readonly kind: 'date' }
  | { readonly kind: 'time'; readonly unit: TimeUnit }
  | { readonly kind: 'timestamp'; readonly unit: TimeUnit }
  | { readonly kind: 'string' }
  | { readonly kind: 'opaque'; readonly why: string }
  | {
      readonly kind: 'typed';
      readonly type: DataType;
      readonly unit?: TimeUnit;
      readonly precision?: number;
      readonly scale?: number;
    };

type IntClass = { readonly kind: 'int'; readonly value: bigint };
type FloatClass = { readonly kind: 'float' };

/** Longest integer text read as a number (decimal precision tops out at 76 digits). */
export const MAX_INTEGER_DIGITS = 76;

const BOOL: ValueClass = { kind: 'bool' };
const FLOAT: FloatClass = { kind: 'float' };
const STRING: ValueClass = { kind: 'string' };
const DATE: ValueClass = { kind: 'date' };

const INTEGER_TEXT = /^[+-]?(\d+)$/;
const DATE_TEXT = /^(?:[+-]\d{6,9}|\d{4})-\d{2}-\d{2}$/;
const TIME_TEXT = /^\d{2}:\d{2}(?::\d{2}(?:\.(\d{1,9}))?)?$/;
const TIMESTAMP_TEXT =
  /^(?:[+-]\d{6,9}|\d{4})-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.(\d{1,9}))?)?\s*(?:Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** The coarsest unit that holds `digits` fraction digits of a second. */
export function unitForFractionDigits(digits: number): TimeUnit {
  return digits <= 3 ? 'ms' : digits <= 6 ? 'us' : 'ns';
}

function parses(type: DataType, text: string, unit?: TimeUnit): boolean {
  try {
    parseElementText(unit === undefined ? { type } : { type, unit }, text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Classifies text that is not a number: bool words (only when `withWords`), dates, times of day,
 * timestamps; everything else is a string. Each class is confirmed by the parser the codecs use,
 * so a value is never put in a class its field could not decode.
 */
function classifyWordOrTemporal(trimmed: string, withWords: boolean): ValueClass {
  if (withWords) {
    const lower = trimmed.toLowerCase();
    if (lower === 'true' || lower === 'false') {
      return BOOL;
    }
  }
  if (DATE_TEXT.test(trimmed)) {
    return parses('date', trimmed) ? DATE : STRING;
  }
  let m = TIME_TEXT.exec(trimmed);
  if (m !== null) {
    const unit = unitForFractionDigits(m[1]?.length ?? 0);
    return parses('time', trimmed, unit) ? { kind: 'time', unit } : STRING;
  }
  m = TIMESTAMP_TEXT.exec(trimmed);
  if (m !== null) {
    const unit = unitForFractionDigits(m[1]?.length ?? 0);
    return parses('timestamp', trimmed, unit) ? { kind: 'timestamp', unit } : STRING;
  }
  return STRING;
}

/** Classifies number text: integers (without leading zeros), then floats; `undefined` if neither. */
function classifyNumberText(trimmed: string): IntClass | FloatClass | undefined {
  const m = INTEGER_TEXT.exec(trimmed);
  if (m !== null) {
    const digits = m[1]!;
    // "007" is an identifier or a code: a number type would write it back as "7".
    if ((digits.length > 1 && digits.startsWith('0')) || digits.length > MAX_INTEGER_DIGITS) {
      return undefined;
    }
    return { kind: 'int', value: BigInt(trimmed) };
  }
  return parseFloatText(trimmed) === undefined ? undefined : FLOAT;
}

/**
 * Classifies one text element (a CSV cell that is not a JSON array). Surrounding blanks are
 * ignored for numbers, bools and times, as the codecs' text parser ignores them.
 */
export function classifyText(text: string): ValueClass {
  const trimmed = text.trim();
  if (trimmed === '') {
    return STRING;
  }
  return classifyNumberText(trimmed) ?? classifyWordOrTemporal(trimmed, true);
}

/**
 * Classifies one JSON scalar (not an array, not null): booleans, numbers by whether they are
 * whole, strings like text but never as a bool or a number on their own (see `numstr`).
 */
export function classifyJsonScalar(value: unknown): ValueClass {
  switch (typeof value) {
    case 'boolean':
      return BOOL;
    case 'bigint':
      return String(value).replace('-', '').length > MAX_INTEGER_DIGITS
        ? STRING
        : { kind: 'int', value };
    case 'number':
      // JSON.parse has already rounded integers beyond 2^53; below 2^64 they still say "int64".
      if (Number.isInteger(value) && !Object.is(value, -0) && Math.abs(value) < 2 ** 64) {
        return { kind: 'int', value: BigInt(value) };
      }
      return FLOAT;
    case 'string': {
      const trimmed = value.trim();
      const number = trimmed === '' ? undefined : classifyNumberText(trimmed);
      if (number !== undefined) {
        return { kind: 'numstr', number };
      }
      return trimmed === '' ? STRING : classifyWordOrTemporal(trimmed, false);
    }
    default:
      return { kind: 'opaque', why: `a JSON ${value === null ? 'null' : typeof value}` };
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Whether bytes are valid UTF-8 (and so can be a string without loss). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const TYPED_STRING: ValueClass = { kind: 'typed', type: 'string' };
const TYPED_BYTES: ValueClass = { kind: 'typed', type: 'bytes' };
/** One class object per declared type and parameters, so that a typed cell allocates nothing. */
const TYPED_CLASSES = new Map<string, ValueClass>();

/** The class of the values of a typed cell; `bytes` values are split by UTF-8 validity. */
export function classifyTyped(
  cell: {
    readonly type: DataType;
    readonly unit?: TimeUnit;
    readonly precision?: number;
    readonly scale?: number;
  },
  value: ScalarValue,
): ValueClass {
  const type = cell.type;
  if (type === 'bytes') {
    return value instanceof Uint8Array && isValidUtf8(value) ? TYPED_STRING : TYPED_BYTES;
  }
  const timed = type === 'time' || type === 'timestamp';
  const key =
    type === 'decimal'
      ? `decimal(${cell.precision ?? 38},${cell.scale ?? 0})`
      : timed
        ? `${type}[${cell.unit ?? 'ms'}]`
        : type;
  let cls = TYPED_CLASSES.get(key);
  if (cls === undefined) {
    cls =
      type === 'decimal'
        ? { kind: 'typed', type, precision: cell.precision ?? 38, scale: cell.scale ?? 0 }
        : timed
          ? { kind: 'typed', type, unit: cell.unit ?? 'ms' }
          : { kind: 'typed', type };
    TYPED_CLASSES.set(key, cls);
  }
  return cls;
}

/** Tensor dimensions of a regular nested array, or a reason why it is not one. */
export function arrayDims(value: readonly unknown[]): number[] | string {
  if (value.length === 0) {
    return [0];
  }
  let child: number[] | undefined;
  let leaves = 0;
  for (const item of value) {
    if (Array.isArray(item)) {
      const dims = arrayDims(item);
      if (typeof dims === 'string') {
        return dims;
      }
      if (child === undefined) {
        child = dims;
      } else if (!sameDims(child, dims)) {
        return 'nested arrays of different lengths';
      }
    } else if (item === null || item === undefined) {
      return 'an array with a null element';
    } else if (typeof item === 'object') {
      return 'an array holding an object';
    } else {
      leaves++;
    }
  }
  if (child !== undefined && leaves > 0) {
    return 'an array mixing values and arrays';
  }
  return child === undefined ? [value.length] : [value.length, ...child];
}

/** Element-wise equality of two dimension lists. */
export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

/** Leaves of a nested array, outermost first (row-major). */
export function flatten(value: readonly unknown[], out: unknown[] = []): unknown[] {
  for (const item of value) {
    if (Array.isArray(item)) {
      flatten(item, out);
    } else {
      out.push(item);
    }
  }
  return out;
}

/** Shape to dims: what a typed cell says about its element count, before the field's rules. */
export function typedDims(shape: Shape | undefined, count: number): number[] {
  if (shape === undefined || shape === 'list') {
    return [count];
  }
  if (shape === 'scalar') {
    return [1];
  }
  return [...shape];
}

const PREVIEW_LENGTH = 40;

/**
 * A short, JSON-safe text of a sample value for conflicts and examples: strings quoted, numbers
 * and bigints as digits, bytes as a count, arrays and objects as (shortened) JSON.
 */
export function previewSample(value: unknown): string {
  if (typeof value === 'bigint') {
    return String(value);
  }
  if (typeof value === 'string' || value instanceof Uint8Array || typeof value === 'number') {
    return preview(value);
  }
  if (typeof value === 'object' && value !== null) {
    let json: string;
    try {
      json = JSON.stringify(value, (_key, v: unknown) =>
        typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? `<${v.length} bytes>` : v,
      );
    } catch {
      json = Array.isArray(value) ? 'array' : 'object';
    }
    return json.length > PREVIEW_LENGTH ? `${json.slice(0, PREVIEW_LENGTH)}…` : json;
  }
  return String(value);
}
