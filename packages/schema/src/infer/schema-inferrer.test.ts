import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSchema, schemaToJson } from '../schema-json.js';
import type { DataType, Field, ScalarValue, Shape, TimeUnit } from '../types.js';
import { INTEGER_RANGES, TIME_UNITS, fieldLabel } from '../types.js';
import { formatElementText, parseElementText } from '../values/text-forms.js';
import type { SampleCell, SampleRecord } from './sample.js';
import type { InferredSchema } from './schema-inferrer.js';
import { SchemaInferrer, inferSchema } from './schema-inferrer.js';

/** The penguin data as TFX ships it. */
const penguinData = resolve(
  fileURLToPath(new URL('../../../../', import.meta.url)),
  'examples/penguin-data',
);

/** Sample records of CSV cells: `null` is an empty unquoted cell, `undefined` leaves the field out. */
function textRecords(
  header: readonly string[],
  rows: readonly (readonly (string | null | undefined)[])[],
): SampleRecord[] {
  return rows.map((row) => {
    const record = new Map<string, SampleCell>();
    header.forEach((name, i) => {
      const text = row[i];
      if (text !== undefined) {
        record.set(name, text === null ? null : { kind: 'text', text });
      }
    });
    return record;
  });
}

function column(...cells: (string | null)[]): SampleRecord[] {
  return textRecords(
    ['x'],
    cells.map((cell) => [cell]),
  );
}

function jsonColumn(...values: unknown[]): SampleRecord[] {
  return values.map((value) => new Map<string, SampleCell>([['x', { kind: 'json', value }]]));
}

function typedColumn(
  type: DataType,
  rows: readonly (readonly ScalarValue[])[],
  extra: { shape?: Shape; unit?: TimeUnit; precision?: number; scale?: number } = {},
): SampleRecord[] {
  return rows.map(
    (values) => new Map<string, SampleCell>([['x', { kind: 'typed', type, values, ...extra }]]),
  );
}

function infer(records: Iterable<SampleRecord>): InferredSchema {
  const inferrer = new SchemaInferrer();
  for (const record of records) {
    inferrer.observe(record);
  }
  return inferrer.result();
}

/** The label of field `x` (or the only field), e.g. `int64[3]?`. */
function labelOf(records: Iterable<SampleRecord>): string {
  return fieldLabel(infer(records).schema.fields[0]!);
}

describe('SchemaInferrer on text cells (CSV)', () => {
  it('infers int32, then int64, then uint64, then decimal for integer text', () => {
    expect(labelOf(column('1', '-2', '+3', '2147483647', '-2147483648'))).toBe('int32');
    expect(labelOf(column('1', '2147483648'))).toBe('int64');
    expect(labelOf(column('-9223372036854775808', '9223372036854775807'))).toBe('int64');
    expect(labelOf(column('1', '18446744073709551615'))).toBe('uint64');
    expect(labelOf(column('-1', '18446744073709551615'))).toBe('decimal(38,0)');
    expect(labelOf(column('1', '1'.repeat(39)))).toBe('decimal(76,0)');
    expect(labelOf(column('1', '1'.repeat(77)))).toBe('string');
  });

  it('keeps integers with leading zeros as strings, since a number would drop the zeros', () => {
    expect(labelOf(column('007', '123'))).toBe('string');
    expect(labelOf(column('0', '10'))).toBe('int32');
  });

  it('reads fractional, exponent and NaN/Infinity text as float64, never float32', () => {
    expect(labelOf(column('1.5', '-0.25', '1e10', 'NaN', '-Infinity', '.5'))).toBe('float64');
    expect(labelOf(column('1.0'))).toBe('float64');
  });

  it('widens int to float64 and names the value that forced it', () => {
    const result = infer(column('1', '2', '2.5', '3'));
    expect(fieldLabel(result.schema.fields[0]!)).toBe('float64');
    expect(result.fields[0]!.confidence).toBe(1);
    expect(result.fields[0]!.conflicts).toEqual([
      { value: '"2.5"', record: 3, from: 'int32', to: 'float64' },
    ]);
  });

  it('falls back to string with the share of native values as confidence', () => {
    const cells = Array.from({ length: 99 }, (_, i) => String(i));
    cells.splice(41, 0, 'abc');
    const result = infer(column(...cells));
    const [x] = result.fields;
    expect(x!.field.type).toBe('string');
    expect(x!.confidence).toBeCloseTo(0.01, 10);
    expect(x!.count).toBe(100);
    expect(x!.conflicts).toEqual([{ value: '"abc"', record: 42, from: 'int32', to: 'string' }]);
    expect(x!.examples).toEqual(['"0"', '"1"', '"2"']);
  });

  it('records each widening along the way, with the record number', () => {
    const result = infer(column('1', '3000000000', '18446744073709551615', '-1', '0.5', 'x'));
    expect(result.fields[0]!.conflicts).toEqual([
      { value: '"3000000000"', record: 2, from: 'int32', to: 'int64' },
      { value: '"18446744073709551615"', record: 3, from: 'int64', to: 'uint64' },
      { value: '"-1"', record: 4, from: 'uint64', to: 'decimal(38,0)' },
      { value: '"0.5"', record: 5, from: 'decimal(38,0)', to: 'float64' },
      { value: '"x"', record: 6, from: 'float64', to: 'string' },
    ]);
  });

  it('keeps at most maxConflicts conflicts per field', () => {
    const inferrer = new SchemaInferrer({ maxConflicts: 2 });
    for (const record of column('1', '3000000000', '18446744073709551615', '-1', '0.5', 'x')) {
      inferrer.observe(record);
    }
    expect(inferrer.result().fields[0]!.conflicts.map((c) => c.to)).toEqual(['int64', 'uint64']);
  });

  it('reads bool only from true/false words, in any case', () => {
    expect(labelOf(column('true', 'False', ' TRUE '))).toBe('bool');
    expect(labelOf(column('1', '0'))).toBe('int32');
    expect(labelOf(column('true', '0'))).toBe('string');
    expect(labelOf(column('yes', 'no'))).toBe('string');
  });

  it('infers dates, times and timestamps with the unit of the fraction digits seen', () => {
    expect(labelOf(column('2024-01-31', '1999-12-31', '+012345-01-01'))).toBe('date');
    expect(labelOf(column('2024-02-30'))).toBe('string');
    expect(labelOf(column('12:30:00', '23:59:59.123'))).toBe('time[ms]');
    expect(labelOf(column('12:30:00.5', '23:59:59.123456'))).toBe('time[us]');
    expect(labelOf(column('00:00:00.000000001'))).toBe('time[ns]');
    expect(labelOf(column('2024-01-31T12:00:00Z'))).toBe('timestamp[ms]');
    expect(labelOf(column('2024-01-31 12:00:00.123+01:00'))).toBe('timestamp[ms]');
    expect(labelOf(column('2024-01-31T12:00:00.123456Z'))).toBe('timestamp[us]');
    expect(labelOf(column('2024-01-31T12:00:00.123Z', '2024-01-31T12:00:00.123456789Z'))).toBe(
      'timestamp[ns]',
    );
  });

  it('widens date to timestamp, and meets other families at string', () => {
    const result = infer(column('2024-01-31', '2024-01-31T12:00:00.000001Z'));
    expect(fieldLabel(result.schema.fields[0]!)).toBe('timestamp[us]');
    expect(result.fields[0]!.confidence).toBe(1);
    expect(result.fields[0]!.conflicts[0]).toMatchObject({ from: 'date', to: 'timestamp[us]' });
    expect(labelOf(column('2024-01-31', '12:00:00'))).toBe('string');
    expect(labelOf(column('12:00:00', '5'))).toBe('string');
  });

  it('makes a field nullable when a cell is empty or the field is absent, and keeps first-seen order', () => {
    const result = infer(
      textRecords(
        ['b', 'a', 'c'],
        [
          ['1', 'x', undefined],
          ['2', null, undefined],
          ['3', 'z', '2024-01-01'],
        ],
      ),
    );
    expect(result.records).toBe(3);
    expect(result.schema.fields.map(fieldLabel)).toEqual(['int32', 'string?', 'date?']);
    expect(result.schema.fields.map((f) => f.name)).toEqual(['b', 'a', 'c']);
    expect(result.fields.map((f) => [f.count, f.nullCount])).toEqual([
      [3, 0],
      [2, 1],
      [1, 2],
    ]);
  });

  it('gives a field that only held nulls type string, nullable, with confidence 0', () => {
    const result = infer(column(null, null));
    expect(result.fields[0]).toMatchObject({
      field: { name: 'x', type: 'string', shape: 'scalar', nullable: true },
      confidence: 0,
      count: 0,
      nullCount: 2,
      conflicts: [],
    });
  });

  it('keeps quoted empty and blank cells as strings', () => {
    expect(labelOf(column('', '1'))).toBe('string');
    expect(labelOf(column('  '))).toBe('string');
  });

  it('reads JSON arrays in cells as tensors when every record has the same shape', () => {
    expect(labelOf(column('[1,2,3]', '[4,5,6]'))).toBe('int32[3]');
    expect(labelOf(column('[[1,2],[3,4],[5,6]]', '[[0,0],[0,0],[0,0]]'))).toBe('int32[3,2]');
    expect(labelOf(column('[1.5]', '[2]'))).toBe('float64[1]');
    expect(labelOf(column('["a","b"]', '["c","d"]', null))).toBe('string[2]?');
  });

  it('reads JSON arrays of varying length, or empty ones, as lists', () => {
    const result = infer(column('[1,2,3]', '[4,5]', '[]'));
    expect(fieldLabel(result.schema.fields[0]!)).toBe('int32[]');
    expect(result.fields[0]!.conflicts).toEqual([
      { value: '"[4,5]"', record: 2, from: 'int32[3]', to: 'int32[]' },
    ]);
    expect(labelOf(column('[]', '[]'))).toBe('string[]');
    expect(labelOf(column('[1, 2.5]', '[3]'))).toBe('float64[]');
  });

  it('classifies array elements by the JSON rules: strings never become numbers alone', () => {
    expect(labelOf(column('["1","2"]', '["3","4"]'))).toBe('string[2]');
    expect(labelOf(column('[1, "9223372036854775807"]'))).toBe('int64[2]');
    expect(labelOf(column('["2024-01-01", "2024-01-02"]'))).toBe('date[2]');
    expect(labelOf(column('[true, false]'))).toBe('bool[2]');
  });

  it('keeps a column that mixes scalars and arrays, or irregular arrays, as strings', () => {
    expect(infer(column('5', '[5,6]')).fields[0]!.conflicts).toEqual([
      { value: '"[5,6]"', record: 2, from: 'int32', to: 'string' },
    ]);
    expect(labelOf(column('[[1,2],[3]]'))).toBe('string');
    expect(labelOf(column('[[1,2]]', '[1,2]'))).toBe('string');
    expect(labelOf(column('[1, null]'))).toBe('string');
    expect(labelOf(column('[1,2', 'x'))).toBe('string');
    const mixed = infer(column('[1,2]', '[3,4]', 'abc'));
    expect(mixed.fields[0]!.confidence).toBeCloseTo(1 / 3, 10);
    expect(mixed.fields[0]!.conflicts).toEqual([
      { value: '"abc"', record: 3, from: 'int32[2]', to: 'string' },
    ]);
  });
});

describe('SchemaInferrer on JSON cells', () => {
  it('reads integers, fractions and booleans as numbers and bools', () => {
    expect(labelOf(jsonColumn(1, -2, 2147483647))).toBe('int32');
    expect(labelOf(jsonColumn(1, 2 ** 53))).toBe('int64');
    expect(labelOf(jsonColumn(1, 2.5))).toBe('float64');
    expect(labelOf(jsonColumn(-0))).toBe('float64');
    expect(labelOf(jsonColumn(1e300))).toBe('float64');
    expect(labelOf(jsonColumn(true, false))).toBe('bool');
    expect(labelOf(jsonColumn(1, true))).toBe('string');
  });

  it('keeps a string a string, unless it spells a number beside JSON numbers', () => {
    expect(labelOf(jsonColumn('123', '456'))).toBe('string');
    expect(labelOf(jsonColumn('true'))).toBe('string');
    expect(labelOf(jsonColumn(1, '9223372036854775807'))).toBe('int64');
    expect(labelOf(jsonColumn(1.5, 'NaN', '-Infinity'))).toBe('float64');
    expect(labelOf(jsonColumn(1, '12', 'x'))).toBe('string');
    const result = infer(jsonColumn('1', '2', 3));
    expect(result.fields[0]!.field.type).toBe('int32');
    expect(result.fields[0]!.confidence).toBe(1);
  });

  it('reads dates, times and timestamps from strings', () => {
    expect(labelOf(jsonColumn('2024-01-31'))).toBe('date');
    expect(labelOf(jsonColumn('2024-01-31T00:00:00.000000Z', '2024-01-31'))).toBe('timestamp[us]');
    expect(labelOf(jsonColumn('10:00:00.000'))).toBe('time[ms]');
  });

  it('reads arrays as lists or tensors, and JSON null as null', () => {
    expect(labelOf(jsonColumn([1, 2], [3, 4], null))).toBe('int32[2]?');
    expect(labelOf(jsonColumn([1, 2], [3]))).toBe('int32[]');
    expect(labelOf(jsonColumn([[1.5], [2]]))).toBe('float64[2,1]');
  });

  it('turns an object into a string and always reports it as a conflict', () => {
    const result = infer(jsonColumn({ a: 1 }, 'x'));
    expect(fieldLabel(result.schema.fields[0]!)).toBe('string');
    expect(result.fields[0]!.confidence).toBe(0.5);
    expect(result.fields[0]!.conflicts).toEqual([
      { value: '{"a":1}', record: 1, from: 'null', to: 'string' },
    ]);
    const later = infer(jsonColumn(1, [{ b: 2 }]));
    expect(later.fields[0]!.conflicts).toEqual([
      { value: '[{"b":2}]', record: 2, from: 'int32', to: 'string' },
    ]);
  });
});

describe('SchemaInferrer on typed cells (tf.Example, Arrow)', () => {
  it('makes one value in every record a scalar, a constant count a tensor, else a list', () => {
    expect(labelOf(typedColumn('int64', [[1n], [2n]]))).toBe('int64');
    expect(
      labelOf(
        typedColumn('float32', [
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ),
    ).toBe('float32[3]');
    const varying = infer(
      typedColumn('float32', [
        [1, 2, 3],
        [4, 5],
        [6, 7, 8],
      ]),
    );
    expect(fieldLabel(varying.schema.fields[0]!)).toBe('float32[]');
    expect(varying.fields[0]!.conflicts).toEqual([
      { value: '[4,5]', record: 2, from: 'float32[3]', to: 'float32[]' },
    ]);
  });

  it('keeps the declared type: int64 stays int64 and float32 stays float32', () => {
    expect(labelOf(typedColumn('int64', [[1n], [2n]]))).toBe('int64');
    expect(labelOf(typedColumn('float32', [[0.5]]))).toBe('float32');
    expect(labelOf(typedColumn('uint8', [[1]]))).toBe('uint8');
  });

  it('reads bytes that are all UTF-8 as string, and names the first one that is not', () => {
    const utf8 = (s: string) => new TextEncoder().encode(s);
    expect(labelOf(typedColumn('bytes', [[utf8('Adelie')], [utf8('Gentoo')]]))).toBe('string');
    const result = infer(
      typedColumn('bytes', [[utf8('a')], [utf8('b'), new Uint8Array([0xff, 0xfe])]]),
    );
    expect(fieldLabel(result.schema.fields[0]!)).toBe('bytes[]');
    expect(result.fields[0]!.confidence).toBe(1);
    expect(result.fields[0]!.conflicts).toEqual([
      { value: '<2 bytes>', record: 2, from: 'string', to: 'bytes[]' },
    ]);
    expect(result.fields[0]!.examples).toEqual(['"a"', '["b",<2 bytes>]']);
  });

  it("keeps an Arrow field's declared shape, unit, precision and scale", () => {
    expect(labelOf(typedColumn('float64', [[1]], { shape: [1] }))).toBe('float64[1]');
    expect(labelOf(typedColumn('float64', [[1, 2]], { shape: 'list' }))).toBe('float64[]');
    expect(labelOf(typedColumn('int16', [[1, 2, 3, 4]], { shape: [2, 2] }))).toBe('int16[2,2]');
    expect(labelOf(typedColumn('string', [['a']], { shape: 'scalar' }))).toBe('string');
    expect(labelOf(typedColumn('timestamp', [[1n]], { unit: 'us' }))).toBe('timestamp[us]');
    expect(labelOf(typedColumn('time', [[1n]], { unit: 'ns' }))).toBe('time[ns]');
    expect(labelOf(typedColumn('decimal', [['1.50']], { precision: 10, scale: 2 }))).toBe(
      'decimal(10,2)',
    );
    expect(labelOf(typedColumn('char', [['a']]))).toBe('char');
  });

  it('joins declared types along the lattice', () => {
    const mixed = (a: SampleRecord[], b: SampleRecord[]) => labelOf([...a, ...b]);
    expect(mixed(typedColumn('int8', [[1]]), typedColumn('uint8', [[1]]))).toBe('int16');
    expect(mixed(typedColumn('int64', [[1n]]), typedColumn('uint64', [[1n]]))).toBe(
      'decimal(38,0)',
    );
    expect(mixed(typedColumn('int32', [[1]]), typedColumn('float32', [[1]]))).toBe('float64');
    expect(
      mixed(
        typedColumn('timestamp', [[1n]], { unit: 'ms' }),
        typedColumn('timestamp', [[1n]], { unit: 'ns' }),
      ),
    ).toBe('timestamp[ns]');
    expect(mixed(typedColumn('date', [[1]]), typedColumn('timestamp', [[1n]]))).toBe(
      'timestamp[ms]',
    );
    expect(
      mixed(
        typedColumn('decimal', [['1.5']], { precision: 5, scale: 1 }),
        typedColumn('decimal', [['1.25']], { precision: 4, scale: 2 }),
      ),
    ).toBe('decimal(6,2)');
    expect(mixed(typedColumn('int64', [[1n]]), typedColumn('bytes', [[new Uint8Array()]]))).toBe(
      'string',
    );
  });
});

describe('SchemaInferrer results', () => {
  it('rejects an empty sample with SCHEMA_INFER_EMPTY', async () => {
    await expect(inferSchema([], { source: 'empty.csv' })).rejects.toThrow(
      'SCHEMA_INFER_EMPTY: empty.csv: the sample has no records',
    );
    await expect(inferSchema([new Map()])).rejects.toMatchObject({ code: 'SCHEMA_INFER_EMPTY' });
  });

  it('reads async iterables and stops at the limit', async () => {
    async function* records() {
      yield* column('1', '2', 'x');
    }
    const result = await inferSchema(records(), { limit: 2 });
    expect(result.records).toBe(2);
    expect(fieldLabel(result.schema.fields[0]!)).toBe('int32');
  });

  it('keeps observing after result(), and widens', () => {
    const inferrer = new SchemaInferrer();
    inferrer.observe(column('1')[0]!);
    expect(inferrer.result().schema.fields[0]!.type).toBe('int32');
    inferrer.observe(column('1.5')[0]!);
    expect(inferrer.result().schema.fields[0]!.type).toBe('float64');
    expect(inferrer.records).toBe(2);
  });

  it('is plain JSON data and its schema is a valid schema document', () => {
    const result = infer([
      ...column('1', '18446744073709551615', '-1', null),
      ...typedColumn('timestamp', [[1n]], { unit: 'us', shape: [1] }),
      ...jsonColumn({ a: 1n }),
    ]);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(parseSchema(schemaToJson(result.schema))).toEqual(result.schema);
  });

  it('infers the penguin CSV written for TFX: species int32, the measurements float64', () => {
    const text = readFileSync(resolve(penguinData, 'penguins_processed.csv'), 'utf8');
    const [header, ...rows] = text.trim().split('\n');
    const result = infer(
      textRecords(
        header!.split(','),
        rows.map((row) => row.split(',')),
      ),
    );
    expect(result.records).toBe(334);
    expect(result.schema.fields.map((f) => `${f.name}:${fieldLabel(f)}`)).toEqual([
      'species:int32',
      'culmen_length_mm:float64',
      'culmen_depth_mm:float64',
      'flipper_length_mm:float64',
      'body_mass_g:float64',
    ]);
    expect(result.fields.every((f) => f.confidence === 1)).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------------

/** Types whose text form a CSV column may hold, with the parameters their values need. */
const TEXT_TYPES: readonly DataType[] = [
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

interface TextColumn {
  readonly field: Field;
  readonly values: readonly ScalarValue[];
}

function arbElement(field: Field): fc.Arbitrary<ScalarValue> {
  const type = field.type;
  switch (type) {
    case 'string':
      return fc.oneof(
        fc.string({ unit: 'binary', maxLength: 8 }),
        fc.constantFrom('', '12', '007', 'true', '2024-01-01', '[1,2]', 'NaN', '1e5'),
      );
    case 'char':
      return fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
    case 'bytes':
      return fc.uint8Array({ maxLength: 8 });
    case 'bool':
      return fc.boolean();
    case 'float32':
      return fc.float();
    case 'float64':
      return fc.double();
    case 'date':
      return fc.integer({ min: -2147483648, max: 2147483647 });
    case 'time': {
      const max = 86400n * { ms: 1000n, us: 1000000n, ns: 1000000000n }[field.unit ?? 'ms'] - 1n;
      return fc.bigInt({ min: 0n, max });
    }
    case 'timestamp':
      return fc.bigInt({ min: INTEGER_RANGES.int64[0], max: INTEGER_RANGES.int64[1] });
    case 'decimal': {
      const scale = field.scale ?? 0;
      const limit = 10n ** BigInt(field.precision ?? 38) - 1n;
      return fc.bigInt({ min: -limit, max: limit }).map((unscaled) => {
        const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
        const text =
          scale === 0
            ? digits
            : `${digits.slice(0, -scale)}.${digits.slice(digits.length - scale)}`;
        return unscaled < 0n ? `-${text}` : text;
      });
    }
    default: {
      const [min, max] = INTEGER_RANGES[type];
      const any = fc.oneof(fc.bigInt({ min, max }), fc.constantFrom(min, max));
      return type === 'int64' || type === 'uint64' ? any : any.map(Number);
    }
  }
}

const arbTextColumn: fc.Arbitrary<TextColumn> = fc
  .record({
    type: fc.constantFrom(...TEXT_TYPES),
    unit: fc.constantFrom(...TIME_UNITS),
    precision: fc.integer({ min: 1, max: 38 }),
    scale: fc.nat(38),
  })
  .map(({ type, unit, precision, scale }): Field => {
    const field: { -readonly [K in keyof Field]: Field[K] } = {
      name: 'x',
      type,
      shape: 'scalar',
      nullable: false,
    };
    if (type === 'time' || type === 'timestamp') {
      field.unit = unit;
    }
    if (type === 'decimal') {
      field.precision = precision;
      field.scale = Math.min(scale, precision);
    }
    return field;
  })
  .chain((field) =>
    fc
      .array(arbElement(field), { minLength: 1, maxLength: 12 })
      .map((values) => ({ field, values })),
  );

/** The inferred types that each written type may come back as. */
function allowedTypes(type: DataType): readonly DataType[] {
  const numbers: DataType[] = ['int32', 'int64', 'uint64', 'decimal', 'float64'];
  switch (type) {
    case 'bool':
    case 'date':
    case 'time':
    case 'timestamp':
      return [type];
    case 'float32':
    case 'float64':
    case 'decimal':
      return numbers;
    case 'string':
    case 'bytes':
    case 'char':
      return [...numbers, 'string', 'bool', 'date', 'time', 'timestamp'];
    default:
      return ['int32', 'int64', 'uint64'];
  }
}

describe('SchemaInferrer properties', () => {
  it('infers, from the text of any column, a type that reads every one of its cells', () => {
    fc.assert(
      fc.property(arbTextColumn, ({ field, values }) => {
        const texts = values.map((value) => formatElementText(field, value));
        const inferred = infer(column(...texts)).schema.fields[0]!;
        expect(allowedTypes(field.type)).toContain(inferred.type);
        if (field.type === 'time' || field.type === 'timestamp') {
          expect(inferred.unit).toBe(field.unit);
        }
        for (const text of texts) {
          if (inferred.shape === 'scalar') {
            expect(() => parseElementText(inferred, text)).not.toThrow();
          } else {
            // A text column of nothing but JSON arrays ("[1,2]") is a list column.
            expect(Array.isArray(JSON.parse(text))).toBe(true);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('infers the same schema whatever the order of the records', () => {
    const arbCell: fc.Arbitrary<string | null> = fc.oneof(
      fc.constant(null),
      fc.constantFrom('1', '-7', '3000000000', '18446744073709551615', '2.5', 'NaN', 'abc', ''),
      fc.constantFrom('true', 'FALSE', '2024-01-01', '2024-01-01T00:00:00.123456Z', '12:00:00'),
      fc.constantFrom('[1,2]', '[3]', '[[1,2],[3,4]]', '[]', '["a"]', '[1.5,2]', '[[1],[2,3]]'),
    );
    const arbRows = fc.array(fc.array(arbCell, { minLength: 3, maxLength: 3 }), {
      minLength: 1,
      maxLength: 10,
    });
    fc.assert(
      fc.property(arbRows, fc.context(), (rows, ctx) => {
        const header = ['a', 'b', 'c'];
        const forward = infer(textRecords(header, rows)).schema;
        const backward = infer(textRecords(header, [...rows].reverse())).schema;
        ctx.log(JSON.stringify(rows));
        expect(backward).toEqual(forward);
      }),
      { numRuns: 500 },
    );
  });

  it('reports every change of type or shape as a conflict of the record that caused it', () => {
    const arbCell: fc.Arbitrary<SampleCell> = fc.oneof(
      fc.constant(null),
      fc
        .constantFrom('1', '-1', '-3000000000', '3000000000', '18446744073709551615', '1e3', 'x')
        .map((text) => ({ kind: 'text' as const, text })),
      fc
        .constantFrom('2024-01-01', '2024-01-01T00:00:00.000001Z', '12:00:00', 'true', '[1,2]')
        .map((text) => ({ kind: 'text' as const, text })),
      fc
        .constantFrom<unknown>(1, -1, 2 ** 60, 0.5, '7', 'NaN', [1], [1, 2], [[1]], { a: 1 })
        .map((value) => ({ kind: 'json' as const, value })),
      fc.constantFrom<SampleCell>(
        { kind: 'typed', type: 'int8', values: [1] },
        { kind: 'typed', type: 'uint8', values: [1, 2] },
        { kind: 'typed', type: 'uint64', values: [1n] },
        { kind: 'typed', type: 'float32', values: [0.5] },
        { kind: 'typed', type: 'char', values: ['a'] },
        { kind: 'typed', type: 'string', values: ['ab'] },
        { kind: 'typed', type: 'decimal', values: ['1.5'], precision: 3, scale: 1 },
        { kind: 'typed', type: 'decimal', values: ['1.25'], precision: 3, scale: 2 },
        { kind: 'typed', type: 'timestamp', values: [1n], unit: 'us' },
        { kind: 'typed', type: 'time', values: [1n], unit: 'ns' },
        { kind: 'typed', type: 'date', values: [] },
        { kind: 'typed', type: 'int16', values: [1, 2], shape: [2] },
        { kind: 'typed', type: 'int16', values: [1], shape: 'list' },
        { kind: 'typed', type: 'bytes', values: [new Uint8Array([0xff])] },
        { kind: 'typed', type: 'bytes', values: [new Uint8Array([0x61])] },
      ),
    );
    const label = (field: Field) => fieldLabel(field).replace(/\?$/, '');
    fc.assert(
      fc.property(fc.array(arbCell, { minLength: 1, maxLength: 12 }), (cells) => {
        const inferrer = new SchemaInferrer({ maxConflicts: 100 });
        let previous: string | undefined;
        const changes: { record: number; from: string; to: string }[] = [];
        cells.forEach((cell, i) => {
          inferrer.observe(new Map([['x', cell]]));
          const { fields } = inferrer.result();
          const now = fields[0]!.count === 0 ? undefined : label(fields[0]!.field);
          if (previous !== undefined && now !== previous) {
            changes.push({ record: i + 1, from: previous, to: now! });
          }
          previous = now;
        });
        const conflicts = inferrer.result().fields[0]!.conflicts;
        const widenings = conflicts
          .filter((c) => c.from !== c.to && c.from !== 'null')
          .map(({ record, from, to }) => ({ record, from, to }));
        expect(widenings).toEqual(changes);
      }),
      { numRuns: 1000 },
    );
  });

  it('only ever widens: the type after more records holds the type before', () => {
    const arbCell = fc.constantFrom('1', '3000000000', '18446744073709551615', '-1', '2.5', 'x');
    fc.assert(
      fc.property(fc.array(arbCell, { minLength: 1, maxLength: 10 }), (cells) => {
        const inferrer = new SchemaInferrer();
        const order = ['int32', 'int64', 'uint64', 'decimal', 'float64', 'string'];
        let previous = -1;
        for (const record of column(...cells)) {
          inferrer.observe(record);
          const rank = order.indexOf(inferrer.result().schema.fields[0]!.type);
          expect(rank).toBeGreaterThanOrEqual(previous);
          previous = rank;
        }
      }),
    );
  });
});
