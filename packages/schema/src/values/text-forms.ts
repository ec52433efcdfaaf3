import { TfstreamError } from '../errors.js';
import type { DataType, Field, ScalarValue, TimeUnit } from '../types.js';
import { INTEGER_RANGES, isIntegerType, typeLabel } from '../types.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { daysFromCivil, daysInMonth, formatCivilDate, pad2 } from './calendar.js';

/** The parameters of a field that decide how one of its elements is checked and written. */
export type ElementType = Pick<Field, 'type' | 'unit' | 'precision' | 'scale'> & {
  readonly name?: string;
};

const UNITS_PER_SECOND: Readonly<Record<TimeUnit, bigint>> = {
  ms: 1000n,
  us: 1000000n,
  ns: 1000000000n,
};
const FRACTION_DIGITS: Readonly<Record<TimeUnit, number>> = { ms: 3, us: 6, ns: 9 };
const SECONDS_PER_DAY = 86400n;

/** Units of `unit` in one second. */
export function unitsPerSecond(unit: TimeUnit): bigint {
  return UNITS_PER_SECOND[unit];
}

function mismatch(field: ElementType, detail: string): TfstreamError {
  return new TfstreamError(
    'CODEC_TYPE_MISMATCH',
    detail,
    field.name === undefined ? {} : { field: field.name },
  );
}

/** A short, quoted preview of a bad input for error messages. */
export function preview(value: unknown): string {
  let text: string;
  if (typeof value === 'string') {
    // Cut at 40 UTF-16 units, but never between the two halves of a surrogate pair.
    const cut = /[\uD800-\uDBFF]/.test(value.charAt(39)) ? 39 : 40;
    text = JSON.stringify(value.length > 40 ? `${value.slice(0, cut)}…` : value);
  } else if (typeof value === 'bigint') {
    text = `${value}n`;
  } else if (value instanceof Uint8Array) {
    text = `<${value.length} bytes>`;
  } else if (Array.isArray(value)) {
    text = `array of ${value.length}`;
  } else if (typeof value === 'number') {
    text = Object.is(value, -0) ? '-0' : String(value);
  } else if (value === null || value === undefined) {
    text = String(value);
  } else {
    text = typeof value;
  }
  return text;
}

function expected(field: ElementType, got: unknown): TfstreamError {
  return mismatch(field, `expected ${typeLabel(field)}, got ${preview(got)}`);
}

// ---------------------------------------------------------------------------------------------
// Logical values: check and normalize what user code or a codec hands in.
// ---------------------------------------------------------------------------------------------

/**
 * Checks one element value against its type and returns it in canonical form (see {@link Value}).
 * Lenient where nothing can be lost: a safe-integer `number` is accepted for 64-bit types, a
 * `bigint` within range for narrow integers, a `Date` for date and timestamp fields.
 *
 * @throws TfstreamError `CODEC_TYPE_MISMATCH` naming the field when the value does not fit.
 */
export function normalizeElement(field: ElementType, value: unknown): ScalarValue {
  const type = field.type;
  switch (type) {
    case 'string':
      if (typeof value !== 'string') {
        throw expected(field, value);
      }
      checkWellFormed(field, value);
      return value;
    case 'char':
      if (typeof value !== 'string' || !isSingleCodePoint(value)) {
        throw mismatch(field, `expected char (one Unicode code point), got ${preview(value)}`);
      }
      return value;
    case 'bytes':
      if (!(value instanceof Uint8Array)) {
        throw expected(field, value);
      }
      return value;
    case 'bool':
      if (typeof value !== 'boolean') {
        throw expected(field, value);
      }
      return value;
    case 'float32':
      if (typeof value !== 'number') {
        throw expected(field, value);
      }
      return toFloat32(field, value);
    case 'float64':
      if (typeof value !== 'number') {
        throw expected(field, value);
      }
      return value;
    case 'date':
      return normalizeDate(field, value);
    case 'time':
      return normalizeTime(field, value);
    case 'timestamp':
      return normalizeTimestamp(field, value);
    case 'decimal':
      if (typeof value === 'string' || typeof value === 'bigint' || typeof value === 'number') {
        return parseDecimal(field, String(value));
      }
      throw expected(field, value);
    default:
      return normalizeInteger(field, type, value);
  }
}

function normalizeInteger(field: ElementType, type: DataType, value: unknown): number | bigint {
  if (!isIntegerType(type)) {
    throw new Error(`unreachable type ${type}`);
  }
  const [min, max] = INTEGER_RANGES[type];
  const wide = type === 'int64' || type === 'uint64';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      throw expected(field, value);
    }
    if (wide) {
      if (!Number.isSafeInteger(value)) {
        throw mismatch(
          field,
          `expected ${type}, got ${value} which is beyond 2^53 and already rounded; pass a bigint or a decimal string`,
        );
      }
      const big = BigInt(value);
      if (big < min || big > max) {
        throw mismatch(field, `${value} is out of range for ${type}`);
      }
      return big;
    }
    if (value < Number(min) || value > Number(max)) {
      throw mismatch(field, `${value} is out of range for ${type}`);
    }
    return value === 0 ? 0 : value; // -0 is not an integer value
  }
  if (typeof value === 'bigint') {
    if (value < min || value > max) {
      throw mismatch(field, `${value} is out of range for ${type}`);
    }
    return wide ? value : Number(value);
  }
  throw expected(field, value);
}

function toFloat32(field: ElementType, value: number): number {
  const f = Math.fround(value);
  if (!Number.isFinite(f) && Number.isFinite(value)) {
    throw mismatch(field, `${value} is out of range for float32; declare the field float64`);
  }
  return f;
}

function normalizeDate(field: ElementType, value: unknown): number {
  if (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= -2147483648 &&
    value <= 2147483647
  ) {
    return value === 0 ? 0 : value;
  }
  if (typeof value === 'string') {
    return parseDate(field, value);
  }
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    const ms = value.getTime();
    if (ms % 86400000 !== 0) {
      throw mismatch(field, `expected a date, got ${value.toISOString()} which has a time of day`);
    }
    return ms / 86400000;
  }
  throw mismatch(
    field,
    `expected date (days since 1970-01-01 or "YYYY-MM-DD"), got ${preview(value)}`,
  );
}

function normalizeTime(field: ElementType, value: unknown): bigint {
  const unit = field.unit ?? 'ms';
  let units: bigint;
  if (typeof value === 'bigint') {
    units = value;
  } else if (typeof value === 'number' && Number.isSafeInteger(value)) {
    units = BigInt(value);
  } else if (typeof value === 'string') {
    return parseTime(field, value);
  } else {
    throw mismatch(
      field,
      `expected ${typeLabel(field)} (units since midnight or "HH:MM:SS"), got ${preview(value)}`,
    );
  }
  if (units < 0n || units >= SECONDS_PER_DAY * UNITS_PER_SECOND[unit]) {
    throw mismatch(field, `${units} ${unit} is not a time of day`);
  }
  return units;
}

function normalizeTimestamp(field: ElementType, value: unknown): bigint {
  const unit = field.unit ?? 'ms';
  if (typeof value === 'bigint') {
    return checkInt64(field, value);
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    return BigInt(value);
  }
  if (typeof value === 'string') {
    return parseTimestamp(field, value);
  }
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    return (BigInt(value.getTime()) * UNITS_PER_SECOND[unit]) / 1000n;
  }
  throw mismatch(
    field,
    `expected ${typeLabel(field)} (units since the epoch or ISO-8601 text), got ${preview(value)}`,
  );
}

function checkInt64(field: ElementType, value: bigint): bigint {
  const [min, max] = INTEGER_RANGES.int64;
  if (value < min || value > max) {
    throw mismatch(field, `${value} is out of the int64 range of ${typeLabel(field)}`);
  }
  return value;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws when a string has an unpaired surrogate, which UTF-8 cannot carry. */
export function checkWellFormed(field: ElementType, value: string): void {
  const match = LONE_SURROGATE.exec(value);
  if (match !== null) {
    throw mismatch(
      field,
      `string has an unpaired UTF-16 surrogate at index ${match.index}, which UTF-8 cannot carry; use a bytes field`,
    );
  }
}

function isSingleCodePoint(value: string): boolean {
  if (value.length === 1) {
    const c = value.charCodeAt(0);
    return c < 0xd800 || c > 0xdfff;
  }
  if (value.length === 2) {
    const hi = value.charCodeAt(0);
    const lo = value.charCodeAt(1);
    return hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Text forms: the one textual spelling of each type, shared by CSV cells and JSON strings.
// ---------------------------------------------------------------------------------------------

const INTEGER_TEXT = /^[+-]?\d+(?:\.0*)?$/;
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)$/;

/**
 * Parses the text form of one element (a CSV cell, or a JSON string standing for a number, a
 * date, bytes, ...). The inverse of {@link formatElementText}.
 *
 * @throws TfstreamError `CODEC_TYPE_MISMATCH` naming the field.
 */
export function parseElementText(field: ElementType, text: string): ScalarValue {
  const type = field.type;
  switch (type) {
    case 'string':
      checkWellFormed(field, text);
      return text;
    case 'char':
      return normalizeElement(field, text);
    case 'bytes': {
      const bytes = decodeBase64(text);
      if (bytes === undefined) {
        throw mismatch(field, `expected base64 bytes, got ${preview(text)}`);
      }
      return bytes;
    }
    case 'bool': {
      const lower = text.trim().toLowerCase();
      if (lower === 'true' || lower === '1') {
        return true;
      }
      if (lower === 'false' || lower === '0') {
        return false;
      }
      throw expected(field, text);
    }
    case 'float32':
    case 'float64': {
      const number = parseFloatText(text);
      if (number === undefined) {
        throw expected(field, text);
      }
      return type === 'float32' ? toFloat32(field, number) : number;
    }
    case 'date':
      return parseDate(field, text);
    case 'time':
      return parseTime(field, text);
    case 'timestamp':
      return parseTimestamp(field, text);
    case 'decimal':
      return parseDecimal(field, text);
    default: {
      const trimmed = text.trim();
      if (!INTEGER_TEXT.test(trimmed)) {
        throw expected(field, text);
      }
      const dot = trimmed.indexOf('.');
      return normalizeInteger(field, type, BigInt(dot < 0 ? trimmed : trimmed.slice(0, dot)));
    }
  }
}

/** Parses a float's text: decimal or exponent notation, `NaN`, `Infinity`, `inf` (any case). */
export function parseFloatText(text: string): number | undefined {
  const trimmed = text.trim();
  if (FLOAT_TEXT.test(trimmed)) {
    return Number(trimmed);
  }
  const lower = trimmed.toLowerCase();
  switch (lower) {
    case 'nan':
    case '+nan':
    case '-nan':
      return Number.NaN;
    case 'infinity':
    case '+infinity':
    case 'inf':
    case '+inf':
      return Number.POSITIVE_INFINITY;
    case '-infinity':
    case '-inf':
      return Number.NEGATIVE_INFINITY;
    default:
      return undefined;
  }
}

/**
 * Writes one element in its text form: integers in decimal, floats in the shortest text that
 * reads back to the same value (`NaN`, `Infinity`, `-Infinity`, `-0` spelled out), bytes in
 * base64, dates, times and timestamps in ISO-8601 at the field's precision, decimals with exactly
 * `scale` fraction digits.
 */
export function formatElementText(field: ElementType, value: ScalarValue): string {
  switch (field.type) {
    case 'string':
    case 'char':
    case 'decimal':
      return value as string;
    case 'bytes':
      return encodeBase64(value as Uint8Array);
    case 'bool':
      return value ? 'true' : 'false';
    case 'float32':
      return formatFloat32(value as number);
    case 'float64':
      return formatFloat64(value as number);
    case 'date':
      return formatCivilDate(value as number);
    case 'time':
      return formatTime(value as bigint, field.unit ?? 'ms');
    case 'timestamp':
      return formatTimestamp(value as bigint, field.unit ?? 'ms');
    default:
      return String(value);
  }
}

/** Shortest decimal text that reads back to the same float64; `-0`, `NaN`, `±Infinity` spelled out. */
export function formatFloat64(value: number): string {
  if (Object.is(value, -0)) {
    return '-0';
  }
  return String(value);
}

/** Shortest decimal text that reads back (through `Math.fround`) to the same float32. */
export function formatFloat32(value: number): string {
  if (!Number.isFinite(value) || value === 0) {
    return formatFloat64(value);
  }
  // Rounding to p digits round-trips for every p at or above the shortest one, so bisect.
  let lo = 1;
  let hi = 9;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Math.fround(Number(value.toPrecision(mid))) === value) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return String(Number(value.toPrecision(lo)));
}

const DATE_TEXT = /^([+-]\d{6,9}|\d{4})-(\d{2})-(\d{2})$/;
const TIME_TEXT = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;
const TIMESTAMP_TEXT =
  /^([+-]\d{6,9}|\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

function parseDate(field: ElementType, text: string): number {
  const m = DATE_TEXT.exec(text.trim());
  if (m === null) {
    throw mismatch(field, `expected date "YYYY-MM-DD", got ${preview(text)}`);
  }
  const days = civilDays(field, text, Number(m[1]), Number(m[2]), Number(m[3]));
  if (days < -2147483648 || days > 2147483647) {
    throw mismatch(field, `date ${preview(text)} is out of range`);
  }
  return days;
}

function civilDays(
  field: ElementType,
  text: string,
  year: number,
  month: number,
  day: number,
): number {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw mismatch(field, `${preview(text)} is not a calendar date`);
  }
  return daysFromCivil(year, month, day);
}

function fractionUnits(
  field: ElementType,
  text: string,
  fraction: string | undefined,
  unit: TimeUnit,
): bigint {
  if (fraction === undefined) {
    return 0n;
  }
  const digits = FRACTION_DIGITS[unit];
  if (fraction.length > digits && /[1-9]/.test(fraction.slice(digits))) {
    throw mismatch(
      field,
      `${preview(text)} is more precise than ${typeLabel(field)}; declare unit "${fraction.length > 6 ? 'ns' : 'us'}"`,
    );
  }
  return BigInt(fraction.slice(0, digits).padEnd(digits, '0'));
}

function clock(
  field: ElementType,
  text: string,
  h: string | undefined,
  m: string | undefined,
  s: string | undefined,
): bigint {
  const hours = Number(h ?? 0);
  const minutes = Number(m ?? 0);
  const seconds = Number(s ?? 0);
  if (hours > 23 || minutes > 59 || seconds > 59) {
    throw mismatch(field, `${preview(text)} is not a time of day`);
  }
  return BigInt(hours * 3600 + minutes * 60 + seconds);
}

function parseTime(field: ElementType, text: string): bigint {
  const unit = field.unit ?? 'ms';
  const m = TIME_TEXT.exec(text.trim());
  if (m === null) {
    throw mismatch(
      field,
      `expected ${typeLabel(field)} "HH:MM:SS[.fraction]", got ${preview(text)}`,
    );
  }
  return (
    clock(field, text, m[1], m[2], m[3]) * UNITS_PER_SECOND[unit] +
    fractionUnits(field, text, m[4], unit)
  );
}

function parseTimestamp(field: ElementType, text: string): bigint {
  const unit = field.unit ?? 'ms';
  const m = TIMESTAMP_TEXT.exec(text.trim());
  if (m === null) {
    throw mismatch(
      field,
      `expected ${typeLabel(field)} as ISO-8601 text such as "2024-01-31T12:00:00Z", got ${preview(text)}`,
    );
  }
  const days = civilDays(field, text, Number(m[1]), Number(m[2]), Number(m[3]));
  let seconds = BigInt(days) * SECONDS_PER_DAY + clock(field, text, m[4], m[5], m[6]);
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMinutes = Number(digits.slice(2, 4) || '0');
    if (offsetHours > 23 || offsetMinutes > 59) {
      throw mismatch(field, `${preview(text)} has no valid UTC offset (±HH:MM up to ±23:59)`);
    }
    seconds -= sign * BigInt(offsetHours * 3600 + offsetMinutes * 60);
  }
  return checkInt64(
    field,
    seconds * UNITS_PER_SECOND[unit] + fractionUnits(field, text, m[7], unit),
  );
}

function splitUnits(units: bigint, unit: TimeUnit): { seconds: bigint; fraction: string } {
  const per = UNITS_PER_SECOND[unit];
  let seconds = units / per;
  let rest = units % per;
  if (rest < 0n) {
    rest += per;
    seconds -= 1n;
  }
  return { seconds, fraction: String(rest).padStart(FRACTION_DIGITS[unit], '0') };
}

function formatClock(secondOfDay: number): string {
  const h = Math.floor(secondOfDay / 3600);
  const m = Math.floor((secondOfDay % 3600) / 60);
  const s = secondOfDay % 60;
  return `${pad2(h)}:${pad2(m)}:${pad2(s)}`;
}

/** `HH:MM:SS.fff` (3, 6 or 9 fraction digits by unit). */
export function formatTime(units: bigint, unit: TimeUnit): string {
  const { seconds, fraction } = splitUnits(units, unit);
  return `${formatClock(Number(seconds))}.${fraction}`;
}

/** `YYYY-MM-DDTHH:MM:SS.fffZ` (3, 6 or 9 fraction digits by unit), always UTC. */
export function formatTimestamp(units: bigint, unit: TimeUnit): string {
  const { seconds, fraction } = splitUnits(units, unit);
  let days = seconds / SECONDS_PER_DAY;
  let secondOfDay = seconds % SECONDS_PER_DAY;
  if (secondOfDay < 0n) {
    secondOfDay += SECONDS_PER_DAY;
    days -= 1n;
  }
  return `${formatCivilDate(Number(days))}T${formatClock(Number(secondOfDay))}.${fraction}Z`;
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Checks decimal text against precision and scale and returns its canonical form: no leading
 * zeros, exactly `scale` fraction digits, no `+`, no negative zero (`-0.00` becomes `0.00`).
 */
export function parseDecimal(field: ElementType, text: string): string {
  const precision = field.precision ?? 38;
  const scale = field.scale ?? 0;
  const m = DECIMAL_TEXT.exec(text.trim());
  if (m === null || (m[2] === '' && (m[3] === undefined || m[3] === ''))) {
    throw mismatch(field, `expected ${typeLabel(field)} as decimal text, got ${preview(text)}`);
  }
  let intDigits = m[2]!;
  let fracDigits = m[3] ?? '';
  const exponent = m[4] === undefined ? 0 : Number(m[4]);
  if (Math.abs(exponent) > 100) {
    throw mismatch(field, `${preview(text)} does not fit ${typeLabel(field)}`);
  }
  if (exponent > 0) {
    const moved = fracDigits.slice(0, exponent).padEnd(exponent, '0');
    intDigits += moved;
    fracDigits = fracDigits.slice(exponent);
  } else if (exponent < 0) {
    const padded = intDigits.padStart(-exponent, '0');
    fracDigits = padded.slice(padded.length + exponent) + fracDigits;
    intDigits = padded.slice(0, padded.length + exponent);
  }
  intDigits = intDigits.replace(/^0+/, '');
  if (fracDigits.length > scale) {
    if (/[1-9]/.test(fracDigits.slice(scale))) {
      throw mismatch(
        field,
        `${preview(text)} has more than ${scale} fraction digits for ${typeLabel(field)}; rounding would lose precision`,
      );
    }
    fracDigits = fracDigits.slice(0, scale);
  }
  fracDigits = fracDigits.padEnd(scale, '0');
  if (intDigits.length > precision - scale) {
    throw mismatch(
      field,
      `${preview(text)} has more than ${precision - scale} integer digits for ${typeLabel(field)}`,
    );
  }
  const isZero = !/[1-9]/.test(intDigits + fracDigits);
  const sign = m[1] === '-' && !isZero ? '-' : '';
  return `${sign}${intDigits === '' ? '0' : intDigits}${scale > 0 ? `.${fracDigits}` : ''}`;
}
