import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSchema, schemaToJson } from '../schema-json.js';
import { fieldLabel } from '../types.js';
import { schemaFromPbtxt } from './tfmd-schema.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
// TensorFlow Metadata's schema of the penguin splits, as TFX wrote it (examples/penguin-data).
const penguinSchema = resolve(root, 'examples/penguin-data/schema.pbtxt');

function labels(text: string): string[] {
  return schemaFromPbtxt(text).fields.map((field) => `${field.name}:${fieldLabel(field)}`);
}

describe('schemaFromPbtxt', () => {
  it("reads TFX's penguin schema: species int64 and four float32 scalars, none nullable", () => {
    const schema = schemaFromPbtxt(readFileSync(penguinSchema, 'utf8'), 'schema.pbtxt');
    expect(schema).toEqual({
      version: 1,
      fields: [
        { name: 'body_mass_g', type: 'float32', shape: 'scalar', nullable: false },
        { name: 'culmen_depth_mm', type: 'float32', shape: 'scalar', nullable: false },
        { name: 'culmen_length_mm', type: 'float32', shape: 'scalar', nullable: false },
        { name: 'flipper_length_mm', type: 'float32', shape: 'scalar', nullable: false },
        { name: 'species', type: 'int64', shape: 'scalar', nullable: false },
      ],
    });
    expect(parseSchema(schemaToJson(schema))).toEqual(schema);
  });

  it('maps INT, FLOAT and BYTES, and INT with a bool or time domain', () => {
    expect(
      labels(`
        feature { name: "i" type: INT presence { min_fraction: 1 } }
        feature { name: "f" type: FLOAT presence { min_fraction: 1 } }
        feature { name: "s" type: BYTES presence { min_fraction: 1 } }
        feature { name: "n" type: 2 presence { min_fraction: 1 } }
        feature { name: "b" type: INT bool_domain {} presence { min_fraction: 1 } }
        feature { name: "B" type: BOOL presence { min_fraction: 1 } }
        feature { name: "d" type: INT time_domain { integer_format: UNIX_DAYS } presence { min_fraction: 1 } }
        feature { name: "t" type: INT time_domain { integer_format: UNIX_MICROSECONDS } presence { min_fraction: 1 } }
        feature { name: "secs" type: INT time_domain { integer_format: UNIX_SECONDS } presence { min_fraction: 1 } }
        feature { name: "text_time" type: BYTES time_domain { string_format: "%Y" } presence { min_fraction: 1 } }
      `),
    ).toEqual([
      'i:int64[]',
      'f:float32[]',
      's:string[]',
      'n:int64[]',
      'b:bool[]',
      'B:bool[]',
      'd:date[]',
      't:timestamp[us][]',
      'secs:int64[]',
      'text_time:string[]',
    ]);
  });

  it('reads shapes and value counts: [1] and 1..1 are scalars, fixed sizes tensors, else lists', () => {
    expect(
      labels(`
        feature { name: "a" type: FLOAT shape { dim { size: 1 } } }
        feature { name: "b" type: FLOAT shape { } }
        feature { name: "c" type: FLOAT shape { dim { size: 28 } dim { size: 28 } } }
        feature { name: "d" type: FLOAT shape { dim { size: 1 } dim { size: 3 } } }
        feature { name: "e" type: INT value_count { min: 1 max: 1 } }
        feature { name: "f" type: INT value_count { min: 3 max: 3 } }
        feature { name: "g" type: INT value_count { min: 1 max: 5 } }
        feature { name: "h" type: INT value_count { min: 1 } }
        feature { name: "i" type: INT value_counts { value_count { min: 2 max: 2 } value_count { min: 3 max: 3 } } }
        feature { name: "j" type: INT value_counts { value_count { min: 2 max: 2 } value_count { min: 1 max: 3 } } }
        feature { name: "k" type: INT }
      `),
    ).toEqual([
      'a:float32?',
      'b:float32?',
      'c:float32[28,28]?',
      'd:float32[1,3]?',
      'e:int64?',
      'f:int64[3]?',
      'g:int64[]?',
      'h:int64[]?',
      'i:int64[2,3]?',
      'j:int64[]?',
      'k:int64[]?',
    ]);
  });

  it('makes a feature nullable unless every example has it', () => {
    const nullable = (extra: string) =>
      schemaFromPbtxt(`feature { name: "x" type: INT shape { dim { size: 1 } } ${extra} }`)
        .fields[0]!.nullable;
    expect(nullable('presence { min_fraction: 1.0 min_count: 1 }')).toBe(false);
    expect(nullable('presence { min_fraction: 0.5 }')).toBe(true);
    expect(nullable('presence { min_count: 1 }')).toBe(true);
    expect(nullable('')).toBe(true);
    expect(nullable('presence { min_fraction: 1 } lifecycle_stage: DEPRECATED')).toBe(true);
    expect(nullable('presence { min_fraction: 1 } deprecated: true')).toBe(true);
    expect(nullable('presence { min_fraction: 1 } not_in_environment: "SERVING"')).toBe(true);
    expect(nullable('presence { min_fraction: 1 } lifecycle_stage: PRODUCTION')).toBe(false);
  });

  it('keeps annotation comments as the description and leaves out derived and sparse features', () => {
    const schema = schemaFromPbtxt(`
      feature { name: "a" type: BYTES annotation { tag: "t" comment: "first" comment: "second" } }
      feature { name: "derived" type: INT lifecycle_stage: VALIDATION_DERIVED }
      sparse_feature { name: "sparse" index_feature { name: "a" } value_feature { name: "a" } }
      string_domain { name: "d" value: "x" }
      default_environment: "TRAINING"
    `);
    expect(schema.fields).toEqual([
      { name: 'a', type: 'string', shape: 'list', nullable: true, description: 'first\nsecond' },
    ]);
  });

  it('rejects STRUCT features, naming the feature and what to do', () => {
    expect(() =>
      schemaFromPbtxt(
        'feature { name: "ok" type: INT }\nfeature {\n  name: "nested"\n  type: STRUCT\n}',
        'schema.pbtxt',
      ),
    ).toThrow(
      'SCHEMA_PBTXT_INVALID: schema.pbtxt: line 4: field "nested": STRUCT features (tf.SequenceExample contexts, nested records) have no tfstream type; flatten the struct',
    );
  });

  it('rejects features it cannot map, with line and feature', () => {
    const cases: [string, string][] = [
      ['feature { type: INT }', 'line 1: a feature has no "name"'],
      ['feature { name: "x" }', 'line 1: field "x": the feature has no "type"'],
      [
        'feature { name: "x" type: TYPE_UNKNOWN }',
        'line 1: field "x": unknown feature type "TYPE_UNKNOWN"',
      ],
      [
        'feature { name: "x" type: INT shape {\n dim { size: 0 } } }',
        'line 2: field "x": a shape dim size must be a whole number of at least 1, got 0',
      ],
      [
        'feature { name: "x" type: INT }\n\nfeature { name: "x" type: FLOAT }',
        'line 3: field "x": the feature is declared twice (first on line 1)',
      ],
      ['feature: 1', 'line 1: "feature" must be a message'],
      ['string_domain { name: "d" }', 'line 1: the schema has no feature'],
      ['feature { name: "x" type: INT', 'line 1: expected "}" to close the message'],
    ];
    for (const [text, message] of cases) {
      expect(() => schemaFromPbtxt(text, 's.pbtxt'), text).toThrow(
        `SCHEMA_PBTXT_INVALID: s.pbtxt: ${message}`,
      );
    }
  });
});
