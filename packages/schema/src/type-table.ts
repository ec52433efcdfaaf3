import type { DataType } from './types.js';

/** How one data type is carried by each codec and seen by TensorFlow.js. */
export interface TypeMapping {
  readonly type: DataType;
  /** What the type means, in a line. */
  readonly meaning: string;
  /** The JavaScript value user code sees for one element. */
  readonly js: string;
  /** The typed array (or byte layout) one column of this type is stored in. */
  readonly storage: string;
  /** tf.train.Example feature kind and how the value is written into it. */
  readonly example: {
    readonly kind: 'int64_list' | 'float_list' | 'bytes_list';
    readonly form: string;
  };
  /** tfjs tensor dtype, and whether the conversion is exact. */
  readonly tfjs: {
    readonly dtype: 'float32' | 'int32' | 'bool' | 'string' | null;
    readonly exact: string;
  };
  /** Apache Arrow type. */
  readonly arrow: string;
  /** JSON form of one element. */
  readonly json: string;
  /** CSV cell form of one element (lists and tensors: a JSON array in the cell). */
  readonly csv: string;
  /** The Flink type it stands for. */
  readonly flink: string;
}

const INT_EXAMPLE = { kind: 'int64_list', form: 'the value' } as const;

/**
 * The one mapping table from each data type to every representation. `docs/types.md` is generated
 * from it (`npx tsx scripts/gen-types-doc.ts`), and the codecs follow it.
 */
export const TYPE_TABLE: readonly TypeMapping[] = [
  {
    type: 'string',
    meaning: 'Unicode text',
    js: 'string',
    storage: 'UTF-8 bytes + Int32Array offsets',
    example: { kind: 'bytes_list', form: 'UTF-8 bytes' },
    tfjs: { dtype: 'string', exact: 'exact' },
    arrow: 'Utf8',
    json: 'string',
    csv: 'the text (quoted per RFC 4180 when needed)',
    flink: 'STRING / VARCHAR',
  },
  {
    type: 'bytes',
    meaning: 'opaque bytes',
    js: 'Uint8Array',
    storage: 'bytes + Int32Array offsets',
    example: { kind: 'bytes_list', form: 'the bytes' },
    tfjs: { dtype: 'string', exact: 'exact (string tensors hold bytes)' },
    arrow: 'Binary',
    json: 'base64 string (RFC 4648)',
    csv: 'base64',
    flink: 'BYTES / VARBINARY',
  },
  {
    type: 'bool',
    meaning: 'true or false',
    js: 'boolean',
    storage: 'Uint8Array (0 or 1)',
    example: { kind: 'int64_list', form: '0 or 1 (read with tf.cast(x, tf.bool))' },
    tfjs: { dtype: 'bool', exact: 'exact' },
    arrow: 'Bool',
    json: 'true / false',
    csv: 'true / false (reads also 1 / 0, any case)',
    flink: 'BOOLEAN',
  },
  ...(
    [
      ['int8', 'Int8Array', 'Int8', 'TINYINT'],
      ['int16', 'Int16Array', 'Int16', 'SMALLINT'],
      ['int32', 'Int32Array', 'Int32', 'INT'],
    ] as const
  ).map(([type, storage, arrow, flink]): TypeMapping => ({
    type,
    meaning: `signed ${type.slice(3)}-bit integer`,
    js: 'number',
    storage,
    example: INT_EXAMPLE,
    tfjs: { dtype: 'int32', exact: 'exact' },
    arrow,
    json: 'number',
    csv: 'decimal integer',
    flink,
  })),
  {
    type: 'int64',
    meaning: 'signed 64-bit integer',
    js: 'bigint',
    storage: 'BigInt64Array',
    example: INT_EXAMPLE,
    tfjs: {
      dtype: 'int32',
      exact: 'exact within int32; a value outside is an error naming the field',
    },
    arrow: 'Int64',
    json: 'number when |x| <= 2^53 - 1, else a decimal string',
    csv: 'decimal integer',
    flink: 'BIGINT',
  },
  ...(
    [
      ['uint8', 'Uint8Array', 'Uint8', 'TINYINT (unsigned)'],
      ['uint16', 'Uint16Array', 'Uint16', 'SMALLINT (unsigned)'],
    ] as const
  ).map(([type, storage, arrow, flink]): TypeMapping => ({
    type,
    meaning: `unsigned ${type.slice(4)}-bit integer`,
    js: 'number',
    storage,
    example: INT_EXAMPLE,
    tfjs: { dtype: 'int32', exact: 'exact' },
    arrow,
    json: 'number',
    csv: 'decimal integer',
    flink,
  })),
  {
    type: 'uint32',
    meaning: 'unsigned 32-bit integer',
    js: 'number',
    storage: 'Uint32Array',
    example: INT_EXAMPLE,
    tfjs: {
      dtype: 'int32',
      exact: 'exact below 2^31; a larger value is an error naming the field',
    },
    arrow: 'Uint32',
    json: 'number',
    csv: 'decimal integer',
    flink: 'INT (unsigned)',
  },
  {
    type: 'uint64',
    meaning: 'unsigned 64-bit integer',
    js: 'bigint',
    storage: 'BigUint64Array',
    example: {
      kind: 'int64_list',
      form: 'the same 64 bits as int64 (read with tf.bitcast(x, tf.uint64))',
    },
    tfjs: {
      dtype: 'int32',
      exact: 'exact below 2^31; a larger value is an error naming the field',
    },
    arrow: 'Uint64',
    json: 'number when x <= 2^53 - 1, else a decimal string',
    csv: 'decimal integer',
    flink: 'DECIMAL(20, 0)',
  },
  {
    type: 'float32',
    meaning: 'IEEE-754 binary32',
    js: 'number (always a float32 value)',
    storage: 'Float32Array',
    example: { kind: 'float_list', form: 'the value' },
    tfjs: { dtype: 'float32', exact: 'exact' },
    arrow: 'Float32',
    json: 'shortest number that reads back to the same float32; "NaN", "Infinity", "-Infinity" as strings; -0 as -0',
    csv: 'shortest decimal; NaN, Infinity, -Infinity',
    flink: 'FLOAT',
  },
  {
    type: 'float64',
    meaning: 'IEEE-754 binary64',
    js: 'number',
    storage: 'Float64Array',
    example: {
      kind: 'bytes_list',
      form: 'one value of 8 bytes per element, little-endian (read with tf.io.decode_raw(x, tf.float64))',
    },
    tfjs: { dtype: 'float32', exact: 'rounded to float32: tfjs has no float64 tensors' },
    arrow: 'Float64',
    json: 'shortest number that reads back to the same float64; "NaN", "Infinity", "-Infinity" as strings; -0 as -0',
    csv: 'shortest decimal; NaN, Infinity, -Infinity',
    flink: 'DOUBLE',
  },
  {
    type: 'date',
    meaning: 'calendar date, proleptic Gregorian',
    js: 'number of days since 1970-01-01',
    storage: 'Int32Array (days)',
    example: { kind: 'int64_list', form: 'days since 1970-01-01' },
    tfjs: { dtype: 'int32', exact: 'exact (days since 1970-01-01)' },
    arrow: 'Date32 (DateDay)',
    json: '"YYYY-MM-DD"',
    csv: 'YYYY-MM-DD',
    flink: 'DATE',
  },
  {
    type: 'time',
    meaning: 'time of day, unit ms, us or ns',
    js: 'bigint units since midnight',
    storage: 'BigInt64Array',
    example: { kind: 'int64_list', form: 'units since midnight' },
    tfjs: {
      dtype: 'int32',
      exact: 'exact for ms; us and ns overflow int32 and are an error naming the field',
    },
    arrow: 'Time32(ms) / Time64(us, ns)',
    json: '"HH:MM:SS.fff" with 3, 6 or 9 fraction digits',
    csv: 'HH:MM:SS.fff',
    flink: 'TIME(p)',
  },
  {
    type: 'timestamp',
    meaning: 'instant in UTC, unit ms, us or ns',
    js: 'bigint units since 1970-01-01T00:00:00Z',
    storage: 'BigInt64Array',
    example: { kind: 'int64_list', form: 'units since the epoch' },
    tfjs: {
      dtype: null,
      exact: 'no tensor: int64 epoch values overflow int32; derive features in code',
    },
    arrow: 'Timestamp(unit, "UTC")',
    json: 'ISO-8601 "YYYY-MM-DDTHH:MM:SS.fffZ" at the unit\'s precision',
    csv: 'ISO-8601, as in JSON',
    flink: 'TIMESTAMP(p) / TIMESTAMP_LTZ(p)',
  },
  {
    type: 'decimal',
    meaning: 'exact decimal with precision and scale',
    js: 'string, canonical (exactly `scale` fraction digits)',
    storage: 'ASCII text + Int32Array offsets',
    example: { kind: 'bytes_list', form: 'the decimal text (read with tf.strings.to_number)' },
    tfjs: { dtype: 'string', exact: 'exact as text' },
    arrow: 'Decimal128(precision, scale) (Decimal256 above precision 38)',
    json: 'decimal string, e.g. "12.50"',
    csv: 'decimal text',
    flink: 'DECIMAL(p, s)',
  },
  {
    type: 'char',
    meaning: 'one Unicode code point',
    js: 'string of one code point',
    storage: 'UTF-8 bytes + Int32Array offsets',
    example: { kind: 'bytes_list', form: 'UTF-8 bytes' },
    tfjs: { dtype: 'string', exact: 'exact' },
    arrow: 'Utf8 (field metadata tfstream.type = char)',
    json: 'one-character string',
    csv: 'the character',
    flink: 'CHAR(1) / Java char',
  },
];

/** The mapping of one type. */
export function typeMapping(type: DataType): TypeMapping {
  const mapping = TYPE_TABLE.find((row) => row.type === type);
  if (mapping === undefined) {
    throw new Error(`no mapping for type ${type}`);
  }
  return mapping;
}

/** Shapes every codec carries: scalar, list, fixed tensor; nullability of the whole value. */
export const SHAPE_FORMS = {
  example:
    'a feature with one value (scalar), any number of values (list) or exactly N values in row-major order (tensor); null = the feature is absent, or present with no value list as TensorFlow writes a missing value',
  json: 'the value; a JSON array for a list; nested arrays for a tensor (a flat array of N values is also read); null or an absent key = null',
  csv: 'the value; a JSON array in the cell for a list or tensor; an empty unquoted cell = null, "" = empty string',
  arrow:
    'the type; List<type> for a list; FixedSizeList with the canonical arrow.fixed_shape_tensor extension for a tensor; Arrow validity bitmaps for null',
} as const;
