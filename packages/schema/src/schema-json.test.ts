import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldJson } from './schema-json.js';
import {
  MAX_TENSOR_ELEMENTS,
  defineSchema,
  fieldIndex,
  parseSchema,
  schemaToJson,
} from './schema-json.js';
import { DATA_TYPES, TIME_UNITS } from './types.js';

const arbFieldJson = (name: string): fc.Arbitrary<FieldJson> =>
  fc
    .record({
      type: fc.constantFrom(...DATA_TYPES),
      shape: fc.oneof(
        fc.constant(undefined),
        fc.constantFrom<FieldJson['shape']>('scalar', 'list'),
        fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 4 }),
      ),
      nullable: fc.option(fc.boolean(), { nil: undefined }),
      unit: fc.option(fc.constantFrom(...TIME_UNITS), { nil: undefined }),
      precision: fc.integer({ min: 1, max: 76 }),
      scale: fc.option(fc.nat(76), { nil: undefined }),
      description: fc.option(fc.string(), { nil: undefined }),
    })
    .map(({ type, shape, nullable, unit, precision, scale, description }) => {
      const field: FieldJson = { name, type };
      if (shape !== undefined) {
        field.shape = shape;
      }
      if (nullable !== undefined) {
        field.nullable = nullable;
      }
      if ((type === 'time' || type === 'timestamp') && unit !== undefined) {
        field.unit = unit;
      }
      if (type === 'decimal') {
        field.precision = precision;
        if (scale !== undefined) {
          field.scale = Math.min(scale, precision);
        }
      }
      if (description !== undefined) {
        field.description = description;
      }
      return field;
    });

const arbFields: fc.Arbitrary<FieldJson[]> = fc
  .uniqueArray(fc.string({ minLength: 1, maxLength: 8, unit: 'binary' }), {
    minLength: 1,
    maxLength: 6,
  })
  .chain((names) => fc.tuple(...names.map(arbFieldJson)));

describe('parseSchema', () => {
  it('fills in every default', () => {
    expect(
      parseSchema({
        fields: [
          { name: 'a', type: 'int16' },
          { name: 't', type: 'timestamp' },
          { name: 'd', type: 'decimal', precision: 10 },
          { name: 's', type: 'float32', shape: [] },
        ],
      }),
    ).toEqual({
      version: 1,
      fields: [
        { name: 'a', type: 'int16', shape: 'scalar', nullable: false },
        { name: 't', type: 'timestamp', shape: 'scalar', nullable: false, unit: 'ms' },
        { name: 'd', type: 'decimal', shape: 'scalar', nullable: false, precision: 10, scale: 0 },
        { name: 's', type: 'float32', shape: 'scalar', nullable: false },
      ],
    });
  });

  it('reads a bare array of fields, and freezes tensor shapes', () => {
    const schema = parseSchema([{ name: 'x', type: 'float32', shape: [28, 28], nullable: true }]);
    expect(schema.fields[0]).toEqual({
      name: 'x',
      type: 'float32',
      shape: [28, 28],
      nullable: true,
    });
    expect(Object.isFrozen(schema.fields[0]!.shape)).toBe(true);
  });

  it('raises SCHEMA_INVALID naming the field for every kind of mistake', () => {
    const cases: [unknown, string | undefined, string][] = [
      [[{ name: 'a', type: 'int' }], 'a', 'unknown type "int"; use one of string, bytes, bool'],
      [[{ name: 'a' }], 'a', 'unknown type undefined'],
      [[{ name: 'a', type: 'int8', colour: 'red' }], 'a', 'unknown property "colour"'],
      [[{ name: 'a', type: 'int8', shape: 'matrix' }], 'a', 'shape must be "scalar", "list" or'],
      [[{ name: 'a', type: 'int8', shape: [2, 0] }], 'a', 'shape [2,0] must list positive whole'],
      [[{ name: 'a', type: 'int8', shape: [1.5] }], 'a', 'shape [1.5] must list positive whole'],
      [
        [{ name: 'a', type: 'int8', shape: [MAX_TENSOR_ELEMENTS, 2] }],
        'a',
        `more than the limit of ${MAX_TENSOR_ELEMENTS}`,
      ],
      [[{ name: 'a', type: 'int8', nullable: 'yes' }], 'a', '"nullable" must be true or false'],
      [[{ name: 'a', type: 'time', unit: 's' }], 'a', 'unit must be one of ms, us, ns'],
      [[{ name: 'a', type: 'int8', unit: 'ms' }], 'a', '"unit" applies to time and timestamp'],
      [[{ name: 'a', type: 'decimal' }], 'a', 'a decimal field needs "precision"'],
      [[{ name: 'a', type: 'decimal', precision: 77 }], 'a', 'a whole number from 1 to 76'],
      [[{ name: 'a', type: 'decimal', precision: 0 }], 'a', 'a whole number from 1 to 76'],
      [
        [{ name: 'a', type: 'decimal', precision: 5, scale: 6 }],
        'a',
        '"scale" must be a whole number from 0 to the precision (5)',
      ],
      [[{ name: 'a', type: 'decimal', precision: 5, scale: -1 }], 'a', '"scale" must be'],
      [
        [{ name: 'a', type: 'int8', precision: 5 }],
        'a',
        '"precision" and "scale" apply to decimal',
      ],
      [[{ name: 'a', type: 'int8', scale: 1 }], 'a', '"precision" and "scale" apply to decimal'],
      [[{ name: 'a', type: 'int8', description: 1 }], 'a', '"description" must be a string'],
      [
        [
          { name: 'a', type: 'int8' },
          { name: 'a', type: 'int16' },
        ],
        'a',
        'the name is used by more than one field',
      ],
      [[{ name: '', type: 'int8' }], undefined, 'fields[0] needs a non-empty "name"'],
      [[{ type: 'int8' }], undefined, 'fields[0] needs a non-empty "name"'],
      [[1], undefined, 'fields[0] must be an object with "name" and "type"'],
      [{ fields: 'a' }, undefined, 'a schema must have a "fields" array'],
      [null, undefined, 'a schema must be an object with a "fields" array'],
      [{ version: 2, fields: [] }, undefined, 'unsupported schema version 2'],
    ];
    for (const [doc, field, detail] of cases) {
      expect(() => parseSchema(doc, 'schema.json'), detail).toThrow(
        expect.objectContaining({
          name: 'TfstreamError',
          code: 'SCHEMA_INVALID',
          location: { file: 'schema.json', ...(field === undefined ? {} : { field }) },
          detail: expect.stringContaining(detail),
        }),
      );
    }
  });

  it('writes the whole error as one line: code, file, field, what to do', () => {
    expect(() => parseSchema([{ name: 'age', type: 'int' }], 'schema.json')).toThrow(
      'SCHEMA_INVALID: schema.json: field "age": unknown type "int"; use one of string, bytes, bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64, date, time, timestamp, decimal, char',
    );
  });

  it('gives back the same schema from its document, for any schema', () => {
    fc.assert(
      fc.property(arbFields, (fields) => {
        const schema = defineSchema(fields);
        const json = schemaToJson(schema);
        expect(parseSchema(json)).toEqual(schema);
        expect(parseSchema(JSON.parse(JSON.stringify(json)))).toEqual(schema);
        expect(schemaToJson(parseSchema(json))).toEqual(json);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves defaults out of the document', () => {
    const schema = defineSchema([
      { name: 'a', type: 'int8', shape: 'scalar', nullable: false },
      { name: 'b', type: 'decimal', precision: 12, scale: 0 },
      { name: 'c', type: 'timestamp', shape: 'list', nullable: true, description: 'when' },
    ]);
    expect(schemaToJson(schema)).toEqual({
      version: 1,
      fields: [
        { name: 'a', type: 'int8' },
        { name: 'b', type: 'decimal', precision: 12, scale: 0 },
        {
          name: 'c',
          type: 'timestamp',
          shape: 'list',
          nullable: true,
          unit: 'ms',
          description: 'when',
        },
      ],
    });
  });

  it('finds a field by name', () => {
    const schema = defineSchema([
      { name: 'a', type: 'int8' },
      { name: 'b', type: 'string' },
    ]);
    expect(fieldIndex(schema, 'b')).toBe(1);
    expect(fieldIndex(schema, 'z')).toBe(-1);
  });
});
