// Renders docs/types.md from the type table and from the code itself: the examples of text forms,
// schema documents, TFMD import and inference are computed here, so the document cannot drift
// from what the package does. `scripts/gen-types-doc.ts` writes it; a test checks it is current.
import type { SampleCell, SampleRecord } from './infer/sample.js';
import { SchemaInferrer } from './infer/schema-inferrer.js';
import { schemaFromPbtxt } from './pbtxt/tfmd-schema.js';
import type { FieldJson } from './schema-json.js';
import { MAX_TENSOR_ELEMENTS, defineSchema, schemaToJson } from './schema-json.js';
import { SHAPE_FORMS, TYPE_TABLE } from './type-table.js';
import type { DataType, ScalarValue } from './types.js';
import { DATA_TYPES, fieldLabel, typeLabel } from './types.js';
import type { ElementType } from './values/text-forms.js';
import { formatElementText } from './values/text-forms.js';

/** Where the generated document lives, relative to the repository root. */
export const TYPES_DOC_PATH = 'docs/types.md';

/** A table cell: pipes escaped, `<` escaped so that `List<type>` is not read as HTML. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '\\<').replace(/\n/g, ' ');
}

function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
  return lines.join('\n');
}

const SHAPE_CODECS: Readonly<Record<keyof typeof SHAPE_FORMS, string>> = {
  example: 'tf.train.Example (TFRecord)',
  json: 'JSON, JSON Lines',
  csv: 'CSV',
  arrow: 'Arrow IPC',
};

/** One value per type, to show its text form. */
const TEXT_SAMPLES: readonly (readonly [ElementType, ScalarValue])[] = [
  [{ type: 'string' }, 'naïve 😀'],
  [{ type: 'bytes' }, new Uint8Array([0, 1, 254, 255])],
  [{ type: 'bool' }, true],
  [{ type: 'int8' }, -128],
  [{ type: 'int16' }, 32767],
  [{ type: 'int32' }, -2147483648],
  [{ type: 'int64' }, -9223372036854775808n],
  [{ type: 'uint8' }, 255],
  [{ type: 'uint16' }, 65535],
  [{ type: 'uint32' }, 4294967295],
  [{ type: 'uint64' }, 18446744073709551615n],
  [{ type: 'float32' }, Math.fround(0.1)],
  [{ type: 'float64' }, -0],
  [{ type: 'date' }, -719529],
  [{ type: 'time', unit: 'us' }, 45296789012n],
  [{ type: 'timestamp', unit: 'ns' }, -1n],
  [{ type: 'decimal', precision: 10, scale: 2 }, '-12.50'],
  [{ type: 'char' }, '𝄞'],
];

const TEXT_READS: Readonly<Partial<Record<DataType, string>>> = {
  bool: 'also `1` / `0`, any case, blanks around',
  int8: 'also `+5`, `1.0`, blanks around',
  float32: 'also `inf`, `nan`, any case; a finite value beyond float32 is an error',
  float64: 'also `inf`, `nan`, any case',
  bytes: 'also the URL-safe alphabet, padding optional',
  time: 'also `HH:MM` and `HH:MM:SS`; more fraction digits than the unit holds is an error',
  timestamp:
    'also a space for `T`, no seconds, a `±HH:MM` offset (converted to UTC), a date alone (midnight UTC); no zone = UTC; more fraction digits than the unit holds is an error',
  decimal:
    'also `+`, leading zeros, exponents (`1.5e3`), fewer fraction digits; more fraction or integer digits than the field holds is an error',
};

function textFormsSection(): string {
  const rows = TEXT_SAMPLES.map(([field, value]) => {
    const shown =
      value instanceof Uint8Array
        ? `bytes ${[...value].join(', ')}`
        : typeof value === 'bigint'
          ? `${value}n`
          : typeof value === 'string'
            ? JSON.stringify(value)
            : Object.is(value, -0)
              ? '-0'
              : String(value);
    const reads = isNarrowInteger(field.type) ? TEXT_READS.int8 : TEXT_READS[field.type];
    return [
      code(typeLabel(field)),
      cell(shown),
      code(formatElementText(field, value)),
      cell(reads ?? ''),
    ];
  });
  return [
    '## Text forms',
    '',
    'Every type has exactly one text spelling, used in CSV cells and wherever JSON holds a value as a string (int64 beyond 2^53, NaN, dates, decimals, base64 bytes). Writing always produces the canonical form in the third column; reading also accepts the forms in the last column. The text form reads back to the same value, bit for bit: floats are written in the fewest digits that read back to the same float32 or float64.',
    '',
    table(['type', 'value (JS)', 'text', 'also read'], rows),
  ].join('\n');
}

function isNarrowInteger(type: DataType): boolean {
  return /^u?int\d+$/.test(type);
}

function mainTable(): string {
  const rows = TYPE_TABLE.map((row) => [
    code(row.type),
    cell(row.meaning),
    cell(row.js),
    `${code(row.example.kind)}: ${cell(row.example.form)}`,
    row.tfjs.dtype === null
      ? `none: ${cell(row.tfjs.exact)}`
      : `${code(row.tfjs.dtype)}, ${cell(row.tfjs.exact)}`,
    cell(row.arrow),
    cell(row.json),
    cell(row.csv),
    cell(row.flink),
  ]);
  return table(
    ['type', 'meaning', 'JS value', 'tf.Example', 'tfjs dtype', 'Arrow', 'JSON', 'CSV', 'Flink'],
    rows,
  );
}

const EXAMPLE_FIELDS: readonly FieldJson[] = [
  { name: 'id', type: 'int64', description: 'unique per record' },
  { name: 'species', type: 'string', nullable: true },
  { name: 'body_mass_g', type: 'float32' },
  { name: 'seen_at', type: 'timestamp', unit: 'us' },
  { name: 'price', type: 'decimal', precision: 10, scale: 2 },
  { name: 'tags', type: 'string', shape: 'list' },
  { name: 'image', type: 'uint8', shape: [28, 28] },
];

function schemaSection(): string {
  const schema = defineSchema(EXAMPLE_FIELDS);
  const keys: readonly (readonly [string, string, string])[] = [
    ['name', 'required', 'unique, any non-empty string'],
    ['type', 'required', `one of ${DATA_TYPES.map(code).join(', ')}`],
    [
      'shape',
      '`"scalar"`',
      `\`"scalar"\`, \`"list"\`, or tensor dimensions such as \`[28, 28]\` (at most ${MAX_TENSOR_ELEMENTS} elements)`,
    ],
    ['nullable', '`false`', 'whether a record may hold no value'],
    ['unit', '`"ms"`', '`time` and `timestamp` only: `"ms"`, `"us"` or `"ns"`'],
    ['precision', 'required for decimal', '`decimal` only: significant digits, 1 to 76'],
    ['scale', '`0`', '`decimal` only: fraction digits, 0 to the precision'],
    ['description', 'none', 'free text shown in the studio'],
  ];
  return [
    '## Schema documents',
    '',
    'A schema is stored as JSON (`schema.json`, and inside job documents). `parseSchema` checks a document and fills in the defaults; `schemaToJson` writes one with the defaults left out; any mistake is a `SCHEMA_INVALID` error naming the field. A bare array of fields is read as `{ "fields": [...] }`.',
    '',
    table(
      ['key', 'default', 'meaning'],
      keys.map(([key, def, meaning]) => [code(key), def, meaning]),
    ),
    '',
    'For example:',
    '',
    '```json',
    JSON.stringify(schemaToJson(schema), null, 2),
    '```',
    '',
    `In messages and in the studio a field's type is written as one token: the type with its parameters, then \`[]\` for a list or the tensor dimensions, then \`?\` when nullable. The fields above are ${schema.fields.map((f) => code(fieldLabel(f))).join(', ')}.`,
  ].join('\n');
}

const TFMD_EXAMPLES: readonly string[] = [
  'type: INT shape { dim { size: 1 } } presence { min_fraction: 1 }',
  'type: FLOAT value_count { min: 1 max: 1 }',
  'type: FLOAT shape { dim { size: 28 } dim { size: 28 } }',
  'type: INT value_count { min: 3 max: 3 }',
  'type: BYTES value_count { min: 0 max: 10 }',
  'type: BYTES',
  'type: INT bool_domain { } shape { dim { size: 1 } }',
  'type: INT time_domain { integer_format: UNIX_MICROSECONDS } shape { dim { size: 1 } }',
  'type: INT time_domain { integer_format: UNIX_DAYS } shape { dim { size: 1 } }',
];

function tfmdSection(): string {
  const rows = TFMD_EXAMPLES.map((body) => {
    const field = schemaFromPbtxt(`feature { name: "f" ${body} }`).fields[0]!;
    return [code(`feature { ${body} }`), code(fieldLabel(field))];
  });
  return [
    '## Importing a TensorFlow Metadata schema',
    '',
    '`schemaFromPbtxt(text, source)` reads the `schema.pbtxt` that TFX SchemaGen and TFDV write (the `Schema` message of `tensorflow_metadata/proto/v0/schema.proto` in protobuf text format). Each `feature` becomes a field, in file order:',
    '',
    '- `INT` is `int64`; with a `bool_domain` it is `bool`; with a `time_domain` whose `integer_format` is `UNIX_DAYS`, `UNIX_MILLISECONDS`, `UNIX_MICROSECONDS` or `UNIX_NANOSECONDS` it is `date` or `timestamp` at that unit (the same int64 on the wire). `FLOAT` is `float32`.',
    '- `BYTES` is `string`: TFMD does not tell text from binary data, so change the field to `bytes` in the schema wizard when it holds images or other binary values.',
    '- `STRUCT` has no tfstream type and is an error (`SCHEMA_PBTXT_INVALID` naming the feature): flatten the struct into top-level features.',
    '- `shape { dim { size: 1 } }` (how TFX writes a scalar) or `value_count { min: 1 max: 1 }` is a scalar; other fixed dimensions, or `min` equal to `max`, a tensor; anything else a list.',
    '- A field is nullable unless `presence { min_fraction: 1 }` says every example has it. A feature without `presence`, deprecated (by `deprecated: true` or a lifecycle stage that TFMD treats as deprecated), or limited to some environments is nullable.',
    '- `annotation { comment: "..." }` becomes the description. Features of lifecycle stage `VALIDATION_DERIVED` (never in the data), `sparse_feature` and `weighted_feature` are left out.',
    '',
    table(['TFMD feature', 'tfstream field'], rows),
    '',
    'Syntax errors name the line: `SCHEMA_PBTXT_INVALID: schema.pbtxt: line 12: expected ":" or "{" after "dim", got "3"`.',
  ].join('\n');
}

type ExampleCell = string | null;

function textSample(cells: readonly ExampleCell[]): SampleRecord[] {
  return cells.map(
    (text) => new Map<string, SampleCell>([['x', text === null ? null : { kind: 'text', text }]]),
  );
}

function jsonSample(values: readonly unknown[]): SampleRecord[] {
  return values.map((value) => new Map<string, SampleCell>([['x', { kind: 'json', value }]]));
}

function typedSample(type: DataType, rows: readonly (readonly ScalarValue[])[]): SampleRecord[] {
  return rows.map(
    (values) => new Map<string, SampleCell>([['x', { kind: 'typed', type, values }]]),
  );
}

function inferenceRow(shown: string, records: readonly SampleRecord[]): string[] {
  const inferrer = new SchemaInferrer();
  for (const record of records) {
    inferrer.observe(record);
  }
  const [field] = inferrer.result().fields;
  const conflict = field!.conflicts[0];
  return [
    shown,
    code(fieldLabel(field!.field)),
    String(Math.round(field!.confidence * 100) / 100),
    conflict === undefined
      ? ''
      : cell(`record ${conflict.record}: ${conflict.value}, ${conflict.from} → ${conflict.to}`),
  ];
}

function showText(cells: readonly ExampleCell[]): string {
  return cells
    .map((text) => (text === null ? '(empty)' : code(text === '' ? '""' : text)))
    .join(' ');
}

function showJson(values: readonly unknown[]): string {
  return values.map((value) => code(JSON.stringify(value))).join(' ');
}

const TEXT_EXAMPLES: readonly (readonly ExampleCell[])[] = [
  ['1', '-2', '+3'],
  ['1', '3000000000'],
  ['1', '18446744073709551615'],
  ['-1', '18446744073709551615'],
  ['1', '2.5', 'NaN'],
  ['true', 'FALSE'],
  ['1', '0'],
  ['007', '042'],
  ['2024-01-31', '2024-02-01'],
  ['2024-01-31', '2024-02-01T10:00:00.123456Z'],
  ['12:00:00', '12:00:00.5'],
  ['1', '2', 'abc', '4'],
  ['1', null, '3'],
  ['[1, 2, 3]', '[4, 5, 6]'],
  ['[[1, 2], [3, 4]]', '[[5, 6], [7, 8]]'],
  ['[5]', '[6]'],
  ['[1, 2]', '[3]', '[]'],
  ['5', '[5, 6]'],
];

const JSON_EXAMPLES: readonly (readonly unknown[])[] = [
  [1, 2.5],
  [1, 2 ** 53],
  ['123', '456'],
  [1, '9223372036854775807'],
  [0.5, 'NaN'],
  [true, false],
  ['2024-01-31T10:00:00Z'],
  [[1, 2], [3]],
  [{ a: 1 }, 'x'],
];

function inferenceSection(): string {
  const utf8 = (text: string) => new TextEncoder().encode(text);
  const typedRows: string[][] = [
    inferenceRow('int64_list `[1]` `[2]`', typedSample('int64', [[1n], [2n]])),
    inferenceRow(
      'float_list `[1, 2, 3]` `[4, 5, 6]`',
      typedSample('float32', [
        [1, 2, 3],
        [4, 5, 6],
      ]),
    ),
    inferenceRow('float_list `[1, 2]` `[3]`', typedSample('float32', [[1, 2], [3]])),
    inferenceRow(
      'bytes_list `"Adelie"` `"Gentoo"`',
      typedSample('bytes', [[utf8('Adelie')], [utf8('Gentoo')]]),
    ),
    inferenceRow(
      'bytes_list `"a"` `0xFF 0xD8`',
      typedSample('bytes', [[utf8('a')], [new Uint8Array([0xff, 0xd8])]]),
    ),
  ];
  const header = ['sample', 'inferred', 'confidence', 'first conflict'];
  return [
    '## Inference',
    '',
    "`inferSchema(samples)` (or `new SchemaInferrer()` with `observe(record)` and `result()`, for a schema that grows as a file is read) infers a schema from the sample records a format's `sample()` yields. The result is plain JSON data: the schema and, per field, the evidence the studio's schema wizard shows: `confidence`, `count`, `nullCount`, up to five `conflicts` (the values that forced each widening, with the 1-based record and the type before and after) and a few `examples`. An empty sample is a `SCHEMA_INFER_EMPTY` error.",
    '',
    'Types only widen, along this lattice; the result does not depend on the order of the records:',
    '',
    '```text',
    'bool                      true / false words only (any case); 1 / 0 are integers',
    'int32 → int64 → uint64 → decimal(38,0) → decimal(76,0)     integer text, by range',
    '  any integer + fraction, exponent, NaN or Infinity → float64 (never float32 from text)',
    'date → timestamp[ms | us | ns]     unit from the fraction digits: 1-3 ms, 4-6 us, 7-9 ns',
    'time[ms | us | ns]',
    'string                    anything else, and any mix of these families',
    '```',
    '',
    '- A field is nullable when a cell is null (an empty unquoted CSV cell, JSON null or a missing key, an absent or empty tf.Example feature) or when the field is absent from some record. Fields are listed in the order they were first seen. A field that only held nulls is a nullable `string` with confidence 0.',
    '- Integer text with leading zeros (`007`) stays a string, since a number would be written back as `7`. Integers of more than 76 digits are strings.',
    '- `confidence` is the share of non-null values (list elements, for lists) that are native to the inferred type, that is of its family: numbers, date and timestamp, time, bool, string, or bytes. 99 integers and one `"abc"` give `string` with confidence 0.01.',
    '- A CSV cell holding a JSON array is a list: its elements follow the JSON rules below. Arrays of the same dimensions in every record are a tensor of those dimensions, including `[1]`: a writer that puts `[5]` in a cell meant a one-element array, and a scalar would be written back as `5`. Arrays of varying length, or empty ones, are a list. A column mixing scalars and arrays, or arrays of uneven nesting, is a string.',
    '- JSON numbers are integers or float64 by whether they are whole (an integer beyond 2^53 is int64); booleans are bool. A JSON string is never a bool or a number on its own: `"123"` stays a string, but beside JSON numbers a numeric string counts as a number, since that is how int64 beyond 2^53 and NaN are written. Strings are read as dates, times and timestamps like CSV text, never as base64 bytes. An object is a string, and always a conflict.',
    '- Typed cells (tf.Example, Arrow) keep their declared type: int64 stays int64, float32 stays float32, and a declared shape, unit, precision and scale are kept. bytes whose values are all valid UTF-8 are a string, otherwise bytes. Without a declared shape, one value in every record is a scalar (tf.Example holds every feature as a list), a constant count n > 1 is the tensor `[n]`, anything else a list.',
    '',
    '### CSV cells',
    '',
    table(
      header,
      TEXT_EXAMPLES.map((cells) => inferenceRow(showText(cells), textSample(cells))),
    ),
    '',
    '### JSON values',
    '',
    table(
      header,
      JSON_EXAMPLES.map((values) => inferenceRow(showJson(values), jsonSample(values))),
    ),
    '',
    '### tf.Example features',
    '',
    table(header, typedRows),
  ].join('\n');
}

/** The whole of `docs/types.md`, before Prettier formats it. */
export function renderTypesDoc(): string {
  const shapeRows = (Object.keys(SHAPE_CODECS) as (keyof typeof SHAPE_FORMS)[]).map((codec) => [
    cell(SHAPE_CODECS[codec]),
    cell(SHAPE_FORMS[codec]),
  ]);
  return [
    '<!-- Generated by `npx tsx scripts/gen-types-doc.ts` from packages/schema/src/type-table.ts. Do not edit: edit the table and run the script; a test fails while this file is out of date. -->',
    '',
    '# Types',
    '',
    `tfstream has one type system. A schema is an ordered list of fields, and every field has one of the ${DATA_TYPES.length} element types below, a shape (a scalar, a variable-length list, or a tensor of fixed dimensions) and a nullability. The same schema drives every codec (tf.train.Example in TFRecord files, JSON Lines, CSV, Arrow IPC), the columnar batches in memory and the tensors handed to TensorFlow.js.`,
    '',
    'The codecs are lossless: a value written and read back is the same value, to the bit. NaN stays NaN and -0 stays -0, an int64 beyond 2^53 keeps every digit, a timestamp keeps its nanoseconds, a decimal keeps its scale. Where a format has no native form for a type, the table names the carrier it uses instead: float64 goes into a tf.Example as eight little-endian bytes in a `bytes_list`, uint64 as the same 64 bits in an `int64_list`, a decimal as its text; in JSON an int64 beyond 2^53 is a decimal string and NaN is the string `"NaN"`. A codec that cannot carry a type at all rejects the schema with `CODEC_UNSUPPORTED_TYPE` before reading any data, and a value that does not fit its field is never rounded or cut: it is a `CODEC_TYPE_MISMATCH` error naming the record and the field.',
    '',
    'User code sees logical JavaScript values (the "JS value" column): `number` for the narrow integers, float32 (always a float32 value), float64 and date (days since 1970-01-01); `bigint` for int64, uint64, time (units since midnight) and timestamp (units since the epoch, UTC); `string` for string, char and decimal (canonical text, exactly `scale` fraction digits); `Uint8Array` for bytes; `boolean` for bool. A list is an array of element values, a tensor nested arrays (outermost dimension first), and a missing value is `null`.',
    '',
    '## The types',
    '',
    mainTable(),
    '',
    '## In memory',
    '',
    'A batch stores each field as one column; these are the typed arrays behind each type. Lists and tensors add an `Int32Array` of element offsets per record, nullable fields a validity byte per record.',
    '',
    table(
      ['type', 'column storage'],
      TYPE_TABLE.map((row) => [code(row.type), cell(row.storage)]),
    ),
    '',
    '## Shapes and null',
    '',
    `A field's shape is \`"scalar"\` (exactly one value per record), \`"list"\` (any number, zero included) or the dimensions of a tensor such as \`[28, 28]\`: exactly that many values, in row-major order, at most ${MAX_TENSOR_ELEMENTS} per record. A tensor with the wrong number of values is a \`CODEC_SHAPE_MISMATCH\` error. Nullability applies to the whole value, never to single elements: a nullable list may be null or empty, but its elements are never null. A non-nullable field that is missing is a \`CODEC_NULL_VALUE\` error.`,
    '',
    table(['codec', 'scalar, list, tensor and null'], shapeRows),
    '',
    textFormsSection(),
    '',
    schemaSection(),
    '',
    tfmdSection(),
    '',
    inferenceSection(),
    '',
  ].join('\n');
}
