/** Signed and unsigned integer types, by width. */
export type IntegerType =
  'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64';

/** IEEE-754 binary floating point types. */
export type FloatType = 'float32' | 'float64';

/** Every element type a field can have. */
export type DataType =
  | 'string'
  | 'bytes'
  | 'bool'
  | IntegerType
  | FloatType
  | 'date'
  | 'time'
  | 'timestamp'
  | 'decimal'
  | 'char';

/** All data types, in the order the docs and the studio list them. */
export const DATA_TYPES: readonly DataType[] = [
  'string',
  'bytes',
  'bool',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'float32',
  'float64',
  'date',
  'time',
  'timestamp',
  'decimal',
  'char',
];

/** Resolution of `time` and `timestamp` fields. */
export type TimeUnit = 'ms' | 'us' | 'ns';

/** All time units, coarsest first. */
export const TIME_UNITS: readonly TimeUnit[] = ['ms', 'us', 'ns'];

/**
 * How many values a field holds per record:
 * - `'scalar'`: exactly one;
 * - `'list'`: any number, including zero (a variable-length list);
 * - `number[]`: a dense tensor of that fixed shape, e.g. `[28, 28]`, stored row-major.
 */
export type Shape = 'scalar' | 'list' | readonly number[];

/** One named, typed column of a record. */
export interface Field {
  /** Unique within its schema; any non-empty string. */
  readonly name: string;
  readonly type: DataType;
  readonly shape: Shape;
  /** Whether a record may hold no value (`null`) for this field. */
  readonly nullable: boolean;
  /** For `time` and `timestamp`: the resolution. Defaults to `'ms'` when the schema is parsed. */
  readonly unit?: TimeUnit;
  /** For `decimal`: total number of significant digits, 1 to 76. */
  readonly precision?: number;
  /** For `decimal`: digits after the decimal point, 0 to precision. */
  readonly scale?: number;
  /** Free text shown in the studio. */
  readonly description?: string;
}

/** The current version of the schema document format. */
export const SCHEMA_VERSION = 1;

/** An ordered list of fields: the shape of every record in a stream. */
export interface Schema {
  readonly version: typeof SCHEMA_VERSION;
  readonly fields: readonly Field[];
}

/**
 * A value as user code and the row view see it:
 * - `string`, `char`, `decimal` (exact canonical text, e.g. `"12.50"`): `string`;
 * - `bytes`: `Uint8Array`;
 * - `bool`: `boolean`;
 * - `int8`..`int32`, `uint8`..`uint32`, `float32`, `float64`: `number`;
 * - `date`: `number` of days since 1970-01-01;
 * - `int64`, `uint64`, `time` (units since midnight), `timestamp` (units since the epoch, UTC): `bigint`;
 * - lists: an array of element values; tensors: nested arrays, outermost dimension first;
 * - a missing value: `null`.
 */
export type Value = null | ScalarValue | readonly Value[];

/** The value of one element of a field. */
export type ScalarValue = string | number | bigint | boolean | Uint8Array;

/** Whether the field holds a single value per record. */
export function isScalarShape(shape: Shape): shape is 'scalar' {
  return shape === 'scalar';
}

/** Whether the field is a fixed-shape tensor. */
export function isTensorShape(shape: Shape): shape is readonly number[] {
  return typeof shape !== 'string';
}

/** Number of elements per record of a fixed-size field (1 for a scalar), or -1 for a list. */
export function elementCount(shape: Shape): number {
  if (shape === 'scalar') {
    return 1;
  }
  if (shape === 'list') {
    return -1;
  }
  let count = 1;
  for (const dim of shape) {
    count *= dim;
  }
  return count;
}

/** The type as one token, with its parameters: `timestamp[us]`, `decimal(10,2)`, `int32`. */
export function typeLabel(field: Pick<Field, 'type' | 'unit' | 'precision' | 'scale'>): string {
  switch (field.type) {
    case 'time':
    case 'timestamp':
      return `${field.type}[${field.unit ?? 'ms'}]`;
    case 'decimal':
      return `decimal(${field.precision ?? '?'},${field.scale ?? 0})`;
    default:
      return field.type;
  }
}

/** The field's full type as one token, with shape and nullability: `float32[28,28]?`, `string[]`. */
export function fieldLabel(field: Field): string {
  let label = typeLabel(field);
  if (field.shape === 'list') {
    label += '[]';
  } else if (isTensorShape(field.shape)) {
    label += `[${field.shape.join(',')}]`;
  }
  return field.nullable ? `${label}?` : label;
}

/** True for the integer types, signed or unsigned. */
export function isIntegerType(type: DataType): type is IntegerType {
  return INTEGER_RANGES[type as IntegerType] !== undefined;
}

/** Inclusive value range of each integer type. */
export const INTEGER_RANGES: Readonly<Record<IntegerType, readonly [bigint, bigint]>> = {
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  int32: [-2147483648n, 2147483647n],
  int64: [-9223372036854775808n, 9223372036854775807n],
  uint8: [0n, 255n],
  uint16: [0n, 65535n],
  uint32: [0n, 4294967295n],
  uint64: [0n, 18446744073709551615n],
};
